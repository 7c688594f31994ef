"""Docs that run: the README's configuration, report commands and Python example work as shown
(against the loopback ResultsDB, put in place of https://resultsdb.example.org)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from gatekeeper_resultsdb.settings import KEYS
from resultsdb_fake import CID, IDM, RDO, FakeResultsDB

README = Path(__file__).resolve().parents[1] / "README.md"
EXAMPLE = "https://resultsdb.example.org"
SCRIPT = shutil.which("gatekeeper", path=str(Path(sys.executable).parent)) or "gatekeeper"


def blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def commands() -> list[list[str]]:
    return [shlex.split(line) for block in blocks("sh") for line in block.splitlines() if line]


def test_the_readme_shows_how_to_report_and_pull() -> None:
    programs = [c[:3] for c in commands()]
    assert ["curl", "-sS", "--fail-with-body"] in programs
    assert ["gatekeeper", "resultsdb", "pull"] in programs


def test_every_readme_command_works(tmp_path: Path, resultsdb: FakeResultsDB) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "rdo.yaml").write_text(RDO)
    (tmp_path / "policies" / "idm.yaml").write_text(IDM)
    (toml,) = blocks("toml")
    (tmp_path / "gatekeeper.toml").write_text(toml.replace(EXAMPLE, resultsdb.base))
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("GATEKEEPER_") or k == "GATEKEEPER_DISABLE_PLUGINS"
    }
    outputs = []
    for command in commands():
        argv = [arg.replace(EXAMPLE, resultsdb.base) for arg in command]
        if argv[0] == "gatekeeper":
            argv[0] = SCRIPT
        run = subprocess.run(
            argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
        assert run.returncode == 0, f"{shlex.join(command)}: {run.stdout}{run.stderr}"
        assert "error:" not in run.stderr, run.stderr
        outputs.append(run.stdout)
    assert [r["testcase"]["name"] for r in resultsdb.results] == ["rdo.tempest.smoke"]
    assert f"{CID}: 1 stored, 0 already known; verdict pending" in "".join(outputs)
    assert f"{CID}: 0 stored, 1 already known" in "".join(outputs)


def test_the_python_example_posts_a_result(resultsdb: FakeResultsDB) -> None:
    (code,) = blocks("python")
    exec(compile(code.replace(EXAMPLE, resultsdb.base), str(README), "exec"), {})
    (posted,) = resultsdb.results
    assert posted["testcase"]["name"] == "rdo.tempest.smoke"
    assert posted["data"] == {
        "productmd.compose.id": [CID],
        "scenario": ["packstack"],
        "arch": ["x86_64"],
    }


def test_the_readme_mapping_table_names_every_result_field() -> None:
    from gatekeeper.model import Result

    text = README.read_text(encoding="utf-8")
    fields = {"compose", "reporter", "source"}  # set by gatekeeper, not read from ResultsDB
    for name in Result.__dataclass_fields__:
        if name not in fields:
            assert f"| `{name}` |" in text, name


@pytest.mark.parametrize("name", list(KEYS))
def test_the_readme_documents_every_setting(name: str) -> None:
    (toml,) = blocks("toml")
    assert re.search(rf"^{name} = ", toml, flags=re.M)
