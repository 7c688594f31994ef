"""Docs that run: the README's fmf tree and its reporting commands work as shown, on real tmt
runs, and policies/t_functional.yaml gates what they store."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from tmt_helpers import ARCH, COMPOSE, GATEKEEPER, TMT, clean_env, output, require_tmt, run

from gatekeeper.testing import serving

ROOT = Path(__file__).resolve().parents[3]
README = ROOT / "plugins" / "tmt" / "README.md"
POLICY = ROOT / "policies" / "t_functional.yaml"
RUN_DIR = "/var/tmp/tmt/t_functional-001"  # the README's run directory
STORE_URL = "file:///srv/gatekeeper"  # the README's gatekeeper, on this machine
SERVICE_URL = "https://gatekeeper.example.org"  # the README's gatekeeper service
PROVISION = ["provision", "--how", "virtual", "--image", "centos-stream-9"]


def readme_text() -> str:
    return README.read_text(encoding="utf-8")


def readme_commands(program: str) -> list[list[str]]:
    return [
        shlex.split(line.split("  #")[0])
        for block in re.findall(r"```sh\n(.*?)```", readme_text(), flags=re.S)
        for line in block.splitlines()
        if line.startswith(f"{program} ")
    ]


def readme_tree(path: Path) -> Path:
    """The README's fmf files (yaml blocks starting ``# tests/main.fmf``...) in an fmf tree,
    with a passing ``runtests.sh`` standing in for the suite."""
    files = re.findall(r"```yaml\n# (\S+\.fmf)\n(.*?)```", readme_text(), flags=re.S)
    assert {name for name, _ in files} == {"tests/main.fmf", "plans/t_functional.fmf"}
    for name, text in [(".fmf/version", "1\n"), *files, ("tests/runtests.sh", "exit 0\n")]:
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text, encoding="utf-8")
    (path / "tests" / "runtests.sh").chmod(0o755)
    return path


def as_here(command: list[str], **swap: str) -> list[str]:
    """A README command as run here: local provisioning, the test's paths and URLs."""
    words = [swap.get(word, word) for word in command]
    for start in range(len(words)):
        if words[start : start + len(PROVISION)] == PROVISION:
            words[start : start + len(PROVISION)] = ["provision", "--how", "local"]
            break
    return words


def test_the_readme_shows_both_ways_to_report() -> None:
    assert any(c[1:3] == ["report", "tmt"] for c in readme_commands("gatekeeper"))
    assert any("gatekeeper" in c and "report" in c for c in readme_commands("tmt"))


def test_the_readme_reports_a_finished_run_again_with_force() -> None:
    again = [c for c in readme_commands("tmt") if "--id" in c and "report" in c]
    assert again and all("--force" in c for c in again)
    assert "--force" in readme_text().split("## The tmt report plugin", 1)[1]


def test_the_readme_fmf_tree_is_what_the_t_functional_policy_gates(tmp_path: Path) -> None:
    policy = yaml.safe_load(POLICY.read_text(encoding="utf-8"))
    gated = {gate["testcase"] for gate in policy["gates"]}
    tests = yaml.safe_load((readme_tree(tmp_path) / "tests" / "main.fmf").read_text())
    assert "test" in tests  # tests/main.fmf is the fmf node /tests itself
    (report,) = [c for c in readme_commands("gatekeeper") if c[1:3] == ["report", "tmt"]]
    namespace = report[report.index("--namespace") + 1]
    assert gated == {f"{namespace}.tests"}


@pytest.mark.parametrize("gk_database_url", ["sqlite"], indirect=True)
def test_the_readme_commands_report_a_real_run_the_policy_gates(
    gk: Callable[..., Any], tmp_path: Path
) -> None:
    require_tmt()
    app, config = gk(t_functional=POLICY.read_text(encoding="utf-8"))
    tree = readme_tree(tmp_path / "t_functional")
    run_dir = str(tmp_path / "run")
    swap = {RUN_DIR: run_dir, STORE_URL: config.parent.as_uri()}
    tmt_first, tmt_at_end, tmt_again = readme_commands("tmt")
    done = run(TMT, "--feeling-safe", *as_here(tmt_first, **swap)[1:], cwd=tree)
    assert done.returncode == 0, output(done)
    token = ""
    for command in readme_commands("gatekeeper"):
        done = run(GATEKEEPER, *as_here(command, **swap)[1:], cwd=config.parent)
        assert done.returncode == 0, f"{shlex.join(command)}: {done.stderr}"
        assert "error:" not in done.stderr
        if command[1:3] == ["token", "create"]:
            token = done.stdout.strip()
    (result,) = app.results(COMPOSE)
    policy_gates = {g.testcase for p in app.policies for g in p.gates}
    assert (result.testcase, result.scenario, result.arch) == (
        "t_functional.tests", "/plans/t_functional", ARCH,
    )  # fmt: skip
    assert result.testcase in policy_gates
    if ARCH in {"x86_64", "aarch64", "ppc64le", "s390x"}:
        satisfied = app.decide(COMPOSE).satisfied_requirements
        assert [(a.testcase, a.arch) for a in satisfied] == [("t_functional.tests", ARCH)]
    # the same run, reported again over HTTP as the README shows: stored once
    with serving(app) as url:
        again = as_here(tmt_again, **swap, **{SERVICE_URL: url})
        done = run(TMT, "--feeling-safe", *again[1:], cwd=tree,
                   env=clean_env(GATEKEEPER_TOKEN=token))  # fmt: skip
    assert f"gatekeeper: {COMPOSE}: 0 stored, 1 already known" in output(done), output(done)
    # a new run that reports at its end: a new result
    at_end = as_here(tmt_at_end, **swap)
    done = run(TMT, "--feeling-safe", *at_end[1:3], "--id", tmp_path / "run2", *at_end[3:],
               cwd=tree)  # fmt: skip
    assert f"gatekeeper: {COMPOSE}: 1 stored, 0 already known" in output(done), output(done)
    assert len(app.results(COMPOSE)) == 2
