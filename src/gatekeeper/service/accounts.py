"""Identities and their bearer tokens: who acts, and what they may do.

The store keeps a token's hash only; :meth:`Accounts.actor_for_token` finds the identity
of a presented token by that hash. What an actor may do is decided by the use cases
(policy ``reporters``, ``can_waive``, ``is_admin``), the same for every adapter.
"""

from __future__ import annotations

import getpass
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gatekeeper.bounds import check_text
from gatekeeper.errors import InputError
from gatekeeper.limits import MAX_NAME_CHARS, MAX_TEXT_CHARS
from gatekeeper.model import Policy
from gatekeeper.service.context import Context


@dataclass(frozen=True)
class Actor:
    """Who is acting. The local operator (CLI on the server's own state) is an admin."""

    name: str
    groups: tuple[str, ...] = ()
    is_admin: bool = False
    can_waive: bool = False

    @classmethod
    def local_operator(cls) -> Actor:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):  # pragma: no cover - no passwd entry
            name = "operator"
        return cls(name=name, is_admin=True, can_waive=True)

    def reports_for(self, policy: Policy) -> bool:
        """Whether the actor is one of the policy's ``reporters`` (by name or group)."""
        return self.name in policy.reporters.users or bool(
            set(self.groups) & set(policy.reporters.groups)
        )

    @classmethod
    def from_identity(cls, row: Mapping[str, Any]) -> Actor:
        return cls(name=row["name"], groups=tuple(row["groups"] or ()),
                   is_admin=bool(row["is_admin"]), can_waive=bool(row["can_waive"]))  # fmt: skip


@dataclass(frozen=True)
class IssuedToken:
    """A token, shown once; ``created``: its identity was made for it."""

    token: str
    identity: str
    created: bool


class Accounts:
    """Identities and tokens: issue, look up, list, revoke."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def actor(self, name: str) -> Actor:
        """The identity ``name`` as the store knows it (its groups and rights); an identity
        the store does not know has no groups and no rights, only its name."""
        with self.ctx.store.transaction(readonly=True) as tx:
            row = tx.get_identity(name)
        return Actor(name=name) if row is None else Actor.from_identity(row)

    def actor_for_token(self, token: str) -> Actor | None:
        """The actor a valid bearer token belongs to (its use recorded), or None. A token is
        ASCII as issued: any other text (a lone surrogate in a JSON body) is no token."""
        if not token.isascii():
            return None
        with self.ctx.store.transaction() as tx:
            row = tx.identity_for_token(token)
        return None if row is None else Actor.from_identity(row)

    def issue_token(
        self,
        name: str,
        *,
        groups: Sequence[str] = (),
        is_admin: bool = False,
        can_waive: bool = False,
        description: str = "",
        kind: str = "bot",
    ) -> IssuedToken:
        """A new token of identity ``name``; the identity is made (with ``groups`` and
        rights) if new, and an existing one keeps its rights. Names and groups are names
        (at most 256 characters), the description a text; InputError otherwise."""
        check_text(name, MAX_NAME_CHARS, "name")
        if not name.strip():
            raise InputError("an identity needs a name", key="name")
        for group in groups:
            check_text(group, MAX_NAME_CHARS, "group")
        check_text(description, MAX_TEXT_CHARS, "description")
        with self.ctx.store.transaction() as tx:
            created = tx.get_identity(name) is None
            if created:
                tx.create_identity(name, kind=kind, groups=groups, can_waive=can_waive,
                                   is_admin=is_admin)  # fmt: skip
            token = tx.issue_token(name, description)
        return IssuedToken(token, name, created)

    def tokens(self) -> list[dict[str, Any]]:
        """Every token's bookkeeping (never the token or its hash), oldest first."""
        with self.ctx.store.transaction(readonly=True) as tx:
            return tx.list_tokens()

    def revoke_token(self, token_id: int) -> bool:
        """Revoke token ``token_id``: True if it was valid until now (NotFound if unknown)."""
        with self.ctx.store.transaction() as tx:
            return tx.revoke_token_id(token_id)
