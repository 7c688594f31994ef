"""What any report must satisfy before anything of it is stored: the limits of
:mod:`gatekeeper.limits`, text that is Unicode, and a submit time no later than the
server's clock allows.

The service checks every report here, whichever door it came through (the API, the CLI, a
parser plugin, the bus, the forge), so what a parser expanded an input into (YAML aliases,
a template) is bounded too. Every problem is a located :class:`InputError`
(``[index].key: what is wrong``); at most :data:`MAX_LISTED` are listed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from gatekeeper.errors import GatekeeperError, InputError, raise_all
from gatekeeper.limits import (
    MAX_DATA_BYTES,
    MAX_DATA_DEPTH,
    MAX_DATA_INTEGER,
    MAX_ID_CHARS,
    MAX_NAME_CHARS,
    MAX_REPORT_BYTES,
    MAX_REPORT_RESULTS,
    MAX_TEXT_CHARS,
    MAX_URL_CHARS,
)
from gatekeeper.model import Result
from gatekeeper.timeutil import format_duration, format_time

MAX_LISTED = 20
"""Problems listed in one error; the rest are counted."""


def text_problem(value: str, limit: int) -> str | None:
    """Why ``value`` cannot be stored as text of at most ``limit`` characters, or None."""
    if len(value) > limit:
        return f"is {len(value):,} characters long; at most {limit:,} are taken"
    if "\x00" in value:
        return f"holds a NUL character (at character {value.index(chr(0))})"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            code = ord(value[exc.start])
            return (
                f"holds a lone surrogate (U+{code:04X}) at character {exc.start}, which is "
                "not Unicode text"
            )
    return None


def check_text(value: str | None, limit: int, key: str) -> None:
    """Raise a located error when ``value`` is not storable text of at most ``limit``."""
    if value is not None and (problem := text_problem(value, limit)) is not None:
        raise InputError(problem, key=key)


_LONG_DIGITS = re.compile(r"\d{19,}")  # 2**63 - 1 has 19 digits: a shorter run is within
_LONG_STRING = re.compile(f'[^"]{{{MAX_NAME_CHARS + 1}}}')  # what a key over the limit holds
_dumps = json.JSONEncoder(
    separators=(",", ":"), ensure_ascii=False, allow_nan=False, check_circular=False
).encode


def data_problem(data: Any) -> tuple[str | None, str]:
    """Why a result's ``data`` cannot be stored (or None), and its compact JSON.

    One ``json`` encoding answers most of it (size, NaN, surrogates, NUL); the tree is
    walked only when the text could hold what only a walk can tell (more brackets than
    the depth allows, a run of 19 or more digits, a string long enough to be a key over
    :data:`MAX_NAME_CHARS`: a run of that many characters without a quote, or an escaped
    quote)."""
    try:
        text = _dumps(data)
    except ValueError as exc:  # NaN or infinity; an integer of more digits than Python converts
        return f"holds a number JSON cannot carry ({str(exc).split(';')[0]})", ""
    except TypeError as exc:
        return f"is not JSON: {exc}", ""
    if text.isascii():
        size = len(text)
    else:
        try:
            size = len(text.encode("utf-8"))
        except UnicodeEncodeError as exc:
            return f"holds a lone surrogate at character {exc.start} of its JSON", ""
    if size > MAX_DATA_BYTES:
        return f"is {size:,} bytes as JSON; at most {MAX_DATA_BYTES:,} are taken", text
    if "\\u0000" in text:
        return "holds a NUL character", text
    brackets = text.count("{") + text.count("[")
    long_key = len(text) > MAX_NAME_CHARS and ('\\"' in text or _LONG_STRING.search(text))
    if brackets > MAX_DATA_DEPTH or _LONG_DIGITS.search(text) or long_key:
        problem = _walk(data, 1)
        if problem is not None:
            return problem, text
    return None, text


def _walk(node: Any, depth: int) -> str | None:
    if isinstance(node, dict | list):
        if depth > MAX_DATA_DEPTH:
            return f"nests deeper than {MAX_DATA_DEPTH} levels"
        if isinstance(node, dict):
            for key in node:
                if isinstance(key, str) and len(key) > MAX_NAME_CHARS:
                    return (f"holds a key of {len(key):,} characters; at most "
                            f"{MAX_NAME_CHARS:,} are taken")  # fmt: skip
        values: Iterable[Any] = node.values() if isinstance(node, dict) else node
        for value in values:
            if (problem := _walk(value, depth + 1)) is not None:
                return problem
        return None
    if isinstance(node, int) and not isinstance(node, bool) and abs(node) > MAX_DATA_INTEGER:
        return f"holds an integer beyond the signed 64-bit range (at most {MAX_DATA_INTEGER})"
    return None


def _text_problems(result: Result) -> Iterator[tuple[str, str]]:
    """(key, problem) of each text field of ``result`` that cannot be stored."""
    for name, value, limit in (
        ("id", result.id, MAX_ID_CHARS),
        ("testcase", result.testcase, MAX_NAME_CHARS),
        ("scenario", result.scenario, MAX_NAME_CHARS),
        ("arch", result.arch, MAX_NAME_CHARS),
        ("variant", result.variant, MAX_NAME_CHARS),
        ("ref_url", result.ref_url, MAX_URL_CHARS),
        ("note", result.note, MAX_TEXT_CHARS),
    ):
        if value is not None and (problem := text_problem(value, limit)) is not None:
            yield name, problem


def _plain(texts: tuple[str | None, ...]) -> bool:
    """Whether each text is short ASCII without NUL, as nearly every one is (the quick
    test before :func:`_text_problems` says which is not)."""
    for text in texts:
        if text is not None and (
            len(text) > MAX_NAME_CHARS or not text.isascii() or "\x00" in text
        ):
            return False
    return True


def check_results(results: Sequence[Result], *, now: datetime, skew: timedelta) -> list[str | None]:
    """Every result of one report within the limits, or an error listing what is not.
    Returns each result's ``data`` as compact JSON (None when empty), which the store
    keeps instead of encoding it again."""
    if len(results) > MAX_REPORT_RESULTS:
        raise InputError(
            f"a report holds {len(results):,} results; at most {MAX_REPORT_RESULTS:,} are "
            "taken in one: split it"
        )
    errors: list[GatekeeperError] = []
    encoded: list[str | None] = []
    latest = now + skew
    total = 0
    for index, result in enumerate(results):
        texts = (result.id, result.testcase, result.scenario, result.arch, result.variant,
                 result.ref_url, result.note)  # fmt: skip
        if not _plain(texts):
            errors += (InputError(problem, key=f"[{index}].{name}")
                       for name, problem in _text_problems(result))  # fmt: skip
        total += sum(len(text) for text in texts if text is not None)
        if result.data:
            problem, text = data_problem(result.data)
            encoded.append(text)
            total += len(text)
            if problem is not None:
                errors.append(InputError(problem, key=f"[{index}].data"))
        else:
            encoded.append(None)
        if result.submit_time > latest:
            errors.append(
                InputError(
                    f"{format_time(result.submit_time)} is more than "
                    f"{format_duration(skew)} ahead of the server's clock "
                    f"({format_time(now)}); a result from the future would outrank every "
                    "later one",
                    key=f"[{index}].submit_time",
                )
            )
        if len(errors) > MAX_LISTED:
            break
    if len(errors) > MAX_LISTED:
        errors = [*errors[:MAX_LISTED], InputError("and more problems like these; fix these first")]
    raise_all(errors)
    if total > MAX_REPORT_BYTES:
        raise InputError(
            f"a report would store {total:,} bytes of text and data; at most "
            f"{MAX_REPORT_BYTES:,} are taken in one: split it"
        )
    return encoded
