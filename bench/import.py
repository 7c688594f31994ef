"""Benchmark: importing a CentOS Stream-sized compose, then the next nightly.

A compose like CentOS Stream 9's (``write_centos_sized``: 3,300 source packages, 9 variants,
4 arches, ~115,000 rpms.json entries, ~37 MB) is imported into a real ``Gatekeeper`` on the
embedded default (SQLite and the local forge in a temporary var dir, a one-team policy dir):
``app.import_compose(path)``, what ``gatekeeper compose import PATH`` runs. That is the
"first import": every build is new, every blob of the Compose Repo is written. It is then
published (``main`` holds it), and the next nightly, where 50 builds were rebuilt
(``next_nightly(..., changed=50)``), is imported: the "incremental import", whose merge
request shows 50 updated builds against ``main``.

Each import and each baseline runs in a fresh subprocess of its own (interpreter start and
imports are not timed), so each step's peak RSS is its own (``ru_maxrss`` of that process:
interpreter, imports and the step). The steps take turns, five rounds of the four, so that
a busy moment of the machine hits them alike. Figures, next to the same run's baseline:

- Baseline: productmd's bare ``productmd.compose.Compose(top).rpms`` (``json.load`` of
  rpms.json, kept as dicts), on the same compose as each import; best of 5.
- First import: best of 5, each on a fresh var dir. Target: <= 10x the baseline.
- Incremental import: best of 5, each on a copy of the var dir holding the published first
  compose. Target: <= 3x the baseline.
- Peak RSS of each import (the highest of its runs): target <= 400 MiB.
- For information: where each import's time goes, measured in process (the faster of two
  runs with the parts wrapped in timers; each part's own time, without the parts it calls),
  and the publish of the first compose (once). Everything is in a temporary directory.

    .venv/bin/python bench/run.py import
"""

from __future__ import annotations

import gc
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from _common import Parts, fmt_time, machine

BUILDS, CHANGED, SEED = 3_300, 50, 20261125
ROUNDS, BREAKDOWN_RUNS = 5, 2  # runs of each step; instrumented runs of each import
FIRST_TARGET, INCREMENTAL_TARGET = 10.0, 3.0  # x the baseline
RSS_TARGET = 400.0  # MiB
POLICY = (
    "team: tf\nowns: ['tf.*']\napplies_to: {products: ['CentOS-Stream-*']}\n"
    "gates:\n  - testcase: tf.smoke\n"
)
HERE = Path(__file__).resolve()


# -- the child processes: one step each, figures as one JSON line on stdout --------------------
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


def _timed(step: Callable[[], Any]) -> dict[str, Any]:
    gc.collect()
    before = _rss_now()
    start = time.perf_counter()
    value = step()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rss_before": before, "peak_rss": _peak_rss(), "value": value}


def _app(workdir: str) -> Any:
    """A started Gatekeeper on the embedded default of ``workdir`` (var/, policies/)."""
    from gatekeeper.config import load_settings
    from gatekeeper.service import Gatekeeper

    app = Gatekeeper(load_settings(env={}, cwd=Path(workdir)))
    app.start()
    return app


def _import(app: Any, top: str) -> dict[str, Any]:
    report = app.import_compose(top)
    return {"title": report.merge_request["title"], "builds": report.builds, "rpms": report.rpms}


def _breakdown(app: Any, top: str) -> dict[str, Any]:
    """Import ``top`` with its parts wrapped in timers: part -> its own seconds."""
    from gatekeeper.compose import fetch, reader
    from gatekeeper.forge.gitrepo import ComposeRepo
    from gatekeeper.service import composes as lifecycle
    from gatekeeper.store import Store
    from gatekeeper.store.composes import ComposeQueries

    parts = Parts()
    wrapped = [
        (fetch, "read_file", "read: read the files"),
        (fetch, "parse_json", "read: parse composeinfo.json"),
        (reader, "load_rpms", "read: decode rpms.json"),
        (reader, "group_builds", "read: group into builds"),
        (lifecycle, "read_compose", "read: other (STATUS, freeing the JSON)"),
        (ComposeQueries, "put_builds", "store: insert builds"),
        (ComposeQueries, "builds_for", "store: read builds back"),
        (lifecycle, "render_compose", "render files"),
        (ComposeRepo, "write_tree", "git: hash and write the tree"),
        (ComposeRepo, "commit", "git: commit"),
        (ComposeRepo, "set_branch", "git: move the branch"),
        (lifecycle, "diff_builds", "diff builds"),
        (lifecycle, "mr_description", "describe (MR text)"),
    ]
    for owner, attr, label in wrapped:
        if hasattr(owner, attr):  # a part that a refactoring removed is simply not shown
            parts.wrap(owner, attr, label)
    parts.time_commits(Store, "store: commit")
    with parts.part("other (queries, forge calls, Python)"):
        _import(app, top)
    return parts.seconds


def child(args: Sequence[str]) -> int:
    """``import.py --child STEP ...``: run one step, print its figures as JSON."""
    step, *rest = args
    if step == "baseline":
        import productmd.compose  # type: ignore[import-untyped]

        (top,) = rest
        result = _timed(lambda: productmd.compose.Compose(top).rpms)
        tree = result.pop("value").rpms  # variant -> arch -> SRPM -> RPM -> entry
        arches = [srpms for variant in tree.values() for srpms in variant.values()]
        result["entries"] = sum(len(rpms) for srpms in arches for rpms in srpms.values())
    elif step in ("import", "breakdown"):
        workdir, top = rest
        app = _app(workdir)
        if step == "import":
            result = _timed(lambda: _import(app, top))
        else:
            result = {"parts": _breakdown(app, top)}
    elif step == "publish":
        workdir, compose_id = rest
        app = _app(workdir)
        result = _timed(lambda: app.publish(compose_id, force=True).main_commit)
    else:
        raise SystemExit(f"unknown step {step!r}")
    print(json.dumps(result))
    return 0


# -- the parent --------------------------------------------------------------------------------
def run_child(*args: str) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, str(HERE), "--child", *args],
                          capture_output=True, text=True, check=False)  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"step {args[0]} failed ({proc.returncode}):\n{proc.stderr.strip()}")
    figures: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return figures


def generate(root: Path) -> tuple[Path, Path, str]:
    """The first compose and the next nightly (CHANGED builds rebuilt); the first's id."""
    from gatekeeper.testing.composes import (
        CENTOS_VARIANTS,
        next_nightly,
        synthetic_builds,
        write_centos_sized,
        write_compose,
    )

    first, second = root / "first", root / "next"
    first_id = write_centos_sized(first, n=BUILDS, seed=SEED)
    builds = synthetic_builds(BUILDS, SEED, variants=CENTOS_VARIANTS)  # what it wrote
    later = next_nightly(builds, changed=CHANGED, added=0, removed=0, seed=SEED + 1)
    write_compose(second, builds=later, date="20261125", compose_type="nightly",
                  variants=CENTOS_VARIANTS)  # fmt: skip
    return first, second, first_id


def fresh_workdir(root: Path, name: str, template: Path | None = None) -> Path:
    """A working directory with policies/ and var/ (a copy of ``template``'s, if given)."""
    workdir = root / name
    (workdir / "policies").mkdir(parents=True)
    (workdir / "policies" / "tf.yaml").write_text(POLICY, encoding="utf-8")
    if template is not None:
        shutil.copytree(template / "var", workdir / "var")
    return workdir


def measure(root: Path, first: Path, second: Path, first_id: str) -> dict[str, Any]:
    """Each step's runs: ROUNDS rounds of the four steps (so a busy moment of the machine hits
    them alike), after the first compose was imported and published once as the template of
    the incremental imports; then the instrumented runs."""
    template = fresh_workdir(root, "published")
    run_child("import", str(template), str(first))
    runs: dict[str, Any] = {"publish": run_child("publish", str(template), first_id)}
    for n in range(ROUNDS):
        fresh, copy = fresh_workdir(root, f"first-{n}"), fresh_workdir(root, f"next-{n}", template)
        for name, args in (
            ("baseline first", ("baseline", str(first))),
            ("first import", ("import", str(fresh), str(first))),
            ("baseline next", ("baseline", str(second))),
            ("incremental import", ("import", str(copy), str(second))),
        ):
            runs.setdefault(name, []).append(run_child(*args))
    for name, top, base in (("first", first, None), ("next", second, template)):
        dirs = [fresh_workdir(root, f"parts-{name}-{n}", base) for n in range(BREAKDOWN_RUNS)]
        tries = [run_child("breakdown", str(workdir), str(top))["parts"] for workdir in dirs]
        runs[f"parts {name}"] = min(tries, key=lambda parts: sum(parts.values()))
    return runs


def best_of(runs: Sequence[dict[str, Any]]) -> tuple[float, float, float]:
    """Best and median seconds, highest peak RSS."""
    seconds = [run["seconds"] for run in runs]
    return min(seconds), statistics.median(seconds), max(run["peak_rss"] for run in runs)


def render_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(cells[i]) for cells in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(cells) for cells in rows)])


def mib(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} MiB"


def report(runs: dict[str, Any]) -> None:
    rows, checks = [], []
    for what, baseline, target in (
        ("first import", "baseline first", FIRST_TARGET),
        ("incremental import", "baseline next", INCREMENTAL_TARGET),
    ):
        base, base_median, base_rss = best_of(runs[baseline])
        best, median, rss = best_of(runs[what])
        ratio = best / base
        checks += [
            (f"{what} <= {target:.0f}x the baseline ({ratio:.2f}x)", ratio <= target),
            (f"{what} peak RSS <= {RSS_TARGET:.0f} MiB ({rss:.0f} MiB)", rss <= RSS_TARGET),
        ]
        met = ratio <= target and rss <= RSS_TARGET
        rows += [[f"productmd Compose(top).rpms, {baseline.split()[1]} compose", fmt_time(base),
                  fmt_time(base_median), "-", "-", "-", mib(base_rss), "-", "baseline"],
                 [what, fmt_time(best), fmt_time(median), f"productmd {fmt_time(base)}",
                  f"{ratio:.2f}x", f"<= {target:.0f}x", mib(rss), f"<= {RSS_TARGET:.0f} MiB",
                  "MET" if met else "MISSED"]]  # fmt: skip
    publish = runs["publish"]
    rows.append(["publish the first compose (1 run)", fmt_time(publish["seconds"]), "-", "-",
                 "-", "-", mib(publish["peak_rss"]), "-", "info"])  # fmt: skip
    print(render_table(("what", "best", "median", "baseline (best)", "ratio", "target",
                        "peak RSS", "RSS target", "status"), rows))  # fmt: skip
    imports = [*runs["first import"], *runs["incremental import"]]
    before = [run["rss_before"] for run in imports if run["rss_before"]]
    if before:
        print(f"(RSS of an import's process when the import starts, after imports and start-up:"
              f" {min(before):.0f}-{max(before):.0f} MiB)")  # fmt: skip
    print()
    for what, met in checks:
        print(f"{'MET' if met else 'MISSED'}: {what}")
    print()
    print("where the time goes (in process, the faster of two instrumented runs of each):")
    first, after = runs["parts first"], runs["parts next"]
    labels = sorted({*first, *after}, key=lambda label: -first.get(label, 0.0))
    rows = [[label, *(fmt_time(p[label]) if label in p else "-" for p in (first, after))]
            for label in labels]  # fmt: skip
    rows.append(["total", fmt_time(sum(first.values())), fmt_time(sum(after.values()))])
    print(render_table(("part", "first import", "incremental import"), rows))


def main() -> int:
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="gk-bench-import-") as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        first, second, first_id = generate(root)
        size = (first / "compose/metadata/rpms.json").stat().st_size
        print(f"generated both composes in {time.perf_counter() - start:.1f} s; "
              f"rpms.json {size / 1e6:.1f} MB; working in {root}")  # fmt: skip
        runs = measure(root, first, second, first_id)
    print(f"rpms.json entries: {runs['baseline first'][0]['entries']:,}")
    for what in ("first import", "incremental import"):
        print(f"{what}: {runs[what][0]['value']}")
    print()
    report(runs)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        sys.exit(child(sys.argv[2:]))
    sys.exit(main())
