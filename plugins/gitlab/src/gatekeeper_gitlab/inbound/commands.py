"""Command comments: the command lines of a note.

```
gate: <testcase> <OUTCOME> [<url>] [arch=..] [scenario=..] [variant=..]
gate-waive: <testcase> [arch=..] [scenario=..] [expires=..] [bug=<url>] -- <reason>
/gatekeeper waive <testcase> [arch=..] [scenario=..] [expires=..] [bug=<url>] -- <reason>
/gatekeeper rerun <testcase> [<arch>] [arch=..] [scenario=..] [-- <reason>]
/gatekeeper known-issue <testcase> [arch=..] [scenario=..] [product=<glob>] bug=<url>
                        [expires=..] -- <comment>
```
(the last is one line). ``expires`` is a duration (``3d``, ``12h``) or a time; a rerun of a
passed result needs a reason. One command per line, several per note; other lines are prose
and ignored. ``gate:`` is not a GitLab quick action (those start with ``/``), and GitLab
leaves a line starting with a ``/`` it does not know in the note: nothing else fires.
Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gatekeeper.model import Outcome

# ASCII case only: Unicode case-insensitive matching reads a dotless i (U+0131) as i and a
# Kelvin sign (U+212A) as k, so "gate-wa\u0131ve:" would be a command
_LINE = re.compile(r"^\s*(gate|gate-waive):(.*)$", re.IGNORECASE | re.ASCII)
_SLASH = re.compile(r"^\s*/gatekeeper(?:\s+(\S+))?(.*)$", re.IGNORECASE | re.ASCII)
_TESTCASE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:+/-]*$")
RESULT_KEYS = ("arch", "scenario", "variant")
WAIVE_KEYS = ("arch", "scenario", "expires", "bug")
RERUN_KEYS = ("arch", "scenario")
KNOWN_ISSUE_KEYS = ("arch", "scenario", "product", "bug", "expires")
SLASH_COMMANDS = ("waive", "rerun", "known-issue")


@dataclass(frozen=True, slots=True)
class Command:
    """One command line of a note (``line``: its 1-based number in the note)."""

    line: int
    kind: str  # "result" | "waive" | "rerun" | "known-issue"
    testcase: str
    outcome: Outcome | None = None
    url: str | None = None
    arch: str | None = None
    scenario: str | None = None
    variant: str | None = None
    reason: str | None = None  # a waiver's reason, a rerun's, a known issue's comment
    expires: str | None = None  # as written: a duration (3d) or a time
    bug: str | None = None
    product: str | None = None  # a known issue's product glob (None: the compose's)


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
        try:
            found = _command(number, text)
        except ValueError as exc:
            bad.append(BadLine(number, text.strip(), str(exc)))
            continue
        if found is not None:
            commands.append(found)
    return commands, bad


def _command(number: int, text: str) -> Command | None:
    """The command of one line (None: prose); raises ValueError when it is malformed."""
    found = _LINE.match(text)
    if found is not None:
        if found.group(1).lower() == "gate":
            return _result(number, found.group(2))
        return _waive(number, found.group(2), "gate-waive:")
    slash = _SLASH.match(text)
    if slash is None or (slash.group(2) and not slash.group(2)[0].isspace()):
        return None  # prose, or another word that starts with /gatekeeper
    verb = slash.group(1) or ""
    verb = verb.lower() if verb.isascii() else verb  # str.lower reads a Kelvin sign as k
    rest = slash.group(2)
    if verb == "waive":
        return _waive(number, rest, "/gatekeeper waive")
    if verb == "rerun":
        return _rerun(number, rest)
    if verb == "known-issue":
        return _known_issue(number, rest)
    raise ValueError(f"unknown command /gatekeeper {verb or '(none)'}; known: "
                     f"{', '.join(SLASH_COMMANDS)}")  # fmt: skip


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


def _reason(text: str) -> tuple[str, str | None]:
    """``head -- reason``: the head, and the reason (None when there is no ``--``)."""
    head, sep, reason = text.partition(" -- ")
    if sep:
        return head, reason.strip()
    if text.rstrip().endswith(" --") or text.strip() == "--":
        return text.rstrip()[:-2], ""
    return text, None


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


def _waive(number: int, text: str, name: str) -> Command:
    usage = f"{name} <testcase> [arch=..] [scenario=..] [expires=..] [bug=<url>] -- <reason>"
    head, reason = _reason(text)
    if not reason:
        raise ValueError(f"a waiver needs a reason: {usage}")
    tokens = head.split()
    if not tokens:
        raise ValueError(f"expected: {usage}")
    options, rest = _options(tokens[1:], WAIVE_KEYS)
    if rest:
        raise ValueError(f"unexpected {rest[0]!r} before --")
    return Command(number, "waive", _testcase(tokens[0]), reason=reason,
                   arch=options.get("arch"), scenario=options.get("scenario"),
                   expires=options.get("expires"), bug=options.get("bug"))  # fmt: skip


def _rerun(number: int, text: str) -> Command:
    head, reason = _reason(text)
    tokens = head.split()
    if not tokens:
        raise ValueError("expected: /gatekeeper rerun <testcase> [<arch>] [scenario=..] "
                         "[-- <reason>]")  # fmt: skip
    options, rest = _options(tokens[1:], RERUN_KEYS)
    arch = options.get("arch")
    if rest:
        if len(rest) > 1 or arch is not None or rest[0].startswith(("http://", "https://")):
            raise ValueError(f"unexpected {rest[-1]!r}: give the arch once, then -- <reason>")
        arch = rest[0]
    if reason == "":
        raise ValueError("nothing after --: give the reason, or leave out the --")
    return Command(number, "rerun", _testcase(tokens[0]), arch=arch,
                   scenario=options.get("scenario"), reason=reason)  # fmt: skip


def _known_issue(number: int, text: str) -> Command:
    usage = ("/gatekeeper known-issue <testcase> [arch=..] [scenario=..] [product=<glob>] "
             "bug=<url> [expires=..] -- <comment>")  # fmt: skip
    head, comment = _reason(text)
    if not comment:
        raise ValueError(f"a known issue needs a comment: {usage}")
    tokens = head.split()
    if not tokens:
        raise ValueError(f"expected: {usage}")
    options, rest = _options(tokens[1:], KNOWN_ISSUE_KEYS)
    if rest:
        raise ValueError(f"unexpected {rest[0]!r} before --")
    if "bug" not in options:
        raise ValueError(f"a known issue needs bug=<url> of the bug tracking it: {usage}")
    return Command(number, "known-issue", _testcase(tokens[0]), reason=comment,
                   arch=options.get("arch"), scenario=options.get("scenario"),
                   expires=options.get("expires"), bug=options["bug"],
                   product=options.get("product"))  # fmt: skip
