"""Results: idempotent, atomic batches that come back exactly as stored."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from gatekeeper.errors import Conflict, NotFound
from gatekeeper.model import Compose, Outcome, Result
from gatekeeper.store import Store, Tx, result_dedupe_key

MakeResult = Callable[..., Result]


def test_results_round_trip_with_every_field(tx: Tx, make_result: MakeResult) -> None:
    cest = timezone(timedelta(hours=2))
    sent = make_result(
        outcome=Outcome.NEEDS_INSPECTION,
        submit_time=datetime(2026, 11, 24, 14, 30, 0, 123456, tzinfo=cest),
        id="ext-1",
        scenario="packstack",
        arch="x86_64",
        variant="BaseOS",
        ref_url="https://ci.example.org/1",
        note="flaky?",
        data={"item": ["a", "b"], "nested": {"n": 1, "ok": True, "none": None}},
        reporter="rdo-ci-bot",
        source="junit",
    )

    [stored] = tx.add_results([sent])
    [read] = tx.results_for(sent.compose)

    assert read == stored
    assert read.id is not None and read.id.isdigit()
    assert read.submit_time == datetime(2026, 11, 24, 12, 30, 0, 123456, tzinfo=UTC)
    assert read.submit_time.tzinfo is UTC
    assert read.outcome is Outcome.NEEDS_INSPECTION
    assert read.data == {"item": ["a", "b"], "nested": {"n": 1, "ok": True, "none": None}}
    assert replace(read, id="ext-1", submit_time=sent.submit_time, data=sent.data) == sent


def test_optional_result_fields_come_back_as_none(tx: Tx, make_result: MakeResult) -> None:
    tx.add_results([make_result()])

    [read] = tx.results_for(make_result().compose)

    assert (read.scenario, read.arch, read.variant, read.ref_url, read.note) == (None,) * 5
    assert (read.reporter, read.source) == (None, None)
    assert read.data == {}


def test_a_result_with_an_external_id_is_stored_once(tx: Tx, make_result: MakeResult) -> None:
    first = tx.add_results([make_result(id="run-7", source="tmt")])
    again = tx.add_results([make_result(id="run-7", source="tmt")])

    assert len(first) == 1
    assert again == []
    assert [r.outcome for r in tx.results_for(make_result().compose)] == [Outcome.PASSED]


def test_an_external_id_stored_with_another_body_is_a_conflict(
    tx: Tx, make_result: MakeResult
) -> None:
    tx.add_results([make_result(id="run-7", source="tmt")])
    with pytest.raises(Conflict, match="'run-7' is already stored with another body"):
        tx.add_results([make_result(id="run-7", source="tmt", outcome=Outcome.FAILED)])

    assert [r.outcome for r in tx.results_for(make_result().compose)] == [Outcome.PASSED]


def test_an_external_id_is_scoped_by_its_owning_team(tx: Tx, make_result: MakeResult) -> None:
    tx.add_results([make_result(id="1", outcome=Outcome.FAILED)], scope_of=lambda t: "rdo")
    other = tx.add_results([make_result(id="1")], scope_of=lambda t: "idm")

    assert len(other) == 1
    outcomes = [r.outcome for r in tx.results_for(make_result().compose)]
    assert outcomes == [Outcome.FAILED, Outcome.PASSED]


def test_the_same_external_id_from_another_source_is_another_result(
    tx: Tx, make_result: MakeResult
) -> None:
    tx.add_results([make_result(id="1", source="tmt"), make_result(id="1", source="junit")])

    assert len(tx.results_for(make_result().compose)) == 2


def test_a_result_without_id_is_stored_once_per_content(tx: Tx, make_result: MakeResult) -> None:
    assert len(tx.add_results([make_result(note="x")])) == 1
    assert tx.add_results([make_result(note="x")]) == []
    assert len(tx.add_results([make_result(note="y")])) == 1

    assert [r.note for r in tx.results_for(make_result().compose)] == ["x", "y"]


def test_duplicates_within_one_batch_are_stored_once(tx: Tx, make_result: MakeResult) -> None:
    stored = tx.add_results([make_result(1), make_result(2), make_result(1)])

    assert [r.testcase for r in stored] == ["t_functional.test_1", "t_functional.test_2"]
    assert len(tx.results_for(make_result().compose)) == 2


def test_add_results_returns_only_the_new_ones_in_input_order(
    tx: Tx, make_result: MakeResult
) -> None:
    tx.add_results([make_result(2)])

    stored = tx.add_results([make_result(3), make_result(2), make_result(1)])

    assert [r.testcase for r in stored] == ["t_functional.test_3", "t_functional.test_1"]
    assert stored == [
        r for r in tx.results_for(make_result().compose) if r.testcase != "t_functional.test_2"
    ]


def test_results_are_read_in_the_order_they_were_stored(tx: Tx, make_result: MakeResult) -> None:
    tx.add_results([make_result(n) for n in range(5)])
    tx.add_results([make_result(n) for n in range(5, 10)])

    read = tx.results_for(make_result().compose)

    assert [r.testcase for r in read] == [f"t_functional.test_{n}" for n in range(10)]
    ids = [int(r.id or 0) for r in read]
    assert ids == sorted(ids)


def test_a_batch_with_a_result_of_an_unknown_compose_stores_nothing(
    store: Store, compose: Compose, make_result: MakeResult
) -> None:
    with store.transaction() as tx:
        tx.ensure_compose(compose)
    batch = [make_result(1), make_result(2, compose="CentOS-Stream-9-20990101.0"), make_result(3)]

    with (
        pytest.raises(NotFound, match=r"one of the composes .*20990101\.0 is not known"),
        store.transaction() as tx,
    ):
        tx.add_results(batch)

    with store.transaction() as tx:
        assert tx.results_for(compose.id) == []


def test_a_failing_transaction_rolls_back_earlier_batches(
    store: Store, compose: Compose, make_result: MakeResult
) -> None:
    with store.transaction() as tx:
        tx.ensure_compose(compose)

    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.add_results([make_result(1)])
        raise RuntimeError("boom")

    with store.transaction() as tx:
        assert tx.results_for(compose.id) == []
        assert len(tx.add_results([make_result(1)])) == 1


def test_results_of_other_composes_are_not_read(
    tx: Tx, compose: Compose, make_result: MakeResult
) -> None:
    other = Compose.from_id("CentOS-Stream-10-20261124.0")
    tx.ensure_compose(other)
    tx.add_results([make_result(1), make_result(2, compose=other.id)])

    assert [r.compose for r in tx.results_for(compose.id)] == [compose.id]
    assert [r.compose for r in tx.results_for(other.id)] == [other.id]
    assert tx.results_for("CentOS-Stream-8-20200101.0") == []


def test_naive_datetimes_are_refused(tx: Tx, make_result: MakeResult) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        tx.add_results([make_result(submit_time=datetime(2026, 11, 24, 12, 0))])


def test_the_dedupe_key_of_a_result_with_an_id_names_source_scope_compose_and_id(
    make_result: MakeResult,
) -> None:
    assert result_dedupe_key(make_result(id="42", source="tmt"), "rdo") == (
        "tmt:rdo:CentOS-Stream-9-20261124.0:42"
    )
    assert result_dedupe_key(make_result(id="42")) == "gatekeeper::CentOS-Stream-9-20261124.0:42"


def test_the_content_dedupe_key_ignores_time_zone_and_data_key_order(
    make_result: MakeResult,
) -> None:
    utc = make_result(data={"a": 1, "b": 2})
    cest = make_result(
        submit_time=utc.submit_time.astimezone(timezone(timedelta(hours=2))),
        data={"b": 2, "a": 1},
    )

    assert result_dedupe_key(utc) == result_dedupe_key(cest)
    assert len(result_dedupe_key(utc)) == 64
    assert result_dedupe_key(utc) != result_dedupe_key(make_result(data={"a": 1}))


def test_large_batches_are_stored_in_chunks(
    tx: Tx, make_result: MakeResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("gatekeeper.store.result_inserts._PG_CHUNK", 3)
    tx.add_results([make_result(4)])

    stored = tx.add_results([make_result(n, note=f"n{n}") for n in range(8)] + [make_result(4)])

    assert len(stored) == 8
    read = tx.results_for(make_result().compose)
    assert [r.testcase for r in read] == [f"t_functional.test_{n}" for n in (4, *range(8))]
    assert read[1:] == stored
