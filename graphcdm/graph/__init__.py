"""The write side: the driver (``db``), the statements (``cypher``), the typed
changes the writer accepts (``changes``) and the only Neo4j writer (``writer``)."""
