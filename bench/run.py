"""Run the benchmarks: every ``bench/*.py`` module's ``main()``, in name order.

    .venv/bin/python bench/run.py              # all of them (what ``make bench`` runs)
    .venv/bin/python bench/run.py decide       # only bench/decide.py
    .venv/bin/python bench/run.py --list       # what there is

Modules whose name starts with ``_`` are helpers, and this runner is not a benchmark.
Benchmarks print their figures next to a baseline measured in the same run; a missed
target is printed, never an error: the exit status is 0 unless a benchmark crashes
(the others still run) or an unknown name is asked for.
"""

from __future__ import annotations

import importlib
import sys
import time
import traceback
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


def available() -> list[str]:
    return sorted(
        path.stem
        for path in BENCH_DIR.glob("*.py")
        if not path.stem.startswith("_") and path.stem != "run"
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    names = available()
    if args in (["--list"], ["-l"]):
        print("\n".join(names))
        return 0
    if any(arg.startswith("-") for arg in args):
        print(f"usage: {sys.argv[0]} [--list] [NAME ...]   (names: {', '.join(names)})")
        return 2
    unknown = [arg for arg in args if arg.removesuffix(".py") not in names]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(names)}")
        return 2
    chosen = [arg.removesuffix(".py") for arg in args] or names
    if str(BENCH_DIR) not in sys.path:
        sys.path.insert(0, str(BENCH_DIR))
    failed = []
    for name in chosen:
        print(f"=== bench/{name}.py ===", flush=True)
        start = time.perf_counter()
        try:
            # importlib, not an import statement: some names (import.py) are keywords
            status = importlib.import_module(name).main()
        except Exception:
            sys.stdout.flush()
            traceback.print_exc()
            sys.stderr.flush()
            status = 1
        if status:
            failed.append(name)
        print(f"=== bench/{name}.py done in {time.perf_counter() - start:.1f} s ===\n", flush=True)
    if failed:
        print(f"benchmark(s) that could not run: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
