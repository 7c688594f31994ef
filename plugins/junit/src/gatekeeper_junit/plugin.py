"""The ``junit`` plugin: the ``junit`` result format and ``gatekeeper report junit``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import click

from gatekeeper import hookimpl
from gatekeeper.errors import ConfigError
from gatekeeper.model import Result
from gatekeeper_junit import CALLER_OPTIONS


class _Parser:
    """The ``junit`` format (its parser, and the XML reader, loaded when first used).

    ``caller_options`` are the options the caller of an upload may give (the HTTP API's
    query options), for the API to check and to name in its errors."""

    caller_options = CALLER_OPTIONS

    def __call__(self, data: bytes, *, compose: str, options: Mapping[str, Any]) -> list[Result]:
        from gatekeeper_junit.parse import parse

        return parse(data, compose=compose, options=options)


@hookimpl
def gatekeeper_register_result_formats() -> Mapping[str, Callable[..., Any]]:
    return {"junit": _Parser()}


@hookimpl
def gatekeeper_add_commands(cli: click.Group) -> None:
    from gatekeeper_junit.cli import junit

    report = cli.commands.get("report")
    if not isinstance(report, click.Group):
        raise ConfigError("the junit plugin needs the core's `gatekeeper report` group")
    report.add_command(junit)
