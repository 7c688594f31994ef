"""The ``gatekeeper`` command line: a thin shell over :mod:`gatekeeper.service`.

One module per command group (``decide``, ``policy``, ``results``, ``triage``, ``compose``,
``lockfile``, ``serve``, ``outbox``...), the rich output in :mod:`~gatekeeper.cli.output`.
A command imports what it uses when it runs, so ``gatekeeper --help`` does not load the
store or the service.

User errors print one located line each on stderr and exit 2; ``decide`` exits
0 passed, 1 failed, 3 pending. Plugins add commands via ``gatekeeper_add_commands``.
"""

from __future__ import annotations

import click

from gatekeeper.cli.common import State, fail
from gatekeeper.errors import GatekeeperError


@click.group()
@click.option(
    "--config",
    envvar="GATEKEEPER_CONFIG",
    type=click.Path(dir_okay=False),
    help="gatekeeper.toml to use (default: ./gatekeeper.toml if present).",
)
@click.version_option(package_name="gatekeeper")
@click.pass_context
def cli(ctx: click.Context, config: str | None) -> None:
    """gatekeeper: the Compose Gate as a merge request."""
    ctx.obj = State(config)


def build_cli() -> click.Group:
    """The core commands plus every plugin's (``gatekeeper_add_commands``)."""
    from gatekeeper.cli.admin import db, plugins_cmd
    from gatekeeper.cli.compose import compose, mr, watch
    from gatekeeper.cli.decide import decide, decisions
    from gatekeeper.cli.demo import demo
    from gatekeeper.cli.lockfile import add_lockfile_commands
    from gatekeeper.cli.outbox import outbox
    from gatekeeper.cli.policy import policy
    from gatekeeper.cli.results import report, result, results_cmd, waive
    from gatekeeper.cli.serve import serve, token
    from gatekeeper.cli.triage import known_issue, rerun, reruns
    from gatekeeper.plugins import Hooks, make_plugin_manager

    add_lockfile_commands(compose)
    for command in (decide, policy, plugins_cmd, db, result, report, results_cmd, waive,
                    known_issue, rerun, reruns, decisions, compose, mr, watch, serve, token,
                    outbox, demo):  # fmt: skip
        cli.add_command(command)
    try:
        Hooks(make_plugin_manager()).add_commands(cli)
    except GatekeeperError as exc:
        fail(exc)
    return cli


def main() -> None:
    build_cli()(prog_name="gatekeeper")
