"""CLI commands for what a gated compose lets teams build from: ``compose lockfile`` and
``compose diff``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from gatekeeper.cli.common import COMPOSE_ID, State, located
from gatekeeper.compose import LOCKFILE_FORMATS as FORMATS
from gatekeeper.compose import RPM_LOCKFILE_NAME
from gatekeeper.errors import InputError

if TYPE_CHECKING:
    from gatekeeper.service import Gatekeeper


@click.command("lockfile")
@click.argument("compose_id", type=COMPOSE_ID)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    required=True,
    help="rpm-lockfile: rpms.lock.yaml; fcos: manifest-lock.<arch>.json per arch.",
)
@click.option("--arch", "arches", multiple=True, help="Only this tree arch (repeatable).")
@click.option("--variant", "variants", multiple=True, help="Only this variant (repeatable).")
@click.option(
    "--packages",
    "packages_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Lock the dependency closure of these packages (names, or rpms.in.yaml).",
)
@click.option("--with-sources", is_flag=True, help="Also lock the SRPMs (rpm-lockfile).")
@click.option(
    "--allow-missing-checksums",
    is_flag=True,
    help="Lock RPMs the repodata does not list, without size and checksum.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    help="rpm-lockfile: the file (default: standard output); fcos: the directory "
    "for manifest-lock.<arch>.json (default: standard output for one arch, "
    "else the current directory).",
)
@click.pass_obj
@located
def compose_lockfile(
    state: State,
    compose_id: str,
    fmt: str,
    arches: tuple[str, ...],
    variants: tuple[str, ...],
    packages_file: Path | None,
    with_sources: bool,
    allow_missing_checksums: bool,
    output: Path | None,
) -> None:
    """Pin COMPOSE_ID's RPMs as a lockfile image builders read: every binary RPM of the
    chosen variants and arches, or the closure of a package list, with url, size and sha256
    from the compose's repodata. The same compose and options give the same bytes."""
    app = state.app()
    packages = None
    if packages_file is not None:
        known = frozenset(arches) if arches else frozenset(_all_arches(app, compose_id))
        from gatekeeper.compose.packagelist import read_package_list

        packages = read_package_list(packages_file, known_arches=known)
    files = app.lockfile(
        compose_id,
        fmt,
        arches=arches,
        variants=variants,
        packages=packages,
        with_sources=with_sources,
        allow_missing_checksums=allow_missing_checksums,
    )
    if output is None and len(files) == 1:
        sys.stdout.buffer.write(next(iter(files.values())))
        sys.stdout.flush()
        return
    if fmt == "fcos":
        directory = output or Path(".")
        if directory.exists() and not directory.is_dir():
            raise InputError(
                "is not a directory: fcos writes one file per arch there", file=str(directory)
            )
        directory.mkdir(parents=True, exist_ok=True)
        targets = {directory / name: content for name, content in files.items()}
    else:
        assert output is not None
        targets = {output: files[RPM_LOCKFILE_NAME]}
    for target, content in targets.items():
        partial = target.with_name(f".{target.name}.part")
        partial.write_bytes(content)
        partial.replace(target)
        click.echo(f"wrote {target}", err=True)


def _all_arches(app: Gatekeeper, compose_id: str) -> list[str]:
    info = app.compose_info(compose_id)
    return sorted({a for arches in (info.get("variants") or {}).values() for a in arches})


@click.command("diff")
@click.argument("old_id", type=COMPOSE_ID)
@click.argument("new_id", type=COMPOSE_ID)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
@located
def compose_diff(state: State, old_id: str, new_id: str, as_json: bool) -> None:
    """The binary packages whose version changed from OLD_ID to NEW_ID, per arch (from the
    builds the Compose Repo diff finds changed)."""
    changes = state.app().package_diff(old_id, new_id)
    if as_json:
        from gatekeeper.service.lockfiles import package_diff_json

        click.echo(json.dumps(package_diff_json(old_id, new_id, changes), indent=2))
        return
    if not changes:
        click.echo(f"{old_id} -> {new_id}: no package changed")
        return
    arch = None
    for change in changes:
        if change.arch != arch:
            arch = change.arch
            count = sum(1 for c in changes if c.arch == arch)
            click.echo(f"{arch}: {count} package{'s' if count != 1 else ''} changed")
        click.echo(
            f"  {change.name}.{change.rpm_arch}  {change.old or '(none)'} -> "
            f"{change.new or '(none)'}"
        )


def add_lockfile_commands(group: click.Group) -> None:
    for command in (compose_lockfile, compose_diff):
        group.add_command(command)
