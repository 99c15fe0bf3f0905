"""Typed changes and batch reduction: the property the writer's UNWIND statements rely on."""

from graphcdm.graph.changes import (
    InstanceDelete,
    InstanceMove,
    InstanceUnmap,
    json_text,
    newest_per_key,
)


def test_newest_change_per_entity_and_aspect_wins():
    old = InstanceMove("u", "001|a", "h1", "n1")
    new = InstanceUnmap("u", "002|a")
    other = InstanceMove("v", "001|a", "h2", "n2")
    assert sorted(newest_per_key([new, old, other]), key=lambda c: c.uuid) == [new, other]


def test_hard_delete_beats_newer_soft_delete():
    hard = InstanceDelete("u", "001|a", final=True)
    soft = InstanceDelete("u", "009|a", final=False)
    assert newest_per_key([hard, soft]) == [hard]


def test_json_text_is_canonical():
    assert json_text({"b": 1, "a": [1, {"d": 2, "c": None}]}) == '{"a":[1,{"c":null,"d":2}],"b":1}'
    assert json_text({"a": 1, "b": 2}) == json_text({"b": 2, "a": 1})
