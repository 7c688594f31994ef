"""``tmt run ... report --how gatekeeper``: tmt's own report plugin, found through the
``tmt.plugin`` entry point, sending results to a running gatekeeper service over HTTP, or
straight into a gatekeeper's store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tmt_helpers import (
    ARCH,
    COMPOSE,
    POLICY,
    SMALL_PLANS_FMF,
    SMALL_TESTS_FMF,
    gatekeeper,
    make_tree,
    require_tmt,
    tmt_report,
    tmt_run,
)

from gatekeeper.testing import issue_token, serving

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


def test_a_tmt_run_reports_to_a_running_service_over_http(
    gk: Callable[..., Any], tmp_path: Path
) -> None:
    require_tmt()
    app, _ = gk()
    token = issue_token(app, "t-functional-bot")
    tree = make_tree(tmp_path / "tree", SMALL_TESTS_FMF, SMALL_PLANS_FMF)
    with serving(app) as url:
        done = tmt_run(
            tree, tmp_path / "run", "report", "--how", "gatekeeper", "--url", url,
            *GATEKEEPER_OPTIONS, env={"GATEKEEPER_TOKEN": token},
        )  # fmt: skip
    assert done.returncode == 0, output(done)
    assert f"gatekeeper: {COMPOSE}: 1 stored, 0 already known; verdict passed" in output(done)
    (result,) = app.results(COMPOSE)
    assert (result.testcase, result.scenario, result.arch) == (
        "t_functional.tests.pass", "/plans/smoke", ARCH,
    )  # fmt: skip
    assert result.reporter == "t-functional-bot"  # the token's identity
    assert app.decide(COMPOSE).verdict == "passed"


@pytest.mark.parametrize("gk_database_url", ["sqlite"], indirect=True)
def test_over_http_a_resent_run_stores_nothing_twice(
    gk: Callable[..., Any], copy_run: Callable[[], Path]
) -> None:
    app, _ = gk()
    token = issue_token(app, "t-functional-bot")
    run_dir = copy_run()
    with serving(app) as url:
        first = tmt_report(
            run_dir, "--url", url, *GATEKEEPER_OPTIONS, env={"GATEKEEPER_TOKEN": token}
        )
        again = tmt_report(
            run_dir, "--url", url, *GATEKEEPER_OPTIONS, env={"GATEKEEPER_TOKEN": token}
        )
    assert f"{COMPOSE}: 7 stored, 0 already known" in output(first), output(first)
    assert f"{COMPOSE}: 0 stored, 7 already known" in output(again), output(again)
    assert len(app.results(COMPOSE)) == 9


@pytest.mark.parametrize("gk_database_url", ["sqlite"], indirect=True)
def test_over_http_another_teams_token_is_refused_and_nothing_is_stored(
    gk: Callable[..., Any], copy_run: Callable[[], Path]
) -> None:
    app, _ = gk(
        t_functional=POLICY, rdo="team: rdo\nowns: [rdo.*]\nreporters:\n  users: [rdo-bot]\n"
    )
    token = issue_token(app, "rdo-bot")
    with serving(app) as url:
        done = tmt_report(copy_run(), "--url", url, *GATEKEEPER_OPTIONS,
                          env={"GATEKEEPER_TOKEN": token})  # fmt: skip
    assert done.returncode != 0
    assert "gatekeeper refused the report: HTTP 403" in output(done), output(done)
    assert "rdo-bot is not a reporter" in output(done)
    assert app.results(COMPOSE) == []


def test_over_http_a_missing_token_or_unreachable_service_is_a_clear_error(
    copy_run: Callable[[], Path],
) -> None:
    run_dir = copy_run()
    done = tmt_report(run_dir, "--url", "http://127.0.0.1:9", "--compose", COMPOSE)
    assert done.returncode != 0
    assert "no API token" in output(done)
    assert "--token-env" in output(done)
    done = tmt_report(run_dir, "--url", "http://127.0.0.1:9", "--compose", COMPOSE,
                      env={"GATEKEEPER_TOKEN": "gk_x"})  # fmt: skip
    assert done.returncode != 0
    assert "cannot reach http://127.0.0.1:9" in output(done)


def test_the_compose_is_required(copy_run: Callable[[], Path]) -> None:
    done = tmt_report(copy_run(), "--url", "file:///nonexistent")
    assert done.returncode != 0
    assert "report --how gatekeeper needs --compose ID" in output(done)
