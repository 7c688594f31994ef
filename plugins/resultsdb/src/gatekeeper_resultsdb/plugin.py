"""The hooks of gatekeeper-resultsdb (entry point ``resultsdb`` in the group ``gatekeeper``).

- ``gatekeeper_pull_results``: the compose's results from the configured ResultsDB;
- ``gatekeeper_compose_proposed``: a pull as soon as a compose's merge request is open;
- ``gatekeeper_add_commands``: ``gatekeeper resultsdb pull``.

Without ``[resultsdb] url`` every hook does nothing.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from gatekeeper import hookimpl
from gatekeeper.model import Compose, Result
from gatekeeper_resultsdb.mapping import ResultsDBError
from gatekeeper_resultsdb.settings import ResultsDBSettings

if TYPE_CHECKING:
    import click

    from gatekeeper.model import MergeRequest
    from gatekeeper.service import Gatekeeper

log = logging.getLogger("gatekeeper_resultsdb")


@hookimpl
def gatekeeper_pull_results(app: Gatekeeper, compose: Compose) -> list[Result] | None:
    """Every result ResultsDB holds for ``compose`` (the core keeps those a team owns)."""
    settings = ResultsDBSettings.from_settings(app.settings)
    if settings is None:
        return None
    from gatekeeper_resultsdb.client import pull

    return pull(settings, compose.id)


@hookimpl
def gatekeeper_compose_proposed(
    app: Gatekeeper, compose: Compose, merge_request: MergeRequest
) -> None:
    """Pull once when a compose is announced with its MR. ResultsDB being down is logged,
    not raised: the import stands, and the schedule pulls again."""
    if ResultsDBSettings.from_settings(app.settings) is None:
        return
    try:
        report = app.pull_results(compose.id)
    except ResultsDBError as exc:
        log.warning("pull of %s on announcement failed: %s", compose.id, exc)
        return
    if report is not None:
        log.info("%s: pulled %d new results from ResultsDB", compose.id, len(report.stored))


@hookimpl
def gatekeeper_add_commands(cli: click.Group) -> None:
    from gatekeeper_resultsdb.cli import resultsdb

    cli.add_command(resultsdb)
