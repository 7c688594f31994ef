"""Benchmark: deciding one big compose, in process and from the store.

50 team policies x 20 gates x 4 arches (4,000 requirements), 40,000 results and a
few dozen waivers for one compose. Figures, each next to a baseline measured in
the same run:

- ``evaluate()`` in process on the results as ``parse_results`` makes them from a
  JSON Lines file, next to ``json.loads`` of the same results as a JSON array.
  Target: <= 20 ms. For information: the same on the generated results (whose
  repeated strings are shared objects), and ``parse_results`` itself.
- ``Gatekeeper.decide(id, now=...)`` (the what-if path: read results and waivers,
  evaluate) on SQLite and PostgreSQL, next to fetching the same rows with a bare
  SQLAlchemy Core select of the results table. Target: <= 5x the bare fetch.
- For information: ``results_for`` alone, the bare select without the ``data``
  column, ingesting the 40,000 results (once), and the real ``gatekeeper decide ID
  --json`` command (one run, process start included) next to ``gatekeeper --version``.

Policies are real YAML files loaded with ``load_policies``; results mix outcomes,
arches, variants and scenarios, with several results per key so "latest" matters.
PostgreSQL (``GATEKEEPER_TEST_DATABASE_URL``, default the local ``test`` database)
gets a fresh schema, dropped afterwards; when it is unreachable that part is skipped.
Figures of a run are in docs/benchmarks.md.

    .venv/bin/python bench/run.py decide
"""

from __future__ import annotations

import collections
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from _common import Row, Timing, machine, measure, once, table

from gatekeeper.config import Settings
from gatekeeper.evaluate import evaluate, requirements
from gatekeeper.inputs import parse_results
from gatekeeper.model import Compose, Decision, Outcome, Policy, Result, Waiver
from gatekeeper.plugins import make_plugin_manager
from gatekeeper.policy import load_policies
from gatekeeper.service import Actor, Gatekeeper
from gatekeeper.store import scratch
from gatekeeper.store import tables as t

TEAMS, GATES = 50, 20
ARCHES = ("x86_64", "aarch64", "ppc64le", "s390x")
VARIANTS = ("BaseOS", "AppStream")
RESULTS = 40_000
EXTRA_TESTCASES = 3  # reported per team but gated by nobody
WAIVERS = 40
SEED = 20261124

COMPOSE_ID = "CentOS-Stream-9-20261124.0"
ANNOUNCED = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
NOW = ANNOUNCED + timedelta(hours=10)  # past the 6h deadlines, before the 12h and 1d ones

EVALUATE_TARGET = 0.020  # seconds
STORE_TARGET_RATIO = 5.0
REPEAT_EVALUATE, REPEAT_STORE = 30, 10

POSTGRES_URL = os.environ.get(
    "GATEKEEPER_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

FINAL_OUTCOMES = {"PASSED": 86, "INFO": 3, "FAILED": 3, "NEEDS_INSPECTION": 1, "ERROR": 2,
                  "QUEUED": 2, "RUNNING": 3}  # fmt: skip
EARLIER_OUTCOMES = {"PASSED": 45, "FAILED": 25, "ERROR": 10, "NEEDS_INSPECTION": 5,
                    "RUNNING": 10, "QUEUED": 5}  # fmt: skip


# -- the workload --------------------------------------------------------------------------------
def gate_yaml(team: str, index: int) -> str:
    """Gates 16-19 name a scenario, 18-19 are informational; some have deadlines."""
    lines = [f"  - testcase: {team}.test{index:02d}", f"    arches: [{', '.join(ARCHES)}]"]
    if index >= 16:
        lines.append("    scenario: packstack")
    if index >= 18:
        lines.append("    required: false")
    if index % 5 == 0:
        lines.append("    deadline: 6h")
    elif index % 7 == 3:
        lines += ["    deadline: 1d", "    on_missing: ignore"]
    return "\n".join(lines)


def write_policies(directory: Path) -> None:
    directory.mkdir(parents=True)
    for n in range(TEAMS):
        team = f"team{n:02d}"
        gates = "\n".join(gate_yaml(team, g) for g in range(GATES))
        text = (
            f"# benchmark team {n}\nteam: {team}\ndescription: Benchmark team {n}\n"
            f'contact: {team}-ci@example.org\nowns: ["{team}.*"]\n'
            f"reporters:\n  users: [{team}-bot]\n  groups: [CentOS/Integration/{team}]\n"
            'applies_to:\n  products: ["CentOS-Stream-*"]\n  types: [production]\n'
            f"gates:\n{gates}\n"
        )
        (directory / f"{team}.yaml").write_text(text, encoding="utf-8")


def result_keys(rng: random.Random) -> list[tuple[str, str | None, str, str]]:
    """(testcase, scenario, arch, variant) of every key that gets results.

    Scenario gates' testcases report two scenarios (one gated); testcases 12-15
    report two scenarios their scenario-less gate must both pass; 2% of
    (testcase, arch) pairs report nothing at all (missing).
    """
    keys = []
    for n in range(TEAMS):
        names = [(f"team{n:02d}.test{g:02d}", g) for g in range(GATES)]
        names += [(f"team{n:02d}.extra{e}", -1) for e in range(EXTRA_TESTCASES)]
        for testcase, g in names:
            scenarios: tuple[str | None, ...] = (None,)
            if g >= 16:
                scenarios = ("packstack", "tripleo")
            elif g >= 12:
                scenarios = ("default", "fips")
            for arch in ARCHES:
                if g >= 0 and rng.random() < 0.02:
                    continue
                keys += [(testcase, s, arch, v) for s in scenarios for v in VARIANTS]
    return keys


def make_results(rng: random.Random) -> list[Result]:
    """RESULTS results over the keys (at least one each), in submit order, ids 1..N."""
    keys = result_keys(rng)
    counts = collections.Counter(rng.choices(range(len(keys)), k=RESULTS - len(keys)))
    pending = []
    for index, (testcase, scenario, arch, variant) in enumerate(keys):
        runs = 1 + counts[index]
        seconds = 60 * rng.randrange(60, 360)  # after the announcement
        for run in range(runs):
            final = run == runs - 1
            weights = FINAL_OUTCOMES if final else EARLIER_OUTCOMES
            outcome = rng.choices(list(weights), list(weights.values()))[0]
            pending.append((seconds, rng.random(), testcase, scenario, arch, variant, outcome))
            if rng.random() >= 0.05:  # 5% of reruns tie on submit time: the id decides
                seconds += 60 * rng.randrange(5, 40) + rng.randrange(60)
    pending.sort(key=lambda p: (p[0], p[1]))
    results = []
    for rid, (seconds, _, testcase, scenario, arch, variant, outcome) in enumerate(pending, 1):
        team = testcase.split(".", 1)[0]
        results.append(
            Result(
                compose=COMPOSE_ID,
                testcase=testcase,
                outcome=Outcome(outcome),
                # one datetime per result, made with it, as the store and input files do
                submit_time=ANNOUNCED + timedelta(seconds=seconds),
                id=str(rid),
                scenario=scenario,
                arch=arch,
                variant=variant,
                ref_url=f"https://ci.example.org/{team}/jobs/{rid}",
                note="see the log" if outcome not in ("PASSED", "INFO") else None,
                data={"log": f"https://ci.example.org/{team}/jobs/{rid}/log.txt"},
                reporter=f"{team}-bot",
                source="bench",
            )
        )
    return results


def make_waivers(rng: random.Random, results: list[Result]) -> list[Waiver]:
    """Waivers of random gated testcases (half of them for one arch), a few revoked."""
    testcases = sorted({r.testcase for r in results if ".test" in r.testcase})
    waivers = []
    for index, testcase in enumerate(rng.sample(testcases, WAIVERS)):
        arch = rng.choice(ARCHES) if index % 2 else None
        time = ANNOUNCED + timedelta(hours=2, minutes=index)
        waivers.append(Waiver(id="", compose=COMPOSE_ID, testcase=testcase, time=time,
                              arch=arch, comment="known issue", username="releng"))  # fmt: skip
        if index % 8 == 7:
            waivers.append(Waiver(id="", compose=COMPOSE_ID, testcase=testcase,
                                  time=time + timedelta(hours=1), arch=arch, waived=False,
                                  comment="fixed, revoked", username="releng"))  # fmt: skip
    return [replace(w, id=str(i)) for i, w in enumerate(waivers, 1)]


# -- the figures ---------------------------------------------------------------------------------
def in_process(compose: Compose, policies: list[Policy], results: list[Result],
               waivers: list[Waiver]) -> tuple[list[Row], Decision]:  # fmt: skip
    """evaluate() on the results as a results file gives them, and on the generated ones.

    Parsed results (``inputs.parse_results``, as ``gatekeeper decide --results`` reads
    them; the store's ``results_for`` makes the same kind) hold one string object per
    field of each result; the generated ones share them (one "x86_64" for all). The
    engine reads ~5 strings per result, so the first is the realistic figure.
    """
    records = [{k: v for k, v in r.to_json().items() if k not in ("reporter", "source")}
               for r in results]  # fmt: skip
    array = json.dumps(records)
    loads = measure(lambda: json.loads(array), REPEAT_EVALUATE)
    jsonl = "\n".join(json.dumps(record) for record in records)
    parse_time, parsed = once(lambda: parse_results(jsonl, "results.jsonl", compose.id, NOW))
    decision = evaluate(compose, policies, parsed, waivers, NOW)
    if evaluate(compose, policies, results, waivers, NOW) != decision:
        raise AssertionError("parsed and generated results decide differently")
    timing = measure(lambda: evaluate(compose, policies, parsed, waivers, NOW), REPEAT_EVALUATE)
    shared = measure(lambda: evaluate(compose, policies, results, waivers, NOW), REPEAT_EVALUATE)
    target = f"<= {EVALUATE_TARGET * 1000:.0f} ms"
    return [
        Row("evaluate(), results parsed from JSON", timing.best, timing.median, "json.loads",
            loads.best, target, timing.best <= EVALUATE_TARGET),
        Row("evaluate(), results sharing strings", shared.best, shared.median, "json.loads",
            loads.best),
        Row("parse_results() of the JSON Lines (1 run)", parse_time, None, "json.loads",
            loads.best),
    ], decision  # fmt: skip


def bare_fetch(url: str, *, data: bool = True) -> Timing:
    """The baseline: the columns ``results_for`` reads, with a plain engine and Core select.

    ``data=False`` leaves out the ``data`` column (JSON, decoded row by row), which the
    engine never reads: how much of a fetch it costs.
    """
    c = t.results.c
    columns = [c.id, c.testcase, c.outcome, c.submit_time, c.scenario, c.arch, c.variant,
               c.ref_url, c.note, c.data, c.reporter, c.source]  # fmt: skip
    if not data:
        columns.remove(c.data)
    stmt = sa.select(*columns).where(c.compose_id == COMPOSE_ID).order_by(c.id)
    engine = sa.create_engine(url)
    try:

        def fetch() -> list[tuple[object, ...]]:
            # Each row's values kept as a plain tuple: the fastest way to hold them here.
            # .all() (Row objects) measured 30-50% slower, mostly in garbage collection.
            with engine.connect() as conn:
                return [tuple(row) for row in conn.execute(stmt)]

        rows = fetch()
        assert len(rows) == RESULTS, len(rows)
        return measure(fetch, REPEAT_STORE)
    finally:
        engine.dispose()


def cli_wall(workdir: Path, settings: Settings) -> tuple[float, float, str]:
    """Wall time of ``gatekeeper decide ID --json`` and of ``gatekeeper --version``."""
    exe = Path(sys.executable).with_name("gatekeeper")
    command = str(exe) if exe.exists() else (shutil.which("gatekeeper") or "gatekeeper")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEKEEPER_")}
    env.update(
        GATEKEEPER_DATABASE_URL=settings.database_url,
        GATEKEEPER_VAR_DIR=str(settings.var_dir),
        GATEKEEPER_POLICIES_DIR=str(settings.policies_dir),
    )

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([command, *args], cwd=workdir, env=env, capture_output=True,
                              text=True, check=False)  # fmt: skip

    version_time, _ = once(lambda: run("--version"))
    decide_time, proc = once(lambda: run("decide", COMPOSE_ID, "--json"))
    if proc.returncode not in (0, 1, 3):
        raise RuntimeError(f"gatekeeper decide exited {proc.returncode}: {proc.stderr.strip()}")
    verdict = json.loads(proc.stdout)["verdict"]
    return decide_time, version_time, verdict


def store_mode(name: str, url: str, workdir: Path, policies_dir: Path, results: list[Result],
               waivers: list[Waiver], expected: Decision) -> list[Row]:  # fmt: skip
    workdir.mkdir(parents=True, exist_ok=True)
    settings = Settings(var_dir=workdir / "var", database_url=url, policies_dir=policies_dir)
    app = Gatekeeper(settings, pm=make_plugin_manager(), clock=lambda: NOW)
    try:
        app.start()
        app.announce(COMPOSE_ID, at=ANNOUNCED)
        with app.store.transaction() as tx:
            for waiver in waivers:
                tx.add_waiver(waiver)
        actor = Actor(name="bench", is_admin=True)
        ingest_time, report = once(lambda: app.ingest(results, actor))
        assert len(report.stored) == RESULTS, len(report.stored)
        decision = app.decide(COMPOSE_ID, now=NOW)
        same = "same decision as in process" if decision == expected else "DECISION DIFFERS"
        print(f"  {name}: ingested {RESULTS} results in {ingest_time:.2f} s; {same}")
        timing = measure(lambda: app.decide(COMPOSE_ID, now=NOW), REPEAT_STORE)
        baseline = bare_fetch(url)
        without_data = bare_fetch(url, data=False)

        def results_for() -> None:
            with app.store.transaction(readonly=True) as tx:
                tx.results_for(COMPOSE_ID)

        fetch_only = measure(results_for, REPEAT_STORE)
        cli_time, version_time, verdict = cli_wall(workdir, settings)
        print(f"  {name}: `gatekeeper decide {COMPOSE_ID} --json` said {verdict}")
    finally:
        app.store.dispose()
    ratio = timing.best / baseline.best
    return [
        Row(f"decide(now=...), {name}", timing.best, timing.median, "bare select",
            baseline.best, f"<= {STORE_TARGET_RATIO:.0f}x", ratio <= STORE_TARGET_RATIO),
        Row(f"  of which results_for(), {name}", fetch_only.best, fetch_only.median,
            "bare select", baseline.best),
        Row(f"bare select without the data column, {name}", without_data.best,
            without_data.median, "bare select", baseline.best),
        Row(f"ingest {RESULTS} results, {name} (1 run)", ingest_time),
        Row(f"CLI decide --json, {name} (1 run, process start incl.)", cli_time,
            baseline_name="gatekeeper --version", baseline=version_time),
    ]  # fmt: skip


@contextmanager
def postgres_schema() -> Iterator[str | None]:
    """A URL on a fresh schema of the PostgreSQL test database (dropped after); None if down."""
    problem = scratch.unreachable(POSTGRES_URL)
    if problem:
        print(f"  PostgreSQL at {scratch.safe_url(POSTGRES_URL)!r} is not reachable, skipped: "
              f"{problem}")  # fmt: skip
        yield None
        return
    with scratch.postgres_schema(POSTGRES_URL, "gk_bench") as url:
        yield url


def describe(policies: list[Policy], results: list[Result], decision: Decision) -> str:
    keys = {r.key for r in results}
    kinds = collections.Counter(a.type for a in decision.answers)
    answers = ", ".join(f"{n} {kind.removeprefix('test-result-')}" for kind, n in
                        sorted(kinds.items(), key=lambda kv: -kv[1]))  # fmt: skip
    return (
        f"{len(policies)} policies, {len(requirements(policies))} requirements; "
        f"{len(results)} results over {len(keys)} keys "
        f"({len({r.testcase for r in results})} testcases)\n"
        f"verdict {decision.verdict}: {answers}"
    )


def main() -> int:
    rng = random.Random(SEED)
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="gk-bench-decide-") as tmp:
        workdir = Path(tmp)
        write_policies(workdir / "policies")
        policies = load_policies(workdir / "policies")
        results = make_results(rng)
        waivers = make_waivers(rng, results)
        compose = Compose.from_id(COMPOSE_ID, ANNOUNCED)
        rows, decision = in_process(compose, policies, results, waivers)
        print(describe(policies, results, decision))
        sqlite_dir = workdir / "sqlite"
        sqlite_url = f"sqlite:///{sqlite_dir / 'var' / 'gatekeeper.db'}"
        rows += store_mode("SQLite", sqlite_url, sqlite_dir, workdir / "policies", results,
                           waivers, decision)  # fmt: skip
        with postgres_schema() as pg_url:
            if pg_url is not None:
                rows += store_mode("PostgreSQL", pg_url, workdir / "pg", workdir / "policies",
                                   results, waivers, decision)  # fmt: skip
    print()
    print(table(rows))
    print()
    for row in rows:
        if row.met is not None:
            print(f"{'MET' if row.met else 'MISSED'}: {row.what.strip()} {row.target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
