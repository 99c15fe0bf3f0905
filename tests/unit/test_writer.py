"""The writer's plan (graphcdm.graph.writer.PLAN): which statements a batch runs, in
order; and whose fault an error is (retried, requeued or the data's). Pure.

What each statement does to the graph is tested against Neo4j in
tests/functional/test_writer.py and, whole streams, in test_scenarios.py.
"""

import neo4j.exceptions as nex
import pytest

from graphcdm.graph import cypher
from graphcdm.graph.changes import (
    InstanceDelete,
    InstanceMove,
    InstanceUnmap,
    InstanceUpsert,
    ServiceDelete,
    ServiceUpsert,
)
from graphcdm.graph.writer import (
    PLAN,
    FromGraph,
    GraphWriter,
    WriteFailed,
    is_retryable,
    node_rows,
    rows_by_statement,
)


def test_rows_group_by_statement():
    rows = rows_by_statement([InstanceMove("u", "001|a", "h1", None)])
    assert rows == [
        ("node_seen", [{"host": "h1", "node": None, "version": "001|a", "uuid": "u"}]),
        ("instance_write", [{"uuid": "u", "attrs": None, "versions": None, "version": None,
                             "oldest": None, "version_props": None, "place_version": "001|a",
                             "host": "h1", "node": None}]),
        ("instance_guard", [{"uuid": "u"}]),
        ("service_upsert", FromGraph("fold_status")),
        ("fold_placeholders", []),
    ]


def test_superseded_moves_still_name_their_nodes():
    changes = [InstanceMove("u", "001|a", "h1", "n1"), InstanceMove("u", "003|a", "h2", None),
               InstanceMove("v", "002|a", "h2", "n2"), InstanceMove("w", "004|a", "h1", "n1")]
    assert node_rows(changes) == [{"host": "h1", "node": "n1", "version": "004|a", "uuid": "w"},
                                  {"host": "h2", "node": "n2", "version": "002|a", "uuid": "v"}]
    [(_, moves)] = [(n, r) for n, r in rows_by_statement(changes) if n == "instance_write"]
    assert sorted(r["uuid"] for r in moves) == ["u", "v", "w"]
    assert [r["place_version"] for r in moves if r["uuid"] == "u"] == ["003|a"]


def test_a_repeated_version_with_other_content_names_no_node():
    """Issue 16 item 4: the same message id and timestamp is the same notification;
    its first content counts, the repeat names no (phantom) node."""
    t = "00001764064800000"  # 17 digits of µs, then |rank|message id
    changes = [InstanceMove("u", f"{t}|1|a", "h1", "n1"),
               InstanceMove("u", f"{t}|0|a", "h9", "n9"),  # another event type's rank
               InstanceMove("u", f"{t}|1|a", "h1", "n1")]
    assert node_rows(changes) == [{"host": "h1", "node": "n1", "version": f"{t}|1|a",
                                   "uuid": "u"}]
    [(_, moves)] = [(n, r) for n, r in rows_by_statement(changes) if n == "instance_write"]
    assert [(r["uuid"], r["place_version"], r["host"], r["node"]) for r in moves] == [
        ("u", f"{t}|1|a", "h1", "n1")]


def test_batches_without_moves_or_services_do_not_fold():
    assert [n for n, _ in rows_by_statement([InstanceUnmap("u", "001|a")])] == [
        "instance_unmap", "instance_guard"]
    assert [n for n, _ in rows_by_statement([InstanceDelete("u", "001|a")])] == [
        "instance_delete"]


def test_a_batch_of_every_kind_runs_the_plan_in_order():
    batch = [InstanceDelete("d", "005|a"), InstanceUnmap("c", "004|a"),
             InstanceMove("b", "003|a", "h1", "n1"), InstanceUpsert("a", "002|a", {"name": "x"}),
             ServiceDelete("h9", "001|a"), ServiceUpsert("h1", "001|b", disabled=True)]
    assert [n for n, _ in rows_by_statement(batch)] == [
        "service_upsert", "service_delete_lock", "service_delete", "node_seen",
        "instance_write", "instance_unmap", "instance_delete",
        "instance_guard", "service_upsert", "fold_placeholders"]
    assert [n for n, _ in rows_by_statement(batch)] == [s.statement for s in PLAN]


def test_service_rows_say_status_and_state():
    [(_, rows)] = rows_by_statement([ServiceDelete("h1", "001|a")])[:1]
    assert rows == [{"host": "h1", "version": "001|a"}]
    work = rows_by_statement([ServiceUpsert("h1", "002|a", disabled=True, forced_down=True,
                                            state="down")])
    assert [n for n, _ in work] == ["service_upsert", "service_upsert", "fold_placeholders"]
    [row] = work[0][1]
    assert (row["status"], row["state"], row["state_version"]) == ("disabled", "down", "002|a")
    assert [n for n, _ in rows_by_statement([ServiceDelete("h1", "001|a")])] == [
        "service_delete_lock", "service_delete"]
    # a service.update that does not force down does not know up/down: no state
    [row] = rows_by_statement([ServiceUpsert("h1", "003|a", disabled=True)])[0][1]
    assert (row["status"], row["state"], row["state_version"]) == ("disabled", None, None)


def test_guard_covers_every_written_instance_even_superseded_changes():
    batch = [InstanceUpsert("b", "001|a"), InstanceMove("a", "002|a", "h1", "n1"),
             InstanceUnmap("a", "003|a")]
    work = dict(rows_by_statement(batch))
    assert work["instance_guard"] == [{"uuid": "a"}, {"uuid": "b"}]
    # the newer unmap won a's placement: a has no instance_write row
    assert [r["uuid"] for r in work["instance_write"]] == ["b"]


def test_one_row_per_instance_carries_its_attributes_and_its_move():
    batch = [InstanceUpsert("a", "002|a", {"name": "x"}), InstanceMove("a", "003|a", "h1", "n1"),
             InstanceUpsert("a", "001|a", {"name": "old"}), InstanceMove("b", "004|a", "h2", "n2")]
    rows = {r["uuid"]: r for r in dict(rows_by_statement(batch))["instance_write"]}
    assert rows["a"] == {"uuid": "a", "attrs": {"name": "x"}, "versions": {"name": "002|a"},
                         "version": "002|a", "oldest": "002|a",
                         "version_props": {"v_name": "002|a"},
                         "place_version": "003|a", "host": "h1", "node": "n1"}
    assert rows["b"]["attrs"] is None and rows["b"]["host"] == "h2"


def test_every_step_names_a_statement():
    for step in PLAN:
        assert cypher.load(step.statement)


# -- whose fault an error is: retried, requeued (WriteFailed) or the data's -----


def _failed_result(cause: BaseException) -> Exception:
    """A ResultFailedError as the driver raises it: ``from`` the error met."""
    try:
        raise nex.ResultFailedError(None, "The result has failed.") from cause
    except nex.ResultFailedError as exc:
        return exc


def _flaky(*errors: BaseException):
    """A unit of work that raises ``errors`` in turn, then returns 'committed'."""
    pending = list(errors)

    def fn():
        if pending:
            raise pending.pop(0)
        return "committed"
    return fn


def test_a_lost_connection_wrapped_in_a_failed_result_is_retried():
    """The driver raises a connection lost mid-transaction as the cause of a
    ResultFailedError, which it does not retry itself (test_properties.py
    under four concurrent writers): the writer retries it."""
    writer = GraphWriter(None, "neo4j", retries=2, max_backoff=0.01)
    fn = _flaky(_failed_result(nex.SessionExpired("defunct connection")))
    assert writer._retrying(fn) == "committed"
    assert is_retryable(_failed_result(nex.ServiceUnavailable("gone")))


def test_a_failed_result_caused_by_the_data_is_the_datas():
    syntax = nex.ClientError._hydrate_neo4j(code="Neo.ClientError.Statement.TypeError",
                                            message="x")
    writer = GraphWriter(None, "neo4j", retries=2, max_backoff=0.01)
    with pytest.raises(nex.ResultFailedError):
        writer._retrying(_flaky(_failed_result(syntax)))
    assert not is_retryable(_failed_result(syntax))


def test_a_missing_database_and_a_lasting_outage_are_the_databases_fault():
    missing = nex.ClientError._hydrate_neo4j(code="Neo.ClientError.Database.DatabaseNotFound",
                                             message="no such database")
    writer = GraphWriter(None, "neo4j", retries=1, max_backoff=0.01)
    with pytest.raises(WriteFailed, match="DatabaseNotFound"):
        writer._retrying(_flaky(missing))
    with pytest.raises(WriteFailed, match="after 2 attempts"):
        writer._retrying(_flaky(*[nex.ServiceUnavailable("down")] * 3))
