"""The Cypher statements, one ``.cypher`` file each (installed as graphcdm.cypher_statements).

This folder is a data package so that every statement (top level, queries/,
schema/, sync/) reaches every install, wheel, sdist or editable, through
setup.cfg's package_dir mapping; graphcdm/graph/cypher.py reads it with
importlib.resources. No Python lives here.
"""
