"""``gatekeeper report tmt RUN_DIR`` on real tmt runs: reading a run, and storing it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from gatekeeper_tmt.run import Options, read_run
from tmt_helpers import ARCH, COMPOSE, GATEKEEPER, clean_env, gatekeeper, run

from gatekeeper.errors import InputError
from gatekeeper.model import Outcome

NS = Options(namespace="t_functional")
PLAN_ONE = {
    "t_functional.tests.pass": Outcome.PASSED,
    "t_functional.tests.fail": Outcome.FAILED,
    "t_functional.tests.error": Outcome.ERROR,
    "t_functional.tests.subresults": Outcome.FAILED,
    "t_functional.tests.warn": Outcome.NEEDS_INSPECTION,
    "t_functional.tests.skip": Outcome.NEEDS_INSPECTION,
    "t_functional.tests.info": Outcome.INFO,
}
TEMPLATE = "https://artifacts.example.org/{run}/{log}"


def report(config: Path, run_dir: Path, *extra: str) -> Any:
    return gatekeeper(
        config, "report", "tmt", run_dir, "--compose", COMPOSE, "--namespace", "t_functional",
        *extra,
    )  # fmt: skip


# -- reading a run ------------------------------------------------------------------------


def test_each_plan_is_a_scenario(mixed_run: Path) -> None:
    results = read_run(mixed_run, compose=COMPOSE, options=NS)
    by_plan = {(r.scenario, r.testcase) for r in results}
    assert {s for s, _ in by_plan} == {"/plans/one", "/plans/two"}
    assert {t for s, t in by_plan if s == "/plans/two"} == {
        "t_functional.tests.pass",
        "t_functional.tests.fail",
    }
    assert len(results) == 9


def test_real_tmt_outcomes_map_as_documented(mixed_run: Path) -> None:
    results = read_run(mixed_run, compose=COMPOSE, options=NS)
    assert {r.testcase: r.outcome for r in results if r.scenario == "/plans/one"} == PLAN_ONE


def test_a_test_reporting_subresults_keeps_them(mixed_run: Path) -> None:
    results = read_run(mixed_run, compose=COMPOSE, options=NS)
    (test,) = [r for r in results if r.testcase == "t_functional.tests.subresults"]
    assert [(s["name"], s["result"]) for s in test.data["tmt"]["subresults"]] == [
        ("/subresults/good", "pass"),
        ("/subresults/bad", "fail"),
    ]
    assert test.note == "subresults: /subresults/bad fail"


def test_arch_comes_from_the_guests_facts(mixed_run: Path) -> None:
    options = Options(namespace="t_functional", arch="s390x")
    results = read_run(mixed_run, compose=COMPOSE, options=options)
    assert {r.arch for r in results} == {ARCH}


def test_arch_falls_back_to_the_option_without_facts(copy_run: Callable[[], Path]) -> None:
    run_dir = copy_run()
    for guests in run_dir.glob("plans/*/provision/guests.yaml"):
        guests.unlink()
    options = Options(namespace="t_functional", arch="s390x")
    assert {r.arch for r in read_run(run_dir, compose=COMPOSE, options=options)} == {"s390x"}


def test_ref_url_is_filled_from_the_template(mixed_run: Path) -> None:
    options = Options(namespace="t_functional", log_url=TEMPLATE)
    results = read_run(mixed_run, compose=COMPOSE, options=options)
    (passed,) = [r for r in results if r.scenario == "/plans/two" and r.outcome.value == "PASSED"]
    assert passed.ref_url is not None
    relative = passed.ref_url.removeprefix(f"https://artifacts.example.org/{mixed_run.name}/")
    assert relative.startswith("plans/two/execute/data/guest/")
    assert (mixed_run / relative).is_file()  # {log}: the test's output, from the run directory


def test_one_plan_directory_reports_that_plan(mixed_run: Path) -> None:
    results = read_run(mixed_run / "plans" / "two", compose=COMPOSE, options=NS)
    assert {r.scenario for r in results} == {"/plans/two"} and len(results) == 2


def test_results_of_runs_nested_in_test_data_are_not_the_runs(
    mixed_run: Path, copy_run: Callable[[], Path]
) -> None:
    run_dir = copy_run()
    nested = run_dir / "plans/one/execute/data/guest/default-0/tests/pass-1/data/plans/x/execute"
    nested.mkdir(parents=True)
    shutil.copy(run_dir / "plans/two/execute/results.yaml", nested / "results.yaml")
    assert len(read_run(run_dir, compose=COMPOSE, options=NS)) == 9


def test_a_directory_without_results_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is it a tmt run directory"):
        read_run(tmp_path, compose=COMPOSE, options=NS)


# -- gatekeeper report tmt, through the console script, on both databases ----------------


def test_report_stores_every_plans_results_as_one_upload(
    gk: Callable[..., Any], mixed_run: Path
) -> None:
    app, config = gk()
    done = report(config, mixed_run, "--reporter", "t-functional-bot", "--log-url", TEMPLATE)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{COMPOSE}: 9 stored, 0 already known; verdict passed")
    stored = app.results(COMPOSE)
    assert len(stored) == 9
    assert {(r.reporter, r.source, r.arch) for r in stored} == {("t-functional-bot", "tmt", ARCH)}
    assert all(r.ref_url and r.ref_url.startswith("https://artifacts.example.org/") for r in stored)


def test_reporting_the_same_run_again_stores_nothing_new(
    gk: Callable[..., Any], mixed_run: Path
) -> None:
    app, config = gk()
    assert report(config, mixed_run).returncode == 0
    again = report(config, mixed_run)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith(f"{COMPOSE}: 0 stored, 9 already known")
    assert len(app.results(COMPOSE)) == 9


def test_a_reporter_outside_the_owning_team_is_refused_and_nothing_is_stored(
    gk: Callable[..., Any], mixed_run: Path
) -> None:
    app, config = gk()
    done = report(config, mixed_run, "--reporter", "mallory")
    assert done.returncode == 2
    assert done.stderr.startswith("error: mallory is not a reporter of the team owning: ")
    for testcase in PLAN_ONE:
        assert f"{testcase} (team t_functional)" in done.stderr
    assert app.results(COMPOSE) == []


def test_one_refused_testcase_refuses_the_whole_upload(
    gk: Callable[..., Any], mixed_run: Path
) -> None:
    app, config = gk(
        t_functional=POLICY_PASS_ONLY,
        qa='team: qa\nowns: ["t_functional.tests.[!p]*"]\nreporters:\n  users: [qa-bot]\n',
    )
    done = report(config, mixed_run, "--reporter", "t-functional-bot")
    assert done.returncode == 2
    assert "t_functional.tests.fail (team qa)" in done.stderr
    assert "t_functional.tests.pass" not in done.stderr  # its own testcase was fine...
    assert app.results(COMPOSE) == []  # ...and is not stored either


POLICY_PASS_ONLY = (
    'team: t_functional\nowns: ["t_functional.tests.p*"]\nreporters:\n  users: [t-functional-bot]\n'
)


def test_a_testcase_no_team_owns_is_refused(gk: Callable[..., Any], mixed_run: Path) -> None:
    app, config = gk()
    done = gatekeeper(
        config, "report", "tmt", mixed_run, "--compose", COMPOSE, "--namespace", "nobody"
    )
    assert done.returncode == 2
    assert "unknown testcases, owned by no team's policy: nobody.tests.error" in done.stderr
    assert app.results(COMPOSE) == []


def test_a_malformed_plan_stops_the_whole_report_at_its_line(
    gk: Callable[..., Any], copy_run: Callable[[], Path]
) -> None:
    app, config = gk()
    run_dir = copy_run()
    broken = run_dir / "plans" / "two" / "execute" / "results.yaml"
    broken.write_text(broken.read_text() + "- name: [unclosed\n", encoding="utf-8")
    done = report(config, run_dir)
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: {broken}:")
    assert "malformed YAML" in done.stderr and "Traceback" not in done.stderr
    assert app.results(COMPOSE) == []  # plan one was fine, and is not stored either


def test_an_unknown_compose_is_refused(gk: Callable[..., Any], mixed_run: Path) -> None:
    _, config = gk()
    done = gatekeeper(
        config, "report", "tmt", mixed_run, "--compose", "CentOS-Stream-9-20990101.0",
        "--namespace", "t_functional",
    )  # fmt: skip
    assert done.returncode == 2 and "is not known" in done.stderr


def test_gatekeeper_plugins_lists_tmt(tmp_path: Path) -> None:
    done = run(GATEKEEPER, "plugins", cwd=tmp_path, env=clean_env())
    assert done.returncode == 0, done.stderr
    (line,) = [line for line in done.stdout.splitlines() if " tmt " in line]
    assert "0.1.0" in line and "entry point" in line
    assert "gatekeeper_add_commands" in line and "gatekeeper_register_result_formats" in line
