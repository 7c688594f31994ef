"""Benchmark: what waivers that expire, known issues and reruns (issue #17) cost a report
and the deadline timer.

Two applications on the same database kind, each deciding bench/decide.py's compose (4,000
requirements, its 40,000 results, ingested untimed): **plain**, and **with triage**, which
also holds 300 known issues (all products, 1 in 3 expiring, 1 in 10 closed), 500 waivers of
the compose with an expiry, and 200 rerun requests. Then, alternating between the two:

- **a one-result report** through ``Gatekeeper.ingest``, the outcome of one requirement
  flipping every second report (bench/scale.py's measure): with triage / plain. Target:
  <= 1.5x.
- **an ERROR retried**: a one-result ``ERROR`` report on a gate with ``retries: 2``, each of
  a new key (variant), so each makes an automatic rerun request and its outbox entry, beside
  the plain app's report. Information.
- **the deadline timer's look** (``next_deadline()``) over 20 open composes, with triage
  (their expiring waivers and known issues) / plain. Target: <= 2x.

On SQLite and, when reachable, PostgreSQL (a fresh schema each, dropped afterwards).

    .venv/bin/python bench/run.py triage
"""

from __future__ import annotations

import random
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import decide
from _common import fmt_time, grid, machine, measure
from decide import ANNOUNCED, COMPOSE_ID, NOW, SEED
from scale import FILL_ACTOR, timed

from gatekeeper.config import Settings
from gatekeeper.model import Outcome, Result
from gatekeeper.plugins import make_plugin_manager
from gatekeeper.service import Actor, Gatekeeper

REPORT_TARGET, TIMER_TARGET = 1.5, 2.0
ISSUES, WAIVERS, RERUNS, OPEN_COMPOSES = 300, 500, 200, 20
TESTCASE, ARCH = "team07.test03", "x86_64"
RETRIED = "team08.test01"  # its gate gets retries: 2 in both applications
REPORTER = Actor(name="team07-bot")
RETRY_REPORTER = Actor(name="team08-bot")
WAIVER = Actor(name="releng", is_admin=True, can_waive=True)
FIRST = ANNOUNCED + timedelta(hours=9, minutes=30)


def write_policies(directory: Path) -> None:
    decide.write_policies(directory)
    path = directory / "team08.yaml"
    text = path.read_text(encoding="utf-8")
    gate = f"  - testcase: {RETRIED}\n"
    assert gate in text, "bench/decide.py's policies changed"
    path.write_text(text.replace(gate, gate + "    retries: 2\n", 1), encoding="utf-8")


class Side:
    """One application, its compose filled, its reports counted."""

    def __init__(self, name: str, url: str, workdir: Path, policies: Path) -> None:
        settings = Settings(var_dir=workdir / "var", database_url=url, policies_dir=policies)
        self.name = name
        self.app = Gatekeeper(settings, pm=make_plugin_manager(), clock=lambda: NOW)
        self.app.dispatcher.inline = False  # the request path only: sending is elsewhere
        self.app.start()
        self.k = 0
        for n in range(OPEN_COMPOSES):
            self.app.announce(f"CentOS-Stream-9-202611{n % 28 + 1:02d}.{n // 28 + 1}",
                              at=ANNOUNCED)  # fmt: skip
        self.app.announce(COMPOSE_ID, at=ANNOUNCED)
        results = decide.make_results(random.Random(SEED))
        for start in range(0, len(results), 10_000):
            self.app.ingest(results[start : start + 10_000], FILL_ACTOR)

    def add_triage(self) -> None:
        rng = random.Random(SEED + 17)
        # the reported testcases are left out: both sides make the same decisions of them
        testcases = sorted({g.testcase for p in self.app.policies for g in p.gates} -
                           {TESTCASE, RETRIED})  # fmt: skip
        for n in range(ISSUES):
            issue = self.app.triage.add_known_issue(
                WAIVER, product="CentOS-Stream-*", testcase=rng.choice(testcases),
                bug=f"https://bugs.example.org/{n}", comment="known",
                expires=f"{rng.randrange(1, 30)}d" if n % 3 == 0 else None,
                arch=rng.choice(decide.ARCHES),
            )  # fmt: skip
            if n % 10 == 0:
                self.app.triage.close_known_issue(WAIVER, issue.id)
        for _ in range(WAIVERS):
            self.app.waive(COMPOSE_ID, rng.choice(testcases), actor=WAIVER, comment="bench",
                           arch=rng.choice(decide.ARCHES), expires=f"{rng.randrange(1, 72)}h",
                           bug="https://bugs.example.org/w")  # fmt: skip
        for _ in range(RERUNS):
            self.app.triage.rerun(COMPOSE_ID, rng.choice(testcases), actor=WAIVER,
                                  reason="bench")  # fmt: skip

    def report(self, outcome: Outcome, testcase: str = TESTCASE,
               actor: Actor = REPORTER) -> Any:  # fmt: skip
        self.k += 1
        variant = "BaseOS" if testcase == TESTCASE else f"v{self.k}"  # a retry per new key
        result = Result(COMPOSE_ID, testcase, outcome, FIRST + timedelta(seconds=self.k),
                        id=f"b{self.k}", arch=ARCH, variant=variant)  # fmt: skip
        return self.app.ingest([result], actor).version


def measure_kind(name: str, url_of: Any, root: Path) -> list[list[str]]:
    policies = root / "policies"
    if not policies.exists():
        write_policies(policies)
    plain = Side("plain", url_of("plain"), root / f"{name}-plain", policies)
    triage = Side("with triage", url_of("triage"), root / f"{name}-triage", policies)
    try:
        triage.add_triage()
        flip = [Outcome.PASSED, Outcome.PASSED, Outcome.FAILED, Outcome.FAILED]
        (bare, made), (full, made_too), (retried, _) = timed(
            lambda n: plain.report(flip[n % 4]),
            lambda n: triage.report(flip[n % 4]),
            lambda n: triage.report(Outcome.ERROR, RETRIED, RETRY_REPORTER),
        )
        look_plain = measure(plain.app.next_deadline, 15)
        look_triage = measure(triage.app.next_deadline, 15)
    finally:
        plain.app.store.dispose()
        triage.app.store.dispose()
    report_ratio = full.median / bare.median
    look_ratio = look_triage.median / look_plain.median
    versions = [sum(v is not None for v in said) for said in (made, made_too)]
    print(f"  {name}: {len(full.runs)} reports each; new decision versions: plain "
          f"{versions[0]}, with triage {versions[1]}", flush=True)  # fmt: skip
    return [
        [f"{name}: one-result report", fmt_time(bare.median), fmt_time(full.median),
         f"{report_ratio:.2f}x", f"<= {REPORT_TARGET}x",
         "MET" if report_ratio <= REPORT_TARGET else "MISSED"],
        [f"{name}: an ERROR retried (its rerun request made)", fmt_time(bare.median),
         fmt_time(retried.median), f"{retried.median / bare.median:.2f}x", "info", "-"],
        [f"{name}: next_deadline(), {OPEN_COMPOSES + 1} open composes", fmt_time(
            look_plain.median), fmt_time(look_triage.median), f"{look_ratio:.2f}x",
         f"<= {TIMER_TARGET}x", "MET" if look_ratio <= TIMER_TARGET else "MISSED"],
    ]  # fmt: skip


def main() -> int:
    print(f"machine: {machine()}")
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory(prefix="gk-bench-triage-") as tmp:
        root = Path(tmp)
        for side in ("plain", "triage"):
            (root / side).mkdir()
        rows += measure_kind("SQLite", lambda side: f"sqlite:///{root / side / 'gk.db'}", root)
        with decide.postgres_schema() as first, decide.postgres_schema() as second:
            if first is not None and second is not None:
                urls = {"plain": str(first), "triage": str(second)}
                rows += measure_kind("PostgreSQL", urls.__getitem__, root)
    print()
    print(grid(("figure", "plain (baseline)", "with triage", "ratio", "target", "status"),
               rows))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
