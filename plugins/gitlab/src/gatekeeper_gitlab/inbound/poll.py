"""``gatekeeper gitlab poll``: read the open compose MRs for deployments without webhooks."""

from __future__ import annotations

import logging
import time

import click

from gatekeeper.cli.common import State, located
from gatekeeper.errors import InputError

log = logging.getLogger("gatekeeper_gitlab.poll")


@click.command("poll")
@click.option("--once", is_flag=True, help="One round, then exit.")
@click.option(
    "--every",
    type=click.FloatRange(min=1),
    help="Seconds between rounds (default: [forge.gitlab] poll_interval).",
)
@click.pass_obj
@located
def poll_command(state: State, once: bool, every: float | None) -> None:
    """Read every open compose MR (notes, label events, award emoji, head statuses) and
    report what teams said there, as webhooks would; repeat until stopped (or --once).

    Exit status: 0 done, 2 bad usage or configuration.
    """
    from ..settings import GitLabSettings
    from .access import waivers_group
    from .handle import poll_once

    app = state.app()
    if app.settings.forge != "gitlab":
        raise InputError(f'polling needs forge = "gitlab" (configured: {app.settings.forge!r})')
    waivers_group(app)
    interval = every or GitLabSettings.from_settings(app.settings).poll_interval.total_seconds()
    while True:
        started = time.monotonic()
        count = poll_once(app)
        click.echo(f"read {count} open compose merge request(s)")
        if once:
            return
        time.sleep(max(0.0, interval - (time.monotonic() - started)))
