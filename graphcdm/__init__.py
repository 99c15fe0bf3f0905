"""graphcdm: nova's compute cluster data model in Neo4j."""

from importlib import metadata as _metadata

try:
    #: The installed distribution's version (setuptools-scm, from git).
    __version__ = _metadata.version("graphcdm")
except _metadata.PackageNotFoundError:  # imported from a checkout never installed
    __version__ = "0+unknown"
