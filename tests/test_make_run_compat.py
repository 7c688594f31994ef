"""Issue #16's "Done when", against ``make run``'s server (scripts/run.sh in a fresh copy).

A producer that knows only ``resultsdb_conventions.ProductmdComposeResult(...).report(
ResultsDBapi(URL))`` (examples/resultsdb_report.py) reports a result; it shows in
``gatekeeper results`` and changes the decision; Greenwave's ``POST /api/v1.0/decision``
(the request Bodhi sends, as in Greenwave's ``functional-tests/test_api_v1.py``: subject
type, identifier, decision context, product version) agrees with gatekeeper's own
``GET /api/v1/composes/{id}/decision`` before the report and after it."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_make_run import ROOT

from gatekeeper.testing.make_run import SCRIPT, MakeRun, make_run
from gatekeeper.testing.make_run import get_json as get

# the nightly compose of the walk-through: t_functional.tests failed on s390x, passed elsewhere
COMPOSE = "CentOS-Stream-9-20261125.n.0"
TESTCASE = "t_functional.tests"
REPORT = ROOT / "examples" / "resultsdb_report.py"


def cli(run: MakeRun, *args: str) -> str:
    """A ``gatekeeper`` command in the run's working directory and environment."""
    done = subprocess.run(
        [SCRIPT, *args], cwd=run.cwd, env=run.env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def run(tmp_path: Path) -> Iterator[MakeRun]:
    """scripts/run.sh started as tests/test_make_run.py starts it, until it serves."""
    with make_run(ROOT, tmp_path) as started:
        yield started


def post(url: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


def ours(requirement: dict[str, Any]) -> tuple[Any, ...]:
    """A requirement of GET /api/v1/composes/{id}/decision."""
    r = requirement
    return (r["type"], r["testcase"], r["scenario"], r["arch"], r["variant"], r["result_id"])


def greenwaves(requirement: dict[str, Any]) -> tuple[Any, ...]:
    """A requirement of POST /api/v1.0/decision, in gatekeeper's terms."""
    r = requirement
    assert (r["subject_type"], r["subject_identifier"]) == ("compose", COMPOSE)
    result_id = None if r["result_id"] is None else str(r["result_id"])
    return (r["gatekeeper_type"], r["testcase"], r["scenario"], r["system_architecture"],
            r["system_variant"], result_id)  # fmt: skip


def assert_agree(run: MakeRun) -> dict[str, Any]:
    """Greenwave's answer for the compose is gatekeeper's decision; returns the latter."""
    decision = get(f"{run.base}/api/v1/composes/{COMPOSE}/decision")
    greenwave = post(f"{run.base}/api/v1.0/decision", {
        "subject_type": "compose", "subject_identifier": COMPOSE,
        "decision_context": "gatekeeper", "product_version": "centos-stream-9",
    })  # fmt: skip
    assert isinstance(decision, dict) and isinstance(greenwave, dict)
    assert greenwave["policies_satisfied"] == (decision["verdict"] == "passed")
    assert greenwave["applicable_policies"] == decision["applicable_policies"]
    for side in ("satisfied_requirements", "unsatisfied_requirements"):
        assert sorted(map(greenwaves, greenwave[side]), key=repr) == sorted(
            map(ours, decision[side]), key=repr
        ), side
    return decision


def s390x(decision: dict[str, Any]) -> dict[str, Any]:
    requirements = decision["satisfied_requirements"] + decision["unsatisfied_requirements"]
    (answer,) = [r for r in requirements if r["testcase"] == TESTCASE and r["arch"] == "s390x"]
    return dict(answer)


def test_a_resultsdb_producer_reports_unmodified_and_greenwave_agrees(run: MakeRun) -> None:
    before = assert_agree(run)
    assert before["verdict"] == "failed" and s390x(before)["type"] == "test-result-failed"
    history = get(f"{run.base}/api/v1/composes/{COMPOSE}/decisions")
    assert isinstance(history, list) and history

    # a reporter of the testcase's team (policies/t_functional.yaml), its token from the CLI
    token = cli(run, "token", "create", "--team", "t_functional", "--name", "t-functional-bot")
    reported = subprocess.run(
        [sys.executable, str(REPORT), "--url", f"{run.base}/api/v2.0", "--token", token.strip(),
         COMPOSE, TESTCASE, "PASSED", "--arch", "s390x", "--source", "example",
         "--ref-url", "https://ci.example.org/t_functional/rerun/s390x"],
        cwd=run.cwd, env=run.env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert reported.returncode == 0, reported.stderr
    sent, stored = reported.stdout.split("\nstored: ")
    assert json.loads(sent.removeprefix("sent: "))["data"]["productmd.compose.id"] == COMPOSE
    result_id = str(json.loads(stored)["id"])

    listed = json.loads(cli(run, "results", COMPOSE, "--json"))
    (shown,) = [r for r in listed if str(r["id"]) == result_id]
    assert (shown["testcase"], shown["outcome"], shown["arch"]) == (TESTCASE, "PASSED", "s390x")
    assert (shown["reporter"], shown["source"]) == ("t-functional-bot", "resultsdb")

    after = assert_agree(run)
    assert after["verdict"] == "passed"
    assert (s390x(after)["type"], s390x(after)["result_id"]) == ("test-result-passed", result_id)
    grown = get(f"{run.base}/api/v1/composes/{COMPOSE}/decisions")
    assert isinstance(grown, list) and len(grown) == len(history) + 1
    assert grown[-1]["cause"]["results"] == [result_id]
    assert grown[-1]["verdict"] == "passed"
