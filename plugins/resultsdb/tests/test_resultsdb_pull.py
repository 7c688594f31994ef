"""Pulling into the store (SQLite and PostgreSQL): owned results only, one report, idempotent,
all or nothing; a pull when a compose is announced; the schedule's rounds."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from gatekeeper_resultsdb.mapping import ResultsDBError
from gatekeeper_resultsdb.schedule import active_composes, pull_round
from resultsdb_fake import CID, OTHER, FakeResultsDB, configure

from gatekeeper.model import Outcome
from gatekeeper.service import Gatekeeper
from gatekeeper.testing.composes import SpecBuild, write_compose

UNOWNED = ("osci.productmd-compose.tier0.functional", "fedora.openqa.install_default")


def fill(rdb: FakeResultsDB, compose: str = CID, *, idm: str = "PASSED") -> None:
    """Owned results in both keying styles, and results of testcases no team owns."""
    rdb.add_conventions("rdo.tempest.smoke", compose=compose, scenario="packstack", arch="x86_64")
    rdb.add_v3(
        "rdo.tempest.smoke",
        compose=compose,
        scenario="packstack",
        system_architecture="aarch64",
        system_variant="AppStream",
    )
    rdb.add_v3(
        "idm.sssd.smoke",
        idm,
        compose=compose,
        system_architecture="x86_64",
        system_variant="BaseOS",
    )
    for name in UNOWNED:
        rdb.add_conventions(name, "FAILED", compose=compose, arch="x86_64")


def test_a_pull_stores_the_owned_results_and_skips_the_rest(
    app: Gatekeeper, resultsdb: FakeResultsDB
) -> None:
    fill(resultsdb, idm="FAILED")
    report = app.pull_results(CID)
    assert report is not None
    assert len(report.stored) == 3 and report.duplicates == 0
    stored = {(r.testcase, r.arch, r.scenario, r.variant, r.outcome) for r in app.results(CID)}
    assert stored == {
        ("rdo.tempest.smoke", "x86_64", "packstack", None, Outcome.PASSED),
        ("rdo.tempest.smoke", "aarch64", "packstack", "AppStream", Outcome.PASSED),
        ("idm.sssd.smoke", "x86_64", None, "BaseOS", Outcome.FAILED),
    }
    assert {(r.source, r.reporter) for r in app.results(CID)} == {("resultsdb", "pull")}
    assert report.decision.verdict == "failed"


def test_pulled_results_pass_the_gates(app: Gatekeeper, resultsdb: FakeResultsDB) -> None:
    fill(resultsdb)
    report = app.pull_results(CID)
    assert report is not None and report.decision.verdict == "passed"


def test_the_latest_result_of_a_key_counts(app: Gatekeeper, resultsdb: FakeResultsDB) -> None:
    fill(resultsdb, idm="FAILED")
    resultsdb.add_v3(
        "idm.sssd.smoke", "PASSED", system_architecture="x86_64", system_variant="BaseOS"
    )
    report = app.pull_results(CID)
    assert report is not None and report.decision.verdict == "passed"


def test_pulling_twice_stores_each_result_once(app: Gatekeeper, resultsdb: FakeResultsDB) -> None:
    fill(resultsdb)
    first = app.pull_results(CID)
    again = app.pull_results(CID)
    assert first is not None and again is not None
    assert (len(again.stored), again.duplicates) == (0, 3)
    assert len(app.results(CID)) == 3


def test_a_later_pull_adds_only_the_new_results(app: Gatekeeper, resultsdb: FakeResultsDB) -> None:
    fill(resultsdb)
    app.pull_results(CID)
    resultsdb.add_conventions("rdo.tempest.full", "FAILED", arch="x86_64")
    report = app.pull_results(CID)
    assert report is not None
    assert [r.testcase for r in report.stored] == ["rdo.tempest.full"]
    assert len(app.results(CID)) == 4


def test_only_unowned_results_give_no_report_and_no_error(
    app: Gatekeeper, resultsdb: FakeResultsDB
) -> None:
    for name in UNOWNED:
        resultsdb.add_conventions(name)
    assert app.pull_results(CID) is None
    assert app.results(CID) == []


def test_results_of_other_composes_are_not_pulled(
    app: Gatekeeper, resultsdb: FakeResultsDB
) -> None:
    fill(resultsdb, OTHER)
    assert app.pull_results(CID) is None


def test_a_server_error_that_clears_on_retry_loses_nothing(
    app: Gatekeeper, resultsdb: FakeResultsDB
) -> None:
    fill(resultsdb)
    resultsdb.fail_next(502)
    report = app.pull_results(CID)
    assert report is not None and len(report.stored) == 3


@pytest.mark.parametrize(
    ("status", "body", "count", "message"),
    [
        (500, None, 2, "answered HTTP 500 2 times"),
        (404, {"message": "Not found"}, 1, r"Not found \(HTTP 404\)"),
        (200, b'{"prev": null, "next": null, "data": [', 1, "not valid JSON"),
    ],
    ids=["500-persisting", "404", "malformed-json"],
)
def test_an_error_answer_stores_nothing(
    app: Gatekeeper,
    resultsdb: FakeResultsDB,
    status: int,
    body: object,
    count: int,
    message: str,
) -> None:
    fill(resultsdb)
    resultsdb.fail_next(status, body, count=count)
    with pytest.raises(ResultsDBError, match=message):
        app.pull_results(CID)
    assert app.results(CID) == []


def test_a_bad_result_on_the_last_page_stores_nothing(
    app: Gatekeeper, resultsdb: FakeResultsDB
) -> None:
    fill(resultsdb)
    for i in range(6):
        resultsdb.add_conventions(f"rdo.case{i}")
    resultsdb.results[0]["outcome"] = None  # the oldest: on the last page
    with pytest.raises(ResultsDBError, match="result 1 has no outcome"):
        app.pull_results(CID)
    assert app.results(CID) == []


def test_without_a_url_the_pull_hook_does_nothing(
    app: Gatekeeper, resultsdb: FakeResultsDB
) -> None:
    fill(resultsdb)
    configure(app, None)
    assert app.pull_results(CID) is None
    assert resultsdb.requests == []


# -- pull on announcement ---------------------------------------------------------------------


@pytest.fixture
def compose_dir(tmp_path: Path) -> Path:
    top = tmp_path / "composes" / CID
    compose_id = write_compose(
        top, builds=[SpecBuild("bash", "5.2.26", "3.el9")], compose_type="production"
    )
    assert compose_id == CID
    return top


def test_importing_a_compose_pulls_its_results(
    policies: Path, resultsdb: FakeResultsDB, gk_app: Gatekeeper, compose_dir: Path
) -> None:
    fill(resultsdb)
    configure(gk_app, resultsdb.url)
    gk_app.import_compose(str(compose_dir))
    assert len(gk_app.results(CID)) == 3
    assert gk_app.decide(CID).verdict == "passed"


def test_an_import_stands_when_resultsdb_is_down(
    policies: Path,
    resultsdb: FakeResultsDB,
    gk_app: Gatekeeper,
    compose_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fill(resultsdb)
    configure(gk_app, resultsdb.url, retries=0)
    resultsdb.fail_next(503)
    with caplog.at_level(logging.WARNING, logger="gatekeeper_resultsdb"):
        report = gk_app.import_compose(str(compose_dir))
    assert report.created and report.merge_request["state"] == "open"
    assert gk_app.results(CID) == []
    assert f"pull of {CID} on announcement failed: ResultsDB at" in caplog.text
    assert "answered HTTP 503" in caplog.text
    with gk_app.store.transaction() as tx:
        assert [row for row in tx.pending_outbox() if row["last_error"]] == []


def test_an_import_without_a_url_makes_no_request(
    policies: Path, resultsdb: FakeResultsDB, gk_app: Gatekeeper, compose_dir: Path
) -> None:
    gk_app.import_compose(str(compose_dir))
    assert resultsdb.requests == []


# -- the schedule ----------------------------------------------------------------------------


def test_a_round_pulls_every_compose_not_yet_published(
    app: Gatekeeper, resultsdb: FakeResultsDB
) -> None:
    done = "CentOS-Stream-9-20261120.0"
    app.announce(OTHER)
    app.announce(done)
    with app.store.transaction() as tx:
        tx.update_compose(done, state="published")
    assert sorted(active_composes(app)) == sorted([CID, OTHER])
    fill(resultsdb, CID)
    fill(resultsdb, OTHER, idm="FAILED")
    pulled = {p.compose: p for p in pull_round(app)}
    assert set(pulled) == {CID, OTHER}
    assert len(pulled[CID].report.stored) == 3
    assert pulled[OTHER].report.decision.verdict == "failed"
    assert not any(done in request for request in resultsdb.requests)


def test_one_composes_failure_does_not_stop_the_round(
    app: Gatekeeper, resultsdb: FakeResultsDB
) -> None:
    fill(resultsdb, CID)
    fill(resultsdb, OTHER)
    app.announce(OTHER)
    resultsdb.fail_next(404)  # the first query of the first compose
    pulled = pull_round(app, [CID, OTHER])
    assert isinstance(pulled[0].error, ResultsDBError)
    assert pulled[1].error is None and len(pulled[1].report.stored) == 3
    assert app.results(CID) == []


def test_a_bad_resultsdb_setting_does_not_undo_an_import_and_is_recorded(
    policies: Path, gk_app: Gatekeeper, compose_dir: Path
) -> None:
    configure(gk_app, "http://127.0.0.1:9", interval="soon")
    report = gk_app.import_compose(str(compose_dir))
    assert report.created
    with gk_app.store.transaction() as tx:
        errors = [row["last_error"] for row in tx.pending_outbox() if row["last_error"]]
    assert len(errors) == 1
    assert errors[0].startswith("ConfigError: resultsdb.interval: 'soon' is not a duration")
