"""Every shared sample ingests with the right pass/fail/error/skip counts (SQLite, PostgreSQL)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from gatekeeper_junit.parse import Options, parse_files

from gatekeeper.service import Actor, Gatekeeper

# file -> (passed, failed, errors, skipped): the files' own counts, and what a reader sees
EXPECTED = {
    "junit/pytest-junit.xml": (1, 2, 0, 1),
    "junit/jenkins-nested-suites.xml": (1, 1, 0, 1),
    "junit/maven-surefire-TEST-com.shape.CircleTest.xml": (6, 1, 1, 0),
    "tmt/junit-default.xml": (1, 2, 0, 0),
}
CI_BOT = Actor(name="ci-bot")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_is_counted_right(samples: Path, cid: str, name: str) -> None:
    parsed = parse_files([(name, (samples / name).read_bytes())], Options(cid, "ci"))
    (tally,) = parsed.tallies
    assert (tally.passed, tally.failed, tally.errors, tally.skipped) == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_ingests_with_its_outcomes(
    app: Gatekeeper, samples: Path, cid: str, name: str
) -> None:
    report = app.report("junit", (samples / name).read_bytes(), compose=cid, actor=CI_BOT,
                        options={"namespace": "ci", "filename": name})  # fmt: skip
    passed, failed, errors, _ = EXPECTED[name]
    stored = Counter(r.outcome.value for r in app.results(cid))
    assert stored == +Counter({"PASSED": passed, "FAILED": failed, "ERROR": errors})
    assert len(report.stored) == passed + failed + errors  # skipped ones are not stored
    assert {r.reporter for r in app.results(cid)} == {"ci-bot"}
    assert {r.source for r in app.results(cid)} == {"junit"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_skipped_testcases_are_info_when_configured(
    samples: Path, cid: str, name: str
) -> None:
    parsed = parse_files(
        [(name, (samples / name).read_bytes())], Options(cid, "ci", skipped="info")
    )
    passed, failed, errors, skipped = EXPECTED[name]
    assert Counter(r.outcome.value for r in parsed.results) == +Counter(
        {"PASSED": passed, "FAILED": failed, "ERROR": errors, "INFO": skipped}
    )
    for result in parsed.results:
        if result.outcome.value == "INFO":
            assert result.note is not None and result.note.startswith("skipped")


def test_all_samples_as_one_upload(app: Gatekeeper, samples: Path, cid: str) -> None:
    files = [(name, (samples / name).read_bytes()) for name in sorted(EXPECTED)]
    parsed = parse_files(files, Options(cid, "ci", submit_time=app.clock()))
    report = app.ingest(parsed.results, CI_BOT)
    assert len(report.stored) == sum(p + f + e for p, f, e, _ in EXPECTED.values()) == 16
    assert report.decision.verdict == "passed"


def test_sample_names_follow_the_default_rule(samples: Path, cid: str) -> None:
    names = {
        name: sorted(
            r.testcase
            for r in parse_files(
                [(name, (samples / name).read_bytes())], Options(cid, "ci")
            ).results
        )
        for name in EXPECTED
    }
    assert names["junit/pytest-junit.xml"] == [
        "ci.demo_tests.test_compose.TestComposeSmoke.test_kernel_boots",
        "ci.demo_tests.test_compose.TestComposeSmoke.test_repo_metadata_present",
        "ci.demo_tests.test_compose.TestComposeSmoke.test_setup_error",
    ]
    # Surefire puts the class on the suite: an empty classname falls back to the suite name
    assert (
        "ci.com.shape.CircleTest.testRadius"
        in names["junit/maven-surefire-TEST-com.shape.CircleTest.xml"]
    )
    # nested suites: the innermost testcase is found
    assert (
        "ci.JUnitXmlReporter.constructor.should default useDotNotation to true"
        in names["junit/jenkins-nested-suites.xml"]
    )
    # tmt's: read as the tmt plugin reads a run (the plan is the scenario)
    assert names["tmt/junit-default.xml"] == [
        "ci.tests.custom",
        "ci.tests.fail",
        "ci.tests.pass",
    ]


def test_sample_failure_notes_carry_the_message(samples: Path, cid: str) -> None:
    name = "junit/maven-surefire-TEST-com.shape.CircleTest.xml"
    results = parse_files([(name, (samples / name).read_bytes())], Options(cid, "ci")).results
    notes = {r.testcase.rsplit(".", 1)[1]: r.note for r in results}
    assert notes["testRadius"] == "failure: expected:<20> but was:<10>"
    assert notes["testProperties"] == "error: / by zero"
    assert notes["testX"] is None
