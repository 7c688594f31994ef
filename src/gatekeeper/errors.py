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


class Conflict(GatekeeperError):
    """The request contradicts what is stored (a result id already used with another body):
    nothing was changed. The API answers 409; the bus consumer drops the message and logs
    the conflict."""


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


class FetchError(GatekeeperError, OSError):
    """A compose's file could not be read over HTTP (after the retries, when retrying made
    sense); an ``OSError`` too, as every other failure to read a file is. The API answers
    503 when :attr:`transient`, else 422; the bus consumer requeues a transient one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the last HTTP status, None for a connection error or timeout

    @property
    def transient(self) -> bool:
        """A later try may work: the server was unreachable, rate-limiting or failing."""
        return self.status is None or self.status == 429 or self.status >= 500


def raise_all(errors: list[GatekeeperError]) -> None:
    """Raise nothing, the only error, or an :class:`ErrorGroup` of all of them."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ErrorGroup(errors)
