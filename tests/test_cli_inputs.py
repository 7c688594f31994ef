"""Every bad input file of a command is a located error and exit 2 (bad usage or input),
never a traceback and never exit 1 (which ``decide`` gives a failed verdict): results and
waivers files, times, the configuration file, a compose's metadata, a watched tree."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from gatekeeper.cli import build_cli

ROOT = Path(__file__).resolve().parents[1]
CID = "CentOS-Stream-9-20261124.0"
DECIDE = ("decide", CID, "--policies", "policies", "--results", "results.json")
COMPOSE = ROOT / "examples" / "composes" / CID
DEEP_ARRAY = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"a":' * 100_000 + "1" + "}" * 100_000
LONG_NUMBER = "9" * 5000


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    monkeypatch.chdir(tmp_path)
    for name in ("GATEKEEPER_CONFIG", "GATEKEEPER_DATABASE_URL", "GATEKEEPER_VAR_DIR"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def gk(*args: str) -> Result:
    return CliRunner().invoke(build_cli(), list(args))


def refused(run: Result, *fragments: str) -> None:
    """Exit 2 with one located line on stderr; no traceback, nothing on stdout."""
    assert run.exit_code == 2, (run.exit_code, run.output, run.exception)
    assert run.stdout == "" and "Traceback" not in run.output
    for fragment in fragments:
        assert fragment in run.stderr, run.stderr


# -- decide --results / --waivers -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (DEEP_ARRAY, "nested too deep"),
        (DEEP_OBJECT + "\n", "nested too deep"),  # JSON Lines
        (
            '[{"testcase": "rdo.a", "outcome": "PASSED", "data": ' + DEEP_ARRAY + "}]",
            "nested too deep",
        ),
        (
            '[{"testcase": "rdo.a", "outcome": "PASSED", "submit_time": '
            '"0001-01-01T00:00:00+14:00"}]',
            "[0].submit_time: ",
        ),
        (
            '[{"testcase": "rdo.a", "outcome": "PASSED", "submit_time": '
            '"9999-12-31T23:59:59-14:00"}]',
            "[0].submit_time: ",
        ),
    ],
    ids=["deep-array", "deep-json-lines", "deep-data", "before-year-1", "after-year-9999"],
)
def test_a_bad_results_file_is_located(workdir: Path, text: str, message: str) -> None:
    (workdir / "results.json").write_text(text, encoding="utf-8")
    run = gk(*DECIDE)
    refused(run, "error: results.json:1: ", message)


def test_a_deeply_nested_waivers_file_is_located(workdir: Path) -> None:
    (workdir / "results.json").write_text("[]", encoding="utf-8")
    (workdir / "waivers.json").write_text(DEEP_ARRAY, encoding="utf-8")
    run = gk(*DECIDE, "--waivers", "waivers.json")
    refused(run, "error: waivers.json:1: ", "nested too deep")


@pytest.mark.parametrize("option", ["--now", "--announced"])
def test_a_time_past_what_deadlines_can_count_from_is_refused(workdir: Path, option: str) -> None:
    (workdir / "results.json").write_text("[]", encoding="utf-8")
    run = gk(*DECIDE, option, "9999-12-31T23:00:00Z")
    refused(run, f"error: {option}: '9999-12-31T23:00:00Z' is not before 9000-01-01T00:00:00Z")


def test_announcing_at_the_end_of_the_calendar_is_refused_and_stores_nothing(
    workdir: Path,
) -> None:
    refused(gk("compose", "announce", CID, "--at", "9999-12-31T23:00:00Z"), "error: --at: ")
    assert CID not in gk("compose", "list").output


# -- the configuration file -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'var_dir = "caf\xe9"\n', "not UTF-8 text"),
        (f"x = {LONG_NUMBER}\n".encode(), "malformed TOML: a number too long"),
        (f"x = {DEEP_ARRAY}\n".encode(), "malformed TOML: arrays nested too deep"),
        (b'database_url = "nonsense://x"\n', "database_url: cannot open the database"),
        (b'database_url = "not a url"\n', "database_url: cannot open the database"),
    ],
    ids=["latin-1", "long-number", "deep-array", "unknown-dialect", "not-a-url"],
)
def test_a_bad_configuration_file_is_located(workdir: Path, content: bytes, message: str) -> None:
    (workdir / "gatekeeper.toml").write_bytes(content)
    refused(gk("--config", "gatekeeper.toml", "compose", "list"), message)


# -- a compose's metadata ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["composeinfo.json", "rpms.json"])
@pytest.mark.parametrize(
    ("text", "message"),
    [
        (DEEP_ARRAY, "nested too deep"),
        ('{"header": {"version": ' + LONG_NUMBER + "}}", "a number JSON readers cannot hold"),
    ],
    ids=["deep", "long-number"],
)
def test_bad_compose_metadata_is_located_and_imports_nothing(
    workdir: Path, name: str, text: str, message: str
) -> None:
    compose = workdir / "tree" / CID
    shutil.copytree(COMPOSE, compose)
    (compose / "compose" / "metadata" / name).write_text(text, encoding="utf-8")
    refused(
        gk("compose", "import", str(compose)), f"compose/metadata/{name}: not valid JSON: ", message
    )
    assert CID not in gk("compose", "list").output


def test_watch_skips_a_compose_whose_metadata_nests_too_deep(workdir: Path) -> None:
    compose = workdir / "tree" / CID
    shutil.copytree(COMPOSE, compose)
    (compose / "compose" / "metadata" / "composeinfo.json").write_text(DEEP_ARRAY)
    run = gk("watch", str(workdir / "tree"), "--once")
    assert run.exit_code == 0, (run.output, run.exception)
    assert f"skipped: {CID}: " in run.stdout and "nested too deep" in run.stdout


def test_metadata_that_is_good_still_imports(workdir: Path) -> None:
    info = json.loads((COMPOSE / "compose" / "metadata" / "composeinfo.json").read_text())
    assert info["payload"]["compose"]["id"] == CID
    run = gk("compose", "import", str(COMPOSE))
    assert run.exit_code == 0, (run.output, run.exception)
