"""``gatekeeper serve`` and ``gatekeeper token``: the HTTP service and its bearer tokens."""

from __future__ import annotations

import json
import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from gatekeeper.cli import output
from gatekeeper.cli.common import State, console, located
from gatekeeper.errors import InputError

if TYPE_CHECKING:
    from gatekeeper.service import Gatekeeper

log = logging.getLogger("gatekeeper.serve")


@click.group()
def token() -> None:
    """Bearer tokens of the HTTP API's identities."""


@token.command("create")
@click.option("--name", required=True, help="The identity (e.g. rdo-ci); made if new.")
@click.option("--team", help="Report for this team: take its policy's reporters.groups.")
@click.option("--group", "groups", multiple=True, help="A group of the identity (repeatable).")
@click.option("--admin", is_flag=True, help="May do anything (announce, publish, any team).")
@click.option("--can-waive", is_flag=True, help="May waive and revoke waivers.")
@click.option("--description", default=None, help="What the token is for.")
@click.pass_obj
@located
def token_create(
    state: State,
    name: str,
    team: str | None,
    groups: tuple[str, ...],
    admin: bool,
    can_waive: bool,
    description: str | None,
) -> None:
    """Issue a token for identity NAME (a bot, made if new; an existing one gets another
    token). The token is printed once, on stdout; the store keeps only its hash."""
    app = state.app()
    wanted = list(groups)
    if team is not None:
        policy = next((p for p in app.policies if p.team == team), None)
        if policy is None:
            known = ", ".join(sorted(p.team for p in app.policies)) or "none"
            raise InputError(f"unknown team {team!r}; teams: {known}", key="--team")
        if not policy.reporters.groups and name not in policy.reporters.users:
            raise InputError(
                f"team {team}'s policy lists no reporters.groups, so no group of {name} "
                f"would let it report: add {name} to reporters.users in "
                f"{policy.file or team + '.yaml'}, then run this again",
                key="--team",
            )
        wanted = [
            *policy.reporters.groups,
            *(g for g in groups if g not in policy.reporters.groups),
        ]
    issued = app.issue_token(
        name, groups=wanted, is_admin=admin, can_waive=can_waive,
        description=description or (f"team {team}" if team else ""),
    )  # fmt: skip
    if issued.created:
        rights = [r for r, on in (("admin", admin), ("can-waive", can_waive)) if on]
        click.echo(
            f"identity {name} (bot) created; groups: {', '.join(wanted) or 'none'}"
            + (f"; {', '.join(rights)}" if rights else ""),
            err=True,
        )
    else:
        click.echo(f"identity {name} exists: another token issued (its rights unchanged)", err=True)
    click.echo("the token is shown once; keep it secret:", err=True)
    click.echo(issued.token)


@token.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@located
def token_list(state: State, as_json: bool) -> None:
    """Every token: id, identity, description, created, last used, revoked."""
    rows = state.app().tokens()
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    table = output.new_table("Tokens")
    for column in ("id", "identity", "description", "created", "last used", "revoked"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            str(row["id"]),
            row["identity"],
            row["description"],
            *(
                str(row[k])[:19] if row[k] else "-"
                for k in ("created_at", "last_used_at", "revoked_at")
            ),
        )
    console().print(table)


@token.command("revoke")
@click.argument("token_id", type=int)
@click.pass_obj
@located
def token_revoke(state: State, token_id: int) -> None:
    """Revoke token TOKEN_ID (see `gatekeeper token list`)."""
    revoked = state.app().revoke_token(token_id)
    click.echo(f"token {token_id}: {'revoked' if revoked else 'already revoked'}")


@contextmanager
def _watching(app: Gatekeeper, location: str | None, interval: float) -> Iterator[None]:
    """Poll ``location`` in a daemon thread (``gatekeeper watch``), logging each line."""
    if location is None:
        yield
        return
    from gatekeeper.service.watch import poll

    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                for line in poll(app, location):
                    log.info("watch: %s", line)
            except Exception:
                log.exception("watch: polling %s failed", location)
            stop.wait(interval)

    thread = threading.Thread(target=loop, name="gatekeeper-watch", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


@contextmanager
def _dispatching(app: Gatekeeper, enabled: bool) -> Iterator[None]:
    """Run the app's outbox dispatcher in the background while serving: request threads
    then only commit and wake it. Disabled, this process sends nothing (another does)."""
    dispatcher = app.dispatcher
    if not enabled:
        dispatcher.inline = False
        yield
        return
    dispatcher.start(interval=1.0)
    try:
        yield
    finally:
        dispatcher.stop()


@contextmanager
def _timing(app: Gatekeeper, enabled: bool) -> Iterator[None]:
    """Run the app's deadline timer in the background while serving: each open compose is
    re-decided at its next deadline instant. Disabled, this process leaves deadlines to
    the other processes of the database (a serve or a consumer running its timer)."""
    if not enabled:
        yield
        return
    timer = app.deadline_timer
    timer.start()
    try:
        yield
    finally:
        timer.stop()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--watch",
    "watch_dir",
    metavar="DIR",
    help="Also import each new finished compose under DIR (or an HTTP index), as `watch`.",
)
@click.option("--watch-interval", default=60.0, show_default=True, help="Seconds between polls.")
@click.option("--no-dispatcher", is_flag=True, help="Do not send the outbox from this process.")
@click.option("--no-timer", is_flag=True, help="Do not re-decide composes at their deadlines here.")
@click.pass_obj
@located
def serve(
    state: State,
    host: str,
    port: int,
    watch_dir: str | None,
    watch_interval: float,
    no_dispatcher: bool,
    no_timer: bool,
) -> None:
    """Serve the HTTP API (/api/v1/, /healthz, /metrics, /docs) in the foreground.

    In the background it sends the outbox (unless --no-dispatcher) and re-decides each
    open compose at its next deadline instant (unless --no-timer), so an overdue gate
    blocks, and promotion follows, when the deadline passes rather than when someone looks.

    On SQLite (the default store) one serve process per database file: a second one exits
    at start naming the first; use PostgreSQL to run several. One-shot commands (result
    add, compose import...) still run beside it."""
    import uvicorn

    from gatekeeper.api import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = state.app()
    app.store.claim_single_writer()  # SQLite: this process's for its life
    api = create_app(app)
    config = uvicorn.Config(api, host=host, port=port, access_log=False, log_config=None)
    server = uvicorn.Server(config)
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then raises the signal again: end
    # quietly then, after the dispatcher, the timer and the watcher have stopped
    previous = signal.signal(signal.SIGTERM, _exit_quietly)
    try:
        with (
            _dispatching(app, not no_dispatcher),
            _timing(app, not no_timer),
            _watching(app, watch_dir, watch_interval),
        ):
            server.run()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


def _exit_quietly(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt
