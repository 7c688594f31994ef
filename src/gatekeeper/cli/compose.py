"""CLI commands for composes and their merge requests: import, publish, mr, watch."""

from __future__ import annotations

import sys
import time

import click

from gatekeeper.cli import output
from gatekeeper.cli.common import COMPOSE_ID, State, _time, console, located
from gatekeeper.errors import NotFound


@click.group()
def compose() -> None:
    """Composes: announce, import, publish, list."""


@compose.command("announce")
@click.argument("compose_id", type=COMPOSE_ID)
@click.option("--at", "at_text", help="Announcement time (default: now).")
@click.pass_obj
@located
def compose_announce(state: State, compose_id: str, at_text: str | None) -> None:
    """Record COMPOSE_ID as announced without its metadata (deadlines count from then)."""
    found, created = state.app().announce(compose_id, at=_time(at_text, "--at"))
    click.echo(f"{found.id}: {'announced' if created else 'already known'}")


@compose.command("import")
@click.argument("location")
@click.option("--with-debuginfo", is_flag=True, help="Keep debuginfo/debugsource RPMs.")
@click.pass_obj
@located
def compose_import(state: State, location: str, with_debuginfo: bool) -> None:
    """Import the compose at LOCATION (its top directory, its compose/ directory, a
    file:/// URL or an HTTP(S) URL of either) and open its merge request. Importing again
    changes nothing."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    app = state.app()
    columns = (
        TextColumn("[bold]reading"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("variant trees"),
        TimeElapsedColumn(),
    )
    quiet = not sys.stderr.isatty()  # progress is for people at a terminal
    with Progress(*columns, console=console(stderr=True), transient=True, disable=quiet) as bar:
        task = bar.add_task("import", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        report = app.import_compose(location, with_debuginfo=with_debuginfo, progress=progress)
    mr = report.merge_request
    verb = "imported" if report.created else "already imported"
    click.echo(f"{report.compose.id}: {verb}, {report.builds} builds, {report.rpms} rpms")
    click.echo(f"merge request !{mr['number']} ({mr['state']}): {mr['title']}")
    click.echo(
        f"Compose Repo: {app.forge.location(report.compose.product)} (branch {mr['branch']})"
    )


@compose.command("published")
@click.argument("compose_id", type=COMPOSE_ID)
@click.option(
    "--force",
    is_flag=True,
    help="Publish it even though it was never promoted (its merge request says so).",
)
@click.pass_obj
@located
def compose_published(state: State, compose_id: str, force: bool) -> None:
    """COMPOSE_ID is on the mirrors: merge its MR into main, supersede older ones.

    A compose that was never promoted (its gate has not passed) is refused unless --force
    is given; forced, its merge request and the merge commit say it was published without
    promotion, naming who forced it."""
    report = state.app().publish(compose_id, force=force, by=state.actor(None).name)
    if report.already:
        click.echo(f"{compose_id}: already published")
        return
    click.echo(f"{compose_id}: published; main is now {report.main_commit[:12]}")
    for other in report.superseded:
        click.echo(f"  closed {other}: superseded")
    for other in report.rerendered:
        click.echo(f"  re-rendered {other} onto the new main")


@compose.command("list")
@click.pass_obj
@located
def compose_list(state: State) -> None:
    """The composes gatekeeper knows, newest first."""
    rows = state.app().compose_rows(limit=200)
    table = output.new_table("Composes")
    for column in ("compose", "type", "state", "promoted", "announced"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["id"],
            row["type"],
            row["state"],
            "yes" if row["promoted"] else "-",
            str(row["announced_at"])[:19],
        )
    console().print(table)


@click.group()
def mr() -> None:
    """Merge requests of composes."""


@mr.command("list")
@click.option("--state", "mr_state", type=click.Choice(["open", "merged", "closed"]))
@click.pass_obj
@located
def mr_list(state: State, mr_state: str | None) -> None:
    """Every compose merge request (or only those in one state)."""
    rows = state.app().merge_requests(mr_state)
    table = output.new_table("Merge requests")
    for column in ("!", "state", "compose", "gate", "title"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            str(row["number"]),
            row["state"],
            row["compose_id"],
            row["verdict"] or "-",
            row["title"],
        )
    console().print(table)


@mr.command("show")
@click.argument("ident")
@click.pass_obj
@located
def mr_show(state: State, ident: str) -> None:
    """Show merge request IDENT (its number, or its compose id): diff summary and gate."""
    app = state.app()
    found = next(
        (
            r
            for r in app.merge_requests()
            if str(r["number"]) == ident.lstrip("!") or r["compose_id"] == ident
        ),
        None,
    )
    product = app.compose(found["compose_id"]).product if found else None
    if found is None:
        raise NotFound(f"no merge request {ident!r}: give its number or its compose id")
    click.echo(f"!{found['number']} [{found['state']}] {found['title']}")
    click.echo(f"branch {found['branch']} -> main (base: {found['base_compose'] or 'empty'})")
    click.echo(f"head {found['head_commit']}  tree {found['tree_id']}")
    if product:
        click.echo(f"repo {app.forge.location(product)}")
    click.echo("")
    click.echo(found["description"])


@click.command()
@click.argument("location")
@click.option("--interval", default=300.0, show_default=True, help="Seconds between polls.")
@click.option("--once", is_flag=True, help="Poll once and exit.")
@click.pass_obj
@located
def watch(state: State, location: str, interval: float, once: bool) -> None:
    """Poll LOCATION (a directory of composes, or an HTTP index with latest-* links) and
    import each new FINISHED compose once; what was imported is remembered in the store."""
    from gatekeeper.service.watch import poll

    app = state.app()
    while True:
        for line in poll(app, location):
            click.echo(line)
        if once:
            return
        time.sleep(interval)
