"""Rules every write statement of cypher/ follows, checked on their text. Pure.

The lock-first rule (docs/ARCHITECTURE.md, "Concurrent writers"): a
statement that compares a version the graph holds takes the entity's write
lock (``SET x._lock = true REMOVE x._lock``) before the first clause that
reads it; tests/functional/test_writer.py shows the races it prevents.
Every write statement that reads a version is classified here, so a new
one cannot be forgotten.
"""

from __future__ import annotations

import re

import pytest

from graphcdm.graph import cypher

#: statement -> the variable it locks before reading any held version
#: (service_delete locks each candidate, then re-reads it by key)
LOCK_FIRST = {
    "instance_write": "i", "instance_unmap": "i",
    "instance_delete": "i", "node_seen": "c", "service_upsert": "c",
    "service_delete": "candidate", "sync/compute_nodes": "c",
    "sync/remove_compute_nodes": "c",
}
#: statements that read versions without the idiom, and why that is safe
EXEMPT = {
    "instance_guard": "runs last in a batch whose statements already locked the instance",
    "fold_placeholders": "reads seen_version inside the SET that writes it (locked first)",
    "fold_status": "a read: its rows go through service_upsert, which locks",
    "service_delete_lock": "compares only the tombstone it MERGEs (locked by the MERGE)",
    "sync/lift_tombstones": "compares only the tombstone it deletes; a delete committed "
                            "during the poll is newer than the poll, never older than $before",
}
#: statement -> {variable: why reading its version unlocked is safe}
UNLOCKED_READS = {
    "node_seen": {"held": "the instance's placement key only tells a repeated message id "
                          "(same time and id, other content) from a new notification; a "
                          "twin racing the first content's commit may leave a placeholder "
                          "the resync removes"},
}


def _code(name: str) -> str:
    return "\n".join(line.split("//", 1)[0] for line in cypher.load(name).splitlines())


def _write_statements() -> list[str]:
    names = cypher.names() + cypher.names("sync")
    return [n for n in names if re.search(r"\b(SET|MERGE|DELETE|CREATE)\b", _code(n))]


def test_every_write_statement_that_reads_a_version_is_classified():
    reading = {n for n in _write_statements() + ["fold_status"]
               if re.search(r"\b\w+\.\w*version\b", _code(n))}
    assert reading == set(LOCK_FIRST) | set(EXEMPT)


@pytest.mark.parametrize("name,var", sorted(LOCK_FIRST.items()))
def test_lock_before_the_first_version_read(name, var):
    code = _code(name)
    lock = code.find(f"SET {var}._lock = true REMOVE {var}._lock")
    assert lock >= 0, f"{name} never locks {var}"
    # versions the graph holds: on any entity variable, not on the row or a tombstone
    unlocked = set(UNLOCKED_READS.get(name, {}))
    reads = [m.start() for m in re.finditer(r"\b(\w+)\.\w*version\b", code)
             if m.group(1) not in ("row", "st", "t") and m.group(1) not in unlocked]
    assert reads and lock < min(reads), f"{name} reads a held version before locking {var}"
