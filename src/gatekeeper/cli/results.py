"""``gatekeeper result add``, ``results``, ``waive`` and the ``report`` group plugins fill."""

from __future__ import annotations

import json

import click

from gatekeeper.cli import output as render
from gatekeeper.cli.common import COMPOSE_ID, State, _time, console, located, print_report
from gatekeeper.errors import InputError
from gatekeeper.model import Outcome, Result
from gatekeeper.timeutil import format_time


@click.group()
def result() -> None:
    """Report results."""


@result.command("add")
@click.argument("compose_id", type=COMPOSE_ID)
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
    from gatekeeper.inputs import parse_results, read_text

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
    print_report(compose_id, app.ingest(results, state.actor(None)))


@click.group()
def report() -> None:
    """Report results from a tool's output (subcommands come from plugins: tmt, junit...)."""


@click.command("results")
@click.argument("compose_id", type=COMPOSE_ID)
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


@click.command()
@click.argument("compose_id", type=COMPOSE_ID)
@click.argument("testcase")
@click.option("--comment", "-m", required=True, help="Why the waiver is granted (or revoked).")
@click.option("--scenario")
@click.option("--arch")
@click.option("--revoke", is_flag=True, help="Revoke the waiver instead.")
@click.option(
    "--expires",
    help="When it stops counting: a duration from now (3d, 12h) or a time (ISO 8601); "
    "the policy's waivers: max_expires caps it.",
)
@click.option("--bug", help="The URL of the bug tracking what it excuses.")
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
    expires: str | None,
    bug: str | None,
) -> None:
    """Waive TESTCASE for COMPOSE_ID (optionally one scenario/arch), or --revoke it."""
    if revoke and (expires or bug):
        raise InputError("a revocation takes neither --expires nor --bug", key="--revoke")
    waiver, decided = state.app().waive(
        compose_id,
        testcase,
        actor=state.actor(None),
        comment=comment,
        scenario=scenario,
        arch=arch,
        revoke=revoke,
        expires=expires,
        bug=bug,
    )
    verb = "revoked" if revoke else "waived"
    until = None if waiver.expires is None else format_time(waiver.expires)
    named = (("until", until), ("bug", waiver.bug))
    terms = ", ".join(f"{name} {value}" for name, value in named if value is not None)
    terms = f" ({terms})" if terms else ""
    click.echo(
        f"waiver {waiver.id}: {testcase} {verb} for {compose_id}{terms}; "
        f"verdict {decided.verdict}: {decided.summary}"
    )
