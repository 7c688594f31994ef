"""The ``gatekeeper`` command line: a thin shell over ``service.py``.

User errors print one located line each on stderr and exit 2; ``decide`` exits
0 passed, 1 failed, 3 pending. Plugins add commands via ``gatekeeper_add_commands``.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import NoReturn

import click

from gatekeeper import render
from gatekeeper.cli_common import State, _time, console, fail, located
from gatekeeper.config import Settings
from gatekeeper.errors import GatekeeperError, InputError
from gatekeeper.evaluate import evaluate
from gatekeeper.inputs import parse_results, parse_waivers, read_text
from gatekeeper.model import FAILED, PASSED, PENDING, Compose, Decision, Outcome, Result
from gatekeeper.plugins import describe, make_plugin_manager
from gatekeeper.policy import load_policies, policy_schema
from gatekeeper.service import Actor
from gatekeeper.store import Store

VERDICT_EXIT = {PASSED: 0, FAILED: 1, PENDING: 3}


def print_decision(decided: Decision, as_json: bool) -> NoReturn:
    if as_json:
        click.echo(json.dumps(decided.to_json(), indent=2))
    else:
        render.decision(console(), decided)
    sys.exit(VERDICT_EXIT[decided.verdict])


@click.group()
@click.option(
    "--config",
    envvar="GATEKEEPER_CONFIG",
    type=click.Path(dir_okay=False),
    help="gatekeeper.toml to use (default: ./gatekeeper.toml if present).",
)
@click.version_option(package_name="gatekeeper")
@click.pass_context
def cli(ctx: click.Context, config: str | None) -> None:
    """gatekeeper: the Compose Gate as a merge request."""
    ctx.obj = State(config)


@cli.command()
@click.argument("compose_id")
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


@cli.group()
def policy() -> None:
    """Check policies and publish their schema."""


@policy.command("check")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
@click.pass_obj
@located
def policy_check(state: State, directory: str | None) -> None:
    """Validate every policy in DIRECTORY (default: the configured policies)."""
    path = Path(directory) if directory else state.settings.policies_dir
    loaded = load_policies(path)
    gates = sum(len(p.gates) for p in loaded)
    click.echo(f"{path}: {len(loaded)} policies, {gates} gates: OK")


@policy.command("schema")
def policy_schema_cmd() -> None:
    """Print the JSON Schema of a policy file."""
    click.echo(json.dumps(policy_schema(), indent=2))


@cli.command("plugins")
@located
def plugins_cmd() -> None:
    """List plugins with their version and hooks."""
    render.plugins(console(), describe(make_plugin_manager()))


@cli.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.pass_obj
@located
def db_upgrade(state: State) -> None:
    """Apply the store's migrations (also done at every start)."""
    store = Store(state.settings.database_url)
    store.upgrade()
    click.echo(f"database at revision {store.current_revision()}")


@cli.group()
def result() -> None:
    """Report results."""


@result.command("add")
@click.argument("compose_id")
@click.argument("testcase", required=False)
@click.argument("outcome", required=False)
@click.option(
    "--file",
    "results_file",
    type=click.Path(dir_okay=False),
    help="Add every result of this JSON array / JSON Lines file, as one report.",
)
@click.option("--scenario")
@click.option("--arch")
@click.option("--variant")
@click.option("--ref-url")
@click.option("--note")
@click.option("--submit-time")
@click.option("--id", "result_id", help="The result's id at its source (makes re-adding a no-op).")
@click.pass_obj
@located
def result_add(
    state: State,
    compose_id: str,
    testcase: str | None,
    outcome: str | None,
    results_file: str | None,
    scenario: str | None,
    arch: str | None,
    variant: str | None,
    ref_url: str | None,
    note: str | None,
    submit_time: str | None,
    result_id: str | None,
) -> None:
    """Add one result (TESTCASE OUTCOME) or a file of them to COMPOSE_ID."""
    app = state.app()
    now = app.clock()
    if results_file:
        if testcase or outcome:
            raise InputError("give TESTCASE OUTCOME or --file, not both")
        results = parse_results(read_text(results_file), results_file, compose_id, now)
    elif testcase and outcome:
        try:
            parsed = Outcome.parse(outcome)
        except ValueError as exc:
            raise InputError(str(exc), key="OUTCOME") from None
        when = _time(submit_time, "--submit-time") or now
        results = [
            Result(
                compose=compose_id,
                testcase=testcase,
                outcome=parsed,
                submit_time=when,
                id=result_id,
                scenario=scenario,
                arch=arch,
                variant=variant,
                ref_url=ref_url,
                note=note,
            )
        ]
    else:
        raise InputError("give TESTCASE OUTCOME, or --file FILE")
    if not results:
        raise InputError("no results to add", file=results_file)
    report = app.ingest(results, Actor.local_operator())
    click.echo(
        f"{compose_id}: {len(report.stored)} stored, {report.duplicates} already known; "
        f"verdict {report.decision.verdict}: {report.decision.summary}"
    )


@cli.group()
def report() -> None:
    """Report results from a tool's output (subcommands come from plugins: tmt, junit...)."""


@cli.command("results")
@click.argument("compose_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@located
def results_cmd(state: State, compose_id: str, as_json: bool) -> None:
    """List the results stored for COMPOSE_ID."""
    rows = state.app().results(compose_id)
    if as_json:
        click.echo(json.dumps([r.to_json() for r in rows], indent=2))
    else:
        render.results(console(), compose_id, rows)


@cli.command()
@click.argument("compose_id")
@click.argument("testcase")
@click.option("--comment", "-m", required=True, help="Why the waiver is granted (or revoked).")
@click.option("--scenario")
@click.option("--arch")
@click.option("--revoke", is_flag=True, help="Revoke the waiver instead.")
@click.pass_obj
@located
def waive(
    state: State,
    compose_id: str,
    testcase: str,
    comment: str,
    scenario: str | None,
    arch: str | None,
    revoke: bool,
) -> None:
    """Waive TESTCASE for COMPOSE_ID (optionally one scenario/arch), or --revoke it."""
    waiver, decided = state.app().waive(
        compose_id,
        testcase,
        actor=Actor.local_operator(),
        comment=comment,
        scenario=scenario,
        arch=arch,
        revoke=revoke,
    )
    verb = "revoked" if revoke else "waived"
    click.echo(
        f"waiver {waiver.id}: {testcase} {verb} for {compose_id}; "
        f"verdict {decided.verdict}: {decided.summary}"
    )


@cli.command()
@click.argument("compose_id")
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


def build_cli() -> click.Group:
    """The core commands plus every plugin's (``gatekeeper_add_commands``)."""
    from gatekeeper.cli_compose import compose, mr, watch
    from gatekeeper.cli_demo import demo
    from gatekeeper.cli_lockfile import add_lockfile_commands
    from gatekeeper.cli_serve import serve, token

    add_lockfile_commands(compose)
    for command in (compose, mr, watch, serve, token, demo):
        cli.add_command(command)
    try:
        make_plugin_manager().hook.gatekeeper_add_commands(cli=cli)
    except GatekeeperError as exc:
        fail(exc)
    return cli


def main() -> None:
    build_cli()(prog_name="gatekeeper")
