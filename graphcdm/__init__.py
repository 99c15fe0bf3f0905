"""graphcdm: nova's compute cluster data model in Neo4j."""

__version__ = "0.1.0"
