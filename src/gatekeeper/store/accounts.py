"""Queries on identities and their API tokens.

A token is shown once, when issued; the store keeps only its SHA-256, so a leaked
database does not leak usable tokens.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from gatekeeper.errors import InputError, NotFound
from gatekeeper.store import tables as t
from gatekeeper.store._base import TxBase
from gatekeeper.timeutil import utcnow

TOKEN_PREFIX = "gk_"


def token_hash(token: str) -> str:
    """The SHA-256 (hex) of a token: what the store keeps instead of the token."""
    return hashlib.sha256(token.encode()).hexdigest()


class AccountQueries(TxBase):
    def create_identity(
        self,
        name: str,
        *,
        kind: str = "user",
        groups: Sequence[str] = (),
        can_waive: bool = False,
        is_admin: bool = False,
    ) -> int:
        """Create an identity; returns its id. Raises InputError if the name is taken."""
        if kind not in t.IDENTITY_KINDS:
            raise InputError(
                f"identity {name}: kind {kind!r} is not one of {', '.join(t.IDENTITY_KINDS)}"
            )
        if self._identity_id(name) is not None:
            raise InputError(f"identity {name} exists already")
        stmt = (
            sa.insert(t.identities)
            .values(
                name=name,
                kind=kind,
                groups=list(groups),
                can_waive=can_waive,
                is_admin=is_admin,
                created_at=utcnow(),
            )
            .returning(t.identities.c.id)
        )
        return int(self._conn.execute(stmt).scalar_one())

    def get_identity(self, name: str) -> dict[str, Any] | None:
        stmt = sa.select(t.identities).where(t.identities.c.name == name)
        row = self._conn.execute(stmt).mappings().first()
        return dict(row) if row is not None else None

    def issue_token(self, identity_name: str, description: str = "") -> str:
        """A new token for the identity: returned in plaintext, once, never stored."""
        identity_id = self._identity_id(identity_name)
        if identity_id is None:
            raise NotFound(f"identity {identity_name} is not known")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        self._conn.execute(
            sa.insert(t.tokens).values(
                identity_id=identity_id,
                token_hash=token_hash(token),
                description=description,
                created_at=utcnow(),
            )
        )
        return token

    def identity_for_token(self, token: str) -> dict[str, Any] | None:
        """The identity a valid token belongs to, or None (unknown or revoked token).

        The lookup is by hash, so timing reveals nothing about stored tokens.
        Records the token's use in ``last_used_at``. The identity's columns come with
        ``token_id`` and ``token_description``.
        """
        if not isinstance(token, str) or not token:
            return None
        wanted = token_hash(token)
        stmt = (
            sa.select(
                t.identities,
                t.tokens.c.id.label("token_id"),
                t.tokens.c.description.label("token_description"),
                t.tokens.c.token_hash,
            )
            .join(t.tokens, t.tokens.c.identity_id == t.identities.c.id)
            .where(t.tokens.c.token_hash == wanted, t.tokens.c.revoked_at.is_(None))
        )
        row = self._conn.execute(stmt).mappings().first()
        if row is None or not hmac.compare_digest(row["token_hash"], wanted):
            return None
        self._conn.execute(
            sa.update(t.tokens)
            .where(t.tokens.c.id == row["token_id"])
            .values(last_used_at=utcnow())
        )
        found = dict(row)
        del found["token_hash"]
        return found

    def revoke_token(self, token: str) -> bool:
        """Revoke a token. True if it was valid until now."""
        stmt = (
            sa.update(t.tokens)
            .where(t.tokens.c.token_hash == token_hash(token), t.tokens.c.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        return self._conn.execute(stmt).rowcount == 1

    def list_tokens(self) -> list[dict[str, Any]]:
        """Every token's bookkeeping, oldest first: ``id``, ``identity``, ``kind``,
        ``description``, ``created_at``, ``last_used_at``, ``revoked_at``. Never the token
        or its hash."""
        k, i = t.tokens.c, t.identities.c
        stmt = (
            sa.select(
                k.id,
                i.name.label("identity"),
                i.kind,
                k.description,
                k.created_at,
                k.last_used_at,
                k.revoked_at,
            )
            .join(t.identities, i.id == k.identity_id)
            .order_by(k.id)
        )
        return [dict(row) for row in self._conn.execute(stmt).mappings()]

    def revoke_token_id(self, token_id: int) -> bool:
        """Revoke a token by its id. True if it was valid until now; NotFound if no such id."""
        exists = self._conn.execute(
            sa.select(t.tokens.c.id).where(t.tokens.c.id == token_id)
        ).first()
        if exists is None:
            raise NotFound(f"token {token_id} is not known; `gatekeeper token list` shows them")
        stmt = (
            sa.update(t.tokens)
            .where(t.tokens.c.id == token_id, t.tokens.c.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        return self._conn.execute(stmt).rowcount == 1

    def _identity_id(self, name: str) -> int | None:
        stmt = sa.select(t.identities.c.id).where(t.identities.c.name == name)
        found = self._conn.execute(stmt).scalar_one_or_none()
        return int(found) if found is not None else None
