"""``make run``'s service (scripts/run.sh) started for a test, in a copy of a checkout's
scripts, examples and policies: the one start-up the tests of ``make run`` share."""

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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SCRIPT = shutil.which("gatekeeper", path=str(Path(sys.executable).parent)) or "gatekeeper"
"""The ``gatekeeper`` console script of the running interpreter's environment."""


@dataclass
class MakeRun:
    """The running service: its base URL, working directory, environment and log file."""

    base: str
    cwd: Path
    env: dict[str, str]
    log: Path


def get_json(url: str) -> object:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.load(answer)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def make_run(root: Path, directory: Path, *, timeout: float = 120) -> Iterator[MakeRun]:
    """Copy ``root``'s scripts, examples and policies into ``directory``, start
    ``bash scripts/run.sh`` there on a free port, and yield once ``/healthz`` answers;
    the service (its process group) is stopped when the block ends."""
    for name in ("scripts", "examples", "policies"):
        shutil.copytree(root / name, directory / name, symlinks=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEKEEPER_")}
    env.update(GATEKEEPER_BIN=SCRIPT, PORT=str(port), PYTHONUNBUFFERED="1")
    log = directory / "run.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            ["bash", "scripts/run.sh"], cwd=directory, env=env, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while True:
            try:
                get_json(f"{base}/healthz")
                break
            except OSError:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
        yield MakeRun(base, directory, env, log)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)
