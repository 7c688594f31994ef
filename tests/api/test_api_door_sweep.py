"""Every field of every write path, over real HTTP on SQLite and PostgreSQL, given what an
outsider sends: a lone surrogate, a NUL, 10,000 and 100,000 characters, an integer of 5,000
digits, 1e400, JSON nested 10,000 deep, a number for a string; and every time field given
offsets, naive times, epoch numbers, the year 9999 and 10000, leap seconds, durations. Each
refused value is a 4xx that changes nothing; no value is ever a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from apihelpers import API, CID, Tokens

from gatekeeper.service import Gatekeeper
from gatekeeper.testing import serving

BIG, DEEP = "9" * 5000, "[" * 10_000 + "]" * 10_000
VARIANTS: dict[str, Any] = {
    "lone-surrogate": "C\ud800",
    "nul": "a\x00b",
    "10k": "x" * 10_000,
    "100k": "x" * 100_000,
    "int-of-5000-digits": ("raw", BIG),
    "1e400": ("raw", "1e400"),
    "nested-10000": ("raw", DEEP),
    "number": 12345,
}
LONG_TEXT = {"10k"}  # within a note's, a comment's or a reason's 65,536 characters
TIMES: list[Any] = [
    "+14:00", "2026-11-24T05:00:00+14:00", "2026-11-24T05:00:00-12:00", "2026-11-24T05:00:00",
    "2026-11-24", 1795000000000, "1795000000000", "9999-12-31", "9999-12-31T23:59:59Z",
    "10000-01-01T00:00:00Z", "2016-12-31T23:59:60Z", -1, 0, 1e308, ("raw", BIG),
    "99999999999d", "-3d", "0d", "3d", "99999999999999999999999999999d", "2026-W48-2",
    "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "P3D", "nan", ("raw", "1e400"),
]  # fmt: skip


# (who, path, valid body, {field path: variants it takes}, time fields)
Field = tuple[str | int, ...]
ROUTES: dict[str, tuple[str | None, str, Any, dict[Field, set[str]], list[Field]]] = {
    "results": (
        "rdo", f"{API}/composes/{CID}/results",
        [{"testcase": "rdo.smoke", "outcome": "PASSED", "id": "r", "compose": CID,
          "scenario": "s", "arch": "x86_64", "variant": "v", "ref_url": "https://x/",
          "note": "n", "submit_time": "2026-11-24T05:00:00Z", "data": {"k": "v"}}],
        {(0, "testcase"): set(), (0, "outcome"): set(), (0, "id"): {"number"},
         (0, "compose"): set(), (0, "scenario"): set(), (0, "arch"): set(),
         (0, "variant"): set(), (0, "ref_url"): set(), (0, "note"): LONG_TEXT,
         (0, "submit_time"): {"number"}, (0, "data", "k"): {"10k", "number"}},
        [(0, "submit_time")],
    ),
    "resultsdb": (
        "rdo", "/api/v2.0/results",
        {"outcome": "PASSED", "testcase": {"name": "rdo.smoke", "ref_url": "https://t/"},
         "groups": ["g"], "note": "n", "ref_url": "https://x/",
         "submit_time": "2026-11-24T05:00:00Z",
         "data": {"productmd.compose.id": CID, "scenario": "s", "system_architecture": "x86_64",
                  "k": "v"}},
        {("outcome",): set(), ("testcase", "name"): set(), ("testcase", "ref_url"): set(),
         ("groups", 0): set(), ("note",): LONG_TEXT, ("ref_url",): set(),
         ("submit_time",): {"number"}, ("data", "productmd.compose.id"): set(),
         ("data", "scenario"): {"number"}, ("data", "system_architecture"): {"number"},
         ("data", "k"): {"10k", "number"}},
        [("submit_time",)],
    ),
    "waiverdb": (
        "admin", "/api/v1.0/waivers/",
        {"subject_type": "compose", "subject_identifier": CID, "testcase": "rdo.smoke",
         "comment": "c", "scenario": "s", "product_version": "centos-stream-9",
         "username": "releng", "expires": "3d", "bug": "https://b/1"},
        {("subject_type",): set(), ("subject_identifier",): set(), ("testcase",): set(),
         ("comment",): LONG_TEXT, ("scenario",): set(), ("product_version",): set(),
         ("username",): set(), ("expires",): set(), ("bug",): set()},
        [("expires",)],
    ),
    "waivers": (
        "admin", f"{API}/composes/{CID}/waivers",
        {"testcase": "rdo.smoke", "comment": "c", "scenario": "s", "arch": "x86_64",
         "expires": "3d", "bug": "https://b/1"},
        {("testcase",): set(), ("comment",): LONG_TEXT, ("scenario",): set(), ("arch",): set(),
         ("expires",): set(), ("bug",): set()},
        [("expires",)],
    ),
    "revoke": (
        "admin", f"{API}/composes/{CID}/waivers/revoke",
        {"testcase": "rdo.smoke", "comment": "c", "scenario": "s", "arch": "x86_64"},
        {("testcase",): set(), ("comment",): LONG_TEXT, ("scenario",): set(), ("arch",): set()},
        [],
    ),
    "known-issues": (
        "admin", f"{API}/known-issues",
        {"product": "CentOS-Stream-*", "testcase": "rdo.smoke", "bug": "https://b/1",
         "comment": "c", "expires": "3d", "arch": "x86_64", "scenario": "s"},
        {("product",): set(), ("testcase",): set(), ("bug",): set(), ("comment",): LONG_TEXT,
         ("expires",): set(), ("arch",): set(), ("scenario",): set()},
        [("expires",)],
    ),
    "reruns": (
        "rdo", f"{API}/composes/{CID}/reruns",
        {"testcase": "rdo.smoke", "arch": "x86_64", "scenario": "s", "reason": "r"},
        {("testcase",): set(), ("arch",): set(), ("scenario",): set(), ("reason",): LONG_TEXT},
        [],
    ),
    "announce": ("admin", f"{API}/composes", {"location": "/nonexistent"},
                 {("location",): set()}, []),
    "greenwave": (
        None, "/api/v1.0/decision",
        {"subject_type": "compose", "subject_identifier": CID, "decision_context": "x",
         "product_version": "centos-stream-9", "ignore_result": ["1"]},
        {("subject_type",): set(), ("subject_identifier",): set(),
         ("decision_context",): set(), ("product_version",): set(),
         ("ignore_result", 0): {"number"}},
        [("when",)],
    ),
}  # fmt: skip


def with_value(body: Any, field: Field, value: Any) -> bytes:
    """``body`` as JSON with ``field`` set to ``value`` (``("raw", text)``: written as is)."""
    copy = json.loads(json.dumps(body))
    node = copy
    for part in field[:-1]:
        node = node[part]
    raw = isinstance(value, tuple)
    node[field[-1]] = "@@" if raw else value
    text = json.dumps(copy)
    return (text.replace('"@@"', value[1]) if raw else text).encode()


def counts(app: Gatekeeper) -> dict[str, int]:
    with app.store.transaction(readonly=True) as tx:
        conn: Any = tx._conn
        return {t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar()
                for t in ("results", "waivers", "known_issues", "rerun_requests")}  # fmt: skip


@pytest.fixture
def post(app: Gatekeeper, tokens: Tokens) -> Iterator[Any]:
    with serving(app) as base, httpx.Client(base_url=base, timeout=120) as client:

        def send(who: str | None, path: str, data: bytes) -> httpx.Response:
            headers = {"Content-Type": "application/json"}
            if who is not None:
                headers.update(tokens.auth(who))
            return client.post(path, content=data, headers=headers)

        yield send


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_every_field_refuses_what_it_cannot_hold_and_stores_nothing(
    post: Any, app: Gatekeeper, route: str
) -> None:
    who, path, body, fields, _times = ROUTES[route]
    before = counts(app)
    for field, takes in fields.items():
        for name, value in VARIANTS.items():
            if name in takes:
                continue
            response = post(who, path, with_value(body, field, value))
            where = f"{route} {'.'.join(map(str, field))}={name}"
            assert 400 <= response.status_code < 500, f"{where}: {response.text[:300]}"
            assert counts(app) == before, where
    assert post(who, path, json.dumps(body).encode()).status_code < 500  # the valid body


@pytest.mark.parametrize("route", sorted(r for r in ROUTES if ROUTES[r][4]))
def test_no_time_anyone_writes_is_a_500(post: Any, app: Gatekeeper, route: str) -> None:
    who, path, body, _fields, times = ROUTES[route]
    for field in times:
        for value in TIMES:
            response = post(who, path, with_value(body, field, value))
            assert response.status_code < 500, f"{route} {field}={value!r}: {response.text}"
