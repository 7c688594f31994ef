"""Composes, their builds and merge requests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gatekeeper.errors import NotFound
from gatekeeper.model import Build, Compose
from gatekeeper.store import Store, Tx


def test_ensure_compose_inserts_once(store: Store, compose: Compose) -> None:
    with store.transaction() as tx:
        assert tx.ensure_compose(compose, location="https://composes.example.org/x") is True
    with store.transaction() as tx:
        assert tx.ensure_compose(compose, label="RC-1") is False
        row = tx.compose_row(compose.id)

    assert row is not None
    assert row["location"] == "https://composes.example.org/x"
    assert row["label"] is None


def test_a_compose_round_trips(tx: Tx) -> None:
    compose = Compose.from_id(
        "CentOS-Stream-10-20261201.n.2", announced_at=datetime(2026, 12, 1, 3, 4, 5, tzinfo=UTC)
    )
    tx.ensure_compose(compose, label="Beta-1.0")

    assert tx.get_compose(compose.id) == Compose(
        id=compose.id,
        product="CentOS-Stream-10",
        type="nightly",
        date="20261201",
        respin=2,
        announced_at=datetime(2026, 12, 1, 3, 4, 5, tzinfo=UTC),
        label="Beta-1.0",
    )


def test_a_new_compose_row_has_the_defaults(tx: Tx, compose: Compose) -> None:
    row = tx.compose_row(compose.id)

    assert row is not None
    assert row["state"] == "announced"
    assert row["promoted"] is False
    assert row["decision_version"] == 0
    assert row["published_at"] is None
    assert row["created_at"].tzinfo is UTC
    assert row["created_at"] == row["updated_at"]


def test_unknown_composes_are_none(tx: Tx) -> None:
    assert tx.get_compose("CentOS-Stream-8-20200101.0") is None
    assert tx.compose_row("CentOS-Stream-8-20200101.0") is None


def test_locking_an_unknown_compose_raises_not_found(tx: Tx) -> None:
    with pytest.raises(NotFound, match=r"CentOS-Stream-8-20200101\.0"):
        tx.lock_compose("CentOS-Stream-8-20200101.0")


def test_lock_compose_returns_the_row(tx: Tx, compose: Compose) -> None:
    assert tx.lock_compose(compose.id) == tx.compose_row(compose.id)


def test_update_compose_sets_columns_and_updated_at(tx: Tx, compose: Compose) -> None:
    published = datetime(2026, 11, 26, tzinfo=UTC)
    before = tx.compose_row(compose.id)

    tx.update_compose(compose.id, state="published", promoted=True, published_at=published)

    row = tx.compose_row(compose.id)
    assert before is not None and row is not None
    assert (row["state"], row["promoted"], row["published_at"]) == ("published", True, published)
    assert row["updated_at"] > before["updated_at"]


def test_update_compose_refuses_unknown_columns(tx: Tx, compose: Compose) -> None:
    with pytest.raises(TypeError, match="colour"):
        tx.update_compose(compose.id, colour="red")
    with pytest.raises(TypeError, match="id"):
        tx.update_compose(compose.id, id="other")


def test_update_of_an_unknown_compose_raises_not_found(tx: Tx) -> None:
    with pytest.raises(NotFound):
        tx.update_compose("CentOS-Stream-8-20200101.0", state="proposed")


def test_list_composes_is_newest_first(tx: Tx, compose: Compose) -> None:
    for day in (25, 27, 26):
        later = compose.announced_at + timedelta(days=day - 24)
        tx.ensure_compose(Compose.from_id(f"CentOS-Stream-9-202611{day}.0", announced_at=later))

    ids = [row["id"] for row in tx.list_composes()]

    assert ids == [f"CentOS-Stream-9-202611{day}.0" for day in (27, 26, 25, 24)]
    assert len(tx.list_composes(limit=2)) == 2


BASH = Build(
    name="bash",
    version="5.2.26",
    release="3.el9",
    variants=("BaseOS",),
    arches=("aarch64", "x86_64"),
    rpms={"bash": ("aarch64", "x86_64"), "bash-doc": ("noarch",)},
)
ZSH = Build(name="zsh", version="5.8", release="9.el9", epoch=1, variants=("BaseOS",))


def test_builds_round_trip_sorted_by_name(tx: Tx, compose: Compose) -> None:
    tx.put_builds(compose.id, [ZSH, BASH])

    assert tx.builds_for(compose.id) == [BASH, ZSH]


def test_put_builds_replaces_the_builds(tx: Tx, compose: Compose) -> None:
    tx.put_builds(compose.id, [ZSH, BASH])
    tx.put_builds(compose.id, [BASH])
    tx.put_builds(compose.id, [BASH])

    assert tx.builds_for(compose.id) == [BASH]


def test_merge_request_upsert_creates_then_updates(tx: Tx, compose: Compose) -> None:
    created = tx.upsert_merge_request(compose.id, title="Compose X", number=None)
    updated = tx.upsert_merge_request(compose.id, number=12, head_commit="abc123")

    assert created["branch"] == f"compose/{compose.id}"
    assert (created["forge"], created["state"], created["description"]) == ("local", "open", "")
    assert updated["id"] == created["id"]
    assert (updated["title"], updated["number"], updated["head_commit"]) == (
        "Compose X",
        12,
        "abc123",
    )
    assert updated["created_at"] == created["created_at"]
    assert updated["updated_at"] >= created["updated_at"]
    assert tx.merge_request_for(compose.id) == updated


def test_merge_requests_are_listed_by_state(tx: Tx, compose: Compose) -> None:
    other = Compose.from_id("CentOS-Stream-9-20261125.0")
    tx.ensure_compose(other)
    tx.upsert_merge_request(compose.id, state="merged")
    tx.upsert_merge_request(other.id)

    assert [mr["compose_id"] for mr in tx.list_merge_requests()] == [compose.id, other.id]
    assert [mr["compose_id"] for mr in tx.list_merge_requests("open")] == [other.id]
    assert tx.merge_request_for("CentOS-Stream-8-20200101.0") is None
