"""``gatekeeper policy``: check the policy files, publish their schema, import Greenwave's."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from gatekeeper.cli.common import State, located


@click.group()
def policy() -> None:
    """Check policies, publish their schema, import Greenwave policies."""


@policy.command("check")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
@click.pass_obj
@located
def policy_check(state: State, directory: str | None) -> None:
    """Validate every policy in DIRECTORY (default: the configured policies)."""
    from gatekeeper.policy import load_policies

    path = Path(directory) if directory else state.settings.policies_dir
    loaded = load_policies(path)
    gates = sum(len(p.gates) for p in loaded)
    click.echo(f"{path}: {len(loaded)} policies, {gates} gates: OK")


@policy.command("schema")
def policy_schema_cmd() -> None:
    """Print the JSON Schema of a policy file."""
    from gatekeeper.policy import policy_schema

    click.echo(json.dumps(policy_schema(), indent=2))


@policy.command("import-greenwave")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(file_okay=False),
    help="Directory to write the policies to (created if missing).",
)
@click.option(
    "--product",
    "products",
    multiple=True,
    metavar="VERSION=PRODUCT",
    help="Map a Greenwave product version to a compose product glob (repeatable).",
)
@click.option("--strict", is_flag=True, help="Exit 1, writing nothing, if anything is left out.")
@click.option("--force", is_flag=True, help="Overwrite policy files already in the directory.")
@located
def policy_import_greenwave(
    files: tuple[str, ...], output: str, products: tuple[str, ...], strict: bool, force: bool
) -> None:
    """Turn Greenwave policy FILES (--- !Policy) into gatekeeper policies in OUTPUT.

    What gatekeeper cannot express (!RemoteRule, subject types other than compose,
    excluded_packages...) is left out with one file:line warning each. Exit status: 0; 1
    when nothing could be imported, or with --strict when anything was left out (nothing is
    written); 2 when a file is not Greenwave policy YAML. The files are written only if
    OUTPUT, with them, passes `gatekeeper policy check`.
    """
    import shutil
    import tempfile

    from gatekeeper.errors import ErrorGroup, GatekeeperError, InputError, PolicyError, raise_all
    from gatekeeper.inputs import read_text
    from gatekeeper.policy import load_policies
    from gatekeeper.policy.greenwave_import import import_greenwave
    from gatekeeper.policy.reader import MAX_POLICY_BYTES

    mapping: dict[str, str] = {}
    for item in products:
        version, sep, product = item.partition("=")
        if not sep or not version or not product:
            raise InputError(f"expected VERSION=PRODUCT, got '{item}'", key="--product")
        mapping[version] = product
    texts = [(f, read_text(f, limit=MAX_POLICY_BYTES)) for f in files]
    imported = import_greenwave(texts, mapping)
    for note in imported.notes:
        click.echo(f"warning: {note}", err=True)
    count = len(imported.notes)
    left_out = f"{count} left out (see the warnings)" if count else "nothing left out"
    if strict and imported.notes:
        click.echo(f"{left_out}: nothing written (--strict)", err=True)
        sys.exit(1)
    if not imported.files:
        click.echo("no policy could be imported: nothing written", err=True)
        sys.exit(1)
    out = Path(output)
    clashes: list[GatekeeperError] = [
        PolicyError("already exists: use --force to overwrite it", file=str(out / name))
        for name in imported.files
        if (out / name).exists() and not force
    ]
    raise_all(clashes)
    with tempfile.TemporaryDirectory() as tmp:  # OUTPUT as it will be, checked first
        if out.is_dir():
            for path in out.iterdir():
                if path.is_file() and path.suffix in (".yaml", ".yml"):
                    shutil.copyfile(path, Path(tmp) / path.name)
        for name, text in imported.files.items():
            (Path(tmp) / name).write_text(text, encoding="utf-8")
        try:
            load_policies(tmp)
        except GatekeeperError as exc:
            found = exc.errors if isinstance(exc, ErrorGroup) else [exc]
            raise_all([
                PolicyError(e.message.replace(tmp, str(out)), file=(e.file or "").replace(tmp,
                            str(out), 1), line=e.line, key=e.key)
                for e in found
            ])  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    for name, text in imported.files.items():
        (out / name).write_text(text, encoding="utf-8")
        click.echo(f"wrote {out / name}")
    click.echo(f"{len(imported.files)} policies written to {out}; {left_out}")
