"""What the CLI's command modules share: state, error handling, output, option parsing."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from gatekeeper.config import Settings, load_settings
from gatekeeper.errors import ErrorGroup, GatekeeperError, InputError
from gatekeeper.timeutil import format_time, parse_time

if TYPE_CHECKING:
    from rich.console import Console

    from gatekeeper.service import Actor, Gatekeeper

F = TypeVar("F", bound=Callable[..., Any])


def fail(error: GatekeeperError) -> NoReturn:
    errors = error.errors if isinstance(error, ErrorGroup) else [error]
    for item in errors:
        click.echo(f"error: {item}", err=True)
    sys.exit(error.exit_code)


def located(func: F) -> F:
    """Turn GatekeeperError into its one-line messages and exit status 2."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except GatekeeperError as exc:
            fail(exc)

    return wrapper  # type: ignore[return-value]


class ComposeIdType(click.ParamType[str, str]):
    """A compose id argument, checked against the one grammar (:class:`ComposeId`) before
    anything is opened: another text is bad usage (exit 2), whichever command takes it."""

    name = "compose_id"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from gatekeeper.model import ComposeId

        try:
            return ComposeId.parse(value).id
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


COMPOSE_ID = ComposeIdType()


class State:
    """What commands share: settings, and the application when a command needs the store."""

    def __init__(self, config: str | None) -> None:
        self.config = config
        self._settings: Settings | None = None
        self._app: Gatekeeper | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config)
        return self._settings

    def actor(self, name: str | None) -> Actor:
        """Who a command acts as: the named identity, or the local operator."""
        from gatekeeper.service import Actor

        return self.app().actor(name) if name else Actor.local_operator()

    def app(self) -> Gatekeeper:
        if self._app is None:
            from gatekeeper.service import Gatekeeper

            self._app = Gatekeeper(self.settings)
            self._app.start()
        return self._app


def console(*, stderr: bool = False) -> Console:
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr, soft_wrap=False, width=None if stream.isatty() else 160)


LATEST_TIME = datetime(9000, 1, 1, tzinfo=UTC)
"""The latest time an option takes (``--now``, ``--announced``, ``--at``): deadlines and
expiries counted from it stay within the calendar (year 9999)."""


def _time(value: str | None, what: str) -> datetime | None:
    if value is None:
        return None
    try:
        when = parse_time(value)
    except ValueError as exc:
        raise InputError(str(exc), key=what) from None
    if when >= LATEST_TIME:
        raise InputError(
            f"{value!r} is not before {format_time(LATEST_TIME)}: a deadline counted from it "
            "would pass the end of the calendar",
            key=what,
        )
    return when


def reporter_option(func: F) -> F:
    """``--reporter NAME``: report as this identity (its team's ownership is enforced);
    without it, as the local operator."""
    return click.option(
        "--reporter",
        help="Report as this identity (default: the local operator).",
    )(func)


def print_report(compose_id: str, report: Any) -> None:
    click.echo(
        f"{compose_id}: {len(report.stored)} stored, {report.duplicates} already known; "
        f"verdict {report.decision.verdict}: {report.decision.summary}"
    )
