"""``gatekeeper serve`` and ``gatekeeper token``: the HTTP service and its bearer tokens."""

from __future__ import annotations

import click


@click.group()
def token() -> None:
    """Bearer tokens of the HTTP API's identities."""


@click.command()
def serve() -> None:
    """Serve the HTTP API."""
    raise click.ClickException("not available yet")
