"""What the tmt plugin's tests share: fmf trees, real tmt and gatekeeper runs.

(A uniquely named module, not ``conftest``: every test directory has a conftest.)
The mixed fmf tree has passing, failing, erroring, warning, skipped and informational
tests and one reporting two subresults; plan ``/plans/one`` runs them all,
``/plans/two`` the passing and failing ones. tmt runs them on this machine
(``provision --how local``).
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

from gatekeeper.testing import unavailable

BIN = Path(sys.executable).parent
TMT = BIN / "tmt"
GATEKEEPER = shutil.which("gatekeeper", path=str(BIN)) or "gatekeeper"
COMPOSE = "CentOS-Stream-9-20261124.0"
SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "samples"

TESTS_FMF = """\
framework: shell
duration: 5m
/pass:
    test: echo all good
/fail:
    test: echo something broke; exit 1
/error:
    test: exit 3
/subresults:
    test: tmt-report-result /subresults/good PASS && tmt-report-result /subresults/bad FAIL
/warn:
    test: tmt-report-result /warn WARN
/skip:
    test: tmt-report-result /skip SKIP
/info:
    test: echo for your information
    result: info
"""
PLANS_FMF = """\
execute:
    how: tmt
/one:
    discover:
        how: fmf
/two:
    discover:
        how: fmf
        test: [/tests/pass, /tests/fail]
"""
SMALL_TESTS_FMF = "/pass:\n    framework: shell\n    test: echo all good\n"
SMALL_PLANS_FMF = "/smoke:\n    discover:\n        how: fmf\n    execute:\n        how: tmt\n"


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without gatekeeper settings (plugins blocked by the caller stay so)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("GATEKEEPER_") or k == "GATEKEEPER_DISABLE_PLUGINS"
    }
    return {**env, "COLUMNS": "200", **extra}


def run(
    *args: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: int = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env or clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def output(done: subprocess.CompletedProcess[str]) -> str:
    """What a command printed, both streams."""
    return str(done.stdout) + str(done.stderr)


def require_tmt() -> None:
    if not TMT.exists():
        unavailable("tmt", f"{TMT} is missing: pip install -e 'plugins/tmt[test]'")
    if shutil.which("rsync") is None:
        unavailable("rsync", "tmt needs it: apt-get install -y rsync (make test's set-up does)")


def make_tree(path: Path, tests: str, plans: str) -> Path:
    """An fmf tree (``.fmf/version``) with ``tests/main.fmf`` and ``plans/main.fmf``."""
    for name, text in (
        (".fmf/version", "1\n"),
        ("tests/main.fmf", tests),
        ("plans/main.fmf", plans),
    ):
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text, encoding="utf-8")
    return path


def tmt_run(
    tree: Path, run_dir: Path, *steps: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``tmt --feeling-safe run --id RUN_DIR -a provision --how local STEPS...`` in ``tree``."""
    return run(
        TMT, "--feeling-safe", "run", "--id", run_dir, "-a", "provision", "--how", "local",
        *steps, cwd=tree, env=clean_env(**(env or {})),
    )  # fmt: skip


def tmt_report(
    run_dir: Path, *options: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run only the report step again on a finished run: ``report --how gatekeeper``."""
    return run(
        TMT, "--feeling-safe", "run", "--id", run_dir,
        "report", "--how", "gatekeeper", "--force", *options, cwd=run_dir,
        env=clean_env(**(env or {})),
    )  # fmt: skip


ARCH = platform.machine()
POLICY = f"""\
team: t_functional
owns: ["t_functional.*"]
reporters:
  users: [t-functional-bot]
gates:
  - testcase: t_functional.tests.pass
    arches: [{ARCH}]
"""


def gatekeeper(config: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """The real console script on the store and policies ``config`` names."""
    return run(GATEKEEPER, "--config", config, *args, cwd=config.parent)
