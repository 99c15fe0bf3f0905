"""Click sub-commands of ``graphcdm``; each module holds one command (group).

They are loaded lazily by :mod:`graphcdm.cli` so that ``graphcdm --help``
does not import oslo.messaging, openstacksdk or the Neo4j driver.
"""
