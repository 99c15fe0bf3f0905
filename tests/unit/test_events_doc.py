"""docs/EVENTS.md is generated from parse.EFFECTS and must not drift from it."""

from pathlib import Path

from graphcdm.notifications import parse

DOC = Path(__file__).resolve().parents[2] / "docs" / "EVENTS.md"


def test_events_doc_matches_the_code():
    assert DOC.read_text(encoding="utf-8") == parse.events_markdown(), (
        "docs/EVENTS.md is stale; regenerate it with the command at its top")


def test_every_handled_event_is_in_the_doc_with_its_effect():
    text = DOC.read_text(encoding="utf-8")
    for event, effect in parse.EFFECTS.items():
        assert f"| `{event}` |" in text
        assert effect in parse.EFFECT_TEXT
    for spec in ("compute.instance.rebuild.end", "compute.instance.resize.confirm.end",
                 "instance.rebuild.end", "instance.resize_confirm.end"):
        assert f"| `{spec}` |" in text
