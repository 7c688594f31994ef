"""``gatekeeper policy``: check the policy files, and publish their schema."""

from __future__ import annotations

import json
from pathlib import Path

import click

from gatekeeper.cli.common import State, located


@click.group()
def policy() -> None:
    """Check policies and publish their schema."""


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
