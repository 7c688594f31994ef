"""Benchmark: how long the ``gatekeeper`` command takes to start and answer.

Each command runs as a subprocess (stdout and stderr discarded) in a temporary working
directory holding a copy of the repository's ``policies/``, with no ``GATEKEEPER_*``
variables set; one untimed warm-up run each, then the median of N runs (7 by default;
``--runs N`` when run directly, or ``BENCH_RUNS=N``):

- Baseline: ``python -c "import click, rich"``, the bare cost of the CLI's two libraries.
- ``gatekeeper --version``, ``gatekeeper --help`` and ``gatekeeper policy check``.
  Target: <= 0.3 s each.
- For information: the 8 slowest cumulative imports of ``import gatekeeper.cli``
  (``python -X importtime``, one run): what is worth importing lazily.

    .venv/bin/python bench/run.py cli_startup
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from _common import machine, measure

REPO = Path(__file__).resolve().parent.parent
TARGET = 0.3  # seconds
DEFAULT_RUNS = 7
SLOWEST = 8


def gatekeeper_command() -> list[str]:
    script = Path(sys.executable).parent / "gatekeeper"
    return [str(script)] if script.exists() else [sys.executable, "-m", "gatekeeper.cli"]


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("GATEKEEPER_")}


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else "(no stderr)"


def time_command(argv: list[str], cwd: Path, env: dict[str, str], runs: int) -> tuple[float, str]:
    """Median wall time of ``runs`` runs after one warm-up, and a note on a failure ("" if none).

    The warm-up keeps stderr, so a failing command is reported with its last line.
    """
    warmup = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, check=False)  # fmt: skip
    note = f"exit {warmup.returncode}: {last_line(warmup.stderr)}" if warmup.returncode else ""
    codes: set[int] = set()

    def run() -> None:
        proc = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, check=False)  # fmt: skip
        codes.add(proc.returncode)

    timing = measure(run, runs, warmup=0)
    if not note and codes - {0}:
        note = f"exit {', '.join(str(c) for c in sorted(codes - {0}))} in timed runs"
    return timing.median, note


def slowest_imports(cwd: Path, env: dict[str, str]) -> tuple[list[tuple[str, float]], str]:
    """The slowest cumulative imports of ``gatekeeper.cli`` (name, ms), and a failure note."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", "import gatekeeper.cli"],
                          cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True, check=False)  # fmt: skip
    imports = []
    for line in proc.stderr.splitlines():
        # "import time:       self [us] |  cumulative | imported package"
        fields = line.removeprefix("import time:").split("|")
        if not line.startswith("import time:") or len(fields) != 3:
            continue
        try:
            imports.append((fields[2].strip(), int(fields[1]) / 1000))
        except ValueError:  # the header line
            continue
    imports.sort(key=lambda item: -item[1])
    note = f"exit {proc.returncode}: {last_line(proc.stderr)}" if proc.returncode else ""
    return imports[:SLOWEST], note


def render(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    widths = [max(len(cells[i]) for cells in [header, *rows]) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(cells) for cells in rows)])


def parse_runs(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Time the gatekeeper CLI's startup.")
    default = int(os.environ.get("BENCH_RUNS", DEFAULT_RUNS))
    parser.add_argument("--runs", type=int, default=default, help="timed runs per command")
    runs: int = parser.parse_args(argv).runs
    return max(1, runs)


def main(argv: list[str] | None = None) -> int:
    runs = parse_runs([] if argv is None else argv)
    gatekeeper = gatekeeper_command()
    commands = [(f"gatekeeper {' '.join(args)}", [*gatekeeper, *args])
                for args in (["--version"], ["--help"], ["policy", "check"])]  # fmt: skip
    print(f"machine: {machine()}")
    print(f"median of {runs} runs after 1 warm-up; target <= {TARGET} s per command")
    env = clean_env()
    with tempfile.TemporaryDirectory(prefix="gk-bench-cli-") as tmp:
        workdir = Path(tmp)
        shutil.copytree(REPO / "policies", workdir / "policies")
        baseline, base_note = time_command([sys.executable, "-c", "import click, rich"],
                                           workdir, env, runs)  # fmt: skip
        rows = [("python -c 'import click, rich' (baseline)", f"{baseline:.3f}", "1.00x",
                 base_note or "-")]  # fmt: skip
        met_all = True
        for name, argv_ in commands:
            median, note = time_command(argv_, workdir, env, runs)
            met = median <= TARGET
            met_all &= met
            status = "target met" if met else "TARGET MISSED"
            ratio = f"{median / baseline:.2f}x" if baseline else "-"
            rows.append((name, f"{median:.3f}", ratio, f"{status}; {note}" if note else status))
        imports, import_note = slowest_imports(workdir, env)
    print()
    print(render(("command", "median (s)", "ratio to baseline", f"target <= {TARGET} s"), rows))
    print()
    print("slowest cumulative imports of `import gatekeeper.cli` (python -X importtime):")
    if import_note:
        print(f"  {import_note}")
    for module, ms in imports:
        print(f"  {ms:8.1f} ms  {module}")
    print()
    print(f"{'MET' if met_all else 'MISSED'}: every gatekeeper command <= {TARGET} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
