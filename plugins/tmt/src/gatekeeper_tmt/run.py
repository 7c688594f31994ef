"""A tmt run directory -> every plan's results, read as one report.

A run directory (``tmt run --id DIR``, by default ``/var/tmp/tmt/run-NNN``) holds one
directory per plan, named after it, with ``execute/results.yaml`` (the results) and
``provision/guests.yaml`` (the guests, with the facts tmt found on them: ``arch``...).
All plans are parsed before anything is returned, so a bad file stops the whole report.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from gatekeeper.errors import InputError
from gatekeeper.model import Result
from gatekeeper_tmt.results import check_template, parse
from gatekeeper_tmt.tmtyaml import load

RESULTS = Path("execute") / "results.yaml"
GUESTS = Path("provision") / "guests.yaml"


@dataclass(frozen=True)
class Options:
    """How to name what a run reports (see :mod:`gatekeeper_tmt.results`)."""

    namespace: str | None = None
    arch: str | None = None
    log_url: str | None = None
    now: datetime | None = None


def find_plans(run_dir: Path) -> dict[str, Path]:
    """Plan name -> plan directory, for every ``**/execute/results.yaml`` of the run.

    Results of tmt runs nested in a test's data (``execute/data/...``) are not the run's.
    The plan name is the plan directory's path below the run directory (the directory that
    holds ``run.yaml``: RUN_DIR itself, or above it when RUN_DIR is one plan's directory).
    """
    if not run_dir.is_dir():
        raise InputError("not a directory: give a tmt run directory", file=str(run_dir))
    run_dir = run_dir.resolve()
    root = _run_root(run_dir)
    plans: dict[str, Path] = {}
    for path in sorted(run_dir.rglob(str(RESULTS))):
        plan_dir = path.parent.parent
        relative = plan_dir.relative_to(root).parts
        if _nested(relative) or not path.is_file():
            continue
        if not relative:
            raise InputError(
                "cannot tell the plan's name: give the run directory (the one with run.yaml)",
                file=str(path),
            )
        plans["/" + "/".join(relative)] = plan_dir
    if not plans:
        raise InputError(
            f"no {RESULTS} below it: is it a tmt run directory whose plans were executed?",
            file=str(run_dir),
        )
    return plans


def _run_root(run_dir: Path) -> Path:
    """The directory holding ``run.yaml``: RUN_DIR or one above it (else RUN_DIR)."""
    for candidate in (run_dir, *run_dir.parents):
        if (candidate / "run.yaml").is_file():
            return candidate
    return run_dir


def _nested(parts: tuple[str, ...]) -> bool:
    """Whether a plan directory lies in a test's data (``.../execute/data/...``)."""
    return any(a == "execute" and b == "data" for a, b in itertools.pairwise(parts))


def guest_arches(plan_dir: Path) -> dict[str, str]:
    """Guest name -> the ``arch`` fact tmt recorded in ``provision/guests.yaml`` (if any)."""
    path = plan_dir / GUESTS
    if not path.is_file():
        return {}
    guests = load(path.read_bytes(), str(path))
    if not isinstance(guests, Mapping):
        return {}
    arches = {}
    for name, guest in guests.items():
        facts = guest.get("facts") if isinstance(guest, Mapping) else None
        arch = facts.get("arch") if isinstance(facts, Mapping) else None
        if isinstance(arch, str) and arch:
            arches[str(name)] = arch
    return arches


def read_plan(
    plan_dir: Path, plan: str, *, compose: str, run: str, options: Options
) -> list[Result]:
    """One plan's results (its ``execute/results.yaml``, its guests' facts)."""
    path = plan_dir / RESULTS
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=str(path)) from None
    return parse(
        data,
        compose=compose,
        options={
            "file": str(path),
            "plan": plan,
            "run": run,
            "namespace": options.namespace,
            "arch": options.arch,
            "log_url": options.log_url,
            "guests": guest_arches(plan_dir),
            "now": options.now,
        },
    )


def read_run(run_dir: Path, *, compose: str, options: Options) -> list[Result]:
    """Every plan's results of the run, or a located error; never part of them."""
    check_template(options.log_url, "--log-url")
    run = _run_root(run_dir.resolve()).name
    results: list[Result] = []
    for plan, plan_dir in find_plans(run_dir).items():
        results.extend(read_plan(plan_dir, plan, compose=compose, run=run, options=options))
    if not results:
        raise InputError("the run holds no test results", file=str(run_dir))
    return results
