"""The gatekeeper side: the ``tmt`` result format and ``gatekeeper report tmt``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import click

from gatekeeper import hookimpl
from gatekeeper.cli.common import COMPOSE_ID, State, located, print_report, reporter_option
from gatekeeper.errors import ConfigError
from gatekeeper.model import Result
from gatekeeper_tmt import CALLER_OPTIONS


class _Parser:
    """The ``tmt`` format (its parser loaded when first used).

    ``caller_options`` are the options the caller of an upload may give (the HTTP API's
    query options), for the API to check and to name in its errors."""

    caller_options = CALLER_OPTIONS

    def __call__(self, data: bytes, *, compose: str, options: Mapping[str, Any]) -> list[Result]:
        from gatekeeper_tmt.results import parse

        return parse(data, compose=compose, options=options)


@hookimpl
def gatekeeper_register_result_formats() -> Mapping[str, Callable[..., Any]]:
    return {"tmt": _Parser()}


@click.command("tmt")
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--compose", "compose_id", type=COMPOSE_ID, required=True, help="The compose the run tested."
)
@click.option(
    "--namespace",
    help="Testcase prefix: NS + test /tests/pass gives NS.tests.pass (your team's owns glob).",
)
@click.option("--arch", help="Arch of results whose guest's facts tmt did not record.")
@click.option(
    "--log-url",
    metavar="TEMPLATE",
    help="ref_url of each result, e.g. https://ci.example.org/{run}/{log}; placeholders: "
    "{compose} {run} {plan} {test} {serial} {guest} {arch} {testcase} {log}.",
)
@reporter_option
@click.pass_obj
@located
def report_tmt(
    state: State,
    run_dir: Path,
    compose_id: str,
    namespace: str | None,
    arch: str | None,
    log_url: str | None,
    reporter: str | None,
) -> None:
    """Report every plan's results of the tmt run in RUN_DIR, as one upload.

    Testcase: NAMESPACE.test.name; scenario: the plan; arch: the guest's facts, else
    --arch. All of it is stored, or nothing (a refused testcase refuses the upload).
    """
    from gatekeeper_tmt.run import Options, read_run

    app = state.app()
    options = Options(namespace=namespace, arch=arch, log_url=log_url, now=app.clock())
    results = read_run(run_dir, compose=compose_id, options=options)
    print_report(compose_id, app.ingest(results, state.actor(reporter)))


@hookimpl
def gatekeeper_add_commands(cli: click.Group) -> None:
    report = cli.commands.get("report")
    if not isinstance(report, click.Group):
        raise ConfigError("gatekeeper-tmt needs the core's `gatekeeper report` command group")
    report.add_command(report_tmt)
