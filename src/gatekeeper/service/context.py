"""What every collaborator of the service shares: settings, store, plugins, clock, outbox.

One :class:`Context` per application. The collaborators (results, decisions, composes,
lockfiles, accounts, reads) each hold it and nothing else of one another's but what they
are given, so each can be read alone.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from gatekeeper.config import Settings
from gatekeeper.errors import NotFound
from gatekeeper.limits import DEFAULT_CLOCK_SKEW
from gatekeeper.model import Compose, Policy
from gatekeeper.outbox import Dispatcher, Owed
from gatekeeper.plugins import Hooks
from gatekeeper.policy import load_policies
from gatekeeper.settings_fields import duration
from gatekeeper.store import Store, Tx
from gatekeeper.timeutil import format_duration

if TYPE_CHECKING:
    import pluggy


def unknown(compose_id: str) -> NotFound:
    return NotFound(f"compose {compose_id!r} is not known: announce or import it first")


class Context:
    """The application's shared parts, and the few steps every use case takes."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        pm: pluggy.PluginManager,
        clock: Callable[[], datetime],
    ) -> None:
        self.settings = settings
        self.store = store
        self.pm = pm
        self.hooks = Hooks(pm)
        self.clock = clock
        self.dispatcher = Dispatcher(store)
        self._policies: tuple[object, list[Policy]] | None = None
        self._owner: tuple[list[Policy], Callable[[str], Policy | None]] | None = None
        self.max_clock_skew: timedelta = duration(
            settings.section("results"), "max_clock_skew", format_duration(DEFAULT_CLOCK_SKEW),
            source=settings.source, prefix="results",
        )  # fmt: skip

    # -- policies ------------------------------------------------------------------------
    @property
    def policies(self) -> list[Policy]:
        """The policies, loaded once per policy directory; a bad policy raises."""
        where = self.settings.policies_dir
        if self._policies is None or self._policies[0] != where:
            self._policies = (where, load_policies(where))
        return self._policies[1]

    def forget_policies(self) -> None:
        """Read the policies again when next asked for."""
        self._policies = None

    def owner_of(self, testcase: str) -> Policy | None:
        """The policy of the team owning ``testcase`` (its first ``owns`` match), or None."""
        return self.owners()(testcase)

    def teams(self) -> Callable[[str], str]:
        """The name of the team owning a testcase ("" when none does), the policies looked
        at once: the scope of a result's id, so one team's ids never shadow another's."""
        owner = self.owners()

        def team_of(testcase: str) -> str:
            policy = owner(testcase)
            return "" if policy is None else policy.team

        return team_of

    def owners(self) -> Callable[[str], Policy | None]:
        """:meth:`owner_of` for many testcases: the policies are looked at once."""
        policies = self.policies
        if self._owner is None or self._owner[0] is not policies:
            self._owner = (policies, owner_finder(policies))
        return self._owner[1]

    # -- transactions and what they owe --------------------------------------------------
    @contextmanager
    def step(self) -> Iterator[tuple[Tx, list[Callable[[], None]], Owed]]:
        """One writing transaction. Forge changes registered in ``undo`` are undone if it
        fails; the outbox entries written to ``owed`` are sent once it has committed."""
        undo: list[Callable[[], None]] = []
        owed = Owed()
        try:
            with self.store.transaction() as tx:
                yield tx, undo, owed
        except BaseException:
            for action in reversed(undo):
                action()
            raise
        self.dispatcher.after_commit(owed)

    def require(self, tx: Tx, compose_id: str) -> Compose:
        compose = tx.get_compose(compose_id)
        if compose is None:
            raise unknown(compose_id)
        return compose

    def lock(self, tx: Tx, compose_id: str) -> dict[str, Any]:
        """The compose's row, locked until the transaction ends (NotFound if unknown)."""
        try:
            return tx.lock_compose(compose_id)
        except NotFound:
            raise unknown(compose_id) from None


def owner_finder(policies: Sequence[Policy]) -> Callable[[str], Policy | None]:
    """:func:`gatekeeper.policy.team_for` as one regular expression, for many testcases.

    Each policy's ``owns`` globs, as fnmatch translates them for ``fnmatchcase``, are one
    alternative, in the policies' order: the first alternative that matches the whole name
    is the first policy owning it. (The alternative's group is the outermost, so it is the
    match's ``lastgroup``.)
    """
    alternatives = [
        f"(?P<p{index}>{'|'.join(fnmatch.translate(glob) for glob in policy.owns)})"
        for index, policy in enumerate(policies)
        if policy.owns
    ]
    if not alternatives:
        return lambda testcase: None
    match = re.compile("|".join(alternatives)).match

    def owner(testcase: str) -> Policy | None:
        found = match(testcase)
        if found is None or found.lastgroup is None:
            return None
        return policies[int(found.lastgroup[1:])]

    return owner
