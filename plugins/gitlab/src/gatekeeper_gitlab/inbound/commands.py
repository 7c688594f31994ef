"""Command comments: ``gate:`` result lines and ``gate-waive:`` waiver lines of a note.

```
gate: <testcase> <OUTCOME> [<url>] [arch=..] [scenario=..] [variant=..]
gate-waive: <testcase> [arch=..] [scenario=..] -- <reason>
```
One command per line, several per note; other lines are prose and ignored. ``gate:`` is not a
GitLab quick action (those start with ``/``), so nothing else fires. Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gatekeeper.model import Outcome

_LINE = re.compile(r"^\s*(gate|gate-waive):(.*)$", re.IGNORECASE)
_TESTCASE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:+/-]*$")
RESULT_KEYS = ("arch", "scenario", "variant")
WAIVE_KEYS = ("arch", "scenario")


@dataclass(frozen=True, slots=True)
class Command:
    """One command line of a note (``line``: its 1-based number in the note)."""

    line: int
    kind: str  # "result" | "waive"
    testcase: str
    outcome: Outcome | None = None
    url: str | None = None
    arch: str | None = None
    scenario: str | None = None
    variant: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class BadLine:
    """A command line that cannot be read, and why."""

    line: int
    text: str
    error: str


def parse_note(body: str) -> tuple[list[Command], list[BadLine]]:
    """The commands of a note body, and the command lines that are malformed."""
    commands: list[Command] = []
    bad: list[BadLine] = []
    for number, text in enumerate(body.splitlines(), start=1):
        found = _LINE.match(text)
        if found is None:
            continue
        try:
            if found.group(1).lower() == "gate":
                commands.append(_result(number, found.group(2)))
            else:
                commands.append(_waive(number, found.group(2)))
        except ValueError as exc:
            bad.append(BadLine(number, text.strip(), str(exc)))
    return commands, bad


def _options(tokens: list[str], allowed: tuple[str, ...]) -> tuple[dict[str, str], list[str]]:
    options: dict[str, str] = {}
    rest: list[str] = []
    for token in tokens:
        key, eq, value = token.partition("=")
        if eq and key in allowed:
            if not value:
                raise ValueError(f"{key}= needs a value")
            if key in options:
                raise ValueError(f"{key}= is given twice")
            options[key] = value
        elif eq and not token.startswith(("http://", "https://")):
            raise ValueError(f"unknown option {key}=; known: {', '.join(allowed)}")
        else:
            rest.append(token)
    return options, rest


def _testcase(value: str) -> str:
    if not _TESTCASE.match(value):
        raise ValueError(f"{value!r} is not a testcase name")
    return value


def _result(number: int, text: str) -> Command:
    tokens = text.split()
    if len(tokens) < 2:
        raise ValueError("expected: gate: <testcase> <OUTCOME> [<url>] [arch=..] [scenario=..]")
    testcase = _testcase(tokens[0])
    outcome = Outcome.parse(tokens[1])
    options, rest = _options(tokens[2:], RESULT_KEYS)
    url = None
    for token in rest:
        if not token.startswith(("http://", "https://")) or url is not None:
            raise ValueError(f"unexpected {token!r}: give at most one http(s) URL and key=value")
        url = token
    return Command(number, "result", testcase, outcome=outcome, url=url,
                   arch=options.get("arch"), scenario=options.get("scenario"),
                   variant=options.get("variant"))  # fmt: skip


def _waive(number: int, text: str) -> Command:
    head, sep, reason = text.partition(" -- ")
    if not sep and text.rstrip().endswith(" --"):
        head, reason = text.rstrip()[:-3], ""
    if not reason.strip():
        raise ValueError("a waiver needs a reason: gate-waive: <testcase> [arch=..] -- <reason>")
    tokens = head.split()
    if not tokens:
        raise ValueError("expected: gate-waive: <testcase> [arch=..] [scenario=..] -- <reason>")
    options, rest = _options(tokens[1:], WAIVE_KEYS)
    if rest:
        raise ValueError(f"unexpected {rest[0]!r} before --")
    return Command(number, "waive", _testcase(tokens[0]), reason=reason.strip(),
                   arch=options.get("arch"), scenario=options.get("scenario"))  # fmt: skip
