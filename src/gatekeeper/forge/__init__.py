"""The Forge protocol: where compose merge requests live.

A forge keeps one Compose Repo per product, with ``main`` = the last published
compose and one branch ``compose/<id>`` per proposed compose. The service decides
*what* a merge request holds (rendered files, title, description); a forge only
carries it out, and every method is idempotent: calling it again with the same
arguments changes nothing and returns the same answer. Forges are registered by
plugins (``gatekeeper_register_forges``); the built-in one is ``local``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class ForgeMR:
    """What the forge says about a merge request after an operation."""

    number: int | None
    branch: str
    head_commit: str
    tree_id: str
    base_commit: str
    web_url: str | None = None


@runtime_checkable
class Forge(Protocol):
    name: str

    def location(self, product: str) -> str:
        """Where the product's Compose Repo lives (a path or URL a person can open)."""
        ...

    def main_head(self, product: str) -> str | None:
        """The commit ``main`` points at, or None before the repo exists."""
        ...

    def propose(
        self,
        product: str,
        branch: str,
        files: Mapping[str, bytes],
        *,
        title: str,
        description: str,
        when: datetime,
        number: int | None = None,
    ) -> ForgeMR:
        """Make ``branch`` hold ``files`` as one commit on top of ``main``, with its merge
        request open (``number`` when it exists already). Idempotent."""
        ...

    def rebase(self, product: str, branch: str, *, message: str, when: datetime) -> ForgeMR:
        """Put the branch's tree on top of the current ``main`` (after a publish)."""
        ...

    def describe(self, product: str, branch: str, *, title: str, description: str) -> None:
        """Update the merge request's title and description."""
        ...

    def merge(self, product: str, branch: str, *, message: str, when: datetime) -> str:
        """Make ``main`` hold the branch's tree (its compose is published); returns the
        new ``main`` commit. Merging a merged branch again returns the same commit."""
        ...

    def close(self, product: str, branch: str, *, reason: str) -> None:
        """Close the merge request without merging (superseded)."""
        ...

    def discard(self, product: str, branch: str) -> None:
        """Undo :meth:`propose` of a merge request that was never recorded (a failed import)."""
        ...
