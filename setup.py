"""setup.cfg holds the metadata; setuptools-scm (pyproject.toml) the version from git."""

import setuptools

setuptools.setup()
