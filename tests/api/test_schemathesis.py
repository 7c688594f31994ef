"""The served OpenAPI document, checked against the application by schemathesis: for every
operation, requests generated from the schema (valid ones and invalid ones), sent with an
admin's token so that writes are exercised too, never get a 500, and every answer is one
the schema declares: its status, its media type, its headers and its body.

Random values reach few stored records (a random compose id is only ever 404), so valid
cases are also made naming the known composes, and with a few bodies that are taken (a
result and a waiver of a gated testcase, a JUnit file, a compose's file:// location), the
other parameters still generated.

Bounded and deterministic: a fixed number of examples per operation and way (about 500
calls in all), derandomized (the same cases on every run), no example database; on SQLite
and on PostgreSQL, as every test of tests/api."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hypothesis
import hypothesis.errors
import pytest
import schemathesis
from apihelpers import CID, Tokens
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gatekeeper.api import create_app
from gatekeeper.service import Gatekeeper
from gatekeeper.testing.composes import SpecBuild, SpecRpm, write_compose
from gatekeeper.testing.repodata import write_repodata

EXAMPLES = 10  # per operation and way of making its cases
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
BUILDS = [SpecBuild("bash", "5.1.8", "9.el9", rpms=(SpecRpm("bash"), SpecRpm("doc", noarch=True)))]
VARIANTS = {"BaseOS": ("x86_64", "aarch64")}
JUNIT = b'<testsuite name="s"><testcase classname="tempest" name="smoke"/></testsuite>'
POSITIVE, NEGATIVE = GenerationMode.POSITIVE, GenerationMode.NEGATIVE
Way = tuple[GenerationMode, dict[str, Any]]


@pytest.fixture
def imported(app: Gatekeeper, tmp_path: Path) -> Path:
    """A compose imported with its repodata (its lockfiles can be made); its directory."""
    write_compose(tmp_path / "c", builds=BUILDS, variants=VARIANTS, date="20261201")
    write_repodata(tmp_path / "c", builds=BUILDS, variants=VARIANTS)
    app.import_compose(str(tmp_path / "c"))
    return tmp_path / "c"


def ways(method: str, path: str, known: list[str], where: Path) -> list[Way]:
    """How an operation's cases are made: valid and invalid ones, then valid ones naming
    each known compose, then valid ones with a body that is taken."""
    made: list[Way] = [(POSITIVE, {}), (NEGATIVE, {})]
    if "{compose_id}" in path:
        made += [(POSITIVE, {"path_parameters": {"compose_id": c}}) for c in known]
    on_cid: dict[str, Any] = {"path_parameters": {"compose_id": CID}}
    taken = {
        "/results": {**on_cid, "media_type": "application/json",
                     "body": [{"testcase": "rdo.smoke", "outcome": "passed", "arch": "x86_64"}]},
        "/results/{fmt}": {"path_parameters": {"compose_id": CID, "fmt": "junit"},
                           "query": {"namespace": "rdo"}, "body": JUNIT,
                           "media_type": "application/octet-stream"},
        "/waivers": {**on_cid, "body": {"testcase": "rdo.smoke", "comment": "a known flake"}},
        "/waivers/revoke": {**on_cid, "body": {"testcase": "rdo.smoke", "comment": "fixed"}},
        "/api/v1/composes": {"body": {"location": where.as_uri()}},
    }  # fmt: skip
    for tail, kwargs in taken.items():
        if method == "POST" and path.endswith(tail) and (tail[0] == "/" or path == tail):
            made.append((POSITIVE, kwargs))
    return made


def exercise(app: Gatekeeper, headers: dict[str, str], known: list[str], where: Path) -> list[str]:
    """Every operation's cases, made every way; returns each failure found."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(app))
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode, kwargs in ways(operation.method.upper(), operation.path, known, where):

            @hypothesis.given(case=operation.as_strategy(generation_mode=mode, **kwargs))
            @hypothesis.settings(
                max_examples=EXAMPLES,
                derandomize=True,
                database=None,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                phases=[Phase.explicit, Phase.generate, Phase.shrink],
                print_blob=False,
            )
            def run(case: schemathesis.Case) -> None:
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                run()
            except hypothesis.errors.Unsatisfiable:
                pass  # no invalid value exists (a parameter taking any string)
            except Exception as exc:  # what hypothesis found, shrunk
                failures.append(f"{operation.label} ({mode.value}, {sorted(kwargs)}): {exc}")
    return failures


def test_the_api_answers_as_its_schema_says(
    app: Gatekeeper, tokens: Tokens, imported: Path
) -> None:
    known = [CID, "CentOS-Stream-9-20261201.n.0"]
    failures = exercise(app, tokens.auth("admin"), known, imported)
    assert failures == [], "\n\n".join(failures)
    assert len(app.results(CID)) >= 2  # the JSON and the JUnit upload were taken
    assert {w.waived for w in app.waivers(CID)} == {True, False}  # waived, and revoked
