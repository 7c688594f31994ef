"""The use cases: announce, ingest, waive, decide, promote.

Every adapter (CLI, HTTP API, bus consumer, webhooks, plugins) goes through this
module; it is the only caller of ``evaluate`` and ``store`` outside tests. Each use
case is one store transaction; plugin hooks fire after the commit.
"""

from __future__ import annotations

import fnmatch
import getpass
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pluggy

from gatekeeper.config import Settings
from gatekeeper.deciding import REDECIDE, Deciding
from gatekeeper.dispatch import dispatcher_for
from gatekeeper.errors import GatekeeperError, InputError, NotFound, Unauthorized
from gatekeeper.events import Events
from gatekeeper.lifecycle import Lifecycle
from gatekeeper.lockfiles import Lockfiles
from gatekeeper.model import Compose, Decision, Policy, Result, Waiver
from gatekeeper.plugins import collect_named, make_plugin_manager
from gatekeeper.policy import load_policies, team_for
from gatekeeper.reads import Reads
from gatekeeper.store import Store, Tx
from gatekeeper.timeutil import utcnow

log = logging.getLogger("gatekeeper.service")


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


@dataclass(frozen=True)
class IngestReport:
    stored: tuple[Result, ...]
    duplicates: int
    decision: Decision
    version: int | None


class Gatekeeper(Deciding, Lifecycle, Lockfiles, Reads):
    """The application: settings, plugin manager, store and policies, held together."""

    def __init__(
        self,
        settings: Settings,
        *,
        pm: pluggy.PluginManager | None = None,
        store: Store | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.pm = pm if pm is not None else make_plugin_manager()
        self.store = store if store is not None else Store(settings.database_url)
        self.clock = clock
        self._policies: list[Policy] | None = None
        self._owner: tuple[list[Policy], Callable[[str], Policy | None]] | None = None
        # what /healthz checks besides the store: callables raising when a part is down
        # (plugins add theirs, e.g. the bus; a function's __name__ names it in the answer)
        self.health_checks: list[Callable[[], None]] = []

    # -- set-up ------------------------------------------------------------------------
    @property
    def policies(self) -> list[Policy]:
        """The policies, loaded once; a bad policy raises (and so stops start-up)."""
        if self._policies is None:
            self._policies = load_policies(self.settings.policies_dir)
        return self._policies

    def start(self) -> None:
        """Migrate the store and load the policies: what every long-running job does first."""
        self.store.upgrade()
        _ = self.policies

    # -- announce --------------------------------------------------------------------
    def announce(
        self,
        compose_id: str,
        *,
        at: datetime | None = None,
        label: str | None = None,
        location: str | None = None,
    ) -> tuple[Compose, bool]:
        """Record a compose (idempotent). Returns it and whether it was new."""
        try:
            compose = Compose.from_id(compose_id, at or self.clock())
        except ValueError as exc:
            raise InputError(str(exc), key="compose") from None
        with self.store.transaction() as tx:
            created = tx.ensure_compose(compose, label=label, location=location)
            stored = tx.get_compose(compose.id)
        assert stored is not None
        return stored, created

    def compose(self, compose_id: str) -> Compose:
        with self.store.transaction() as tx:
            compose = tx.get_compose(compose_id)
        if compose is None:
            raise NotFound(f"compose {compose_id!r} is not known: announce or import it first")
        return compose

    # -- results and waivers -----------------------------------------------------------
    def authorize_report(self, actor: Actor, testcases: Iterable[str]) -> None:
        """Every testcase must be owned by a team, and the actor must be one of its reporters.

        Raises naming every offending testcase; nothing is stored when it raises.
        """
        owner = self._owner_finder()
        unowned, refused = [], []
        for testcase in set(testcases):
            team = owner(testcase)
            if team is None:
                unowned.append(testcase)
            elif not actor.is_admin and not _may_report(actor, team):
                refused.append((testcase, team.team))
        if unowned:
            raise InputError(
                "unknown testcases, owned by no team's policy: " + ", ".join(sorted(unowned)),
                key="testcase",
            )
        if refused:
            raise Unauthorized(
                f"{actor.name} is not a reporter of the team owning: "
                + ", ".join(f"{testcase} (team {team})" for testcase, team in sorted(refused))
            )

    def _owner_finder(self) -> Callable[[str], Policy | None]:
        """``team_for(self.policies, ...)``, made once per set of policies."""
        policies = self.policies
        if self._owner is None or self._owner[0] is not policies:
            self._owner = (policies, _owner_finder(policies))
        return self._owner[1]

    def ingest(self, results: Sequence[Result], actor: Actor) -> IngestReport:
        """Store one report (all of it or none), then decide again. Idempotent."""
        compose_id = self._one_compose(results, actor)
        now = self.clock()
        events = Events()
        with self.store.transaction() as tx:
            row = self._lock(tx, compose_id)
            stored = tx.add_results(results, reporter=actor.name)  # never the payload's claim
            cause = _cause(stored, actor)
            decision, version = self._redecide(tx, row, now, events, cause)
        self._fire(events)
        return IngestReport(tuple(stored), len(results) - len(stored), decision, version)

    def record_results(self, results: Sequence[Result], actor: Actor) -> list[Result]:
        """Store one report (all of it or none) and leave deciding to the dispatcher.

        For a stream of reports nobody waits on (the bus consumer): the results and a
        ``redecide`` entry are committed together in the outbox, and the dispatcher decides
        once for all the entries of a compose it finds, so a burst of results costs one
        decision. Returns the results stored (known ones are skipped, as in :meth:`ingest`).
        """
        compose_id = self._one_compose(results, actor)
        with self.store.transaction() as tx:  # an unknown compose: NotFound from the insert
            stored = tx.add_results(results, reporter=actor.name)
            if stored:
                tx.enqueue(REDECIDE, {"compose": compose_id, **_cause(stored, actor)},
                           compose_id=compose_id)  # fmt: skip
        return stored

    def _one_compose(self, results: Sequence[Result], actor: Actor) -> str:
        compose_ids = {r.compose for r in results}
        if len(compose_ids) != 1:
            raise InputError("a report holds results of exactly one compose", key="compose")
        self.authorize_report(actor, (r.testcase for r in results))
        return compose_ids.pop()

    def accept_forge_event(self, forge: str, key: str, event: Mapping[str, Any]) -> bool:
        """Take one forge event (a webhook delivery) to handle later, once.

        ``key`` names the delivery (GitLab's ``Idempotency-Key``, else a hash of the body):
        a key seen before is dropped (False). Otherwise the event is queued in the outbox
        in the same transaction, and the dispatcher calls ``gatekeeper_forge_event`` with
        it (True). The caller answers the forge at once.
        """
        with self.store.transaction() as tx:
            if not tx.first_time(f"{forge}:{key}"):
                return False
            tx.enqueue(FORGE_EVENT, {"forge": forge, "event": dict(event)})
        dispatcher_for(self).wake()
        return True

    def actor(self, name: str) -> Actor:
        """The identity ``name`` as the store knows it (its groups and rights); an identity
        the store does not know has no groups and no rights, only its name."""
        with self.store.transaction() as tx:
            row = tx.get_identity(name)
        if row is None:
            return Actor(name=name)
        return Actor(name=name, groups=tuple(row["groups"] or ()), is_admin=bool(row["is_admin"]),
                     can_waive=bool(row["can_waive"]))  # fmt: skip

    @property
    def result_formats(self) -> dict[str, Callable[..., list[Result]]]:
        """Result parsers by format name, from ``gatekeeper_register_result_formats``."""
        return collect_named(self.pm.hook.gatekeeper_register_result_formats(), "result format")

    def report(
        self, fmt: str, data: bytes, *, compose: str, actor: Actor,
        options: Mapping[str, Any] | None = None,
    ) -> IngestReport:  # fmt: skip
        """Parse an upload in a registered format and ingest it as one report."""
        formats = self.result_formats
        if fmt not in formats:
            known = ", ".join(sorted(formats)) or "none installed"
            raise InputError(f"unknown result format {fmt!r}; known: {known}", key="format")
        results = formats[fmt](data, compose=compose, options=dict(options or {}))
        if not results:
            raise InputError(f"the {fmt} upload holds no results", key="format")
        return self.ingest(results, actor)

    def pull_results(self, compose_id: str) -> IngestReport | None:
        """Ask the plugins (``gatekeeper_pull_results``) for the compose's results and ingest
        those of testcases a team owns, as one report. Outside systems hold many testcases no
        team gates; those are left out rather than refusing the pull. A failing plugin does
        not stop the others: their results are stored, then its error is raised."""
        compose = self.compose(compose_id)
        answers: list[Sequence[Result] | None] = []
        failures: list[tuple[str, Exception]] = []
        args = {"app": self, "compose": compose}
        for impl in self.pm.hook.gatekeeper_pull_results.get_hookimpls():
            try:  # one plugin's failure does not stop the others
                found = impl.function(**{name: args[name] for name in impl.argnames})
                answers.append(found)  # type: ignore[arg-type]  # hookimpls are untyped
            except Exception as exc:
                failures.append((impl.plugin_name, exc))
        owner = self._owner_finder()
        owned = [r for results in answers for r in results or ()
                 if r.compose == compose_id and owner(r.testcase) is not None]  # fmt: skip
        report = self.ingest(owned, Actor(name="pull", is_admin=True)) if owned else None
        if failures:  # what the others found is stored; the failure is still the caller's
            for name, error in failures[1:]:
                log.warning("pull_results failed: plugin=%s compose=%s error=%r",
                            name, compose_id, error)  # fmt: skip
            raise failures[0][1]
        return report

    def waive(
        self,
        compose_id: str,
        testcase: str,
        *,
        actor: Actor,
        comment: str,
        scenario: str | None = None,
        arch: str | None = None,
        revoke: bool = False,
    ) -> tuple[Waiver, Decision]:
        """Waive (or revoke the waiver of) a testcase for one compose, then decide again."""
        if not (actor.is_admin or actor.can_waive):
            raise Unauthorized(f"{actor.name} may not waive")
        if not comment.strip():
            raise InputError("a waiver needs a comment saying why", key="comment")
        if team_for(self.policies, testcase) is None:
            raise InputError(f"unknown testcase {testcase!r}, owned by no team", key="testcase")
        now = self.clock()
        events = Events()
        with self.store.transaction() as tx:
            row = self._lock(tx, compose_id)
            waiver = tx.add_waiver(
                Waiver(
                    id="",
                    compose=compose_id,
                    testcase=testcase,
                    time=now,
                    scenario=scenario,
                    arch=arch,
                    waived=not revoke,
                    comment=comment,
                    username=actor.name,
                )
            )
            cause = {"waiver": waiver.id, "waived": waiver.waived, "by": actor.name}
            decision, _ = self._redecide(tx, row, now, events, cause)
        self._fire(events)
        return waiver, decision

    def results(self, compose_id: str) -> list[Result]:
        with self.store.transaction() as tx:
            self._require(tx, compose_id)
            return tx.results_for(compose_id)

    def waivers(self, compose_id: str) -> list[Waiver]:
        with self.store.transaction() as tx:
            self._require(tx, compose_id)
            return tx.waivers_for(compose_id)

    # -- helpers ---------------------------------------------------------------------
    def _require(self, tx: Tx, compose_id: str) -> Compose:
        compose = tx.get_compose(compose_id)
        if compose is None:
            raise NotFound(f"compose {compose_id!r} is not known: announce or import it first")
        return compose

    def _lock(self, tx: Tx, compose_id: str) -> dict[str, Any]:
        """The compose's row, locked until the transaction ends (NotFound if unknown)."""
        try:
            return tx.lock_compose(compose_id)
        except NotFound:
            raise NotFound(
                f"compose {compose_id!r} is not known: announce or import it first"
            ) from None

    def _fire(self, events: Events) -> None:
        """Call the hooks owed by a committed transaction; the outbox remembers failures."""
        events.fire(self)


def _owner_finder(policies: Sequence[Policy]) -> Callable[[str], Policy | None]:
    """:func:`team_for` as one regular expression, for reports of many testcases.

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


FORGE_EVENT = "gatekeeper_forge_event"


def _cause(stored: Sequence[Result], actor: Actor) -> dict[str, Any]:
    """What a report's decision version records as its cause."""
    return {"results": [r.id for r in stored[:20]], "count": len(stored), "reporter": actor.name}


def _may_report(actor: Actor, policy: Policy) -> bool:
    return actor.name in policy.reporters.users or bool(
        set(actor.groups) & set(policy.reporters.groups)
    )


def open_app(settings: Settings, **kwargs: Any) -> Gatekeeper:
    """Build the application and start it (migrations, policies)."""
    app = Gatekeeper(settings, **kwargs)
    app.start()
    return app


__all__ = ["Actor", "Gatekeeper", "GatekeeperError", "IngestReport", "open_app"]
