"""``gatekeeper plugins`` and ``gatekeeper db``: what is installed, and the store's schema."""

from __future__ import annotations

import click

from gatekeeper.cli import output as render
from gatekeeper.cli.common import State, console, located


@click.command("plugins")
@located
def plugins_cmd() -> None:
    """List plugins with their version and hooks."""
    from gatekeeper.plugins import describe, make_plugin_manager

    render.plugins(console(), describe(make_plugin_manager()))


@click.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.pass_obj
@located
def db_upgrade(state: State) -> None:
    """Apply the store's migrations (also done at every start)."""
    from gatekeeper.store import Store

    store = Store(state.settings.database_url)
    store.upgrade()
    click.echo(f"database at revision {store.current_revision()}")
