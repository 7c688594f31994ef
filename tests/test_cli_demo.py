"""``gatekeeper demo``: the one-shot walk-through of the whole job on the examples."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = shutil.which("gatekeeper", path=str(Path(sys.executable).parent)) or "gatekeeper"


def run_demo(where: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEKEEPER_")}
    return subprocess.run(
        [SCRIPT, "demo"], cwd=where, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_demo_walks_a_compose_from_import_to_publish(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    shutil.copytree(ROOT / "examples", tmp_path / "examples", symlinks=True)

    first = run_demo(tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    out = first.stdout
    assert out.count("imported: CentOS-Stream-9-") == 3
    assert "verdict passed" in out  # the waiver makes the baseline pass
    assert "closed CentOS-Stream-9-20261125.n.0: superseded" in out  # by the later nightly
    assert (tmp_path / "var" / "forge" / "CentOS-Stream-9.git").is_dir()

    again = run_demo(tmp_path)  # nothing is imported, stored or published twice
    assert again.returncode == 0, again.stderr
    assert "imported:" not in again.stdout
    assert "10 stored" not in again.stdout and "0 stored, 10 already known" in again.stdout
