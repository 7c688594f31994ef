"""What the benchmarks share: timing, the machine's description, and the printed table.

Not a benchmark itself (``run.py`` skips modules whose name starts with ``_``).
Every figure is printed next to a baseline measured in the same run on the same
machine, as a ratio: absolute times only mean something next to their baseline.
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Timing:
    """Wall times of repeated runs of one thing, in seconds."""

    runs: tuple[float, ...]

    @property
    def best(self) -> float:
        return min(self.runs)

    @property
    def median(self) -> float:
        return statistics.median(self.runs)


def measure(func: Callable[[], Any], repeat: int, *, warmup: int = 1) -> Timing:
    """Run ``func`` ``warmup`` times untimed, then ``repeat`` times timed.

    The garbage collector stays enabled (as in production) but is emptied before each
    run, so one run does not pay for the garbage of the previous one.
    """
    for _ in range(warmup):
        func()
    runs = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        func()
        runs.append(time.perf_counter() - start)
    return Timing(tuple(runs))


def once(func: Callable[[], Any]) -> tuple[float, Any]:
    """Wall time of one call, and what it returned."""
    gc.collect()
    start = time.perf_counter()
    value = func()
    return time.perf_counter() - start, value


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    return f"{seconds * 1000:.1f} ms"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine() -> str:
    return (
        f"{os.cpu_count()} CPUs ({cpu_model()}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


@dataclass(frozen=True)
class Row:
    """One line of a benchmark's table: a figure, its baseline, and its target if any."""

    what: str
    best: float | None
    median: float | None = None
    baseline_name: str = ""
    baseline: float | None = None
    target: str = ""
    met: bool | None = None  # None: information only

    @property
    def ratio(self) -> float | None:
        if self.best is None or not self.baseline:
            return None
        return self.best / self.baseline


def table(rows: Sequence[Row]) -> str:
    """A plain-text table (also valid Markdown) of the rows."""
    header = ("what", "best", "median", "baseline (best)", "ratio", "target", "status")
    lines = [
        (
            row.what,
            fmt_time(row.best),
            fmt_time(row.median),
            f"{row.baseline_name} {fmt_time(row.baseline)}" if row.baseline_name else "-",
            f"{row.ratio:.2f}x" if row.ratio is not None else "-",
            row.target or "-",
            "info" if row.met is None else ("MET" if row.met else "MISSED"),
        )
        for row in rows
    ]
    widths = [max(len(cells[i]) for cells in [header, *lines]) for i in range(len(header))]

    def render(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([render(header), rule, *(render(cells) for cells in lines)])


class Parts:
    """Exclusive wall time per part: a part's time leaves out the wrapped parts it calls."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._stack: list[list[float]] = []  # [start, time spent in wrapped callees]

    def wrap(self, owner: Any, attr: str, label: str) -> None:
        real = getattr(owner, attr)

        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.part(label):
                return real(*args, **kwargs)

        setattr(owner, attr, timed)

    @contextmanager
    def part(self, label: str) -> Iterator[None]:
        frame = [time.perf_counter(), 0.0]
        self._stack.append(frame)
        try:
            yield
        finally:
            self._stack.pop()
            elapsed = time.perf_counter() - frame[0]
            self.seconds[label] = self.seconds.get(label, 0.0) + elapsed - frame[1]
            if self._stack:
                self._stack[-1][1] += elapsed

    def time_commits(self, store_cls: Any, label: str) -> None:
        """Time the commit (the end of the block) of every ``store_cls.transaction``."""
        transaction = store_cls.transaction
        parts = self

        @contextmanager
        def timed_transaction(store: Any, **kwargs: Any) -> Iterator[Any]:
            block = transaction(store, **kwargs)
            tx = block.__enter__()
            try:
                yield tx
            except BaseException:
                if not block.__exit__(*sys.exc_info()):
                    raise
            else:
                with parts.part(label):
                    block.__exit__(None, None, None)

        store_cls.transaction = timed_transaction


def grid(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table (also valid Markdown) of any columns, all given as text."""
    widths = [max(len(cells[i]) for cells in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(cells) for cells in rows)])


@contextmanager
def served(asgi: Any, *, timeout: float = 20.0) -> Iterator[str]:
    """Any ASGI application served as ``gatekeeper.testing.serving`` serves gatekeeper's:
    uvicorn on a free loopback port in a thread. Yields the base URL (a baseline's server)."""
    from gatekeeper.testing import serving_asgi

    with serving_asgi(asgi, timeout=timeout, name="bench-server") as url:
        yield url
