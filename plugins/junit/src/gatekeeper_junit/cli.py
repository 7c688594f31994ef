"""``gatekeeper report junit FILE... --compose ID --namespace NS``: one upload, one transaction.

Every file is read and parsed before the store is touched; a bad file (malformed, hostile,
too big, not JUnit) refuses the whole upload with a located error and stores nothing.
"""

from __future__ import annotations

import os
import sys
from functools import partial

import click

from gatekeeper.cli.common import COMPOSE_ID, State, located, print_report, reporter_option
from gatekeeper.errors import InputError
from gatekeeper_junit.options import Options
from gatekeeper_junit.parse import parse_files, stamped
from gatekeeper_junit.settings import JunitSettings
from gatekeeper_junit.xmlsafe import check_size

STDIN = "-"


def _label(path: str) -> str:
    return "<stdin>" if path == STDIN else path


def read_capped(path: str, max_bytes: int) -> bytes:
    """The file's bytes, refusing one over the cap before reading it (``-``: stdin)."""
    if path == STDIN:
        data = sys.stdin.buffer.read(max_bytes + 1)
        check_size(len(data), max_bytes, "<stdin>")
        return data
    try:
        with open(path, "rb") as stream:
            check_size(os.fstat(stream.fileno()).st_size, max_bytes, path)
            data = stream.read(max_bytes + 1)  # bounded even if the file grows meanwhile
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", file=path) from None
    check_size(len(data), max_bytes, path)
    return data


@click.command("junit")
@click.argument(
    "files",
    metavar="FILE...",
    nargs=-1,
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True),
)
@click.option(
    "--compose", "compose_id", type=COMPOSE_ID, required=True, help="The compose the tests ran on."
)
@click.option(
    "--namespace",
    required=True,
    help="Prefix of every testcase name (e.g. ci; a '.' is added): a namespace your team owns.",
)
@click.option("--arch", help="Arch of every result (a testsuite property 'arch' overrides it).")
@click.option("--scenario", help="Scenario of every result (property 'scenario' overrides it).")
@click.option("--variant", help="Variant of every result (property 'variant' overrides it).")
@click.option(
    "--name-format",
    help="Naming rule (default: [junit] name_format, else {namespace}{classname}.{name}).",
)
@click.option("--ref-url", help="Link stored with every result (e.g. the CI job).")
@click.option(
    "--run-id",
    help="Your CI run's id: makes a re-run with a byte-identical report a new report.",
)
@click.option(
    "--max-bytes",
    type=click.IntRange(min=1),
    help="Size cap of one file (default: [junit] max_bytes, else 50 MB).",
)
@reporter_option
@click.pass_obj
@located
def junit(
    state: State,
    files: tuple[str, ...],
    compose_id: str,
    namespace: str,
    arch: str | None,
    scenario: str | None,
    variant: str | None,
    name_format: str | None,
    ref_url: str | None,
    run_id: str | None,
    max_bytes: int | None,
    reporter: str | None,
) -> None:
    """Report JUnit XML FILEs (one upload: all stored or none) for a compose.

    Skipped testcases are not stored unless [junit] skipped = "info". See the plugin's
    README for the naming rule and the outcome mapping.
    """
    settings = JunitSettings.from_settings(state.settings)
    opts, _ = Options.from_mapping(
        compose_id,
        {
            "namespace": namespace,
            "arch": arch,
            "scenario": scenario,
            "variant": variant,
            "name_format": name_format or settings.name_format,
            "skipped": settings.skipped,
            "max_bytes": max_bytes or settings.max_bytes,
            "ref_url": ref_url,
            "run_id": run_id,
        },
    )
    sources = [(_label(f), partial(read_capped, f, opts.max_bytes)) for f in files]
    parsed = parse_files(sources, opts)
    for tally in parsed.tallies:
        click.echo(tally.summary(opts.skipped))
    if parsed.folded:
        click.echo(f"{parsed.folded} repeated testcases folded into one result each (worst kept)")
    if not parsed.results:
        raise InputError(
            "nothing to report: the upload holds no testcase to store (skipped ones are not)"
        )
    app = state.app()
    when = app.clock()
    results = stamped(parsed.results, when)  # the service's clock
    print_report(compose_id, app.ingest(results, state.actor(reporter)))
