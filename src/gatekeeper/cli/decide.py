"""``gatekeeper decide`` and ``gatekeeper decisions``: a compose's decision, and its history.

``decide`` exits 0 passed, 1 failed, 3 pending (2: bad usage or input). With ``--results``
it decides offline, from files, without a store.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from gatekeeper.cli import output as render
from gatekeeper.cli.common import COMPOSE_ID, State, _time, console, located
from gatekeeper.errors import InputError
from gatekeeper.model import FAILED, PASSED, PENDING, Compose, Decision

if TYPE_CHECKING:
    from gatekeeper.config import Settings

VERDICT_EXIT = {PASSED: 0, FAILED: 1, PENDING: 3}


def print_decision(decided: Decision, as_json: bool) -> NoReturn:
    if as_json:
        click.echo(json.dumps(decided.to_json(), indent=2))
    else:
        render.decision(console(), decided)
    sys.exit(VERDICT_EXIT[decided.verdict])


@click.command()
@click.argument("compose_id", type=COMPOSE_ID)
@click.option(
    "--policies",
    "policies_dir",
    type=click.Path(file_okay=False),
    help="Policy directory (default: the configured one, ./policies).",
)
@click.option(
    "--results",
    "results_file",
    type=click.Path(dir_okay=False),
    help="Decide offline from this JSON array / JSON Lines of results.",
)
@click.option(
    "--waivers",
    "waivers_file",
    type=click.Path(dir_okay=False),
    help="JSON array of waivers (offline mode only).",
)
@click.option("--announced", help="Announcement time (default: compose date 00:00 UTC).")
@click.option("--now", "now_text", help="Evaluate as of this time (default: now).")
@click.option("--json", "as_json", is_flag=True, help="Print the Decision JSON.")
@click.pass_obj
@located
def decide(
    state: State,
    compose_id: str,
    policies_dir: str | None,
    results_file: str | None,
    waivers_file: str | None,
    announced: str | None,
    now_text: str | None,
    as_json: bool,
) -> None:
    """Decide whether COMPOSE_ID passes its gates.

    Exit status: 0 passed, 1 failed, 3 pending, 2 bad usage or input.
    """
    now = _time(now_text, "--now")
    if results_file is None:
        if waivers_file or announced:
            raise InputError("--waivers and --announced need --results (offline mode)")
        app = state.app()
        if policies_dir is not None:
            app.settings = _with_policies(app.settings, policies_dir)
        print_decision(app.decide(compose_id, now=now), as_json)
    try:
        compose = Compose.from_id(compose_id, _time(announced, "--announced"))
    except ValueError as exc:
        raise InputError(str(exc), key="COMPOSE_ID") from None
    when = now or datetime.now(compose.announced_at.tzinfo)
    from gatekeeper.evaluate import evaluate
    from gatekeeper.inputs import parse_results, parse_waivers, read_text
    from gatekeeper.policy import load_policies

    policies = load_policies(Path(policies_dir) if policies_dir else state.settings.policies_dir)
    results = parse_results(read_text(results_file), results_file, compose.id, when)
    waivers = (
        parse_waivers(read_text(waivers_file), waivers_file, compose.id, when)
        if waivers_file
        else []
    )
    print_decision(evaluate(compose, policies, results, waivers, when), as_json)


def _with_policies(settings: Settings, policies_dir: str) -> Settings:
    from dataclasses import replace

    return replace(settings, policies_dir=Path(policies_dir))


@click.command()
@click.argument("compose_id", type=COMPOSE_ID)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@located
def decisions(state: State, compose_id: str, as_json: bool) -> None:
    """The decision history of COMPOSE_ID: what changed, and when."""
    rows = state.app().history(compose_id)
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    for row in rows:
        click.echo(f"v{row['version']}  {row['created_at']}  {row['verdict']:8}  {row['summary']}")
