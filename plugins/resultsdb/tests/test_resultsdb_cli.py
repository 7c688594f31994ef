"""``gatekeeper resultsdb pull`` and ``gatekeeper plugins`` through the real console script."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from resultsdb_fake import CID, IDM, OTHER, RDO, FakeResultsDB

SCRIPT = shutil.which("gatekeeper", path=str(Path(sys.executable).parent)) or "gatekeeper"


class Workdir:
    """A working directory with gatekeeper.toml and policies, where commands run."""

    def __init__(self, path: Path, rdb: FakeResultsDB) -> None:
        self.path = path
        self.rdb = rdb
        (path / "policies").mkdir()
        (path / "policies" / "rdo.yaml").write_text(RDO)
        (path / "policies" / "idm.yaml").write_text(IDM)
        self.configure(url=rdb.url)

    def configure(self, **section: object) -> None:
        lines = ["[resultsdb]", "retries = 0", "backoff = 0.0", "page_size = 2"]
        lines += [f"{k} = {v!r}".replace("'", '"') for k, v in section.items()]
        (self.path / "gatekeeper.toml").write_text("\n".join(lines) + "\n")

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("GATEKEEPER_") or k == "GATEKEEPER_DISABLE_PLUGINS"
        }
        return subprocess.run(
            [SCRIPT, *args], cwd=self.path, env=env, capture_output=True, text=True, timeout=120
        )


@pytest.fixture
def work(tmp_path: Path, resultsdb: FakeResultsDB) -> Workdir:
    work = Workdir(tmp_path, resultsdb)
    assert work.run("compose", "announce", CID).returncode == 0
    return work


def fill(rdb: FakeResultsDB, compose: str = CID) -> None:
    rdb.add_conventions("rdo.tempest.smoke", compose=compose, scenario="packstack", arch="x86_64")
    rdb.add_v3(
        "rdo.tempest.smoke", compose=compose, scenario="packstack", system_architecture="aarch64"
    )
    rdb.add_v3("idm.sssd.smoke", compose=compose, system_architecture="x86_64")
    rdb.add_conventions("fedora.openqa.install_default", "FAILED", compose=compose)


def test_plugins_lists_resultsdb_with_its_hooks(tmp_path: Path) -> None:
    run = subprocess.run([SCRIPT, "plugins"], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    line = next(x for x in run.stdout.splitlines() if "resultsdb" in x)
    assert "0.1.0" in line
    for hook in (
        "gatekeeper_add_commands",
        "gatekeeper_compose_proposed",
        "gatekeeper_pull_results",
    ):
        assert hook in run.stdout


def test_pull_prints_the_report_and_a_second_pull_stores_nothing(
    work: Workdir, resultsdb: FakeResultsDB
) -> None:
    fill(resultsdb)
    first = work.run("resultsdb", "pull", CID)
    assert first.returncode == 0, first.stderr
    assert first.stdout == (
        f"{CID}: 3 stored, 0 already known; verdict passed: "
        "All required tests (3 total) have passed or been waived\n"
    )
    again = work.run("resultsdb", "pull", CID)
    assert again.stdout.startswith(f"{CID}: 0 stored, 3 already known; verdict passed")


def test_pull_with_url_reads_that_resultsdb(work: Workdir, resultsdb: FakeResultsDB) -> None:
    fill(resultsdb)
    work.configure()  # no url in gatekeeper.toml
    run = work.run("resultsdb", "pull", CID, "--url", resultsdb.base)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"{CID}: 3 stored")


def test_pull_without_a_url_says_where_to_set_one(work: Workdir) -> None:
    work.configure()
    run = work.run("resultsdb", "pull", CID)
    assert run.returncode == 2
    assert run.stderr == (
        f"error: {work.path / 'gatekeeper.toml'}: resultsdb.url: no ResultsDB to pull from: "
        "set url in the [resultsdb] section, or pass --url\n"
    )


def test_a_bad_setting_is_one_located_line(work: Workdir) -> None:
    work.configure(url="http://rdb", interval="soon")
    run = work.run("resultsdb", "pull", CID)
    assert run.returncode == 2
    assert run.stderr.startswith(f"error: {work.path / 'gatekeeper.toml'}: resultsdb.interval: ")
    assert len(run.stderr.splitlines()) == 1


def test_a_resultsdb_error_is_one_line_and_stores_nothing(
    work: Workdir, resultsdb: FakeResultsDB
) -> None:
    fill(resultsdb)
    resultsdb.fail_next(404, {"message": "Not found"})
    run = work.run("resultsdb", "pull", CID)
    assert run.returncode == 2
    assert run.stderr == f"error: ResultsDB at {resultsdb.url}/results: Not found (HTTP 404)\n"
    assert work.run("results", CID, "--json").stdout.strip() == "[]"


def test_pull_of_an_unknown_compose_is_an_error(work: Workdir) -> None:
    run = work.run("resultsdb", "pull", OTHER)
    assert run.returncode == 2
    assert f"compose {OTHER!r} is not known" in run.stderr


def test_every_once_pulls_each_active_compose(work: Workdir, resultsdb: FakeResultsDB) -> None:
    assert work.run("compose", "announce", OTHER).returncode == 0
    fill(resultsdb, CID)
    fill(resultsdb, OTHER)
    run = work.run("resultsdb", "pull", "--every", "--once")
    assert run.returncode == 0, run.stderr
    assert sorted(run.stdout.splitlines()) == sorted(
        f"{c}: 3 stored, 0 already known; verdict passed: "
        "All required tests (3 total) have passed or been waived"
        for c in (CID, OTHER)
    )
    assert f"round 1: pulling 2 composes from {resultsdb.url}" in run.stderr


def test_every_runs_the_given_number_of_rounds(work: Workdir, resultsdb: FakeResultsDB) -> None:
    fill(resultsdb)
    run = work.run("resultsdb", "pull", "--every", "--rounds", "2", "--interval", "1s")
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[1].startswith(f"{CID}: 0 stored, 3 already known")
    assert "next round in 1s" in run.stderr and "round 2:" in run.stderr


def test_every_goes_on_past_a_failed_compose_and_exits_2(
    work: Workdir, resultsdb: FakeResultsDB
) -> None:
    assert work.run("compose", "announce", OTHER).returncode == 0
    fill(resultsdb, OTHER)
    resultsdb.fail_next(500)  # the first compose's first query (oldest first: CID)
    run = work.run("resultsdb", "pull", "--every", "--once")
    assert run.returncode == 2
    assert f"error: {CID}: ResultsDB at {resultsdb.url}/results: answered HTTP 500" in run.stderr
    assert run.stdout.startswith(f"{OTHER}: 3 stored")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give COMPOSE_ID for one pull, or --every for the schedule"),
        ((CID, "--every"), "give COMPOSE_ID for one pull, or --every for the schedule"),
        ((CID, "--once"), "--interval, --once and --rounds go with --every"),
        (("--every", "--once", "--interval", "soon"), "--interval: 'soon' is not a duration"),
        ((CID, "--url", "ftp://rdb"), "--url: 'ftp://rdb' is not an http(s) URL"),
    ],
)
def test_usage_errors(work: Workdir, args: tuple[str, ...], message: str) -> None:
    run = work.run("resultsdb", "pull", *args)
    assert run.returncode == 2
    assert run.stderr.startswith(f"error: {message}")
