"""`gatekeeper report junit` and `gatekeeper plugins`, through the real console script."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
SCRIPT = shutil.which("gatekeeper", path=str(Path(sys.executable).parent)) or "gatekeeper"
CID = "CentOS-Stream-9-20261124.0"
PYTEST = "junit/pytest-junit.xml"
SUREFIRE = "junit/maven-surefire-TEST-com.shape.CircleTest.xml"


def gk(
    *args: str, cwd: Path, env: dict[str, str] | None = None, stdin: bytes | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("GATEKEEPER_")}
    run = subprocess.run(
        [SCRIPT, *args], cwd=cwd, env={**base, "COLUMNS": "200", **(env or {})},
        input=stdin, capture_output=True, timeout=120,
    )  # fmt: skip
    return subprocess.CompletedProcess(
        run.args, run.returncode, run.stdout.decode(), run.stderr.decode()
    )


def announced(tmp_path: Path, env: dict[str, str]) -> dict[str, str]:
    assert gk("compose", "announce", CID, cwd=tmp_path, env=env).returncode == 0
    return env


@pytest.fixture
def site(tmp_path: Path, policies: Path) -> dict[str, str]:
    """A working directory with the teams' policies and the compose, on SQLite (./var)."""
    return announced(tmp_path, {"GATEKEEPER_POLICIES_DIR": str(policies)})


@pytest.fixture
def any_site(tmp_path: Path, policies: Path, gk_database_url: str) -> dict[str, str]:
    """The same on SQLite and on PostgreSQL, for what touches the store."""
    env = {"GATEKEEPER_DATABASE_URL": gk_database_url, "GATEKEEPER_POLICIES_DIR": str(policies)}
    return announced(tmp_path, env)


def stored(tmp_path: Path, env: dict[str, str]) -> list[dict[str, object]]:
    run = gk("results", CID, "--json", cwd=tmp_path, env=env)
    assert run.returncode == 0, run.stderr
    rows: list[dict[str, object]] = json.loads(run.stdout)
    return rows


def report(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return gk(
        "report", "junit", *args, "--compose", CID, "--namespace", "ci", cwd=tmp_path, env=env
    )


def test_plugins_lists_junit(tmp_path: Path) -> None:
    run = gk("plugins", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    (row,) = [line for line in run.stdout.splitlines() if re.search(r"\bjunit\b", line)]
    assert "entry point" in row
    assert "gatekeeper_register_result_formats" in row
    assert "gatekeeper_add_commands" in row


def test_report_junit_is_a_report_subcommand(tmp_path: Path) -> None:
    run = gk("report", "--help", cwd=tmp_path)
    assert re.search(r"^\s+junit\s", run.stdout, flags=re.M), run.stdout


def test_report_stores_every_sample_once(
    tmp_path: Path, any_site: dict[str, str], samples: Path
) -> None:
    files = [str(samples / n) for n in (PYTEST, SUREFIRE, "junit/jenkins-nested-suites.xml",
                                         "tmt/junit-default.xml")]  # fmt: skip
    first = report(tmp_path, any_site, *files, "--reporter", "ci-bot", "--arch", "x86_64")
    assert first.returncode == 0, first.stderr
    assert f"{samples / PYTEST}: 4 testcases: 1 passed, 2 failed, 0 errors, 1 skipped " \
           "(not stored)" in first.stdout  # fmt: skip
    assert (
        f"{samples / SUREFIRE}: 8 testcases: 6 passed, 1 failed, 1 errors, 0 skipped"
        in first.stdout
    )
    assert f"{CID}: 16 stored, 0 already known; verdict passed" in first.stdout
    again = report(tmp_path, any_site, *files, "--reporter", "ci-bot", "--arch", "x86_64")
    assert f"{CID}: 0 stored, 16 already known" in again.stdout
    rows = stored(tmp_path, any_site)
    assert len(rows) == 16
    assert {(r["reporter"], r["source"], r["arch"]) for r in rows} == {
        ("ci-bot", "junit", "x86_64")
    }


def test_report_from_stdin(tmp_path: Path, site: dict[str, str], samples: Path) -> None:
    run = gk("report", "junit", "-", "--compose", CID, "--namespace", "ci", cwd=tmp_path, env=site,
             stdin=(samples / SUREFIRE).read_bytes())  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "<stdin>: 8 testcases" in run.stdout


def test_another_teams_reporter_is_refused_whole(
    tmp_path: Path, any_site: dict[str, str], samples: Path
) -> None:
    run = report(tmp_path, any_site, str(samples / PYTEST), "--reporter", "other-bot")
    assert run.returncode == 2
    assert run.stderr.startswith("error: other-bot is not a reporter of the team owning: ")
    assert "ci.demo_tests.test_compose.TestComposeSmoke.test_setup_error (team ci)" in run.stderr
    assert stored(tmp_path, any_site) == []


def test_every_bad_file_is_named_and_nothing_is_stored(
    tmp_path: Path, site: dict[str, str], samples: Path
) -> None:
    (tmp_path / "broken.xml").write_text("<testsuites>\n<testsuite>\n</testsuites>\n")
    (tmp_path / "bomb.xml").write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "b">]>\n<x/>'
    )
    run = report(tmp_path, site, str(samples / PYTEST), "broken.xml", "bomb.xml", "missing.xml")
    assert run.returncode == 2
    assert run.stderr.splitlines() == [
        "error: broken.xml:3: malformed XML: mismatched tag (column 3)",
        "error: bomb.xml:2: a document type declaration (<!DOCTYPE x ...>) is not accepted: "
        "JUnit XML needs none, and DTDs carry entity expansion and external entities; remove it",
        "error: missing.xml: cannot read the file: No such file or directory",
    ]
    assert run.stdout == ""
    assert stored(tmp_path, site) == []


def test_max_bytes_option(tmp_path: Path, site: dict[str, str], samples: Path) -> None:
    run = report(tmp_path, site, str(samples / PYTEST), "--max-bytes", "1000")
    assert run.returncode == 2
    assert "is 1792 bytes, over the 1000-byte cap" in run.stderr
    assert stored(tmp_path, site) == []


def test_max_bytes_setting(tmp_path: Path, site: dict[str, str], samples: Path) -> None:
    (tmp_path / "gatekeeper.toml").write_text("[junit]\nmax_bytes = 1000\n")
    run = report(tmp_path, site, str(samples / PYTEST))
    assert run.returncode == 2
    assert "over the 1000-byte cap of a JUnit upload ([junit] max_bytes" in run.stderr


def test_default_cap_refuses_a_big_file_without_reading_it(
    tmp_path: Path, site: dict[str, str]
) -> None:
    big = tmp_path / "big.xml"
    with big.open("wb") as stream:  # sparse: 60 MB that take no disk and are never read
        stream.truncate(60 * 1024 * 1024)
    run = report(tmp_path, site, str(big))
    assert run.returncode == 2
    assert run.stderr == (
        f"error: {big}: file is 62914560 bytes, over the 52428800-byte cap of a JUnit upload "
        "([junit] max_bytes in gatekeeper.toml, or --max-bytes); split the report\n"
    )


def test_a_bad_setting_is_named(tmp_path: Path, site: dict[str, str], samples: Path) -> None:
    (tmp_path / "gatekeeper.toml").write_text('[junit]\nskiped = "info"\n')
    run = report(tmp_path, site, str(samples / PYTEST))
    assert run.returncode == 2
    assert run.stderr == (
        f"error: {tmp_path / 'gatekeeper.toml'}: junit.skiped: unknown setting; "
        "expected one of: max_bytes, name_format, skipped\n"
    )


def test_skipped_info_setting(tmp_path: Path, site: dict[str, str], samples: Path) -> None:
    (tmp_path / "gatekeeper.toml").write_text('[junit]\nskipped = "info"\n')
    run = report(tmp_path, site, str(samples / PYTEST))
    assert run.returncode == 0, run.stderr
    assert sorted(str(r["outcome"]) for r in stored(tmp_path, site)) == [
        "FAILED", "FAILED", "INFO", "PASSED"
    ]  # fmt: skip


def test_name_format_option(tmp_path: Path, site: dict[str, str], samples: Path) -> None:
    run = report(tmp_path, site, str(samples / SUREFIRE), "--name-format", "{namespace}{name}")
    assert run.returncode == 0, run.stderr
    assert "ci.testRadius" in {r["testcase"] for r in stored(tmp_path, site)}


def test_a_bad_name_format_is_refused(tmp_path: Path, site: dict[str, str], samples: Path) -> None:
    run = report(tmp_path, site, str(samples / SUREFIRE), "--name-format", "{namespace}{method}")
    assert run.returncode == 2
    assert run.stderr.startswith("error: name_format: '{namespace}{method}' uses an unknown field")


def test_an_upload_of_only_skipped_testcases_stores_nothing(
    tmp_path: Path, site: dict[str, str]
) -> None:
    (tmp_path / "s.xml").write_text(
        '<testsuite><testcase name="t"><skipped/></testcase></testsuite>'
    )
    run = report(tmp_path, site, "s.xml")
    assert run.returncode == 2
    assert "error: nothing to report" in run.stderr


# -- docs that run -------------------------------------------------------------------------
def readme_blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_readme_commands_run_as_shown(tmp_path: Path, samples: Path) -> None:
    (policy,) = readme_blocks("yaml")
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "ci.yaml").write_text(policy)
    shutil.copy(samples / PYTEST, tmp_path / "junit.xml")
    reports = tmp_path / "target" / "surefire-reports"
    reports.mkdir(parents=True)
    circle = (samples / SUREFIRE).read_text()
    (reports / "TEST-com.shape.CircleTest.xml").write_text(circle)
    (reports / "TEST-com.shape.SquareTest.xml").write_text(circle.replace("Circle", "Square"))
    (block,) = readme_blocks("sh")
    outputs = []
    for line in block.splitlines():
        command = shlex.split(line.split("  #")[0])
        assert command[0] == "gatekeeper"
        run = gk(*command[1:], cwd=tmp_path)
        assert run.returncode == 0, f"{line}: {run.stderr}"  # decide: 0 is passed
        outputs.append(run.stdout)
    assert "3 stored, 0 already known; verdict passed" in outputs[1]
    assert "16 stored, 0 already known" in outputs[2]
    # the sample output shown in the README is what the command printed
    (shown,) = re.findall(r"  ```\n(  junit\.xml: .*?)  ```", README.read_text(), flags=re.S)
    assert [s.strip() for s in shown.splitlines()] == outputs[1].splitlines()
