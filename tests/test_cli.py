"""The CLI contract, through the real console script (RelEng scripts depend on it)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
POLICIES = ROOT / "policies"
CID = "CentOS-Stream-9-20261124.0"
SCRIPT = shutil.which("gatekeeper", path=str(Path(sys.executable).parent)) or "gatekeeper"


def gk(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    full_env.pop("GATEKEEPER_CONFIG", None)
    return subprocess.run(
        [SCRIPT, *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=120
    )


def offline(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return gk(
        "decide",
        CID,
        "--policies",
        str(POLICIES),
        "--results",
        str(EXAMPLES / "results.json"),
        *extra,
        cwd=tmp_path,
    )


def test_decide_offline_passes_with_the_example_waiver(tmp_path: Path) -> None:
    run = offline(
        tmp_path,
        "--waivers",
        str(EXAMPLES / "waivers.json"),
        "--now",
        "2026-11-25T12:00:00Z",
        "--json",
    )
    assert run.returncode == 0, run.stderr
    decision = json.loads(run.stdout)
    assert decision["verdict"] == "passed"
    assert decision["summary"] == "All required tests (9 total) have passed or been waived"
    assert decision["applicable_policies"] == ["idm", "rdo", "t_functional"]
    assert decision["evaluated_at"] == "2026-11-25T12:00:00Z"


def test_decide_exits_1_when_failed(tmp_path: Path) -> None:
    run = offline(tmp_path, "--now", "2026-11-24T08:00:00Z", "--json")
    assert run.returncode == 1
    assert (
        json.loads(run.stdout)["summary"] == "Of 9 required tests, 1 result missing, 1 test failed"
    )


def test_decide_exits_3_when_pending(tmp_path: Path) -> None:
    results = tmp_path / "r.jsonl"
    results.write_text(
        '{"testcase": "t_functional.tests", "outcome": "RUNNING", "arch": "x86_64"}\n'
    )
    run = gk(
        "decide",
        CID,
        "--policies",
        str(POLICIES),
        "--results",
        str(results),
        "--now",
        "2026-11-24T01:00:00Z",
        cwd=tmp_path,
    )
    assert run.returncode == 3, run.stderr
    assert "verdict: pending" in run.stdout
    assert "test-result-pending" in run.stdout


def test_announced_moves_the_deadlines(tmp_path: Path) -> None:
    results = tmp_path / "r.json"
    results.write_text("[]")
    base = [
        "decide",
        CID,
        "--policies",
        str(POLICIES),
        "--results",
        str(results),
        "--json",
        "--now",
        "2026-11-24T13:00:00Z",
    ]
    overdue = json.loads(gk(*base, cwd=tmp_path).stdout)
    assert "tests overdue" in overdue["summary"]
    later = gk(*base, "--announced", "2026-11-24T12:00:00Z", cwd=tmp_path)
    assert later.returncode == 3
    assert "overdue" not in json.loads(later.stdout)["summary"]


def test_product_and_type_come_from_the_compose_id(tmp_path: Path) -> None:
    nightly = gk(
        "decide",
        "CentOS-Stream-10-20261124.n.1",
        "--policies",
        str(POLICIES),
        "--results",
        str(EXAMPLES / "results.json"),
        "--json",
        cwd=tmp_path,
    )
    assert json.loads(nightly.stdout)["applicable_policies"] == ["t_functional"]


def test_no_applicable_policy_exits_2(tmp_path: Path) -> None:
    run = gk(
        "decide",
        "Fedora-Rawhide-20261124.n.0",
        "--policies",
        str(POLICIES),
        "--results",
        str(EXAMPLES / "results.json"),
        cwd=tmp_path,
    )
    assert run.returncode == 2
    assert run.stdout == ""
    assert "no policy applies to product 'Fedora-Rawhide' and type 'nightly'" in run.stderr


def test_bad_input_prints_one_located_line_per_problem(tmp_path: Path) -> None:
    results = tmp_path / "bad.json"
    results.write_text('[\n{"testcase": "x", "outcome": "MAYBE"},\n{"outcome": "PASSED"}\n]')
    run = gk("decide", CID, "--policies", str(POLICIES), "--results", str(results), cwd=tmp_path)
    assert (run.returncode, run.stdout) == (2, "")
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"error: {results}:2: [0].outcome: unknown outcome 'MAYBE'")
    assert lines[1] == f"error: {results}:3: [1].testcase: missing; it is required"


def test_a_bad_compose_id_is_bad_usage(tmp_path: Path) -> None:
    run = offline(tmp_path).__class__  # keep the helper honest about its arguments
    run = gk("decide", "not-a-compose", "--results", str(EXAMPLES / "results.json"), cwd=tmp_path)
    assert run.returncode == 2
    assert "is not a compose id" in run.stderr


def test_a_bad_policy_directory_reports_every_error(tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "a.yaml").write_text("team: a\ngates:\n  - testcase: a.x\n    deadline: soon\n")
    (policies / "b.yaml").write_text("team: b\nownz: [b.*]\n")
    run = gk("policy", "check", str(policies), cwd=tmp_path)
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert lines[0].startswith(f"error: {policies / 'a.yaml'}:4: gates[0].deadline:")
    assert lines[1].startswith(f"error: {policies / 'b.yaml'}:2: ownz: unknown key")


def test_policy_check_and_schema(tmp_path: Path) -> None:
    run = gk("policy", "check", str(POLICIES), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "3 policies" in run.stdout
    schema = json.loads(gk("policy", "schema", cwd=tmp_path).stdout)
    assert schema["$schema"].startswith("https://json-schema.org/")


def test_plugins_lists_the_registered_plugins(tmp_path: Path) -> None:
    run = gk("plugins", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "Plugins" in run.stdout


def _version_and_verdict(line: str) -> tuple[str, str]:
    """Of a line of ``gatekeeper decisions``: ``v<N>  <date> <time>  <verdict>  <summary>``."""
    version, _date, _time, verdict = line.split()[:4]
    return version, verdict


def test_store_mode_round_trip(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    for policy in POLICIES.glob("*.yaml"):
        shutil.copy(policy, tmp_path / "policies")
    assert gk("compose", "announce", CID, cwd=tmp_path).returncode == 0
    announced = gk("decisions", CID, cwd=tmp_path).stdout.splitlines()
    assert [_version_and_verdict(line) for line in announced] == [("v1", "pending")]
    assert announced[0].endswith("Of 9 required tests, 9 results missing")
    added = gk("result", "add", CID, "--file", str(EXAMPLES / "results.json"), cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    assert "10 stored, 0 already known" in added.stdout
    again = gk("result", "add", CID, "--file", str(EXAMPLES / "results.json"), cwd=tmp_path)
    assert "0 stored, 10 already known" in again.stdout
    waived = gk(
        "waive",
        CID,
        "rdo.tempest.smoke",
        "--arch",
        "aarch64",
        "--scenario",
        "packstack",
        "-m",
        "known flake",
        cwd=tmp_path,
    )
    assert waived.returncode == 0, waived.stderr
    decided = gk("decide", CID, "--json", cwd=tmp_path)
    assert json.loads(decided.stdout)["summary"].startswith("Of 9 required tests, 1 result missing")
    assert decided.returncode == 3
    listed = gk("results", CID, "--json", cwd=tmp_path)
    assert len(json.loads(listed.stdout)) == 10
    history = gk("decisions", CID, cwd=tmp_path).stdout.splitlines()
    assert [_version_and_verdict(line) for line in history] == [  # announced, reported, waived
        ("v1", "pending"), ("v2", "failed"), ("v3", "pending")
    ]  # fmt: skip
    assert history[0] == announced[0]  # and the reads in between recorded nothing
    assert (tmp_path / "var" / "gatekeeper.db").is_file()
    revoked = gk(
        "waive",
        CID,
        "rdo.tempest.smoke",
        "--arch",
        "aarch64",
        "--scenario",
        "packstack",
        "-m",
        "fixed",
        "--revoke",
        cwd=tmp_path,
    )
    assert "verdict failed" in revoked.stdout


def test_store_mode_unknown_compose_exits_2(tmp_path: Path) -> None:
    shutil.copytree(POLICIES, tmp_path / "policies")
    run = gk("decide", CID, cwd=tmp_path)
    assert run.returncode == 2
    assert "is not known" in run.stderr


def test_result_add_refuses_an_unknown_outcome(tmp_path: Path) -> None:
    shutil.copytree(POLICIES, tmp_path / "policies")
    gk("compose", "announce", CID, cwd=tmp_path)
    run = gk("result", "add", CID, "rdo.tempest.smoke", "GREAT", cwd=tmp_path)
    assert run.returncode == 2
    assert "OUTCOME: unknown outcome 'GREAT'" in run.stderr


@pytest.mark.parametrize("args", [["decide"], ["decide", CID, "--bogus"]])
def test_bad_usage_exits_2(tmp_path: Path, args: list[str]) -> None:
    assert gk(*args, cwd=tmp_path).returncode == 2
