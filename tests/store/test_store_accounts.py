"""Identities and API tokens: only hashes are stored; revoked tokens stop working."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa

from gatekeeper.errors import InputError, NotFound
from gatekeeper.store import Store
from gatekeeper.store import tables as t


def test_an_issued_token_identifies_its_identity(store: Store) -> None:
    with store.transaction() as tx:
        identity_id = tx.create_identity(
            "rdo-ci-bot", kind="bot", groups=["CentOS/Integration/rdo"], can_waive=True
        )
        token = tx.issue_token("rdo-ci-bot", "CI pipeline")

    with store.transaction() as tx:
        found = tx.identity_for_token(token)

    assert token.startswith("gk_") and len(token) > 40
    assert found is not None
    assert found["id"] == identity_id
    assert (found["name"], found["kind"], found["groups"]) == (
        "rdo-ci-bot",
        "bot",
        ["CentOS/Integration/rdo"],
    )
    assert (found["can_waive"], found["is_admin"]) == (True, False)
    assert found["token_description"] == "CI pipeline"
    assert "token_hash" not in found


def test_only_the_token_hash_is_stored(store: Store) -> None:
    with store.transaction() as tx:
        tx.create_identity("alice")
        token = tx.issue_token("alice", "laptop")

    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(t.tokens)).mappings().all()

    assert len(rows) == 1
    assert rows[0]["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    for value in rows[0].values():
        assert token not in str(value)
        assert token.removeprefix("gk_") not in str(value)


def test_each_token_is_different(store: Store) -> None:
    with store.transaction() as tx:
        tx.create_identity("alice")
        tokens = {tx.issue_token("alice") for _ in range(5)}

    assert len(tokens) == 5


def test_using_a_token_records_when(store: Store) -> None:
    with store.transaction() as tx:
        tx.create_identity("alice")
        token = tx.issue_token("alice")
    with store.transaction() as tx:
        tx.identity_for_token(token)

    with store.engine.connect() as conn:
        last_used = conn.execute(sa.select(t.tokens.c.last_used_at)).scalar_one()
    assert last_used is not None and last_used.tzinfo is not None


def test_a_revoked_token_is_rejected(store: Store) -> None:
    with store.transaction() as tx:
        tx.create_identity("alice")
        token = tx.issue_token("alice")
        kept = tx.issue_token("alice")

    with store.transaction() as tx:
        assert tx.revoke_token(token) is True
        assert tx.revoke_token(token) is False

    with store.transaction() as tx:
        assert tx.identity_for_token(token) is None
        assert tx.identity_for_token(kept) is not None


@pytest.mark.parametrize("token", ["", "gk_unknown", "not a token at all"])
def test_unknown_tokens_are_rejected(store: Store, token: str) -> None:
    with store.transaction() as tx:
        tx.create_identity("alice")
        tx.issue_token("alice")

    with store.transaction() as tx:
        assert tx.identity_for_token(token) is None
        assert tx.revoke_token(token) is False


def test_identity_names_are_unique(store: Store) -> None:
    with store.transaction() as tx:
        tx.create_identity("alice")

    with pytest.raises(InputError, match="alice exists"), store.transaction() as tx:
        tx.create_identity("alice", kind="bot")


def test_identity_kinds_are_checked(store: Store) -> None:
    with pytest.raises(InputError, match="robot"), store.transaction() as tx:
        tx.create_identity("r2d2", kind="robot")


def test_a_token_for_an_unknown_identity_raises_not_found(store: Store) -> None:
    with pytest.raises(NotFound, match="nobody"), store.transaction() as tx:
        tx.issue_token("nobody")
