"""Benchmark: the whole-compose ``rpm-lockfile`` of a CentOS Stream-sized compose.

The compose of the import benchmark (``synthetic_builds(3300)`` over CentOS Stream 9's nine
variants and four arches, ~115,000 rpms.json entries) is written with productmd, its
repositories' metadata with createrepo_c (``write_repodata``: every ``<variant>/<arch>/os``
and ``<variant>/source/tree``), and imported into a real ``Gatekeeper`` on SQLite. Then:

- Baseline: ``json.load`` of its rpms.json; best of 5.
- ``app.lockfile(id, "rpm-lockfile")`` (what ``gatekeeper compose lockfile ID --format
  rpm-lockfile`` and the API run, every variant and arch) with the application's memory
  cache emptied before each run: rpms.json read again, each repository's parsed primary
  metadata loaded from the per-compose cache on disk, the YAML written. Best of 5.
  Target: <= 3x the baseline.
- For information: the same with a new ``Gatekeeper`` made each run (plugin manager and
  store included), the compose's first lock (the disk cache removed before each run, so
  createrepo_c parses every repository's primary metadata), with the parsed repodata still
  in memory, the fcos lockfiles (one per arch) and ``--with-sources``.

    .venv/bin/python bench/run.py lockfile
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from _common import Row, machine, measure, table

from gatekeeper.config import Settings
from gatekeeper.service import Gatekeeper
from gatekeeper.testing.composes import CENTOS_VARIANTS, synthetic_builds, write_compose
from gatekeeper.testing.repodata import write_repodata

BUILDS, SEED, RUNS, TARGET = 3_300, 20261125, 5, 3.0
POLICY = "team: tf\nowns: ['tf.*']\ngates:\n  - testcase: tf.smoke\n"


def main() -> int:
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="gk-bench-lockfile-") as tmp:
        work = Path(tmp)
        (work / "policies").mkdir()
        (work / "policies/tf.yaml").write_text(POLICY)
        top = work / "compose"
        start = time.perf_counter()
        builds = synthetic_builds(BUILDS, SEED, variants=CENTOS_VARIANTS)
        compose_id = write_compose(top, builds=builds, variants=CENTOS_VARIANTS,
                                   compose_type="production")  # fmt: skip
        repos = write_repodata(top, builds=builds, variants=CENTOS_VARIANTS)
        print(f"wrote {compose_id}: {len(builds)} builds, {len(repos)} repositories "
              f"in {time.perf_counter() - start:.1f} s")  # fmt: skip
        settings = Settings(var_dir=work / "var", database_url=f"sqlite:///{work / 'gk.db'}",
                            policies_dir=work / "policies")  # fmt: skip
        app = Gatekeeper(settings)
        app.start()
        app.import_compose(str(top))
        rpms_json = top / "compose/metadata/rpms.json"

        def baseline() -> None:
            with rpms_json.open("rb") as handle:
                json.load(handle)

        def cold(fmt: str = "rpm-lockfile", **options: bool) -> dict[str, bytes]:
            fresh = Gatekeeper(settings)
            try:
                return fresh.lockfile(compose_id, fmt, **options)
            finally:
                fresh.store.dispose()

        cache = settings.var_dir / "cache" / "repodata"

        def first() -> None:  # the compose's first lock: no parsed repodata on disk yet
            shutil.rmtree(cache, ignore_errors=True)
            cold()

        def uncached() -> dict[str, bytes]:  # the running app with nothing in memory
            app._repodata_cache = None
            return app.lockfile(compose_id, "rpm-lockfile")

        lock = cold()["rpms.lock.yaml"]
        packages = lock.count(b"\n  - url: ")
        print(f"rpms.lock.yaml: {packages} packages over 4 arches, {len(lock) / 2**20:.1f} MiB; "
              f"rpms.json {rpms_json.stat().st_size / 2**20:.1f} MiB")  # fmt: skip
        base = measure(baseline, RUNS)
        whole = measure(uncached, RUNS)
        fresh = measure(cold, RUNS)
        first_lock = measure(first, RUNS)
        warm = measure(lambda: app.lockfile(compose_id, "rpm-lockfile"), RUNS)
        fcos = measure(lambda: cold("fcos"), RUNS)
        sources = measure(lambda: cold(with_sources=True), RUNS)
        app.store.dispose()
    met = whole.best / base.best <= TARGET
    rows = [
        Row("json.load of rpms.json (baseline)", base.best, base.median),
        Row("rpm-lockfile, whole compose, nothing parsed in memory", whole.best,
            whole.median, "json.load", base.best, f"<= {TARGET:g}x", met),
        Row("  with a new Gatekeeper made for it (plugins, store)", fresh.best, fresh.median,
            "json.load", base.best),
        Row("  the compose's first lock (createrepo_c parses every primary)", first_lock.best,
            first_lock.median, "json.load", base.best),
        Row("  with the parsed repodata still in memory", warm.best, warm.median,
            "json.load", base.best),
        Row("fcos, one file per arch, fresh app", fcos.best, fcos.median, "json.load",
            base.best),
        Row("rpm-lockfile --with-sources, fresh app", sources.best, sources.median,
            "json.load", base.best),
    ]  # fmt: skip
    print()
    print(table(rows))
    print()
    print(f"{'MET' if met else 'MISSED'}: whole-compose rpm-lockfile <= {TARGET:g}x json.load")
    return 0


if __name__ == "__main__":
    sys.exit(main())
