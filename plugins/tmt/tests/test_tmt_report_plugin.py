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
    output,
    require_tmt,
    tmt_report,
    tmt_run,
)

from gatekeeper.testing import issue_token, serving

GATEKEEPER_OPTIONS = ("--compose", COMPOSE, "--namespace", "t_functional")


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
@pytest.mark.parametrize("cli_first", [True, False], ids=["cli-then-http", "http-then-cli"])
def test_a_run_reported_by_the_cli_and_over_http_is_stored_once(
    gk: Callable[..., Any], copy_run: Callable[[], Path], cli_first: bool
) -> None:
    app, config = gk()
    token = issue_token(app, "t-functional-bot")
    run_dir = copy_run()
    options = (*GATEKEEPER_OPTIONS, "--log-url", "https://artifacts.example.org/{run}/{log}")

    def cli() -> str:
        done = gatekeeper(config, "report", "tmt", run_dir, *options)
        assert done.returncode == 0, done.stderr
        return str(done.stdout)

    with serving(app) as url:
        first = cli() if cli_first else None
        done = tmt_report(run_dir, "--url", url, *options, env={"GATEKEEPER_TOKEN": token})
        assert "gatekeeper refused" not in output(done), output(done)  # (tests failed: rc 2)
        last = None if cli_first else cli()
    if cli_first:
        assert first is not None and first.startswith(f"{COMPOSE}: 9 stored, 0 already known")
        assert f"{COMPOSE}: 0 stored, 7 already known" in output(done)
        assert f"{COMPOSE}: 0 stored, 2 already known" in output(done)
    else:
        assert last is not None and last.startswith(f"{COMPOSE}: 0 stored, 9 already known")
    stored = app.results(COMPOSE)
    assert len(stored) == 9
    assert {r.source for r in stored} == {"tmt"}


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


def test_a_missing_token_names_the_option_and_the_variable_looked_at(
    copy_run: Callable[[], Path],
) -> None:
    run_dir = copy_run()
    named = tmt_report(run_dir, "--url", "http://127.0.0.1:9", "--compose", COMPOSE,
                       "--token-env", "T_FUNCTIONAL_TOKEN")  # fmt: skip
    default = tmt_report(run_dir, "--url", "http://127.0.0.1:9", "--compose", COMPOSE)
    for done, variable in ((named, "$T_FUNCTIONAL_TOKEN"), (default, "$GATEKEEPER_TOKEN")):
        assert done.returncode != 0
        assert "no API token: give --token" in output(done), output(done)
        assert variable in output(done)


@pytest.mark.parametrize("gk_database_url", ["sqlite"], indirect=True)
def test_the_token_option_wins_and_is_not_saved_in_the_run(
    gk: Callable[..., Any], tmp_path: Path
) -> None:
    require_tmt()
    app, _ = gk()
    token = issue_token(app, "t-functional-bot")
    tree = make_tree(tmp_path / "tree", SMALL_TESTS_FMF, SMALL_PLANS_FMF)
    with serving(app) as url:
        done = tmt_run(
            tree, tmp_path / "run", "report", "--how", "gatekeeper", "--url", url,
            *GATEKEEPER_OPTIONS, "--token", token, env={"GATEKEEPER_TOKEN": "gk_not-this-one"},
        )  # fmt: skip
    assert done.returncode == 0, output(done)
    assert f"gatekeeper: {COMPOSE}: 1 stored, 0 already known" in output(done)
    assert [r.reporter for r in app.results(COMPOSE)] == ["t-functional-bot"]
    saved = [p for p in (tmp_path / "run").rglob("*") if p.is_file()]
    holding = {p.name for p in saved if token.encode() in p.read_bytes()}
    assert len(saved) > 10 and holding <= {"log.txt"}  # tmt logs its command line, as README says


def test_the_compose_is_required(copy_run: Callable[[], Path]) -> None:
    done = tmt_report(copy_run(), "--url", "file:///nonexistent")
    assert done.returncode != 0
    assert "report --how gatekeeper needs --compose ID" in output(done)
