"""Every hook a gatekeeper plugin can implement: the plugin author's reference.

A plugin is a module or object with functions decorated by ``gatekeeper.hookimpl``
and named exactly like the specs below. Outside plugins are found through the
``gatekeeper`` entry-point group; built-ins (the local forge) register through the
same door. A misspelled hook name fails start-up (``check_pending``).

Unless a hook says "first answer wins", every implementation is called (newest
registered first) and the caller receives the list of their non-``None`` answers.
Hooks receive the running :class:`gatekeeper.service.Gatekeeper` as ``app`` where
they need to reach the store, the configuration or the plugin manager.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

    from gatekeeper.model import Compose, Decision, Result

hookspec = pluggy.HookspecMarker("gatekeeper")


@hookspec
def gatekeeper_register_forges() -> Mapping[str, Any] | None:
    """Name the forges this plugin provides.

    Called once when the application starts. Return a mapping of forge name (the
    value of ``forge = "..."`` in gatekeeper.toml / ``GATEKEEPER_FORGE``) to a
    factory ``factory(app) -> Forge`` (see ``gatekeeper.forge``). Names must be
    unique across plugins: a second plugin claiming a taken name is a start-up error.
    """


@hookspec
def gatekeeper_register_result_formats() -> Mapping[str, Any] | None:
    """Name the result formats this plugin can parse (``junit``, ``tmt``, ...).

    Called once at start-up. Return a mapping of format name to a callable
    ``parse(data: bytes, *, compose: str, options: Mapping[str, Any]) -> list[Result]``
    that raises ``gatekeeper.errors.InputError`` (located) on bad input and never
    returns a partial list. The HTTP API's upload endpoint and ``gatekeeper report``
    dispatch on these names.
    """


@hookspec
def gatekeeper_pull_results(app: Any, compose: Compose) -> Sequence[Result] | None:
    """Fetch results for ``compose`` from an outside system (e.g. ResultsDB).

    Called when a compose is announced and on the pull schedule. Return the results
    found (already-known ones are fine: ingestion is idempotent on their ids), or
    ``None`` when this plugin has nothing to say. Raise only for real failures; one
    plugin's failure does not stop the others.
    """


@hookspec
def gatekeeper_forge_event(app: Any, forge: str, event: Mapping[str, Any]) -> None:
    """Handle one forge event (a webhook delivery, or a change found by polling).

    The forge plugin's webhook route (or poller) hands the event to
    ``app.accept_forge_event(forge, key, event)``, which records its key (so a replayed
    delivery is dropped) and queues it in the outbox in one transaction: the webhook is
    answered at once, and this hook runs later, from the outbox dispatcher, at least once
    per accepted event (a failure is retried with backoff). So handling must be
    idempotent: derive result ids from the event (note id and line, label event id...).
    Every plugin sees every event: act only on your own ``forge``'s. Never trust the
    payload's claim about who acted: re-read it from the forge, then report as that actor
    through ``app.ingest`` / ``app.waive`` (the core checks the policies' ``reporters``).
    """


@hookspec
def gatekeeper_compose_proposed(
    app: Any, compose: Compose, merge_request: Mapping[str, Any]
) -> None:
    """A compose's merge request was opened (or found open) on the forge.

    Fires once per compose, after the MR record is committed. Reporter bots use it
    to start testing; notifiers to announce.
    """


@hookspec
def gatekeeper_decision_changed(
    app: Any, compose: Compose, old: Mapping[str, Any] | None, new: Decision, version: int
) -> None:
    """The stored decision for ``compose`` changed (new ``version``).

    ``old`` is the previous Decision JSON (``None`` for the first decision). Fires
    after the new version is committed, at most once per version. Use it to update
    MR descriptions, statuses and dashboards.
    """


@hookspec
def gatekeeper_promote_compose(app: Any, compose: Compose, decision: Decision) -> None:
    """Signal promotion: the verdict became ``passed``.

    Fires exactly once per compose while it stays passed (a bus message, an MR
    label or approval). If the verdict leaves ``passed`` before publishing,
    ``gatekeeper_promotion_revoked`` fires, and a later pass promotes again.
    """


@hookspec
def gatekeeper_promotion_revoked(app: Any, compose: Compose, decision: Decision) -> None:
    """A promoted compose's verdict left ``passed`` before it was published.

    Undo what ``gatekeeper_promote_compose`` signalled. Fires once per revocation.
    """


@hookspec
def gatekeeper_compose_published(
    app: Any, compose: Compose, merge_request: Mapping[str, Any] | None
) -> None:
    """The compose was pushed to mirrors and its MR merged into ``main``.

    Fires once per compose, after the merge and the supersede step are committed.
    """


@hookspec
def gatekeeper_add_commands(cli: click.Group) -> None:
    """Extend the ``gatekeeper`` command line.

    Called while the CLI is built. Add click commands or groups to ``cli``
    (e.g. ``gatekeeper report junit``). Command names must not clash with the core's.
    """


@hookspec
def gatekeeper_extend_api(app: Any, api: Any) -> None:
    """Extend the HTTP API.

    Called once when the HTTP application is built; ``api`` is the web application
    object (routes may be added to it). Routes must live under ``/api/v1/plugins/<name>/``,
    or ``/webhooks/<forge>`` for a forge's webhook receiver.
    """
