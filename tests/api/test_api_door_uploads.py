"""The uploads' variants of amplification and hostile input, over real HTTP on SQLite and
PostgreSQL: tmt ``results.yaml`` (aliases in scalars and mappings, merge keys, a recursive
alias, billion laughs, integers no result holds, times out of the calendar, ``log_url``
templates) and JUnit XML (repeated testcases, huge attributes, deep nesting). What is
refused is a located 4xx that stores nothing; what is taken is stored within the limits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from apihelpers import API, CID, Tokens

from gatekeeper.limits import MAX_DATA_BYTES, MAX_TEXT_CHARS, MAX_URL_CHARS
from gatekeeper.service import Gatekeeper
from gatekeeper.testing import serving

RESULTS = f"{API}/composes/{CID}/results"
ONE = "- name: /tests/a\n  result: pass\n  serial-number: 1\n"
LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(8)
)
LONG = "y" * 60_000


def tmt_item(**extra: str) -> str:
    return ONE + "".join(f"  {key}: {value}\n" for key, value in extra.items())


TMT_REFUSED: dict[str, tuple[str, dict[str, str]]] = {
    "recursive-alias": ("- &r\n  name: /tests/a\n  result: pass\n  serial-number: 1\n"
                        "  check: [*r]\n", {}),
    "recursive-merge-key": ("- &m\n  name: /tests/a\n  result: pass\n  serial-number: 1\n"
                            "  <<: *m\n", {}),
    "billion-laughs": (LAUGHS, {}),
    "aliased-note": (tmt_item(x=f"&s {LONG}", note="[" + ", ".join(["*s"] * 10) + "]"), {}),
    "aliased-name": (f"- name: &s /{LONG}\n  result: pass\n  serial-number: 1\n"
                     "- name: *s\n  result: pass\n  serial-number: 2\n", {}),
    "serial-of-5000-digits": (ONE.replace("serial-number: 1", "serial-number: " + "9" * 5000),
                              {}),
    "serial-beyond-64-bits": (ONE.replace("serial-number: 1", "serial-number: 0x" + "f" * 40),
                              {}),
    "duration-of-5000-digits": (tmt_item(duration="9" * 5000), {}),
    "end-time-of-5000-digits": (tmt_item(**{"end-time": "9" * 5000}), {}),
    "start-time-out-of-the-calendar": (tmt_item(**{"start-time": "'0001-01-01T00:00:00+14:00'"}),
                                       {}),
    "end-time-out-of-the-calendar": (tmt_item(**{"end-time": "'9999-12-31T23:59:59-12:00'"}),
                                     {}),
    "end-time-in-the-future": (tmt_item(**{"end-time": "'9999-12-31T00:00:00Z'"}), {}),
    "nul-in-a-name": ('- name: "/tests/a\\0"\n  result: pass\n  serial-number: 1\n', {}),
    "surrogate-escape": (tmt_item(note='["a\\ud800"]'), {}),
    "nested-10000": (tmt_item(x="[" * 10_000 + "]" * 10_000), {}),
    "an-integer-key": (tmt_item(**{"1": "2"}), {}),
    "a-python-tag": ("- name: !!python/object/apply:os.system [true]\n  result: pass\n"
                     "  serial-number: 1\n", {}),
    "not-utf-8": ("- name: /tests/\udcff\n  result: pass\n  serial-number: 1\n", {}),
    "two-documents": (ONE + "---\n" + ONE, {}),
    "attribute-placeholder": (ONE, {"log_url": "https://x/{compose.__class__}"}),
    "positional-placeholder": (ONE, {"log_url": "https://x/{0}"}),
    "index-placeholder": (ONE, {"log_url": "https://x/{compose[0]}"}),
    "nested-spec": (ONE, {"log_url": "https://x/{compose:{run}}"}),
    "padding-spec": (ONE, {"log_url": "{compose!r:>99999999}"}),
    "lone-brace": (ONE, {"log_url": "https://x/{"}),
    "empty-placeholder": (ONE, {"log_url": "https://x/{}"}),
    "template-past-the-url-limit": (ONE, {"log_url": "https://x/" + "{testcase}" * 500}),
    "namespace-past-the-name-limit": (ONE, {"namespace": "rdo." + "n" * 10_000}),
    "a-setting-not-a-label": (ONE, {"max_bytes": "1"}),
}  # fmt: skip
TMT_TAKEN = {
    "aliased-scalar": "- name: &n /tests/a\n  result: pass\n  serial-number: 1\n"
                      "- name: *n\n  result: pass\n  serial-number: 2\n",
    "aliased-mapping": "- &m {name: /tests/a, result: pass, serial-number: 1}\n"
                       "- <<: *m\n  serial-number: 2\n",
    "escaped-braces": ONE,
}  # fmt: skip

JU = '<testsuite name="s">{}</testsuite>'
JUNIT_REFUSED: dict[str, tuple[str, dict[str, str]]] = {
    "huge-name": (JU.format(f'<testcase classname="c" name="{"n" * 100_000}"/>'), {}),
    "huge-classname": (JU.format(f'<testcase classname="{"c" * 100_000}" name="x"/>'), {}),
    "huge-arch-property": ('<testsuite name="s"><properties><property name="arch" value="'
                           + "a" * 10_000 + '"/></properties><testcase classname="c" name="x"/>'
                           "</testsuite>", {}),
    "nested-5000": ("<testsuites>" * 5000 + JU.format('<testcase classname="c" name="x"/>')
                    + "</testsuites>" * 5000, {}),
    "nul-reference": (JU.format('<testcase classname="c" name="x&#0;"/>'), {}),
    "surrogate-reference": (JU.format('<testcase classname="c" name="x&#xD800;"/>'), {}),
    "entity-expansion": ('<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
                         '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
                         + JU.format('<testcase classname="c" name="&b;"/>'), {}),
    "more-results-than-a-report-takes": (
        JU.format("".join(f'<testcase classname="c" name="t{i}"/>' for i in range(100_001))), {}),
    "ref-url-past-the-limit": (JU.format('<testcase classname="c" name="x"/>'),
                               {"ref_url": "https://x/" + "u" * 10_000}),
    "a-setting-not-a-label": (JU.format('<testcase classname="c" name="x"/>'),
                              {"skipped": "info"}),
}  # fmt: skip
JUNIT_TAKEN = {
    "repeated-testcase": JU.format(
        '<testcase classname="c" name="smoke"><failure message="m"/></testcase>' * 5000
    ),
    "huge-message": JU.format('<testcase classname="c" name="x"><failure message="'
                              + "m" * 1_000_000 + '">' + "t" * 1_000_000
                              + "</failure></testcase>"),
    "huge-system-out": JU.format('<testcase classname="c" name="x"><system-out>'
                                 + "o" * 5_000_000 + "</system-out></testcase>"),
    "huge-property-name": ('<testsuite name="s"><properties><property name="' + "p" * 10_000
                           + '" value="v"/></properties><testcase classname="c" name="x"/>'
                           "</testsuite>"),
    "infinite-time": JU.format('<testcase classname="c" name="x" time="1e400"/>'),
}  # fmt: skip


def counts(app: Gatekeeper) -> int:
    with app.store.transaction(readonly=True) as tx:
        conn: Any = tx._conn
        return int(conn.exec_driver_sql("SELECT count(*) FROM results").scalar())


@pytest.fixture
def upload(app: Gatekeeper, tokens: Tokens) -> Iterator[Any]:
    with serving(app) as base, httpx.Client(base_url=base, timeout=120) as client:

        def send(fmt: str, text: str, **params: str) -> httpx.Response:
            data = text.encode("utf-8", "surrogateescape")
            return client.post(
                f"{RESULTS}/{fmt}", content=data, params={"namespace": "rdo", **params},
                headers={**tokens.auth("rdo"), "Content-Type": "application/octet-stream"},
            )  # fmt: skip

        yield send


@pytest.mark.parametrize(
    ("fmt", "variants"), [("tmt", TMT_REFUSED), ("junit", JUNIT_REFUSED)], ids=["tmt", "junit"]
)
def test_a_hostile_upload_is_a_located_4xx_that_stores_nothing(
    upload: Any, app: Gatekeeper, fmt: str, variants: dict[str, tuple[str, dict[str, str]]]
) -> None:
    for name, (text, params) in variants.items():
        response = upload(fmt, text, **({"plan": "/plans/p"} if fmt == "tmt" else {}), **params)
        assert 400 <= response.status_code < 500, f"{name}: {response.text[:300]}"
        assert response.json()["detail"], name
        assert counts(app) == 0, name


@pytest.mark.parametrize(
    ("fmt", "variants"), [("tmt", TMT_TAKEN), ("junit", JUNIT_TAKEN)], ids=["tmt", "junit"]
)
def test_what_an_upload_expands_into_is_stored_within_the_limits(
    upload: Any, app: Gatekeeper, fmt: str, variants: dict[str, str]
) -> None:
    for run, (name, text) in enumerate(variants.items()):
        options = {"run_id": str(run), **({"log_url": "https://x/{{compose}}/{test}"}
                                         if fmt == "tmt" else {})}  # fmt: skip
        response = upload(fmt, text, **options)
        assert response.status_code == 200, f"{name}: {response.text[:300]}"
    for result in app.results(CID):
        assert len(result.ref_url or "") <= MAX_URL_CHARS
        assert len(result.note or "") <= MAX_TEXT_CHARS
        assert len(json.dumps(result.data).encode()) <= MAX_DATA_BYTES
