"""``make run`` (scripts/run.sh): the walk-through, then the service in the foreground."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = shutil.which("gatekeeper", path=str(Path(sys.executable).parent)) or "gatekeeper"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(url: str) -> object:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.load(answer)


def test_make_run_serves_the_examples_and_prints_how_to_try_them(tmp_path: Path) -> None:
    for name in ("scripts", "examples", "policies"):
        shutil.copytree(ROOT / name, tmp_path / name, symlinks=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEKEEPER_")}
    env.update(GATEKEEPER_BIN=SCRIPT, PORT=str(port), PYTHONUNBUFFERED="1")
    log = tmp_path / "run.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            ["bash", "scripts/run.sh"], cwd=tmp_path, env=env, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                health = get(f"{base}/healthz")
                break
            except OSError:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
        printed = log.read_text()
        curls = [
            line.split("curl -s ", 1)[1] for line in printed.splitlines() if "curl -s " in line
        ]
        assert len(curls) == 3, printed
        assert f"gatekeeper serves {base}" in printed
        for url in curls:  # each line shown works
            assert get(url), url
        composes = get(f"{base}/api/v1/composes")
        assert isinstance(composes, dict) and len(composes["items"]) == 3
        assert isinstance(health, dict)
        decision = get(f"{base}/api/v1/composes/CentOS-Stream-9-20261126.n.0/decision")
        assert isinstance(decision, dict) and decision["verdict"] == "passed"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)
