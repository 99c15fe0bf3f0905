"""Batch reduction: the property the writer's UNWIND statements rely on."""

from graphcdm.changes import InstanceDelete, InstanceMove, InstanceUnmap, newest_per_key
from graphcdm.writer import rows_by_statement


def test_newest_change_per_entity_and_aspect_wins():
    old = InstanceMove("u", "001|a", "h1", "n1")
    new = InstanceUnmap("u", "002|a")
    other = InstanceMove("v", "001|a", "h2", "n2")
    assert sorted(newest_per_key([new, old, other]), key=lambda c: c.uuid) == [new, other]


def test_hard_delete_beats_newer_soft_delete():
    hard = InstanceDelete("u", "001|a", final=True)
    soft = InstanceDelete("u", "009|a", final=False)
    assert newest_per_key([hard, soft]) == [hard]


def test_rows_group_by_statement():
    rows = rows_by_statement([InstanceMove("u", "001|a", "h1", None)])
    assert rows == [("instance_move", [{"uuid": "u", "version": "001|a", "host": "h1",
                                        "node": None}])]
