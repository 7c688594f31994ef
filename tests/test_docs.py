"""Docs that run: every `gatekeeper ...` command in README's shell blocks works as shown."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = shutil.which("gatekeeper", path=str(Path(sys.executable).parent)) or "gatekeeper"


def readme_commands() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            line = line.split("  #")[0].strip()
            if line.startswith("gatekeeper "):
                commands.append(shlex.split(line))
    return commands


def test_readme_shows_commands() -> None:
    assert len(readme_commands()) >= 10


def test_every_readme_command_runs(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEKEEPER_")}
    for command in readme_commands():
        run = subprocess.run(
            [SCRIPT, *command[1:]],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        # 0, 1 and 3 are verdicts of `decide`; 2 would be an error
        assert run.returncode in (0, 1, 3), f"{shlex.join(command)}: {run.stderr}"
        assert "error:" not in run.stderr, run.stderr


def test_the_readme_configuration_loads(tmp_path: Path) -> None:
    from gatekeeper.config import load_settings

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Configuration.*?```toml\n(.*?)```", text, flags=re.S)
    assert block is not None
    (tmp_path / "gatekeeper.toml").write_text(block.group(1))
    settings = load_settings(tmp_path / "gatekeeper.toml", env={}, cwd=tmp_path)
    assert settings.section("lockfile")["repoid"] == "{variant}-{arch}"
    assert settings.section("api")["public_url"].startswith("https://")


def test_readme_limits_are_the_limits_the_code_keeps() -> None:
    from gatekeeper import limits

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("### Limits", 1)[1].split("\n## ", 1)[0]
    rows = {row.split("|")[1].strip(): row.split("|")[2] for row in table.splitlines()
            if row.startswith("| ") and not row.startswith("| what |")}  # fmt: skip
    assert f"{limits.MAX_ID_CHARS} characters" in rows["a result's `id`"]
    names = next(value for key, value in rows.items() if key.startswith("`testcase`"))
    assert f"{limits.MAX_NAME_CHARS} characters" in names
    assert f"{limits.MAX_URL_CHARS:,} characters" in rows["`ref_url`"]
    assert f"{limits.MAX_TEXT_CHARS:,} characters" in rows["`note`; a waiver's comment"]
    data = rows["`data`"]
    assert f"{limits.MAX_DATA_BYTES:,} bytes" in data
    assert f"at most {limits.MAX_DATA_DEPTH} deep" in data
    assert limits.MAX_DATA_INTEGER == 2**63 - 1 and "signed 64-bit" in data
    assert f"{limits.MAX_REPORT_RESULTS:,}" in rows["results in one report"]
    assert (
        f"{limits.MAX_REPORT_BYTES // 2**20} MiB"
        in rows["what one report stores in all (text and data)"]
    )
    skew = int(limits.DEFAULT_CLOCK_SKEW.total_seconds() // 60)
    assert f"{skew} minutes" in rows["`submit_time` ahead of the server's clock"]
