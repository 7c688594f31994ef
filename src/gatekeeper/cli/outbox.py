"""``gatekeeper outbox list | retry``: the hook calls and jobs committed changes owe, the
dead letters the dispatcher gave up, and bringing them back once their cause is fixed."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any

import click

from gatekeeper.cli import output
from gatekeeper.cli.common import State, console, located
from gatekeeper.errors import InputError
from gatekeeper.timeutil import format_time

_STYLE = {"pending": "yellow", "dead": "red", "delivered": "green"}


def _jsonable(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: format_time(v) if isinstance(v, datetime) else v for k, v in entry.items()}


@click.group()
def outbox() -> None:
    """What committed changes owe (hook calls, redecisions), and its dead letters."""


@outbox.command("list")
@click.option("--dead", "dead_only", is_flag=True, help="Only the dead letters.")
@click.option("--all", "with_delivered", is_flag=True, help="Delivered entries too.")
@click.option("--limit", default=100, show_default=True, type=int, help="Entries shown at most.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@located
def outbox_list(
    state: State, dead_only: bool, with_delivered: bool, limit: int, as_json: bool
) -> None:
    """Outbox entries, oldest first: pending (to be sent, now or after a backoff) and dead
    (given up: `gatekeeper outbox retry` brings them back); delivered ones with --all."""
    if dead_only and with_delivered:
        raise InputError("give --dead or --all, not both", key="--dead")
    states = ["dead"] if dead_only else ["pending", "dead"]
    if with_delivered:
        states.append("delivered")
    page = state.app().outbox_entries(states=states, limit=limit)
    if as_json:
        click.echo(json.dumps([_jsonable(e) for e in page.items], indent=2))
    else:
        table = output.new_table("Outbox")
        for column in ("id", "kind", "compose", "state", "attempts", "last error", "created"):
            table.add_column(column, overflow="fold")
        for entry in page.items:
            table.add_row(
                str(entry["id"]),
                entry["kind"],
                entry["compose"] or "-",
                f"[{_STYLE[entry['state']]}]{entry['state']}[/]",
                str(entry["attempts"]),
                entry["last_error"] or "-",
                format_time(entry["created_at"])[:19],
            )
        console().print(table)
    if page.more:
        click.echo(f"more entries: raise --limit (now {limit})", err=True)


@outbox.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all-dead", is_flag=True, help="Every dead entry.")
@click.pass_obj
@located
def outbox_retry(state: State, ids: tuple[int, ...], all_dead: bool) -> None:
    """Bring dead entries IDS (or --all-dead) back once their cause is fixed, and send them
    now. Exits 1 when one is dead again (its cause is still there)."""
    if bool(ids) == all_dead:
        raise InputError("give outbox entry ids, or --all-dead (not both)")
    retried = state.app().retry_outbox(list(ids) if ids else None)
    if not retried:
        click.echo("no dead outbox entries")
        return
    for entry in retried:
        what = f"outbox entry {entry['id']} ({entry['kind']}"
        what += f" {entry['compose']})" if entry["compose"] else ")"
        if entry["state"] == "dead":
            click.echo(f"{what}: dead again: {entry['last_error']}")
        elif entry["state"] == "pending" and entry["last_error"] and entry["attempts"]:
            click.echo(f"{what}: pending, to be tried again: {entry['last_error']}")
        else:
            click.echo(f"{what}: {entry['state']}")
    if any(entry["state"] == "dead" for entry in retried):
        sys.exit(1)
