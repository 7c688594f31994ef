"""Benchmark: decisions that keep up (issue #15) as a compose's stored results grow.

The compose of bench/decide.py (4,000 requirements) is filled, untimed, to 0 / 1,000 /
10,000 / 40,000 / 200,000 stored results (decide.py's 40,000, then reruns over its gated
and non-gated keys; ``ingest`` in batches of 10,000). At each size, on SQLite and
PostgreSQL, each figure beside a baseline of the same run:

- **a one-result report** through ``Gatekeeper.ingest`` (the synchronous path of every
  upload; the outbox is sent by a dispatcher elsewhere, as under ``serve``): the median
  of ~30 reports, new results of one key whose outcome flips every second report, next to
  a plain SQLAlchemy insert of a comparable row + commit into a copy of the results table
  on the store's own engine (same database and connection settings). Targets: <= 3x that
  at every size; 200,000 stored within 1.5x of 0.
- **bytes per decision version** of those one-answer changes: the ``decisions`` table's
  growth as stored (PostgreSQL ``pg_column_size``, SQLite ``length()`` of each value as
  bytes) over the versions recorded. Target: <= 2 KB. The outbox's growth: information.
- **over HTTP**, at 0 and 40,000 stored: a single-result POST to ``/api/v1/composes/{id}/
  results`` with a real bearer token (``gatekeeper.testing.serving``) next to a bare
  FastAPI route parsing a JSON body, served the same way. Upstream ResultsDB's plain store
  took 11-13 ms per POST on this machine: an anchor measured earlier, not in this run.
- **a deadline acting**: composes whose gate ``deadline:`` passes 5 s after announcement,
  real clock, outbox dispatcher and deadline timer running as under ``serve`` (the
  service's ``app.deadline_timer``; without one, a loop here over ``app.next_deadline()``
  and ``app.act_on_deadlines()``, as the output says): from each deadline instant to the
  ``gatekeeper_decision_changed`` call showing it overdue (an in-process plugin records
  it). Target: within 2 s.

PostgreSQL (``GATEKEEPER_TEST_DATABASE_URL``, default the local ``test`` database) gets
fresh schemas, dropped afterwards; when unreachable, that part is skipped. ``SCALE_QUICK=1``
is a quick try: sizes up to 10,000, HTTP at 0 and 10,000, 10 reports, 2 deadlines.
Figures of a run are in docs/benchmarks.md.

    .venv/bin/python bench/run.py scale
"""

from __future__ import annotations

import gc
import itertools
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import decide  # the workload: its policies, results and keys
import httpx
import sqlalchemy as sa
from _common import Timing, fmt_time, grid, machine, served
from decide import ANNOUNCED, COMPOSE_ID, FINAL_OUTCOMES, NOW, SEED
from fastapi import FastAPI, Request

from gatekeeper import hookimpl
from gatekeeper.config import Settings
from gatekeeper.model import Outcome, Result
from gatekeeper.plugins import make_plugin_manager
from gatekeeper.service import Actor, Gatekeeper
from gatekeeper.store import tables as t
from gatekeeper.testing import issue_token, serving

QUICK = os.environ.get("SCALE_QUICK", "") not in ("", "0")
SIZES = (0, 1_000, 10_000) if QUICK else (0, 1_000, 10_000, 40_000, 200_000)
HTTP_SIZES = (0, 10_000) if QUICK else (0, 40_000)
REPORTS = 10 if QUICK else 30
MIN_REPORTS, STAGE_BUDGET = 7, 20.0  # slow reports: at least 7, none started after 20 s
BATCH = 10_000
DEADLINE_SECONDS, DEADLINE_COMPOSES, STAGGER = 5, 2 if QUICK else 5, 0.5
REPORT_RATIO, GROWTH_RATIO, HISTORY_BYTES, DEADLINE_TARGET = 3.0, 1.5, 2048, 2.0
RESULTSDB_ANCHOR = "11-13 ms"
HISTORY_TABLES = (t.decisions.name, t.outbox.name)  # the history; the outbox for information

TESTCASE, ARCH, REPORTER = "team07.test03", "x86_64", "team07-bot"  # no scenario, 2 variants
FIRST_REPORT = ANNOUNCED + timedelta(hours=9, minutes=30)  # after every result of the fill
FILL_ACTOR = Actor(name="bench", is_admin=True)
# the bare insert's table: the results table's columns and indexes (no foreign key, no trigger)
BARE_ROWS = sa.Table("bench_bare_rows", sa.MetaData(), *(
    sa.Column(c.name, c.type, primary_key=c.primary_key, unique=c.unique, index=c.index,
              nullable=not c.primary_key) for c in t.results.columns))  # fmt: skip
CLOCK_POLICY = f"""\
team: clock
reporters: {{users: [clock-bot]}}
applies_to: {{products: ["CentOS-Stream-*"], types: [production]}}
gates: [{{testcase: clock.smoke, arches: [x86_64], deadline: {DEADLINE_SECONDS}s}}]
"""


def timed(*calls: Callable[[int], Any]) -> list[tuple[Timing, list[Any]]]:
    """Each of ``calls`` at n = 0..REPORTS in turn (a baseline sees what its figure sees): times
    of n >= 1 (at least MIN_REPORTS, none begun after STAGE_BUDGET s), and every answer."""
    runs: list[list[float]] = [[] for _ in calls]
    answers = [[call(0)] for call in calls]
    gc.collect()
    gc.freeze()  # what exists now stays: emptying the collector before each call is cheap
    start = time.perf_counter()
    for n in range(1, REPORTS + 1):
        if n > MIN_REPORTS and time.perf_counter() - start > STAGE_BUDGET:
            break
        for call, times, said in zip(calls, runs, answers, strict=True):
            gc.collect()
            began = time.perf_counter()
            said.append(call(n))
            times.append(time.perf_counter() - began)
    gc.unfreeze()
    return [(Timing(tuple(times)), said) for times, said in zip(runs, answers, strict=True)]


def fill_results() -> Iterator[Result]:
    """decide.py's 40,000 results, then reruns over its keys (gated and not), all earlier
    than FIRST_REPORT, so the benchmark's own reports are the latest of their key."""
    yield from decide.make_results(random.Random(SEED))
    rng = random.Random(SEED + 1)
    keys = decide.result_keys(random.Random(SEED + 2))
    outcomes, weights = list(FINAL_OUTCOMES), list(FINAL_OUTCOMES.values())
    for n in itertools.count(1):
        testcase, scenario, arch, variant = keys[rng.randrange(len(keys))]
        job = f"https://ci.example.org/{testcase.split('.', 1)[0]}/jobs/x{n}"
        yield Result(COMPOSE_ID, testcase, Outcome(rng.choices(outcomes, weights)[0]),
                     ANNOUNCED + timedelta(seconds=rng.randrange(3600, 9 * 3600)),
                     id=f"x{n}", scenario=scenario, arch=arch, variant=variant, ref_url=job,
                     data={"log": f"{job}/log.txt"}, source="bench")  # fmt: skip


def stored_bytes(engine: sa.Engine, table: str) -> int:
    """The bytes of every value stored in ``table``."""
    size = "length(CAST({} AS BLOB))" if engine.dialect.name == "sqlite" else "pg_column_size({})"
    total = " + ".join(f'coalesce({size.format(chr(34) + c["name"] + chr(34))}, 0)'
                       for c in sa.inspect(engine).get_columns(table))  # fmt: skip
    with engine.connect() as conn:
        query = sa.text(f'SELECT coalesce(sum({total}), 0) FROM "{table}"')
        return int(conn.execute(query).scalar_one())


class Sweep:
    """One database: the compose filled stage by stage, each stage measured."""

    def __init__(self, name: str, url: str, workdir: Path, policies: Path) -> None:
        self.name = name
        settings = Settings(var_dir=workdir / "var", database_url=url, policies_dir=policies)
        self.app = Gatekeeper(settings, pm=make_plugin_manager(), clock=lambda: NOW)
        self.app.dispatcher.inline = False  # the request path only: sending is elsewhere
        self.source = fill_results()
        self.stored = self.k = 0  # k: the reports so far, each a second after the last
        # history: bytes the decisions table and the outbox grew by, versions recorded
        self.rows, self.http_rows, self.history = list[list[str]](), list[list[str]](), [0, 0, 0]
        self.medians: dict[int, float] = {}
        self.worst_ratio = 0.0

    def report(self, outcome: Outcome, tag: str, variant: str = "BaseOS") -> Result:
        self.k += 1
        return Result(COMPOSE_ID, TESTCASE, outcome, FIRST_REPORT + timedelta(seconds=self.k),
                      id=f"{tag}{self.k}", arch=ARCH, variant=variant,
                      ref_url=f"https://ci.example.org/team07/jobs/{tag}{self.k}")  # fmt: skip

    def fill(self, size: int) -> float:
        start = time.perf_counter()
        while self.stored < size:
            batch = list(itertools.islice(self.source, min(BATCH, size - self.stored)))
            self.app.ingest(batch, FILL_ACTOR)
            self.stored += len(batch)
        for variant in ("BaseOS", "AppStream"):  # the requirement passes before each stage
            self.app.ingest([self.report(Outcome.PASSED, "reset", variant)], FILL_ACTOR)
        return time.perf_counter() - start

    def run(self) -> Sweep:
        try:
            self.app.start()
            self.app.announce(COMPOSE_ID, at=ANNOUNCED)
            BARE_ROWS.create(self.app.store.engine)
            for size in SIZES:
                self.stage(size)
        finally:
            self.app.store.dispose()
        return self

    def stage(self, size: int) -> None:
        fill_time = self.fill(size)
        passed, failed = Outcome.PASSED, Outcome.FAILED  # twice each, in turn:
        outcome = itertools.cycle((passed, passed, failed, failed)).__next__
        actor = Actor(name=REPORTER)  # a reporter of team07 by its policy's users
        before = [stored_bytes(self.app.store.engine, name) for name in HISTORY_TABLES]
        (bare, _), (ingest, versions) = timed(
            lambda n: self.insert_bare(f"{size}-{n}"),
            lambda n: self.app.ingest([self.report(outcome(), "r")], actor).version)  # fmt: skip
        if size in HTTP_SIZES:
            versions += self.over_http(size, outcome)
        for n, name in enumerate(HISTORY_TABLES):
            self.history[n] += stored_bytes(self.app.store.engine, name) - before[n]
        recorded = sum(v is not None for v in versions)
        self.history[2] += recorded
        self.medians[size] = ingest.median
        ratio = ingest.median / bare.median
        self.worst_ratio = max(self.worst_ratio, ratio)
        print(f"  {self.name}: {size:,} stored (filled in {fill_time:.1f} s): "
              f"{len(ingest.runs)} reports timed; {recorded} of {len(versions)} reports "
              f"made a new decision version", flush=True)  # fmt: skip
        self.rows.append([f"{self.name}, {size:,} stored", fmt_time(bare.median),
                          fmt_time(ingest.median), fmt_time(ingest.best), f"{ratio:.2f}x",
                          f"{ingest.median / self.medians[0]:.2f}x"])  # fmt: skip

    def insert_bare(self, key: str) -> None:
        with self.app.store.engine.begin() as conn:
            conn.execute(BARE_ROWS.insert(), {
                "compose_id": COMPOSE_ID, "testcase": TESTCASE, "outcome": "PASSED",
                "arch": ARCH, "variant": "BaseOS", "submit_time": FIRST_REPORT,
                "ref_url": f"https://ci.example.org/team07/jobs/bare{key}", "data": {},
                "reporter": REPORTER, "external_id": f"bare{key}", "scope": "team07",
                "dedupe_key": f"bare-{key}", "created_at": datetime.now(UTC)})  # fmt: skip

    def over_http(self, size: int, outcome: Callable[[], Outcome]) -> list[Any]:
        """Single-result POSTs to a bare FastAPI route and to gatekeeper's API, in turn."""
        token = issue_token(self.app, REPORTER)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

        def body(outcome: Outcome) -> str:
            r = self.report(outcome, "h")
            return json.dumps([{"id": r.id, "testcase": r.testcase, "outcome": str(r.outcome),
                                "arch": r.arch, "variant": r.variant, "ref_url": r.ref_url,
                                "submit_time": r.submit_time.isoformat()}])  # fmt: skip

        with served(BARE_API) as bare_base, serving(self.app) as base, httpx.Client() as http:
            url = f"{base}/api/v1/composes/{COMPOSE_ID}/results"

            def post(n: int) -> Any:
                response = http.post(url, content=body(outcome()), headers=headers, timeout=60)
                if response.status_code != 200:
                    raise RuntimeError(f"POST answered {response.status_code}: {response.text}")
                return response.json()["version"]

            (bare, _), (api, versions) = timed(lambda n: http.post(
                f"{bare_base}/echo", content=body(Outcome.PASSED), headers=headers
            ).raise_for_status(), post)  # fmt: skip
        self.http_rows.append([f"{self.name}, {size:,} stored", fmt_time(bare.median),
                               fmt_time(api.median), f"{api.median / bare.median:.2f}x",
                               f"{RESULTSDB_ANCHOR} (earlier run)"])  # fmt: skip
        return versions

    def checks(self) -> list[tuple[str, bool]]:
        found = [(f"a one-result report <= {REPORT_RATIO:.0f}x the bare insert + commit at "
                  f"every size (worst {self.worst_ratio:.2f}x)",
                  self.worst_ratio <= REPORT_RATIO)]  # fmt: skip
        if SIZES[-1] in self.medians:
            growth = self.medians[SIZES[-1]] / self.medians[0]
            found.append((f"{SIZES[-1]:,} stored within {GROWTH_RATIO}x of 0 stored "
                          f"({growth:.2f}x)", growth <= GROWTH_RATIO))  # fmt: skip
        per = self.history[0] / self.history[2] if self.history[2] else float("inf")
        return [*found, (f"history <= {HISTORY_BYTES // 1024} KB per version "
                         f"({per:,.0f} B)", per <= HISTORY_BYTES)]  # fmt: skip


BARE_API = FastAPI()  # the HTTP baseline


@BARE_API.post("/echo")
async def echo(request: Request) -> dict[str, Any]:
    """Parse a JSON body, answer a small JSON."""
    return {"received": len(await request.json())}


class Recorder:
    """A plugin: the wall time of the first decision change showing the clock gate overdue."""

    def __init__(self) -> None:
        self.overdue: dict[str, datetime] = {}

    @hookimpl
    def gatekeeper_decision_changed(self, app: Any, compose: Any, old: Any, new: Any,
                                    version: int) -> None:  # fmt: skip
        at = datetime.now(UTC)
        if any(a.type == "test-result-overdue" for a in new.answers):
            self.overdue.setdefault(compose.id, at)


def start_timer(app: Any) -> tuple[Callable[[], None], str]:
    """The service's own deadline timer, started as ``serve`` starts it, if it has one; else
    a loop here sleeping until ``app.next_deadline()``, then ``app.act_on_deadlines()``, at
    most a second between looks. Returns how to stop it, and which it is."""
    own = getattr(app, "deadline_timer", None)
    if own is not None:
        own.start()
        return own.stop, "the service's own (app.deadline_timer, as serve runs it)"
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            instant = app.next_deadline()
            wait = 1.0 if instant is None else (instant - datetime.now(UTC)).total_seconds()
            if wait >= 0:
                stop.wait(min(wait + 0.001, 1.0))
            elif not app.act_on_deadlines():
                stop.wait(0.01)  # an instant passed that nobody acted on: do not spin

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()

    def stopped() -> None:
        stop.set()
        thread.join(30)

    return stopped, ("a loop here sleeping until app.next_deadline(), then calling "
                     "app.act_on_deadlines() (the app has no deadline_timer yet)")  # fmt: skip


def deadlines(name: str, url: str, workdir: Path, policies: Path) -> list[str]:
    """Composes announced STAGGER s apart on the real clock; each deadline's latency."""
    recorder = Recorder()
    pm = make_plugin_manager()
    pm.register(recorder, name="bench-deadline-recorder")
    settings = Settings(var_dir=workdir / "var", database_url=url, policies_dir=policies)
    app = Gatekeeper(settings, pm=pm)
    app.start()
    app.dispatcher.start(interval=1.0)  # as under serve: the hook calls go out from there
    stop_timer, which = start_timer(app)
    instants = {}
    try:
        for n in range(DEADLINE_COMPOSES):
            compose, _ = app.announce(f"CentOS-Stream-9-20261201.{n}")
            instants[compose.id] = compose.announced_at + timedelta(seconds=DEADLINE_SECONDS)
            time.sleep(STAGGER)
        give_up = max(instants.values()) + timedelta(seconds=15)
        while len(recorder.overdue) < len(instants) and datetime.now(UTC) < give_up:
            time.sleep(0.02)
    finally:
        stop_timer()
        app.dispatcher.stop()
        app.store.dispose()
    print(f"  {name}: deadline timer: {which}")
    late = [(recorder.overdue[c] - at).total_seconds() for c, at in instants.items()
            if c in recorder.overdue]  # fmt: skip
    worst = max(late) if len(late) == len(instants) else None
    met = worst is not None and worst <= DEADLINE_TARGET
    return [name, fmt_time(statistics.median(late)) if late else "-", fmt_time(worst),
            f"{len(late)} of {len(instants)}", f"<= {DEADLINE_TARGET:.0f} s",
            "MET" if met else "MISSED"]  # fmt: skip


def sqlite_url(directory: Path) -> str:
    (directory / "var").mkdir(parents=True)
    return f"sqlite:///{directory / 'var' / 'gatekeeper.db'}"


def measure_all(root: Path) -> tuple[list[Sweep], list[list[str]]]:
    policies, clock_policies = root / "policies", root / "policies-clock"
    decide.write_policies(policies)
    decide.write_policies(clock_policies)
    (clock_policies / "clock.yaml").write_text(CLOCK_POLICY, encoding="utf-8")
    sweeps = [Sweep("SQLite", sqlite_url(root / "sqlite"), root / "sqlite", policies).run()]
    clocks = [deadlines("SQLite", sqlite_url(root / "clock"), root / "clock", clock_policies)]
    with decide.postgres_schema() as pg_url:  # None (and said so): PostgreSQL is down
        if pg_url is not None:
            sweeps.append(Sweep("PostgreSQL", pg_url, root / "pg", policies).run())
            with decide.postgres_schema() as other:  # a fresh schema for the deadlines
                clocks.append(deadlines("PostgreSQL", str(other), root / "pgc", clock_policies))
    return sweeps, clocks


def main() -> int:
    print(f"machine: {machine()}")
    print(f"sizes: {', '.join(f'{s:,}' for s in SIZES)} stored results; up to {REPORTS} "
          f"reports each{' (SCALE_QUICK)' if QUICK else ''}")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="gk-bench-scale-") as tmp:
        sweeps, clocks = measure_all(Path(tmp))
    print()
    print(grid(("one-result report into", "bare insert + commit", "ingest() median",
                "ingest() best", "ratio to bare", "vs 0 stored"),
               [row for run in sweeps for row in run.rows]))  # fmt: skip
    print()
    print(grid(("single-result POST over HTTP", "bare FastAPI POST", "POST .../results",
                "ratio to bare", "ResultsDB plain store"),
               [row for run in sweeps for row in run.http_rows]))  # fmt: skip
    print(f"(medians; ResultsDB: {RESULTSDB_ANCHOR} per POST, measured earlier on this "
          "machine, not in this run)")  # fmt: skip
    print()
    print(grid(("bytes per decision version", "decisions table", "outbox (info)", "versions"),
               [[run.name, *(f"{b / run.history[2]:,.0f} B" if run.history[2] else "-"
                             for b in run.history[:2]), str(run.history[2])]
                for run in sweeps]))  # fmt: skip
    print()
    print(grid(("deadline instant -> decision_changed", "median", "worst", "acted on",
                "target", "status"), clocks))  # fmt: skip
    print()
    for run in sweeps:
        for what, met in run.checks():
            print(f"{'MET' if met else 'MISSED'}: {run.name}: {what}")
    for row in clocks:
        print(f"{row[-1]}: {row[0]}: a deadline acts within {DEADLINE_TARGET:.0f} s "
              f"(worst {row[2]})")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
