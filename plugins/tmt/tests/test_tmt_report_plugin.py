"""``tmt run ... report --how gatekeeper``: tmt's own report plugin, found through the
``tmt.plugin`` entry point, sending results straight into a gatekeeper's store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tmt_helpers import (
    ARCH,
    COMPOSE,
    SMALL_PLANS_FMF,
    SMALL_TESTS_FMF,
    gatekeeper,
    make_tree,
    require_tmt,
    tmt_report,
    tmt_run,
)

GATEKEEPER_OPTIONS = ("--compose", COMPOSE, "--namespace", "t_functional")


def output(done: Any) -> str:
    return str(done.stdout) + str(done.stderr)


@pytest.mark.parametrize("gk_database_url", ["sqlite"], indirect=True)
def test_a_tmt_run_reports_to_gatekeeper_as_its_report_step(
    gk: Callable[..., Any], tmp_path: Path
) -> None:
    require_tmt()
    app, config = gk()
    tree = make_tree(tmp_path / "tree", SMALL_TESTS_FMF, SMALL_PLANS_FMF)
    done = tmt_run(
        tree, tmp_path / "run", "report", "--how", "gatekeeper",
        "--url", config.as_uri(), *GATEKEEPER_OPTIONS, "--reporter", "t-functional-bot",
    )  # fmt: skip
    assert done.returncode == 0, output(done)
    assert f"gatekeeper: {COMPOSE}: 1 stored, 0 already known; verdict passed" in output(done)
    (result,) = app.results(COMPOSE)
    assert (result.testcase, result.outcome.value) == ("t_functional.tests.pass", "PASSED")
    assert (result.scenario, result.arch, result.reporter) == (
        "/plans/smoke",
        ARCH,
        "t-functional-bot",
    )
    assert app.decide(COMPOSE).verdict == "passed"


def test_each_plan_is_one_upload(gk: Callable[..., Any], copy_run: Callable[[], Path]) -> None:
    app, config = gk()  # a file:// URL may name the gatekeeper's directory (its gatekeeper.toml)
    done = tmt_report(copy_run(), "--url", config.parent.as_uri(), *GATEKEEPER_OPTIONS)
    assert f"gatekeeper: {COMPOSE}: 7 stored, 0 already known" in output(done), output(done)
    assert f"gatekeeper: {COMPOSE}: 2 stored, 0 already known" in output(done)
    assert {r.scenario for r in app.results(COMPOSE)} == {"/plans/one", "/plans/two"}


@pytest.mark.parametrize("gk_database_url", ["sqlite"], indirect=True)
def test_the_plugin_and_the_cli_give_a_run_the_same_ids(
    gk: Callable[..., Any], copy_run: Callable[[], Path]
) -> None:
    _, config = gk()
    run_dir = copy_run()
    tmt_report(run_dir, "--url", config.as_uri(), *GATEKEEPER_OPTIONS)
    again = gatekeeper(config, "report", "tmt", run_dir, *GATEKEEPER_OPTIONS)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith(f"{COMPOSE}: 0 stored, 9 already known")


def test_a_refused_reporter_fails_the_report_step_and_stores_nothing(
    gk: Callable[..., Any], copy_run: Callable[[], Path]
) -> None:
    app, config = gk()
    done = tmt_report(
        copy_run(), "--url", config.as_uri(), *GATEKEEPER_OPTIONS, "--reporter", "mallory"
    )
    assert done.returncode != 0
    assert "gatekeeper refused the report: mallory is not a reporter" in output(done)
    assert app.results(COMPOSE) == []


def test_an_http_url_is_refused_until_the_api_exists(copy_run: Callable[[], Path]) -> None:
    done = tmt_report(copy_run(), "--url", "https://gatekeeper.example.org", "--compose", COMPOSE)
    assert done.returncode != 0
    assert "gatekeeper's HTTP API is not available yet" in output(done)
    assert "$GATEKEEPER_TOKEN" in output(done)


def test_the_compose_is_required(copy_run: Callable[[], Path]) -> None:
    done = tmt_report(copy_run(), "--url", "file:///nonexistent")
    assert done.returncode != 0
    assert "report --how gatekeeper needs --compose ID" in output(done)
