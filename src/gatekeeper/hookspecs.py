"""Every hook a gatekeeper plugin can implement: the plugin author's reference.

A plugin is a module or object with functions decorated by ``gatekeeper.hookimpl``
and named exactly like the specs below. Outside plugins are found through the
``gatekeeper`` entry-point group; built-ins (the local forge) register through the
same door. A misspelled hook name fails start-up (``check_pending``).

Unless a hook says "first answer wins", every implementation is called (newest
registered first) and the caller receives the list of their non-``None`` answers.
No hook is ``firstresult`` today. An implementation may accept fewer arguments than
its spec names, never other ones.

Hooks that need the application receive the running :class:`gatekeeper.service.Gatekeeper`
facade as ``app``. Plugins call its public methods only (``ingest``, ``record_results``,
``report``, ``pull_results``, ``waive``, ``actor``, ``announce``, ``compose``,
``policies``, ``owner_of``, ``accept_forge_event``) and read its ``settings``, ``forge``
and ``clock``; never its store or its collaborators. ``docs/plugins.md`` is the same
reference, for reading.

The types named here are imported for type checkers only, so importing this module
(as the CLI does at every start) costs no more than pluggy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

import pluggy

if TYPE_CHECKING:
    import click
    from fastapi import FastAPI

    from gatekeeper.forge import Forge
    from gatekeeper.model import Compose, Decision, MergeRequest, RerunRequest, Result
    from gatekeeper.service import Gatekeeper

__all__ = ["ForgeFactory", "ResultParser", "hookspec"]

hookspec = pluggy.HookspecMarker("gatekeeper")

#: Builds a forge for the running application (``gatekeeper_register_forges``).
ForgeFactory: TypeAlias = Callable[["Gatekeeper"], "Forge"]


class ResultParser(Protocol):
    """Turns one upload in a named format into results (``gatekeeper_register_result_formats``).

    A parser takes no clock: the service gives it the time of receipt as
    ``options["now"]`` (a timezone-aware datetime), the ``submit_time`` of every result
    whose source records none, so the CLI and the HTTP API agree. On bad input it raises
    ``gatekeeper.errors.InputError`` (located) and never returns a partial list.

    A parser may name the options an HTTP caller may give it (the labels of an upload's
    query string) in a ``caller_options: frozenset[str]`` attribute; the API refuses any
    other, listing these. Without it, the API's general list applies.
    """

    def __call__(
        self, data: bytes, *, compose: str, options: Mapping[str, Any]
    ) -> list[Result]: ...


# -- start-up: registration ---------------------------------------------------------------


@hookspec
def gatekeeper_register_forges() -> Mapping[str, ForgeFactory] | None:
    """Name the forges this plugin provides.

    Fires once, when the application first needs its forge. The forge named by
    ``forge = "..."`` in gatekeeper.toml (or ``GATEKEEPER_FORGE``) is built by calling
    its factory with the running ``app``; the built-in ``local`` forge registers here too.

    :returns: A mapping of forge name to a factory ``factory(app) -> Forge`` (see
        ``gatekeeper.forge``), or ``None`` when this plugin provides no forge.

    Every implementation is called and the answers are merged: a name claimed by two
    plugins is a start-up error.
    """


@hookspec
def gatekeeper_register_result_formats() -> Mapping[str, ResultParser] | None:
    """Name the result formats this plugin can parse (``junit``, ``tmt``, ...).

    Fires whenever the service looks its parsers up: for each ``gatekeeper report``
    and each upload to the HTTP API, which both dispatch on these names. Answer from
    constants: do no I/O here.

    :returns: A mapping of format name to a :class:`ResultParser`, or ``None`` when this
        plugin parses nothing.

    Every implementation is called and the answers are merged: a name claimed by two
    plugins is an error.
    """


# -- results come in ----------------------------------------------------------------------


@hookspec
def gatekeeper_pull_results(app: Gatekeeper, compose: Compose) -> Sequence[Result] | None:
    """Fetch results for ``compose`` from an outside system (e.g. ResultsDB).

    Fires when the service pulls a compose's results (``app.pull_results``): when it is
    proposed, on the pull schedule, on request. The service keeps the results of
    testcases a team owns and ingests them as one report; the rest are left out. Raise
    only for real failures: one plugin's failure does not stop the others, whose results
    are stored before the first failure is raised to the caller.

    :param app: The running application.
    :param compose: The compose whose results are wanted.
    :returns: The results found (already-known ones are fine: ingestion is idempotent on
        their ids), or ``None`` when this plugin has nothing to say.

    Every implementation is called, each on its own; the answers are pooled.
    """


@hookspec
def gatekeeper_forge_event(app: Gatekeeper, forge: str, event: Mapping[str, Any]) -> None:
    """Handle one forge event (a webhook delivery, or a change found by polling).

    The forge plugin's webhook route (or poller) hands the event to
    ``app.accept_forge_event(forge, key, event)``, which records its key (so a replayed
    delivery is dropped) and queues it in the outbox in one transaction: the webhook is
    answered at once, and this hook fires later, from the outbox dispatcher, at least once
    per accepted event (a failure is retried with backoff). So handling must be
    idempotent: derive result ids from the event (note id and line, label event id...).
    Never trust the payload's claim about who acted: re-read it from the forge, then
    report as that actor through ``app.ingest`` / ``app.waive`` (the core checks the
    policies' ``reporters``).

    :param app: The running application.
    :param forge: The name of the forge the event came from. Every plugin sees every
        event: act only on your own forge's.
    :param event: The event as the forge sent it (decoded JSON), unchanged.
    :returns: Nothing; raise to have the event retried.

    Every implementation is called; answers are ignored.
    """


# -- a compose's life: proposed, decided, promoted, published -----------------------------


@hookspec
def gatekeeper_compose_proposed(
    app: Gatekeeper, compose: Compose, merge_request: MergeRequest
) -> None:
    """A compose's merge request was opened (or found open) on the forge.

    Fires once per compose, from the outbox after the merge request record is committed.
    Reporter bots use it to start testing; notifiers to announce.

    :param app: The running application.
    :param compose: The proposed compose.
    :param merge_request: Its merge request, as recorded.
    :returns: Nothing.

    Every implementation is called; answers are ignored.
    """


@hookspec
def gatekeeper_decision_changed(
    app: Gatekeeper, compose: Compose, old: Decision | None, new: Decision, version: int
) -> None:
    """The stored decision for ``compose`` changed.

    Fires from the outbox after the new decision version is committed, at most once per
    version, whatever caused it (a result, a waiver, a deadline passing). Use it to
    update merge request descriptions, statuses and dashboards.

    :param app: The running application.
    :param compose: The compose decided again.
    :param old: The previous decision, or ``None`` for the compose's first one.
    :param new: The decision now stored.
    :param version: The new decision's version number (1 for the first, then counting up).
    :returns: Nothing.

    Every implementation is called; answers are ignored.
    """


@hookspec
def gatekeeper_promote_compose(app: Gatekeeper, compose: Compose, decision: Decision) -> None:
    """Signal promotion: the verdict became ``passed``.

    Fires from the outbox exactly once per compose while it stays passed; signal it as
    a bus message, a merge request label or an approval. If the verdict leaves ``passed``
    before publishing, ``gatekeeper_promotion_revoked`` fires, and a later pass promotes
    again.

    :param app: The running application.
    :param compose: The compose promoted.
    :param decision: The decision that passed it.
    :returns: Nothing.

    Every implementation is called; answers are ignored.
    """


@hookspec
def gatekeeper_promotion_revoked(app: Gatekeeper, compose: Compose, decision: Decision) -> None:
    """A promoted compose's verdict left ``passed`` before it was published.

    Fires from the outbox once per revocation. Undo what ``gatekeeper_promote_compose``
    signalled.

    :param app: The running application.
    :param compose: The compose no longer promoted.
    :param decision: The decision that no longer passes it.
    :returns: Nothing.

    Every implementation is called; answers are ignored.
    """


@hookspec
def gatekeeper_rerun_requested(app: Gatekeeper, compose: Compose, request: RerunRequest) -> None:
    """A rerun of a compose's testcase was requested: by a team's reporter or an admin
    (``POST /api/v1/composes/{id}/reruns``, ``gatekeeper rerun``, the MR command
    ``/gatekeeper rerun``), or automatically by a gate's ``retries:`` after an ``ERROR``
    (``request.automatic``, ``request.retry`` of ``request.retries``).

    Fires from the outbox once per request, after it is committed. A team's CI plugin
    retriggers its run here (``request.testcase``, and ``scenario``, ``arch``, ``variant``
    when set); the answers it covers stay ``test-result-pending`` until a result submitted
    after ``request.after`` arrives, or the gate's deadline passes.

    :param app: The running application.
    :param compose: The compose whose testcase is to run again.
    :param request: The request (``id``, ``testcase``, ``username``, ``reason``, ...).
    :returns: Nothing.

    Every implementation is called; answers are ignored.
    """


@hookspec
def gatekeeper_compose_published(
    app: Gatekeeper, compose: Compose, merge_request: MergeRequest | None
) -> None:
    """The compose was pushed to mirrors and its merge request merged into ``main``.

    Fires from the outbox once per compose, after the merge and the supersede step are
    committed.

    :param app: The running application.
    :param compose: The compose published.
    :param merge_request: Its merge request, now merged, or ``None`` when it has none.
    :returns: Nothing.

    Every implementation is called; answers are ignored.
    """


# -- adapters: CLI and HTTP API -----------------------------------------------------------


@hookspec
def gatekeeper_add_commands(cli: click.Group) -> None:
    """Extend the ``gatekeeper`` command line.

    Fires once per run, while the CLI is built, before any command runs (no ``app``
    exists yet: commands open it themselves). Add click commands or groups to ``cli``
    (e.g. ``gatekeeper report junit``); import heavy modules inside the commands, not
    here, so the CLI starts fast.

    :param cli: The top-level ``gatekeeper`` group. Command names must not clash with
        the core's.
    :returns: Nothing.

    Every implementation is called; answers are ignored.
    """


@hookspec
def gatekeeper_extend_api(app: Gatekeeper, api: FastAPI) -> None:
    """Extend the HTTP API.

    Fires once when the HTTP application is built, after the core's routes.

    :param app: The running application the routes serve.
    :param api: The FastAPI application; add routes under ``/api/v1/plugins/<name>/``,
        or ``/webhooks/<forge>`` for a forge's webhook receiver.
    :returns: Nothing.

    Every implementation is called; answers are ignored.
    """
