"""Batch reduction: the property the writer's UNWIND statements rely on."""

from graphcdm.graph.changes import InstanceDelete, InstanceMove, InstanceUnmap, newest_per_key
from graphcdm.graph.writer import node_rows, rows_by_statement


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
    assert rows == [
        ("node_seen", [{"host": "h1", "node": None, "version": "001|a"}]),
        ("instance_move", [{"uuid": "u", "version": "001|a", "host": "h1", "node": None}]),
        ("instance_guard", [{"uuid": "u"}]),
        ("fold_placeholders", []),
    ]


def test_superseded_moves_still_name_their_nodes():
    changes = [InstanceMove("u", "001|a", "h1", "n1"), InstanceMove("u", "003|a", "h2", None),
               InstanceMove("v", "002|a", "h2", "n2"), InstanceMove("w", "004|a", "h1", "n1")]
    assert node_rows(changes) == [{"host": "h1", "node": "n1", "version": "004|a"},
                                  {"host": "h2", "node": "n2", "version": "002|a"}]
    [(_, moves)] = [(n, r) for n, r in rows_by_statement(changes) if n == "instance_move"]
    assert sorted(r["uuid"] for r in moves) == ["u", "v", "w"]


def test_batches_without_moves_or_services_do_not_fold():
    assert [n for n, _ in rows_by_statement([InstanceUnmap("u", "001|a")])] == [
        "instance_unmap", "instance_guard"]
    assert [n for n, _ in rows_by_statement([InstanceDelete("u", "001|a")])] == [
        "instance_delete"]
