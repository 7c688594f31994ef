"""``gatekeeper resultsdb pull``: one compose now, or every active compose on a schedule."""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from datetime import timedelta
from typing import Any

import click

from gatekeeper.cli.common import COMPOSE_ID, State, located, print_report
from gatekeeper.errors import ConfigError, InputError
from gatekeeper.timeutil import format_duration, parse_duration
from gatekeeper_resultsdb.schedule import Pulled, active_composes, pull_round
from gatekeeper_resultsdb.settings import SECTION, ResultsDBSettings, check_url


@click.group()
def resultsdb() -> None:
    """Pull compose results from ResultsDB ([resultsdb] in gatekeeper.toml)."""


@resultsdb.command("pull")
@click.argument("compose_id", type=COMPOSE_ID, required=False)
@click.option("--url", help="ResultsDB to read (default: [resultsdb] url of gatekeeper.toml).")
@click.option("--every", is_flag=True, help="Pull every compose not yet published, repeatedly.")
@click.option(
    "--interval", help="With --every: time between rounds (default: [resultsdb] interval, 15m)."
)
@click.option("--once", is_flag=True, help="With --every: one round, then exit.")
@click.option("--rounds", type=click.IntRange(min=1), help="With --every: stop after N rounds.")
@click.pass_obj
@located
def pull_cmd(
    state: State,
    compose_id: str | None,
    url: str | None,
    every: bool,
    interval: str | None,
    once: bool,
    rounds: int | None,
) -> None:
    """Pull COMPOSE_ID's results from ResultsDB and store those of testcases a team owns,
    as one report (pulling again changes nothing). With --every, pull each announced,
    proposed or promoted compose every --interval until stopped.

    Exit status: 0 done, 2 bad usage or a failed pull.
    """
    if every == (compose_id is not None):
        raise InputError("give COMPOSE_ID for one pull, or --every for the schedule")
    if not every and (interval or once or rounds):
        raise InputError("--interval, --once and --rounds go with --every")
    app = state.app()
    settings = _configure(app, url)
    if not every:
        assert compose_id is not None
        _print(Pulled(compose_id, report=app.pull_results(compose_id)))
        return
    wait = _interval(interval, settings.interval)
    limit = 1 if once else rounds
    failed = _schedule(app, settings, wait, limit)
    if failed:
        sys.exit(2)


def _configure(app: Any, url: str | None) -> ResultsDBSettings:
    """The validated settings, with ``--url`` put into the app's ``[resultsdb]`` section so
    the pull hook reads it."""
    if url is not None:
        sections = dict(app.settings.sections)
        sections[SECTION] = {**sections.get(SECTION, {}), "url": check_url(url, key="--url")}
        app.settings = replace(app.settings, sections=sections)
    settings = ResultsDBSettings.from_settings(app.settings)
    if settings is None:
        raise ConfigError(
            "no ResultsDB to pull from: set url in the [resultsdb] section, or pass --url",
            file=app.settings.source,
            key=f"{SECTION}.url",
        )
    return settings


def _interval(text: str | None, default: timedelta) -> timedelta:
    if text is None:
        return default
    try:
        wait = parse_duration(text)
    except ValueError as exc:
        raise InputError(str(exc), key="--interval") from None
    if wait <= timedelta(0):
        raise InputError("must be longer than 0s", key="--interval")
    return wait


def _schedule(app: Any, settings: ResultsDBSettings, wait: timedelta, limit: int | None) -> bool:
    """Run rounds until ``limit`` (forever when None); True when any pull failed."""
    failed = False
    done = 0
    while True:
        composes = active_composes(app)
        click.echo(
            f"round {done + 1}: pulling {len(composes)} composes from {settings.url}", err=True
        )
        failed |= any(p.error for p in pull_round(app, composes, on_pulled=_print))
        done += 1
        if limit is not None and done >= limit:
            return failed
        click.echo(f"next round in {format_duration(wait)}", err=True)
        time.sleep(wait.total_seconds())


def _print(pulled: Pulled) -> None:
    if pulled.error is not None:
        click.echo(f"error: {pulled.compose}: {pulled.error}", err=True)
    elif pulled.report is None:
        click.echo(f"{pulled.compose}: no results of a testcase a team owns")
    else:
        print_report(pulled.compose, pulled.report)
