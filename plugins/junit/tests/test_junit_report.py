"""Reporting through the plugin: the team's ownership, one transaction, idempotent re-sends."""

from __future__ import annotations

from pathlib import Path

import pytest
from gatekeeper_junit.parse import Options, parse_files

from gatekeeper.errors import InputError, NotFound, Unauthorized
from gatekeeper.service import Actor, Gatekeeper

CI_BOT = Actor(name="ci-bot")
PYTEST = "junit/pytest-junit.xml"


def mixed_upload() -> bytes:
    """Two testcases, one per team (named verbatim with the ``{name}`` rule)."""
    return (
        b'<testsuite name="s"><testcase name="ci.smoke"/>'
        b'<testcase name="other.smoke"><failure message="f"/></testcase></testsuite>'
    )


def test_the_junit_format_is_registered(app: Gatekeeper) -> None:
    assert "junit" in app.result_formats


def test_a_reporter_of_the_owning_team_is_accepted(
    app: Gatekeeper, samples: Path, cid: str
) -> None:
    report = app.report("junit", (samples / PYTEST).read_bytes(), compose=cid, actor=CI_BOT,
                        options={"namespace": "ci"})  # fmt: skip
    assert len(report.stored) == 3
    assert report.decision.verdict == "passed"  # the ci gate: test_repo_metadata_present


def test_a_reporter_of_another_team_is_refused_whole(
    app: Gatekeeper, samples: Path, cid: str
) -> None:
    with pytest.raises(Unauthorized) as caught:
        app.report("junit", (samples / PYTEST).read_bytes(), compose=cid,
                   actor=Actor(name="other-bot"), options={"namespace": "ci"})  # fmt: skip
    message = str(caught.value)
    assert message.startswith("other-bot is not a reporter of the team owning: ")
    assert "ci.demo_tests.test_compose.TestComposeSmoke.test_kernel_boots (team ci)" in message
    assert app.results(cid) == []


def test_one_foreign_testcase_refuses_the_whole_upload(app: Gatekeeper, cid: str) -> None:
    with pytest.raises(Unauthorized) as caught:
        app.report("junit", mixed_upload(), compose=cid, actor=CI_BOT,
                   options={"namespace": "ci", "name_format": "{name}"})  # fmt: skip
    assert (
        str(caught.value) == "ci-bot is not a reporter of the team owning: other.smoke (team other)"
    )
    assert app.results(cid) == []


def test_testcases_no_team_owns_are_refused(app: Gatekeeper, samples: Path, cid: str) -> None:
    with pytest.raises(InputError, match=r"owned by no team's policy: nobody\.demo_tests"):
        app.report("junit", (samples / PYTEST).read_bytes(), compose=cid, actor=CI_BOT,
                   options={"namespace": "nobody"})  # fmt: skip
    assert app.results(cid) == []


def test_an_unknown_compose_is_refused(app: Gatekeeper, samples: Path) -> None:
    with pytest.raises(NotFound):
        app.report("junit", (samples / PYTEST).read_bytes(), compose="CentOS-Stream-9-20990101.0",
                   actor=CI_BOT, options={"namespace": "ci"})  # fmt: skip


def test_several_files_are_one_transaction(app: Gatekeeper, samples: Path, cid: str) -> None:
    """Every file parsed, then one ingest: one refused testcase in the last file stores none."""
    files = [(n, (samples / n).read_bytes()) for n in (PYTEST, "tmt/junit-default.xml")]
    now = app.clock()  # the service's: a submit time from its future would be refused
    results = parse_files(files, Options(cid, "ci", submit_time=now)).results
    results += parse_files(
        [("last.xml", mixed_upload())], Options(cid, "ci", name_format="{name}", submit_time=now)
    ).results
    assert [r.testcase for r in results][-2:] == ["ci.smoke", "other.smoke"]
    with pytest.raises(Unauthorized, match=r"owning: other.smoke \(team other\)$"):
        app.ingest(results, CI_BOT)
    assert app.results(cid) == []


def test_a_bad_file_among_several_stores_nothing(app: Gatekeeper, samples: Path, cid: str) -> None:
    good = (samples / PYTEST).read_bytes()
    files = [("a.xml", good), ("b.xml", b"<testsuite><testcase name='x'></testsuite>")]
    with pytest.raises(InputError, match=r"^b\.xml:1: malformed XML: mismatched tag"):
        app.ingest(parse_files(files, Options(cid, "ci")).results, CI_BOT)
    assert app.results(cid) == []


def test_sending_the_same_upload_again_stores_nothing(
    app: Gatekeeper, samples: Path, cid: str
) -> None:
    data = (samples / PYTEST).read_bytes()
    first = app.report("junit", data, compose=cid, actor=CI_BOT, options={"namespace": "ci"})
    app.clock.now = app.clock.now.replace(hour=9)  # type: ignore[attr-defined]
    again = app.report("junit", data, compose=cid, actor=CI_BOT, options={"namespace": "ci"})
    assert (len(first.stored), first.duplicates) == (3, 0)
    assert (len(again.stored), again.duplicates) == (0, 3)
    assert len(app.results(cid)) == 3


def test_a_new_run_id_makes_a_byte_identical_report_new(
    app: Gatekeeper, samples: Path, cid: str
) -> None:
    data = (samples / PYTEST).read_bytes()
    for run in ("101", "102", "102"):
        app.report("junit", data, compose=cid, actor=CI_BOT,
                   options={"namespace": "ci", "run_id": run})  # fmt: skip
    assert len(app.results(cid)) == 6


def test_the_latest_upload_decides(app: Gatekeeper, cid: str) -> None:
    gate = "ci.demo_tests.test_compose.TestComposeSmoke.test_repo_metadata_present"
    classname, name = gate[3:].rsplit(".", 1)

    def upload(body: str, hour: int) -> str:
        app.clock.now = app.clock.now.replace(hour=hour)  # type: ignore[attr-defined]
        case = f'<testcase classname="{classname}" name="{name}">{body}</testcase>'
        data = f"<testsuite>{case}</testsuite>"
        report = app.report("junit", data.encode(), compose=cid, actor=CI_BOT,
                            options={"namespace": "ci", "submit_time": app.clock()})  # fmt: skip
        return report.decision.verdict

    assert upload('<failure message="f"/>', 7) == "failed"
    assert upload("", 8) == "passed"
    assert upload("<flakyFailure/>", 9) == "passed"
    assert upload('<error message="e"/>', 10) == "failed"
