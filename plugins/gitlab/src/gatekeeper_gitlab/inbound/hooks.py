"""The inbound side's hooks (webhook route, forge events, the poll command).

Every hook does nothing unless ``forge = "gitlab"``; importing this module needs no
configuration (python-gitlab and the handling modules are imported on first use).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click

from gatekeeper import hookimpl


def _gitlab(app: Any) -> bool:
    return getattr(getattr(app, "settings", None), "forge", None) == "gitlab"


@hookimpl
def gatekeeper_forge_event(app: Any, forge: str, event: Mapping[str, Any]) -> None:
    """Results and waivers from a GitLab event, re-read from the API (see ``inbound``)."""
    if forge != "gitlab" or not _gitlab(app):
        return
    from .access import waivers_group
    from .handle import handle_event

    waivers_group(app)  # validated before use
    handle_event(app, event)


@hookimpl
def gatekeeper_extend_api(app: Any, api: Any) -> None:
    """``POST /webhooks/gitlab`` (with ``forge = "gitlab"`` only)."""
    if not _gitlab(app):
        return
    from .access import waivers_group
    from .webhook import add_route

    waivers_group(app)
    add_route(app, api)


@hookimpl
def gatekeeper_add_commands(cli: click.Group) -> None:
    """``gatekeeper gitlab poll`` (added to a ``gitlab`` group another hook made, if any)."""
    from .poll import poll_command

    group = cli.commands.get("gitlab")
    if not isinstance(group, click.Group):
        group = click.Group("gitlab", help="The GitLab forge ([forge.gitlab] in gatekeeper.toml).")
        cli.add_command(group)
    group.add_command(poll_command)
