"""Results and waivers files, as the offline CLI reads them, with located errors.

Results: a JSON array, or JSON Lines (one object per line). Waivers: a JSON array.
Every problem is reported as ``file:line: [index].key: what is wrong``, all of a
file's problems at once, and nothing is returned unless the whole file is good.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from gatekeeper.errors import GatekeeperError, InputError, raise_all
from gatekeeper.model import Outcome, Result, Waiver
from gatekeeper.timeutil import parse_time

MAX_FILE_BYTES = 256 * 1024 * 1024
"""The largest input file read (results, waivers, policies, package lists)."""

RESULT_FIELDS = {
    "id",
    "compose",
    "testcase",
    "outcome",
    "scenario",
    "arch",
    "variant",
    "ref_url",
    "note",
    "submit_time",
    "data",
}
WAIVER_FIELDS = {
    "id",
    "compose",
    "testcase",
    "scenario",
    "arch",
    "waived",
    "comment",
    "username",
    "time",
}
_OPTIONAL_TEXT = ("scenario", "arch", "variant", "ref_url", "note")


def _no_constant(word: str) -> Any:
    raise ValueError(f"{word} is not a JSON number")


_decoder = json.JSONDecoder(parse_constant=_no_constant)  # NaN and Infinity are not JSON


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


class _Lines:
    """Line numbers of ascending positions in one text, counted incrementally (linear)."""

    def __init__(self, text: str) -> None:
        self.text, self.pos, self.line = text, 0, 1

    def at(self, pos: int) -> int:
        if pos < self.pos:
            return _line_of(self.text, pos)
        self.line += self.text.count("\n", self.pos, pos)
        self.pos = pos
        return self.line


def _json_error(name: str, text: str, exc: json.JSONDecodeError, base: int = 0) -> InputError:
    return InputError(f"malformed JSON: {exc.msg}", file=name, line=_line_of(text, base + exc.pos))


_TOO_DEEP = "malformed JSON: arrays and objects nested too deep to read"


def _number_error(exc: ValueError) -> str:
    return f"a number JSON readers cannot hold ({str(exc).split(';')[0]})"


def iter_json_items(text: str, name: str) -> Iterator[tuple[int, int, Any]]:
    """Yield (index, line, value) of a JSON array's items or of JSON Lines."""
    start = len(text) - len(text.lstrip())
    if start == len(text):
        raise InputError("empty file: expected a JSON array or JSON Lines", file=name)
    if text[start] != "[":
        for number, raw in enumerate(text.splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                value = _decoder.decode(raw)
            except json.JSONDecodeError as exc:
                raise InputError(f"malformed JSON: {exc.msg}", file=name, line=number) from None
            except ValueError as exc:  # an integer of more digits than Python converts
                raise InputError(_number_error(exc), file=name, line=number) from None
            except RecursionError:
                raise InputError(_TOO_DEEP, file=name, line=number) from None
            yield number - 1, number, value
        return
    pos, index = start + 1, 0
    lines = _Lines(text)
    while True:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if pos < len(text) and text[pos] == "]" and index == 0:
            pos += 1
            break
        try:
            value, end = _decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise _json_error(name, text, exc) from None
        except ValueError as exc:  # an integer of more digits than Python converts
            raise InputError(_number_error(exc), file=name, line=lines.at(pos)) from None
        except RecursionError:
            raise InputError(_TOO_DEEP, file=name, line=lines.at(pos)) from None
        yield index, lines.at(pos), value
        index += 1
        pos = end
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if pos < len(text) and text[pos] == ",":
            pos += 1
            continue
        if pos < len(text) and text[pos] == "]":
            pos += 1
            break
        raise InputError("malformed JSON: expected ',' or ']'", file=name, line=_line_of(text, pos))
    if text[pos:].strip():
        raise InputError(
            "malformed JSON: extra data after the array", file=name, line=_line_of(text, pos)
        )


class _Item:
    """One object of an input file, and the errors found in it."""

    def __init__(
        self,
        name: str,
        line: int,
        index: int,
        value: Any,
        errors: list[GatekeeperError],
        fields: set[str],
    ) -> None:
        self.name, self.line, self.index, self.errors = name, line, index, errors
        self.value: Mapping[str, Any] = value if isinstance(value, dict) else {}
        if not isinstance(value, dict):
            self.fail("", f"expected an object, got {type(value).__name__}")
        for key in sorted(set(self.value) - fields):
            self.fail(key, f"unknown key; expected one of: {', '.join(sorted(fields))}")

    def fail(self, key: str, message: str) -> None:
        path = f"[{self.index}]" + (f".{key}" if key else "")
        self.errors.append(InputError(message, file=self.name, line=self.line, key=path))

    def text(self, key: str, *, required: bool = False) -> str | None:
        value = self.value.get(key)
        if value is None:
            if required:
                self.fail(key, "missing; it is required")
            return None
        if key == "id" and not isinstance(value, str):  # an integer, as its digits
            if isinstance(value, int) and not isinstance(value, bool):
                return str(value)
            self.fail(key, f"expected a string or an integer, got {json.dumps(value)}")
            return None
        if not isinstance(value, str) or (required and not value.strip()):
            self.fail(key, f"expected a non-empty string, got {json.dumps(value)}")
            return None
        return value

    def time(self, key: str, default: datetime) -> datetime:
        value = self.value.get(key)
        if value is None:
            return default
        try:
            return parse_time(value)
        except ValueError as exc:
            self.fail(key, str(exc))
            return default


def parse_results(
    text: str, name: str, compose: str, default_time: datetime, *, others: str = "skip"
) -> list[Result]:
    """All results of a file for ``compose``, or a located error. A result naming another
    compose is skipped (``others="skip"``: a file of several composes) or is an error
    (``others="refuse"``: an upload to one compose)."""
    errors: list[GatekeeperError] = []
    results: list[Result] = []
    for index, line, value in iter_json_items(text, name):
        item = _Item(name, line, index, value, errors, RESULT_FIELDS)
        testcase = item.text("testcase", required=True)
        raw_outcome = item.value.get("outcome")
        outcome = None
        if raw_outcome is None:
            item.fail("outcome", "missing; it is required")
        else:
            try:
                outcome = Outcome.parse(raw_outcome)
            except ValueError as exc:
                item.fail("outcome", str(exc))
        data = item.value.get("data", {})
        if not isinstance(data, dict):
            item.fail("data", f"expected an object, got {json.dumps(data)}")
            data = {}
        optional = {key: item.text(key) for key in _OPTIONAL_TEXT}
        result_id = item.text("id")
        owner = item.text("compose") or compose
        if owner != compose and others == "refuse":
            item.fail("compose", f"names compose {owner!r}, not {compose} (the URL's)")
        submit_time = item.time("submit_time", default_time)
        if testcase is None or outcome is None or owner != compose:
            continue
        results.append(
            Result(
                compose=compose,
                testcase=testcase,
                outcome=outcome,
                submit_time=submit_time,
                id=result_id,
                data=data,
                **optional,
            )
        )
    raise_all(errors)
    return results


def parse_waivers(text: str, name: str, compose: str, default_time: datetime) -> list[Waiver]:
    """All waivers of a JSON array for ``compose``, or a located error."""
    errors: list[GatekeeperError] = []
    if not text.lstrip().startswith("["):
        raise InputError("expected a JSON array of waivers", file=name, line=1)
    waivers: list[Waiver] = []
    for index, line, value in iter_json_items(text, name):
        item = _Item(name, line, index, value, errors, WAIVER_FIELDS)
        waiver_id = item.text("id", required=True)
        testcase = item.text("testcase", required=True)
        waived = item.value.get("waived", True)
        if not isinstance(waived, bool):
            item.fail("waived", f"expected true or false, got {json.dumps(waived)}")
        owner = item.text("compose") or compose
        fields = {key: item.text(key)
                  for key in ("scenario", "arch", "comment", "username", "bug")}  # fmt: skip
        time = item.time("time", default_time)
        expires = None if item.value.get("expires") is None else item.time("expires", time)
        if waiver_id is None or testcase is None or owner != compose:
            continue
        waivers.append(
            Waiver(
                id=waiver_id,
                compose=compose,
                testcase=testcase,
                time=time,
                waived=bool(waived),
                expires=expires,
                **fields,
            )
        )
    raise_all(errors)
    return waivers


def read_text(path: str | Path, *, limit: int = MAX_FILE_BYTES) -> str:
    """A UTF-8 input file, or a located error (missing, unreadable, too large, not text:
    the line of the first byte that is not UTF-8)."""
    name = str(path)
    try:
        with open(path, "rb") as handle:
            if os.fstat(handle.fileno()).st_size > limit:  # known before reading a byte
                raise InputError(f"file is over the {limit}-byte limit", file=name)
            data = handle.read(limit + 1)  # a pipe or a growing file: bounded all the same
    except FileNotFoundError:
        raise InputError("no such file", file=name) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=name) from None
    if len(data) > limit:
        raise InputError(f"file is over the {limit}-byte limit", file=name)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        reason = f"not UTF-8 text: {exc.reason} at byte {exc.start}; save the file as UTF-8"
        raise InputError(reason, file=name, line=line) from None
