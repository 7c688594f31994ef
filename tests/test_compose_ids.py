"""One compose id grammar (productmd's) at every door: parsing, announcing, importing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from gatekeeper.cli import build_cli
from gatekeeper.compose.reader import parse_composeinfo
from gatekeeper.errors import GatekeeperError
from gatekeeper.model import ComposeId

HOSTILE = [
    "CentOS-Stream-9/../../../x-20261124.0",
    "CentOS-Stream-9/x-20261124.0",
    "../CentOS-Stream-9-20261124.0",
    "CentOS-Stream..9-20261124.0",
    "CentOS Stream-9-20261124.0",
    "CentOS-Stream-9\n-20261124.0",
    "-Stream-9-20261124.0",
    "CentOS-Stream-9-20261124.\u0663",  # an Arabic-Indic digit: int() reads it as 3
    "CentOS-Stream-9-\uff12\uff10\uff12\uff16\uff11\uff11\uff12\uff14.0",  # fullwidth digits
    " CentOS-Stream-9-20261124.0",
    "CentOS-Stream-9-20261124.0\n",
    "CentOS-Stream-9-20261124.99999999999999999999",  # no store holds the respin
    "CentOS-Stream-9-20261124.2147483648",
    "A" * 120 + "-9-20261124.0",  # a branch name and a directory name too long
]
GOOD = [
    "CentOS-Stream-9-20261124.0",
    "CentOS-Stream-10-20261124.n.1",
    "Fedora-Rawhide-20261124.n.0",
    "RHEL-8.10.0-20240101.t.3",
    "DP-1.0-20161013.t.4",
    "RHEL-Extras-7.2-RHEL-7-20150101.0",
    "CentOS-Stream-9-20261124.2147483647",
    "A" * 114 + "-9-20261124.0",  # 128 characters
]


@pytest.mark.parametrize("compose_id", HOSTILE)
def test_an_id_outside_productmds_grammar_is_refused(compose_id: str) -> None:
    with pytest.raises(ValueError, match="is not a compose id"):
        ComposeId.parse(compose_id)


@pytest.mark.parametrize("compose_id", GOOD)
def test_productmds_ids_are_read(compose_id: str) -> None:
    assert ComposeId.parse(compose_id).id == compose_id


def test_announcing_a_path_shaped_id_is_bad_usage_and_stores_nothing(tmp_path: Path) -> None:
    gk = Path(sys.executable).parent / "gatekeeper"
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "rdo.yaml").write_text("team: rdo\n", encoding="utf-8")
    hostile = "CentOS-Stream-9/../../../x-20261124.0"
    run = subprocess.run([str(gk), "compose", "announce", hostile], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert run.returncode == 2 and "is not a compose id" in run.stderr
    listed = subprocess.run([str(gk), "compose", "list"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert "x-20261124" not in listed.stdout


def test_a_composeinfo_whose_release_makes_a_path_shaped_id_is_refused() -> None:
    doc = {
        "header": {"type": "productmd.composeinfo", "version": "1.2"},
        "payload": {
            "compose": {
                "id": "Cent/../OS-9-20261124.0",
                "date": "20261124",
                "type": "production",
                "respin": 0,
            },
            "release": {"short": "Cent/../OS", "version": "9", "name": "x", "type": "ga"},
            "variants": {},
        },
    }
    with pytest.raises(GatekeeperError, match=r"payload\.compose\.id.*is not a compose id"):
        parse_composeinfo(json.loads(json.dumps(doc)), file="composeinfo.json", status="FINISHED")


# every command taking a compose id (and its arguments other than the id)
COMMANDS = [
    ["decide", "{}"],
    ["decisions", "{}"],
    ["result", "add", "{}", "rdo.smoke", "PASSED"],
    ["results", "{}"],
    ["waive", "{}", "rdo.smoke", "-m", "flaky"],
    ["rerun", "{}", "rdo.smoke"],
    ["reruns", "{}"],
    ["compose", "announce", "{}"],
    ["compose", "published", "{}", "--force"],
    ["compose", "lockfile", "{}", "--format", "rpm-lockfile"],
    ["compose", "diff", "{}", "CentOS-Stream-9-20261124.0"],
    ["compose", "diff", "CentOS-Stream-9-20261124.0", "{}"],
    ["report", "tmt", ".", "--compose", "{}"],
    ["report", "junit", "results.xml", "--compose", "{}", "--namespace", "rdo"],
    ["resultsdb", "pull", "{}"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:2]))
@pytest.mark.parametrize(
    "compose_id",
    ["CentOS-Stream-9-20261124.\u0663", "A" * 300 + "-9-20261124.0"],
    ids=["unicode-digit", "too-long"],
)
def test_every_command_refuses_an_id_outside_the_grammar_before_opening_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], compose_id: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GATEKEEPER_CONFIG", raising=False)
    run = CliRunner().invoke(build_cli(), [a.format(compose_id) for a in args])
    assert run.exit_code == 2, run.output
    assert "is not a compose id" in run.output
    assert not (tmp_path / "var").exists()  # refused before the store was opened


def test_announcing_an_overlong_id_stores_nothing_and_publishing_it_is_bad_usage(
    tmp_path: Path,
) -> None:
    gk = Path(sys.executable).parent / "gatekeeper"
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "rdo.yaml").write_text("team: rdo\n", encoding="utf-8")
    long_id = "A" * 300 + "-9-20261124.0"
    for args in (["compose", "announce", long_id], ["compose", "published", long_id, "--force"]):
        run = subprocess.run([str(gk), *args], cwd=tmp_path, capture_output=True, text=True,
                             timeout=60)  # fmt: skip
        assert run.returncode == 2 and "at most 128 are taken" in run.stderr
        assert "Traceback" not in run.stderr
