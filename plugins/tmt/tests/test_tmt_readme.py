"""Docs that run: the README's reporting commands work as shown (on a real tmt run)."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tmt_helpers import COMPOSE, GATEKEEPER, TMT, run

README = Path(__file__).resolve().parents[1] / "README.md"
RUN_DIR = "/var/tmp/tmt/t_functional-001"  # the README's run directory
GATEKEEPER_URL = "file:///srv/gatekeeper"  # the README's gatekeeper


def readme_commands(program: str) -> list[list[str]]:
    text = README.read_text(encoding="utf-8")
    return [
        shlex.split(line.split("  #")[0])
        for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S)
        for line in block.splitlines()
        if line.startswith(f"{program} ")
    ]


def test_the_readme_shows_both_ways_to_report() -> None:
    assert any(c[1:3] == ["report", "tmt"] for c in readme_commands("gatekeeper"))
    assert any("gatekeeper" in c and "report" in c for c in readme_commands("tmt"))


@pytest.mark.parametrize("gk_database_url", ["sqlite"], indirect=True)
def test_the_readme_commands_report_a_real_run(
    gk: Callable[..., Any], copy_run: Callable[[], Path]
) -> None:
    app, config = gk()
    run_dir = str(copy_run())
    for command in readme_commands("gatekeeper"):
        args = [run_dir if arg == RUN_DIR else arg for arg in command[1:]]
        done = run(GATEKEEPER, *args, cwd=config.parent)
        assert done.returncode == 0, f"{shlex.join(command)}: {done.stderr}"
        assert "error:" not in done.stderr
    assert len(app.results(COMPOSE)) == 9
    # the tmt plugin's options, as the README gives them, on the same run's report step
    (command,) = [c for c in readme_commands("tmt") if "gatekeeper" in c]
    options = command[command.index("report") + 1 :]
    options = [config.parent.as_uri() if o == GATEKEEPER_URL else o for o in options]
    done = run(TMT, "--feeling-safe", "run", "--id", run_dir, "report", *options, "--force",
               cwd=config.parent)  # fmt: skip
    assert f"gatekeeper: {COMPOSE}: 0 stored, 7 already known" in done.stdout + done.stderr
