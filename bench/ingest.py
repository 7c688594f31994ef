"""Benchmark: ingesting a big JUnit report and a big tmt run, next to their bare parse.

A JUnit XML file of 20,000 testcases (pytest-style: ten suites and one holding two nested
ones, classnames, suite and testcase properties, ~3% failures and ~1% errors with
tracebacks, ~4% skipped, some flaky reruns, captured output; two suites re-run two others'
tests on aarch64) and a tmt run directory whose one plan's ``execute/results.yaml`` holds
5,000 results (as tmt 1.78 writes it: internal ``__class__`` keys, nulls, guest data, logs,
checks on a third of them, subresults on a tenth; with ``run.yaml`` and the plan's
``provision/guests.yaml``) are written to a temporary directory, with 32 team policies
(YAML files): ``ci`` owns the JUnit report's testcases and gates 300 of them,
``t_functional`` the tmt run's (200 gates), 30 other teams gate 20 testcases each.

Each step below runs in a fresh process of its own (interpreter start and imports are not
timed; a store's migrations and the compose's announcement happen before the clock starts),
so its peak RSS (``ru_maxrss`` of that process) is its own. The steps take turns, ROUNDS
rounds of the six, so that a busy moment of the machine hits them alike; best and median:

- (a) baseline: ``junitparser.JUnitXml.fromfile(path)``, then every testcase of every
  suite (nested ones too) and its ``name``, ``classname`` and ``result`` read;
- (b) the junit plugin's parse of the file, as ``gatekeeper report junit`` does it
  (``parse_files``, the file read through the command's size-capped reader).
  Target: <= 2x (a);
- (c) ``gatekeeper report junit FILE --compose ID --namespace ci --reporter ci-bot`` in
  process on a fresh SQLite store: (b), then ``Gatekeeper.ingest`` (authorise, insert,
  decide again, record the decision), the two timed apart; for information, next to (a);
- (d) baseline: ``yaml.load`` of results.yaml with ``yaml.CSafeLoader`` (else ``SafeLoader``);
- (e) the tmt plugin's ``read_run`` of the run directory (``gatekeeper report tmt``'s
  parse). Target: <= 2x (d);
- (f) ``gatekeeper report tmt RUN_DIR ...`` in process on a fresh SQLite store: (e), then
  ``Gatekeeper.ingest``, timed apart; for information, next to (d).

Then, in this process, "20,000 results into SQLite": ``Gatekeeper.ingest`` of the JUnit
file's 20,000 results, already parsed (with ``skipped = "info"``, so every testcase is one),
as one report into a fresh store each run (best and median of STORE_RUNS, after one untimed
run; the first run's decision is checked against a what-if ``decide`` from every stored
result). Target: <= 1 s. The same on PostgreSQL for information
(``GATEKEEPER_TEST_DATABASE_URL``, default the local ``test`` database; a fresh schema per
run through ``?options=-csearch_path%3D<schema>``, dropped afterwards; skipped when
unreachable). Last, for information, where the time of (b), (e) and the 20,000-result
ingest goes: each part's own time (the faster of BREAKDOWN_RUNS instrumented runs in fresh
processes), and the time the cyclic garbage collector took in all of it (``gc.callbacks``).

    .venv/bin/python bench/run.py ingest       # about 2 minutes
"""

from __future__ import annotations

import gc
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _common import Parts, Row, fmt_time, machine, table

TESTCASES, TMT_RESULTS, SEED = 20_000, 5_000, 20261125
ROUNDS, STORE_RUNS, BREAKDOWN_RUNS = 5, 5, 3  # runs of each step
PARSE_TARGET = 2.0  # x the bare parse
STORE_TARGET = 1.0  # seconds for 20,000 results into SQLite

COMPOSE_ID = "CentOS-Stream-9-20261125.0"
ANNOUNCED = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
NOW = ANNOUNCED + timedelta(days=14)  # after the tmt run's last result: none from the future
JUNIT_NS, TMT_NS, PLAN = "ci", "t_functional", "/plans/functional"
OTHER_TEAMS = ("anaconda", "base", "bootloader", "cloud", "cockpit", "compiler", "containers",
               "desktop", "dotnet", "firmware", "hyperscale", "identity", "installer", "kernel",
               "network", "nodejs", "openjdk", "perl", "podman", "python", "ruby", "security",
               "selinux", "storage", "systemd", "toolchain", "virt", "web", "xorg",
               "zstream")  # fmt: skip
POSTGRES_URL = os.environ.get(
    "GATEKEEPER_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
HERE = Path(__file__).resolve()
GC_LABEL = "cyclic garbage collection"


# -- the workload: a JUnit file -------------------------------------------------------------------
# (suite name, testcases, properties): the two aarch64 suites re-run two x86_64 suites' tests
SUITES: tuple[tuple[str, int, dict[str, str]], ...] = (
    ("compose.repos", 2000, {}),
    ("compose.packages", 2400, {}),
    ("compose.install", 1600, {"scenario": "minimal"}),
    ("compose.upgrade", 1500, {}),
    ("compose.security", 1800, {}),
    ("compose.network", 1400, {}),
    ("compose.storage", 1700, {}),
    ("compose.containers", 1600, {}),
    ("compose.repos@aarch64", 2000, {"arch": "aarch64"}),
    ("compose.packages@aarch64", 2400, {"arch": "aarch64"}),
    ("compose.integration", 0, {}),  # holds the two nested suites below
    ("compose.integration.cloud", 800, {}),
    ("compose.integration.virt", 800, {"variant": "AppStream"}),
)
assert sum(n for _, n, _ in SUITES) == TESTCASES
TRACEBACK = """\
self = <test_{mod}.{cls} object at 0x7f3a2c1b9d60>
repo = Repo(name='{suite}', url='https://composes.example.org/{suite}')

    def {name}(self, repo):
        meta = repo.metadata()
>       assert meta.checksum == expected_checksum(repo)
E       AssertionError: assert 'sha256:9f8e...' == 'sha256:1a2b...'
E         - sha256:1a2b3c4d5e6f
E         + sha256:9f8e7d6c5b4a

tests/{mod}.py:{line}: AssertionError"""


def _case_xml(rng: random.Random, suite: str, index: int, classname: str, name: str) -> str:
    line = 40 + index % 400
    attrs = (f'classname="{classname}" name="{name}" file="tests/test_{index // 60}.py" '
             f'line="{line}" time="{rng.uniform(0.001, 4):.3f}"')  # fmt: skip
    body = []
    if rng.random() < 0.02:  # pytest record_property
        body.append('<properties><property name="owner" value="qe"/>'
                    '<property name="bug" value="RHEL-1234"/></properties>')  # fmt: skip
    roll = rng.random()
    mod, cls = f"m{index // 60}", classname.rsplit(".", 1)[-1]
    trace = TRACEBACK.format(mod=mod, cls=cls, suite=suite, name=name, line=line)
    if roll < 0.03:
        body.append(f'<failure message="AssertionError: assert checksums match" '
                    f'type="AssertionError">{escape(trace)}</failure>')  # fmt: skip
    elif roll < 0.04:
        body.append(f'<error message="failed on setup with &quot;fixture repo timed out'
                    f'&quot;" type="TimeoutError">{escape(trace)}</error>')  # fmt: skip
    elif roll < 0.08:
        body.append('<skipped type="pytest.skip" message="needs FIPS mode">'
                    f"tests/{mod}.py:{line}: needs FIPS mode</skipped>")  # fmt: skip
    elif roll < 0.085:
        body.append('<flakyFailure message="connection reset" type="ConnectionError">'
                    f"<stackTrace>{escape(trace)}</stackTrace></flakyFailure>")  # fmt: skip
    if rng.random() < 0.15:
        out = "\n".join(f"INFO checking {name} step {n}" for n in range(rng.randrange(2, 12)))
        body.append(f"<system-out>{escape(out)}</system-out>")
    if rng.random() < 0.03:
        body.append("<system-err>DeprecationWarning: datetime.utcnow() is deprecated</system-err>")
    if not body:
        return f"    <testcase {attrs}/>"
    return f"    <testcase {attrs}>" + "".join(body) + "</testcase>"


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_junit(path: Path, rng: random.Random) -> list[str]:
    """The JUnit file; returns its gatekeeper testcase names (``ci.<classname>.<name>``)."""
    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             f'<testsuites name="pytest tests" tests="{TESTCASES}" time="5123.4">']  # fmt: skip
    names: dict[str, list[str]] = {}
    for suite, count, props in SUITES:
        base = suite.split("@", 1)[0]
        nested = suite.startswith("compose.integration.")
        if suite == "compose.integration":
            lines.append(f'  <testsuite name="{suite}" tests="1600" hostname="ci-runner-07">')
            continue
        stamp = f"2026-11-25T03:{len(lines) % 60:02d}:00"
        lines.append(f'  <testsuite name="{base}" tests="{count}" timestamp="{stamp}" '
                     f'hostname="ci-runner-07" time="{count * 0.4:.1f}">')  # fmt: skip
        props_xml = [f'<property name="{k}" value="{v}"/>' for k, v in props.items()]
        props_xml += ['<property name="python" value="3.12.4"/>',
                      '<property name="runner" value="ci-runner-07.example.org"/>']  # fmt: skip
        lines.append(f"    <properties>{''.join(props_xml)}</properties>")
        if base in names:
            cases = names[base]
        else:
            cases = []
            for index in range(count):
                area = base.rsplit(".", 1)[-1]
                classname = f"tests.{area}.test_{area}_{index // 60:03d}.Test{index // 12 % 5}"
                cases.append(f"{classname}|test_{area}_{index:05d}[variant{index % 3}]")
            names[base] = cases
        for index, case in enumerate(cases):
            classname, name = case.split("|")
            lines.append(_case_xml(rng, base, index, classname, name))
        lines.append("  </testsuite>")
        if nested and suite.endswith(".virt"):
            lines.append("  </testsuite>")  # closes compose.integration
    lines.append("</testsuites>")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return sorted({f"{JUNIT_NS}.{c.replace('|', '.')}" for cases in names.values() for c in cases})


# -- the workload: a tmt run ----------------------------------------------------------------------
TMT_RESULT = """\
- __class__:
    module: tmt.result
    name: Result
  check: {check}
  context: {{}}
  data-path: data/guest/default-0/tests/{area}/{short}-{serial}/data
  duration: {duration}
  end-time: '{end}'
  fmf-id:
    name: {name}
    path: /
    ref: main
    url: https://gitlab.com/CentOS/Integration/t_functional.git
  guest:
    __class__:
      module: tmt.result
      name: ResultGuestData
    name: default-0
    primary-address: 10.0.185.21
    role: null
  ids:
    extra-nitrate: {nitrate}
    extra-task: null
    id: {fmf_id}
  log:
  - data/guest/default-0/tests/{area}/{short}-{serial}/output.txt
  - data/guest/default-0/tests/{area}/{short}-{serial}/journal.txt{check_logs}
  name: {name}
  note: {note}
  original-result: {result}
  result: {result}
  serial-number: {serial}
  start-time: '{start}'
  subresult: {subresult}
  web-link: null
"""
TMT_CHECK = """
  - __class__:
      module: tmt.result
      name: CheckResult
    duration: null
    end-time: '{time}'
    event: {event}
    log:
    - data/guest/default-0/tests/{area}/{short}-{serial}/checks/{check}-{event}.txt
    name: {check}
    note: []
    original-result: {result}
    result: {result}
    start-time: '{time}'"""
TMT_SUBRESULT = """
  - __class__:
      module: tmt.result
      name: SubResult
    check: []
    duration: null
    end-time: '{time}'
    log: []
    name: /{short}/phase-{n}
    note: []
    original-result: {result}
    result: {result}
    start-time: null"""
TMT_OUTCOMES = {"pass": 900, "fail": 40, "error": 10, "warn": 5, "skip": 20, "info": 20,
                "pending": 5}  # fmt: skip
GUESTS_YAML = """\
default-0:
  -OPTIONLESS-FIELDS:
  - primary_address
  - topology_address
  - facts
  __class__:
    module: tmt.guest
    name: GuestData
  become: false
  environment: {}
  facts:
    __class__:
      module: tmt.guest
      name: GuestFacts
    arch: x86_64
    distro: CentOS Stream 9
    distro-id: centos
    has-rsync: true
    has-selinux: true
    has-systemd: true
    is-container: false
    is-superuser: true
    kernel-release: 5.14.0-630.el9.x86_64
    os-release-content:
      ID: centos
      NAME: CentOS Stream
      VERSION_ID: '9'
    package-manager: dnf
  hardware: null
  image: CentOS-Stream-9-20261125.0
  primary-address: 10.0.185.21
  role: null
  topology-address: null
"""
RUN_YAML = """\
__class__:
  module: tmt.base.run
  name: RunData
context: {}
environment: {}
plans:
- /plans/functional
remove: null
root: /srv/t_functional
steps: [discover, provision, prepare, execute, report, finish, cleanup]
"""


def write_tmt_run(run_dir: Path, rng: random.Random) -> list[str]:
    """The run directory (one plan of TMT_RESULTS results); returns the testcase names."""
    plan_dir = run_dir / PLAN.strip("/")
    (plan_dir / "execute").mkdir(parents=True)
    (plan_dir / "provision").mkdir()
    (run_dir / "run.yaml").write_text(RUN_YAML, encoding="utf-8")
    (plan_dir / "provision" / "guests.yaml").write_text(GUESTS_YAML, encoding="utf-8")
    started = ANNOUNCED + timedelta(hours=1)
    items, testcases = [], []
    areas = ("packages", "services", "security", "network", "storage", "kernel", "users",
             "repos", "selinux", "boot")  # fmt: skip
    for serial in range(1, TMT_RESULTS + 1):
        area = areas[serial % len(areas)]
        short = f"{area}-{serial:04d}"
        name = f"/tests/{area}/{short}"
        testcases.append(f"{TMT_NS}.tests.{area}.{short}")
        result = rng.choices(list(TMT_OUTCOMES), list(TMT_OUTCOMES.values()))[0]
        seconds = rng.randrange(1, 300)
        start = started
        started += timedelta(seconds=seconds, microseconds=rng.randrange(10**6))
        iso = {"start": start.isoformat(), "end": started.isoformat()}
        checks, check_logs = "[]", ""
        if serial % 3 == 0:  # a third of the tests run checks
            check_result = "fail" if rng.random() < 0.02 else "pass"
            checks = "".join(TMT_CHECK.format(time=iso["end"], event=event, short=short,
                                              serial=serial, check=check, area=area,
                                              result=check_result if check == "avc" else "pass")
                             for check in ("avc", "dmesg")
                             for event in ("before-test", "after-test"))  # fmt: skip
            check_logs = "".join(
                f"\n  - data/guest/default-0/tests/{area}/{short}-{serial}/checks/{c}.txt"
                for c in ("avc-after-test", "dmesg-after-test"))  # fmt: skip
        subresults = "[]"
        if serial % 10 == 0:  # beakerlib-style phases
            subresults = "".join(
                TMT_SUBRESULT.format(time=iso["end"], short=short, n=n,
                                     result="fail" if result == "fail" and n == 3 else "pass")
                for n in range(1, 4))  # fmt: skip
        items.append(TMT_RESULT.format(
            check=checks, short=short, serial=serial, area=area,
            duration=f"00:{seconds // 60:02d}:{seconds % 60:02d}", name=name,
            nitrate=f"TC#{700000 + serial}" if serial % 4 == 0 else "null",
            fmf_id=uuid.UUID(int=rng.getrandbits(128), version=4) if serial % 2 else "null",
            check_logs=check_logs, result=result, subresult=subresults,
            note="[]" if result != "error" else "\n  - 'timeout: test exceeded its duration'",
            **iso,
        ))  # fmt: skip
    (plan_dir / "execute" / "results.yaml").write_text("".join(items), encoding="utf-8")
    return testcases


# -- the workload: policies -----------------------------------------------------------------------
def write_policies(directory: Path, junit: Sequence[str], tmt: Sequence[str],
                   rng: random.Random) -> None:  # fmt: skip
    """``ci`` gates 300 of the JUnit testcases on x86_64 and aarch64, ``t_functional`` 200
    of the tmt tests in its plan; 30 other teams gate 20 testcases each (all missing)."""
    directory.mkdir(parents=True)

    def policy(team: str, reporter: str, gates: list[str]) -> str:
        return (
            f"team: {team}\ndescription: {team} tests\ncontact: {team}@example.org\n"
            f'owns: ["{team}.*"]\nreporters:\n  users: [{reporter}]\n'
            'applies_to:\n  products: ["CentOS-Stream-*"]\n'
            "gates:\n" + "\n".join(gates) + "\n"
        )

    ci = [f"  - testcase: {name}\n    arches: [x86_64, aarch64]" if ".repos." in name or
          ".packages." in name else f"  - testcase: {name}\n    arches: [x86_64]"
          for name in sorted(rng.sample(list(junit), 300))]  # fmt: skip
    ci += ["  - testcase: ci.smoke.never_reported\n    deadline: 12h\n    on_missing: ignore"]
    tf = [f"  - testcase: {name}\n    scenario: {PLAN}\n    arches: [x86_64]"
          for name in sorted(rng.sample(list(tmt), 200))]  # fmt: skip
    files = {JUNIT_NS: policy(JUNIT_NS, "ci-bot", ci),
             TMT_NS: policy(TMT_NS, "t-functional-bot", tf)}  # fmt: skip
    for team in OTHER_TEAMS:
        gates = [f"  - testcase: {team}.test{n:02d}\n    arches: [x86_64, aarch64]"
                 for n in range(20)]  # fmt: skip
        files[team] = policy(team, f"{team}-bot", gates)
    for team, text in files.items():
        (directory / f"{team}.yaml").write_text(text, encoding="utf-8")


# -- the child processes: one step each, figures as one JSON line on stdout ---------------------
def _peak_rss() -> float:
    """This process's peak resident set size so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_now() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _app(workdir: Path) -> Any:
    """A started Gatekeeper on a fresh SQLite store in ``workdir`` (with its policies/), the
    compose announced: what exists before a report comes in."""
    from gatekeeper.config import Settings
    from gatekeeper.service import Gatekeeper

    var = Path(tempfile.mkdtemp(prefix="var-", dir=workdir))
    settings = Settings(var_dir=var, database_url=f"sqlite:///{var / 'gatekeeper.db'}",
                        policies_dir=workdir / "policies")  # fmt: skip
    app = Gatekeeper(settings, clock=lambda: NOW)
    app.start()
    app.announce(COMPOSE_ID, at=ANNOUNCED)
    return app


def _junit_bare(path: str) -> int:
    """The baseline: junitparser's parse, every testcase (nested suites' too) read."""
    from junitparser import JUnitXml

    count = 0
    for suite in JUnitXml.fromfile(path):
        for case in suite:  # a suite's cases, then those of the suites inside it
            _ = (case.name, case.classname, case.result)
            count += 1
    return count


def _junit_parse(path: str) -> list[Any]:
    """What ``gatekeeper report junit PATH --compose ID --namespace ci ...`` parses."""
    from functools import partial

    from gatekeeper_junit.cli import read_capped
    from gatekeeper_junit.parse import Options, parse_files
    from gatekeeper_junit.settings import JunitSettings

    settings = JunitSettings()  # [junit]'s defaults
    opts, _ = Options.from_mapping(COMPOSE_ID, {
        "namespace": JUNIT_NS, "arch": "x86_64", "name_format": settings.name_format,
        "skipped": settings.skipped, "max_bytes": settings.max_bytes,
        "ref_url": "https://ci.example.org/job/4242", "run_id": "4242"})  # fmt: skip
    return parse_files([(path, partial(read_capped, path, opts.max_bytes))], opts).results


def _tmt_parse(run_dir: str) -> list[Any]:
    """What ``gatekeeper report tmt RUN_DIR --compose ID --namespace t_functional`` parses."""
    from gatekeeper_tmt.run import Options, read_run

    options = Options(namespace=TMT_NS, log_url="https://artifacts.example.org/{run}/{log}",
                      now=NOW)  # fmt: skip
    return read_run(Path(run_dir), compose=COMPOSE_ID, options=options)


def _timed(step: Callable[[], Any]) -> dict[str, Any]:
    gc.collect()
    before = _rss_now()
    start = time.perf_counter()
    value = step()
    seconds = time.perf_counter() - start
    count = value if isinstance(value, int) else len(value)
    return {"seconds": seconds, "rss_before": before, "peak_rss": _peak_rss(), "results": count}


def _ingest(workdir: str, kind: str, path: str) -> dict[str, Any]:
    """The report command's work after start-up: parse, then ``Gatekeeper.ingest``."""
    from gatekeeper_junit.parse import stamped

    from gatekeeper.service import Actor

    app = _app(Path(workdir))
    actor = Actor(name="ci-bot" if kind == "junit" else "t-functional-bot")  # not an admin
    gc.collect()
    before = _rss_now()
    start = time.perf_counter()
    # the junit command stamps the results with the service's clock, as done here
    junit = kind == "junit"
    results = stamped(_junit_parse(path), app.clock()) if junit else _tmt_parse(path)
    parsed = time.perf_counter()
    report = app.ingest(results, actor)
    end = time.perf_counter()
    app.store.dispose()
    return {"seconds": end - start, "parse": parsed - start, "store": end - parsed,
            "rss_before": before, "peak_rss": _peak_rss(), "results": len(results),
            "stored": len(report.stored), "verdict": report.decision.verdict,
            "summary": report.decision.summary}  # fmt: skip


def child(args: Sequence[str]) -> int:
    """``ingest.py --child STEP ...``: run one step, print its figures as JSON."""
    step, *rest = args
    if step == "junit-bare":
        import junitparser  # noqa: F401  (imported before the clock starts, as below)

        result = _timed(lambda: _junit_bare(rest[0]))
    elif step == "junit-parse":
        import gatekeeper_junit.cli  # noqa: F401

        result = _timed(lambda: _junit_parse(rest[0]))
    elif step == "tmt-bare":
        import yaml

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        result = _timed(lambda: yaml.load(Path(rest[0]).read_bytes(), Loader=loader))
    elif step == "tmt-parse":
        import gatekeeper_tmt.run  # noqa: F401

        result = _timed(lambda: _tmt_parse(rest[0]))
    elif step in ("junit-ingest", "tmt-ingest"):
        workdir, path = rest
        result = _ingest(workdir, step.split("-")[0], path)
    elif step in ("junit-parse-parts", "tmt-parse-parts"):
        result = {"parts": _parse_parts(step.split("-")[0], rest[0])}
    elif step == "ingest-parts":
        result = {"parts": _ingest_parts(*rest)}
    else:
        raise SystemExit(f"unknown step {step!r}")
    print(json.dumps(result))
    return 0


# -- the parent: the steps in child processes ---------------------------------------------------
def run_child(*args: str) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, str(HERE), "--child", *args],
                          capture_output=True, text=True, check=False)  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"step {args[0]} failed ({proc.returncode}):\n{proc.stderr.strip()}")
    figures: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return figures


def measure_children(root: Path, junit: Path, run_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """ROUNDS rounds of the six steps, each step in a fresh process."""
    results_yaml = run_dir / PLAN.strip("/") / "execute" / "results.yaml"
    steps = (
        ("junit-bare", str(junit)),
        ("junit-parse", str(junit)),
        ("junit-ingest", str(root), str(junit)),
        ("tmt-bare", str(results_yaml)),
        ("tmt-parse", str(run_dir)),
        ("tmt-ingest", str(root), str(run_dir)),
    )
    runs: dict[str, list[dict[str, Any]]] = {}
    for _ in range(ROUNDS):
        for step in steps:
            runs.setdefault(step[0], []).append(run_child(*step))
    return runs


# -- the parent: 20,000 parsed results into a store, in process --------------------------------
def parsed_junit(path: Path) -> list[Any]:
    """The JUnit file's results, every testcase one (skipped ones as INFO)."""
    from gatekeeper_junit.parse import Options, parse_files

    opts, _ = Options.from_mapping(COMPOSE_ID, {"namespace": JUNIT_NS, "arch": "x86_64",
                                                "skipped": "info", "run_id": "4242",
                                                "submit_time": NOW})  # fmt: skip
    return parse_files([(str(path), path.read_bytes())], opts).results


def fresh_app(url: str, var: Path, policies: Path) -> Any:
    from gatekeeper.config import Settings
    from gatekeeper.service import Gatekeeper

    app = Gatekeeper(Settings(var_dir=var, database_url=url, policies_dir=policies),
                     clock=lambda: NOW)  # fmt: skip
    app.start()
    app.announce(COMPOSE_ID, at=ANNOUNCED)
    return app


def store_runs(name: str, urls: Iterator[str], root: Path, results: list[Any]) -> list[float]:
    """Wall times of ``Gatekeeper.ingest`` of ``results`` as one report, each run into a fresh
    store (after one untimed run); the first run's decision is checked against a what-if
    ``decide`` from all the compose's results."""
    from gatekeeper.service import Actor

    times = []
    for n in range(STORE_RUNS + 1):
        app = fresh_app(next(urls), root / f"{name}-{n}", root / "policies")
        try:
            gc.collect()
            start = time.perf_counter()
            report = app.ingest(results, Actor(name="ci-bot"))
            seconds = time.perf_counter() - start
            assert len(report.stored) == len(results), (len(report.stored), len(results))
            if n == 0:
                same = report.decision == app.decide(COMPOSE_ID, now=NOW)
                check = "same decision as decide(now=...)" if same else "DECISION DIFFERS"
                print(f"  {name}: {len(results):,} results stored; {check}")
        finally:
            app.store.dispose()
        if n:
            times.append(seconds)
    return times


def sqlite_urls(root: Path) -> Iterator[str]:
    n = 0
    while True:
        n += 1
        yield f"sqlite:///{root / f'sqlite-db-{n}' / 'gatekeeper.db'}"


@contextmanager
def postgres_schemas() -> Iterator[Iterator[str] | None]:
    """URLs of fresh schemas of the PostgreSQL test database (dropped after); None if down."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    admin = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 5})
    try:
        with admin.connect():
            pass
    except sa.exc.OperationalError as exc:
        admin.dispose()
        print(f"  PostgreSQL at {make_url(POSTGRES_URL)!r} is not reachable, skipped: "
              f"{str(exc).splitlines()[0]}")  # fmt: skip
        yield None
        return
    made: list[str] = []

    def schemas() -> Iterator[str]:
        while True:
            schema = f"gk_bench_{uuid.uuid4().hex[:12]}"
            with admin.begin() as conn:
                conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
            made.append(schema)
            url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
            yield url.render_as_string(hide_password=False)

    try:
        yield schemas()
    finally:
        with admin.begin() as conn:
            for schema in made:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# -- where the time goes (child processes, for information) ------------------------------------
class GCTime:
    """Wall time spent in the cyclic garbage collector while installed (``gc.callbacks``)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._start = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._start

    @contextmanager
    def installed(self) -> Iterator[GCTime]:
        gc.callbacks.append(self)
        try:
            yield self
        finally:
            gc.callbacks.remove(self)


def _parse_parts(kind: str, path: str) -> dict[str, float]:
    """A plugin parse, its parts wrapped in timers (in a child process)."""
    parts = Parts()
    if kind == "junit":
        import gatekeeper_junit.cli  # noqa: F401  (what _junit_parse imports, not timed)
        import gatekeeper_junit.parse as junit_parse

        parts.wrap(junit_parse, "parse_xml", "read the XML (xmlsafe's expat callbacks)")
        parts.wrap(junit_parse, "_fold", "fold duplicates, make Results (ids: SHA-256)")
        label, parse = "read the testcases (names, outcomes, data)", lambda: _junit_parse(path)
    else:
        import gatekeeper_tmt.results as tmt_results
        import gatekeeper_tmt.run as tmt_run

        parts.wrap(tmt_results, "load", "load results.yaml (PyYAML, CSafeLoader)")
        parts.wrap(tmt_run, "load", "load guests.yaml")
        label, parse = "check the fields, make Results", lambda: _tmt_parse(path)
    gc.collect()
    with GCTime().installed() as collector, parts.part(label):
        parse()
    return {**parts.seconds, GC_LABEL: collector.seconds}


def _ingest_parts(workdir: str, path: str) -> dict[str, float]:
    """``Gatekeeper.ingest`` of the JUnit file's 20,000 results, its parts wrapped in timers
    (in a child process; the parse is not timed)."""
    from gatekeeper.service import Actor, decisions
    from gatekeeper.service.results import Results
    from gatekeeper.store import Store
    from gatekeeper.store import results as result_queries
    from gatekeeper.store.answers import AnswerQueries
    from gatekeeper.store.results import ResultQueries

    results = parsed_junit(Path(path))
    app = _app(Path(workdir))
    parts = Parts()
    for owner, attr, label in (
        (Results, "authorize", "authorise (who owns each testcase)"),
        (ResultQueries, "_insert_results_sqlite", "add_results: the INSERTs"),
        (result_queries, "track_latest", "keep each key's latest result"),
        (AnswerQueries, "latest_results", "read the touched testcases' latest results"),
        (AnswerQueries, "answers_of", "read their current answers"),
        (decisions, "answer_gates", "evaluate the touched requirements"),
        (AnswerQueries, "put_answers", "store the answers that changed"),
        (AnswerQueries, "add_decision_version", "record the version"),
    ):
        parts.wrap(owner, attr, label)
    parts.time_commits(Store, "commit")
    gc.collect()
    rest = "the rest: dedupe keys, rows, JSON, stored Results, locks, outbox"
    with GCTime().installed() as collector, parts.part(rest):
        app.ingest(results, Actor(name="ci-bot"))
    app.store.dispose()
    return {**parts.seconds, GC_LABEL: collector.seconds}


def breakdown(root: Path, junit: Path, run_dir: Path) -> dict[str, dict[str, float]]:
    """Where the time goes: the faster of BREAKDOWN_RUNS instrumented runs of each step."""
    steps = {
        "plugin parse of the JUnit file": ("junit-parse-parts", str(junit)),
        "plugin parse of the tmt run": ("tmt-parse-parts", str(run_dir)),
        "ingest() of 20,000 parsed results, SQLite": ("ingest-parts", str(root), str(junit)),
    }
    found = {}
    for what, step in steps.items():
        runs = [run_child(*step)["parts"] for _ in range(BREAKDOWN_RUNS)]
        found[what] = min(runs, key=lambda parts: sum(v for k, v in parts.items()
                                                      if k != GC_LABEL))  # fmt: skip
    return found


# -- the report ----------------------------------------------------------------------------------
def best_median(runs: Sequence[dict[str, Any]], key: str = "seconds") -> tuple[float, float]:
    values = [run[key] for run in runs]
    return min(values), statistics.median(values)


def render_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(cells[i]) for cells in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(cells) for cells in rows)])


def mib(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} MiB"


KINDS = (("junit", "JUnit, 20,000 testcases", "junitparser fromfile + read every testcase",
          "junitparser"),
         ("tmt", "tmt, 5,000 results", "yaml.load (CSafeLoader) of results.yaml",
          "yaml.load"))  # fmt: skip


def time_rows(runs: dict[str, list[dict[str, Any]]], stores: dict[str, list[float]]) -> list[Row]:
    rows: list[Row] = []
    for kind, label, bare, short in KINDS:
        base, base_median = best_median(runs[f"{kind}-bare"])
        parse, parse_median = best_median(runs[f"{kind}-parse"])
        ingest = runs[f"{kind}-ingest"]
        whole, whole_median = best_median(ingest)
        in_parse, in_parse_median = best_median(ingest, "parse")
        in_store, in_store_median = best_median(ingest, "store")
        rows += [
            Row(f"{bare}, {label}", base, base_median),
            Row(f"plugin parse (report {kind}'s), {label}", parse, parse_median, short, base,
                f"<= {PARSE_TARGET:.0f}x", parse / base <= PARSE_TARGET),
            Row(f"report {kind} in process (parse + ingest()), {label}", whole, whole_median,
                short, base),
            Row("  of which parse", in_parse, in_parse_median, short, base),
            Row("  of which ingest() (authorise, insert, decide)", in_store, in_store_median),
        ]  # fmt: skip
    for name, times in stores.items():
        best, median = min(times), statistics.median(times)
        target, met = ("", None) if name != "SQLite" else (f"<= {STORE_TARGET:.0f} s",
                                                          best <= STORE_TARGET)  # fmt: skip
        rows.append(Row(f"20,000 parsed results into {name}: ingest()", best, median,
                        target=target, met=met))  # fmt: skip
    return rows


def rss_rows(runs: dict[str, list[dict[str, Any]]]) -> list[list[str]]:
    """Peak RSS (the highest of the runs), the RSS when the step started, what it added."""
    rows = []
    for kind, label, bare, short in KINDS:
        base_added = max(r["peak_rss"] - r["rss_before"] for r in runs[f"{kind}-bare"])
        for step, what in ((f"{kind}-bare", bare), (f"{kind}-parse", "plugin parse"),
                           (f"{kind}-ingest", f"report {kind} in process")):  # fmt: skip
            peak = max(r["peak_rss"] for r in runs[step])
            start = statistics.median(r["rss_before"] for r in runs[step])
            added = max(r["peak_rss"] - r["rss_before"] for r in runs[step])
            is_base = step.endswith("-bare")
            rows.append([f"{what}, {label}", mib(peak), mib(start), mib(added),
                         "-" if is_base else f"{short} {mib(base_added)}",
                         "-" if is_base else f"{added / base_added:.2f}x"])  # fmt: skip
    return rows


def parts_table(header: str, parts: dict[str, float]) -> str:
    collector = parts.get(GC_LABEL, 0.0)
    timed = {label: seconds for label, seconds in parts.items() if label != GC_LABEL}
    total = sum(timed.values())
    rows = [[label, fmt_time(seconds), f"{seconds / total:.0%}"]
            for label, seconds in sorted(timed.items(), key=lambda kv: -kv[1])]  # fmt: skip
    rows.append(["total", fmt_time(total), "100%"])
    rows.append([f"(in all of the above: {GC_LABEL})", fmt_time(collector),
                 f"{collector / total:.0%}"])  # fmt: skip
    return render_table((header, "time", "share"), rows)


def main() -> int:
    print(f"machine: {machine()}")
    rng = random.Random(SEED)
    with tempfile.TemporaryDirectory(prefix="gk-bench-ingest-") as tmp:
        root = Path(tmp)
        junit, run_dir = root / "junit.xml", root / "tmt-run"
        start = time.perf_counter()
        junit_names = write_junit(junit, rng)
        tmt_names = write_tmt_run(run_dir, rng)
        write_policies(root / "policies", junit_names, tmt_names, rng)
        results_yaml = run_dir / PLAN.strip("/") / "execute" / "results.yaml"
        print(f"generated in {time.perf_counter() - start:.1f} s: junit.xml "
              f"{junit.stat().st_size / 1e6:.1f} MB ({TESTCASES:,} testcases, "
              f"{len(junit_names):,} testcase names), results.yaml "
              f"{results_yaml.stat().st_size / 1e6:.1f} MB ({TMT_RESULTS:,} results), "
              f"{2 + len(OTHER_TEAMS)} policies")  # fmt: skip
        runs = measure_children(root, junit, run_dir)
        for kind in ("junit", "tmt"):
            first = runs[f"{kind}-ingest"][0]
            print(f"  report {kind}: {first['results']:,} results, {first['stored']:,} stored; "
                  f"verdict {first['verdict']}: {first['summary']}")  # fmt: skip
        results = parsed_junit(junit)
        assert len(results) == TESTCASES, len(results)
        stores = {"SQLite": store_runs("SQLite", sqlite_urls(root), root, results)}
        with postgres_schemas() as schemas:
            if schemas is not None:
                stores["PostgreSQL"] = store_runs("PostgreSQL", schemas, root, results)
        parts = breakdown(root, junit, run_dir)
    print()
    rows = time_rows(runs, stores)
    print(table(rows))
    print()
    print(render_table(("what (a fresh process each)", "peak RSS", "at the start", "added",
                        "baseline (added)", "ratio"), rss_rows(runs)))  # fmt: skip
    print()
    for row in rows:
        if row.met is not None:
            ratio = f" ({row.ratio:.2f}x)" if row.ratio is not None else ""
            print(f"{'MET' if row.met else 'MISSED'}: {row.what.strip()} {row.target}{ratio}")
    print()
    print(f"where the time goes (the faster of {BREAKDOWN_RUNS} instrumented runs, each in a "
          "fresh process; each part's own time, without the parts it calls):")  # fmt: skip
    for what, seconds in parts.items():
        print()
        print(parts_table(what, seconds))
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        sys.exit(child(sys.argv[2:]))
    sys.exit(main())
