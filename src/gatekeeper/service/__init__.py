"""The use cases, as collaborators composed by one facade: :class:`Gatekeeper`.

Every adapter (CLI, HTTP API, bus consumer, webhooks, plugins) calls the facade's public
methods; the facade hands each call to the collaborator whose job it is:

- :class:`~gatekeeper.service.results.Results`: authorize, ingest, record, report, waive;
- :class:`~gatekeeper.service.decisions.Decisions`: decide, record, deadlines, history;
- :class:`~gatekeeper.service.composes.Composes`: the compose lifecycle, and the forge;
- ``Lockfiles`` (lockfiles, package diffs), ``Accounts`` (identities, tokens), ``Reads``
  (listings, pages), ``OutboxEntries`` (the outbox's entries and dead letters);
Public parts, each a read model or an API of its own: ``dashboard`` (the dashboard's
pages), ``compat`` (ResultsDB v2.0, WaiverDB v1.0) and ``triage`` (known issues, reruns).
All share one :class:`~gatekeeper.service.context.Context`; each use case is one store
transaction, the hook calls it owes sent after its commit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from gatekeeper.config import Settings
from gatekeeper.errors import GatekeeperError
from gatekeeper.model import Compose, Decision, Policy, Result, Waiver
from gatekeeper.outbox import Dispatcher
from gatekeeper.service.accounts import Accounts, Actor, IssuedToken
from gatekeeper.service.compat import Compat
from gatekeeper.service.compat_greenwave import GreenwaveDecisions, GreenwaveQuery
from gatekeeper.service.composes import Composes, ImportReport, PublishReport
from gatekeeper.service.context import Context
from gatekeeper.service.dashboard import Dashboard
from gatekeeper.service.deadline_timer import DeadlineTimer
from gatekeeper.service.decisions import Decisions
from gatekeeper.service.hookcalls import HookCalls
from gatekeeper.service.lockfiles import Lockfiles, PackageChange
from gatekeeper.service.outbox_entries import OutboxEntries
from gatekeeper.service.reads import GateView, Page, Reads
from gatekeeper.service.results import IngestReport, Results
from gatekeeper.service.triage import Triage
from gatekeeper.timeutil import utcnow

if TYPE_CHECKING:
    import pluggy
    from fastapi import FastAPI

    from gatekeeper.compose import ComposeData
    from gatekeeper.compose.diff import ComposeDiff
    from gatekeeper.compose.packagelist import PackageList
    from gatekeeper.forge import Forge
    from gatekeeper.hookspecs import ResultParser
    from gatekeeper.model import Build
    from gatekeeper.store import Store


class Gatekeeper:
    """The application: its collaborators, built once and sharing one context."""

    def __init__(
        self,
        settings: Settings,
        *,
        pm: pluggy.PluginManager | None = None,
        store: Store | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if pm is None:
            from gatekeeper.plugins import make_plugin_manager

            pm = make_plugin_manager()
        if store is None:
            from gatekeeper.store import Store

            store = Store(settings.database_url)
        self.ctx = Context(settings, store, pm, clock)
        self._composes = Composes(self.ctx, self)
        self._decisions = Decisions(self.ctx, self._composes)
        self._composes.decide_first = self._decisions.first
        self._reporting = Results(self.ctx, self._decisions, self)
        self._lockfiles = Lockfiles(self.ctx)
        self._accounts = Accounts(self.ctx)
        self._reads = Reads(self.ctx)
        self._outbox = OutboxEntries(self.ctx)
        # the dashboard's read models (gatekeeper.service.views): list, compose, team, MR
        self.dashboard = Dashboard(self.ctx, lambda: self._composes.forge)
        HookCalls(self.ctx, self).register()
        self._greenwave = GreenwaveDecisions(self)  # the Greenwave decision API
        self.compat = Compat(self.ctx, self)  # ResultsDB v2.0's and WaiverDB v1.0's use cases
        self.triage = Triage(self.ctx, self._decisions)  # known issues, rerun requests
        # deciding open composes again at their deadlines (serve and the consumer start it)
        self.deadline_timer = DeadlineTimer(self.next_deadline, self.act_on_deadlines, clock=clock)
        self.health_checks: list[Callable[[], None]] = []  # /healthz's, besides the store

    # -- the shared parts --------------------------------------------------------------
    @property
    def settings(self) -> Settings:
        return self.ctx.settings

    @settings.setter
    def settings(self, settings: Settings) -> None:
        self.ctx.settings = settings

    @property
    def store(self) -> Store:
        return self.ctx.store

    @property
    def pm(self) -> pluggy.PluginManager:
        return self.ctx.pm

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.ctx.clock

    @property
    def dispatcher(self) -> Dispatcher:
        """The application's outbox dispatcher (``serve`` and the consumer start its loop)."""
        return self.ctx.dispatcher

    @property
    def forge(self) -> Forge:
        """The configured forge, built by its plugin on first use."""
        return self._composes.forge

    @property
    def policies(self) -> list[Policy]:
        """The policies, loaded once; a bad policy raises (and so stops start-up)."""
        return self.ctx.policies

    def reload_policies(self) -> list[Policy]:
        """Read the policy directory again (a policy file changed)."""
        self.ctx.forget_policies()
        return self.ctx.policies

    def owner_of(self, testcase: str) -> Policy | None:
        """The policy of the team owning ``testcase``, or None when no team owns it."""
        return self.ctx.owner_of(testcase)

    def start(self) -> None:
        """Load the policies and migrate the store: what every long-running job does first."""
        team_of = self.ctx.teams()  # a bad policy stops start-up here, the store untouched
        self.store.upgrade()
        with self.store.transaction() as tx:  # once, after the migration to scoped ids
            tx.rescope_results(team_of)

    # -- composes ------------------------------------------------------------------------
    def announce(
        self, compose_id: str, *, at: datetime | None = None, label: str | None = None,
        location: str | None = None,
    ) -> tuple[Compose, bool]:  # fmt: skip
        """Record a compose (idempotent) and decide it. Returns it and whether it was new."""
        compose, created = self._composes.announce(compose_id, at=at, label=label,
                                                   location=location)  # fmt: skip
        if created:
            self.deadline_timer.wake()  # its deadlines may come before the ones waited for
        return compose, created

    def compose(self, compose_id: str) -> Compose:
        """The compose (NotFound when it is not known)."""
        return self._composes.get(compose_id)

    def is_imported(self, compose_id: str) -> bool:
        """Whether the compose is known with its builds or its merge request."""
        return self._composes.is_imported(compose_id)

    def import_compose(
        self, location: str, *, with_debuginfo: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ) -> ImportReport:  # fmt: skip
        """Read a compose and open its merge request. Importing it again changes nothing."""
        found = self._composes.import_compose(location, with_debuginfo=with_debuginfo,
                                              progress=progress)  # fmt: skip
        return self._woken(found)

    def import_data(self, data: ComposeData) -> ImportReport:
        """Record a compose already read (its builds) and open its merge request."""
        return self._woken(self._composes.import_data(data))

    def _woken(self, report: ImportReport) -> ImportReport:  # a new compose: wake the timer
        if report.created:
            self.deadline_timer.wake()
        return report

    def propose(self, compose_id: str) -> Mapping[str, Any]:
        """Open (or refresh) the compose's merge request against the current ``main``."""
        return self._composes.propose(compose_id)

    def publish(
        self, compose_id: str, *, force: bool = False, by: str | None = None
    ) -> PublishReport:
        """On the mirrors: merge its MR (never promoted: ``force``, and the MR names ``by``)."""
        return self._composes.publish(compose_id, force=force, by=by)

    # -- results and waivers -------------------------------------------------------------
    def authorize_report(self, actor: Actor, testcases: Iterable[str]) -> None:
        """Raise unless ``actor`` may report every one of ``testcases``."""
        self._reporting.authorize(actor, testcases)

    def ingest(self, results: Sequence[Result], actor: Actor) -> IngestReport:
        """Store one report (all of it or none), then decide again. Idempotent."""
        return self._reporting.ingest(results, actor)

    def record_results(self, results: Sequence[Result], actor: Actor) -> list[Result]:
        """Store one report and leave deciding to the dispatcher (for streams)."""
        return self._reporting.record(results, actor)

    @property
    def result_formats(self) -> dict[str, ResultParser]:
        """Result parsers by format name, from ``gatekeeper_register_result_formats``."""
        return self._reporting.formats

    def report(
        self, fmt: str, data: bytes, *, compose: str, actor: Actor,
        options: Mapping[str, Any] | None = None,
    ) -> IngestReport:  # fmt: skip
        """Parse an upload in a registered format and ingest it as one report."""
        return self._reporting.report(fmt, data, compose=compose, actor=actor, options=options)

    def pull_results(self, compose_id: str) -> IngestReport | None:
        """Ingest what the ``gatekeeper_pull_results`` plugins find for the compose."""
        return self._reporting.pull(compose_id)

    def waive(
        self, compose_id: str, testcase: str, *, actor: Actor, comment: str,
        scenario: str | None = None, arch: str | None = None, revoke: bool = False,
        expires: str | datetime | None = None, bug: str | None = None,
    ) -> tuple[Waiver, Decision]:  # fmt: skip
        """Waive (or revoke) a testcase for one compose (``expires``, ``bug``: see policies)."""
        return self._reporting.waive(compose_id, testcase, actor=actor, comment=comment,
                                     scenario=scenario, arch=arch, revoke=revoke,
                                     expires=expires, bug=bug)  # fmt: skip

    def results(self, compose_id: str) -> list[Result]:
        """Every result stored for the compose."""
        return self._reporting.of(compose_id)

    def waivers(self, compose_id: str) -> list[Waiver]:
        """Every waiver and revocation of the compose, in the order given."""
        return self._reporting.waivers_of(compose_id)

    def accept_forge_event(self, forge: str, key: str, event: Mapping[str, Any]) -> bool:
        """Take one forge event to handle later, once (False: its key was seen before)."""
        return self._reporting.accept_forge_event(forge, key, event)

    # -- decisions -----------------------------------------------------------------------
    def decide(self, compose_id: str, *, now: datetime | None = None) -> Decision:
        """The compose's decision, never written: the stored one while still true, else
        (or at another time ``now``) a what-if."""
        return self._decisions.decide(compose_id, now=now)

    def current_decision(self, compose_id: str) -> Decision | None:
        """The stored decision (latest version, naming the latest results); None before."""
        return self._decisions.current(compose_id)

    def redecide(self, compose_id: str, cause: Mapping[str, Any]) -> Decision:
        """Decide under the compose's lock, recording a changed decision with ``cause``."""
        return self._decisions.redecide(compose_id, cause)

    def next_deadline(self) -> datetime | None:
        """The earliest instant at which an open compose's decision changes by itself."""
        return self._decisions.next_deadline()

    def act_on_deadlines(self, now: datetime | None = None) -> list[str]:
        """Record the decisions of the open composes whose deadlines passed; their ids."""
        return self._decisions.act_on_deadlines(now)

    def history(self, compose_id: str) -> list[dict[str, Any]]:
        """Every version of the compose's decision, oldest first, each with its cause."""
        return self._decisions.history(compose_id)

    def greenwave_decision(self, query: GreenwaveQuery) -> dict[str, Any]:
        """Greenwave's answer for a compose (``POST /api/v1.0/decision``), never recorded."""
        return self._greenwave.decide(query)

    # -- identities ----------------------------------------------------------------------
    def actor(self, name: str) -> Actor:
        """The identity ``name`` as the store knows it (unknown: no groups, no rights)."""
        return self._accounts.actor(name)

    def actor_for_token(self, token: str) -> Actor | None:
        """The actor a valid bearer token belongs to (its use recorded), or None."""
        return self._accounts.actor_for_token(token)

    def issue_token(
        self, name: str, *, groups: Sequence[str] = (), is_admin: bool = False,
        can_waive: bool = False, description: str = "",
    ) -> IssuedToken:  # fmt: skip
        """A new bearer token of identity ``name`` (made, as a bot, if new)."""
        return self._accounts.issue_token(name, groups=groups, is_admin=is_admin,
                                          can_waive=can_waive, description=description)  # fmt: skip

    def tokens(self) -> list[dict[str, Any]]:
        """Every token's bookkeeping (never the token or its hash), oldest first."""
        return self._accounts.tokens()

    def revoke_token(self, token_id: int) -> bool:
        """Revoke token ``token_id``: True if it was valid until now."""
        return self._accounts.revoke_token(token_id)

    # -- lockfiles -----------------------------------------------------------------------
    def lockfile(
        self, compose_id: str, fmt: str, *, arches: Sequence[str] = (),
        variants: Sequence[str] = (), packages: PackageList | None = None,
        with_sources: bool = False, allow_missing_checksums: bool = False,
    ) -> dict[str, bytes]:  # fmt: skip
        """The compose's lockfile(s) in ``fmt``: ``{file name: content}``."""
        return self._lockfiles.lockfile(
            compose_id, fmt, arches=arches, variants=variants, packages=packages,
            with_sources=with_sources, allow_missing_checksums=allow_missing_checksums,
        )  # fmt: skip

    def package_diff(self, old_id: str, new_id: str) -> list[PackageChange]:
        """The binary packages whose version differs between two composes, per arch."""
        return self._lockfiles.package_diff(old_id, new_id)

    # -- reads ---------------------------------------------------------------------------
    def compose_list(
        self, *, limit: int = 50, offset: int = 0, state: str | None = None,
        product: str | None = None,
    ) -> Page[dict[str, Any]]:  # fmt: skip
        """Composes, newest first, each with its latest ``verdict`` and ``summary``."""
        return self._reads.compose_list(limit=limit, offset=offset, state=state, product=product)

    def compose_rows(self, *, limit: int = 200) -> list[dict[str, Any]]:
        """The newest composes' rows, newest first."""
        return self._reads.compose_rows(limit=limit)

    def merge_requests(self, state: str | None = None) -> list[dict[str, Any]]:
        """Every compose merge request (or those in ``state``), with its latest verdict."""
        return self._reads.merge_requests(state)

    def counts(self) -> tuple[int, dict[str, int]]:
        """The outbox's depth and the composes by their latest verdict."""
        return self._reads.counts()

    def outbox_counts(self) -> dict[str, int]:
        """How many outbox entries are ``pending`` (the depth) and ``dead`` (given up)."""
        return self._outbox.counts()

    def outbox_entries(
        self, *, states: Sequence[str] = ("pending", "dead"), limit: int = 100,
        offset: int = 0,
    ) -> Page[dict[str, Any]]:  # fmt: skip
        """Outbox entries in one of ``states`` (pending, dead, delivered), oldest first."""
        return self._outbox.entries(states=states, limit=limit, offset=offset)

    def retry_outbox(self, ids: Sequence[int] | None = None) -> list[dict[str, Any]]:
        """Bring dead outbox entries (``ids``, or every one) back and send them again."""
        return self._outbox.retry(ids)

    def extend_api(self, api: FastAPI) -> None:
        """Let the plugins add their routes to the HTTP application (``gatekeeper_extend_api``)."""
        self.ctx.hooks.extend_api(self, api)

    def compose_info(self, compose_id: str) -> dict[str, Any]:
        """The compose's row, latest verdict and summary, and merge request."""
        return self._reads.compose_info(compose_id)

    def compose_builds(self, compose_id: str) -> list[Build]:
        """The compose's builds, by name."""
        return self._reads.compose_builds(compose_id)

    def compose_diff(self, compose_id: str) -> tuple[str | None, ComposeDiff]:
        """The base compose's id and the build diff the merge request shows."""
        return self._reads.compose_diff(compose_id)

    def merge_request(self, compose_id: str) -> dict[str, Any] | None:
        """The compose's merge request record (None before it is proposed)."""
        return self._reads.merge_request(compose_id)

    def gate_view(self, compose_id: str) -> GateView | None:
        """The compose's row, merge request and latest decision, read together."""
        return self._reads.gate_view(compose_id)

    def result_page(
        self, compose_id: str, *, limit: int = 100, offset: int = 0,
        filters: Mapping[str, str | None] | None = None,
    ) -> Page[Result]:  # fmt: skip
        """The compose's results in stored order, filtered and paged."""
        return self._reads.result_page(compose_id, limit=limit, offset=offset, filters=filters)


def open_app(settings: Settings, **kwargs: Any) -> Gatekeeper:
    """Build the application and start it (migrations, policies)."""
    app = Gatekeeper(settings, **kwargs)
    app.start()
    return app


__all__ = [
    "Actor",
    "Gatekeeper",
    "GatekeeperError",
    "ImportReport",
    "IngestReport",
    "IssuedToken",
    "Page",
    "PublishReport",
    "open_app",
]
