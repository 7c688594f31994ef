"""One family of user errors, each with a place.

Every error a user can cause is a :class:`GatekeeperError`. Its text is one line
``file:line: key.path: what is wrong`` (the parts that are known). The CLI prints
that line and exits non-zero; the API returns it as JSON with a 4xx status. Only
bugs keep tracebacks.
"""

from __future__ import annotations

from collections.abc import Iterable


class GatekeeperError(Exception):
    """A located, user-facing error."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.key = key
        super().__init__(self.__str__())

    def __str__(self) -> str:
        place = ""
        if self.file is not None:
            place = self.file if self.line is None else f"{self.file}:{self.line}"
        parts = [p for p in (place, self.key) if p]
        return ": ".join([*parts, self.message])


class ErrorGroup(GatekeeperError):
    """Several located errors found at once (e.g. every error of a policy directory)."""

    def __init__(self, errors: Iterable[GatekeeperError]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(str(e) for e in self.errors))

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


class PolicyError(GatekeeperError):
    """A policy file is malformed or contradicts another one."""


class InputError(GatekeeperError):
    """A results, waivers or other input file is malformed."""


class NoPolicyApplies(GatekeeperError):
    """No policy gates this compose: the gate fails closed."""


class NotFound(GatekeeperError):
    """A compose, merge request or other record does not exist."""


class Unauthorized(GatekeeperError):
    """The acting identity may not do this."""


class ConfigError(GatekeeperError):
    """The configuration is invalid."""


class Unavailable(GatekeeperError):
    """An outside system (the forge, the bus) cannot be reached now: nothing was changed,
    and the same request can be made again later (the bus consumer requeues the message,
    the API answers 503)."""


class StoreRefused(InputError):
    """The database would not store a value of the caller's (a NUL character in text on
    PostgreSQL, a number out of range): nothing was stored."""


class StoreUnavailable(Unavailable):
    """The database cannot be reached now (connection lost, locked too long): nothing was
    changed, and the same request can be made again later."""


def raise_all(errors: list[GatekeeperError]) -> None:
    """Raise nothing, the only error, or an :class:`ErrorGroup` of all of them."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ErrorGroup(errors)
