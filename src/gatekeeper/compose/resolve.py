"""Dependency closures with libsolv, the way rpm-lockfile-prototype resolves a package list.

For one arch, the repositories of the chosen variants are loaded from their primary
metadata into a libsolv pool (arch policy set, so ``x86_64`` is preferred over ``i686``);
every requested name is an install job on an empty system, and the solver's transaction is
the closure: the packages asked for and every package they need. A name no repository
provides, or a dependency nothing satisfies, is an :class:`UnresolvableError` naming them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gatekeeper.compose.repodata import quiet_rpm


@dataclass(frozen=True, slots=True)
class Request:
    """One requested package: its name, and where it was asked for (for errors)."""

    name: str
    where: str  # "rpms.in.yaml:4" or "rpms.in.yaml: packages[3]"


class UnresolvableError(Exception):
    """The requests cannot be satisfied: ``problems`` as (request or None, what libsolv says)."""

    def __init__(self, problems: Sequence[tuple[Request | None, str]]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(text for _, text in self.problems))


def closure(
    arch: str, primaries: Sequence[tuple[str, Path]], requests: Sequence[Request]
) -> list[str]:
    """The ``location_href``-qualified packages to install ``requests`` on ``arch`` from the
    repositories ``primaries`` (``(repo path, primary metadata file)``): each as
    ``<repo path>/<location_href>``, sorted."""
    quiet_rpm()
    import solv

    pool = solv.Pool()
    pool.setarch(arch)
    for repo_path, primary in primaries:
        repo = pool.add_repo(repo_path)
        handle = solv.xfopen(str(primary))
        try:
            repo.add_rpmmd(handle, None)
        finally:
            handle.close()
    pool.addfileprovides()
    pool.createwhatprovides()
    unknown = [
        (request, f"{request.where}: no package {request.name!r} for {arch}")
        for request in requests
        if _selection(pool, request).isempty()
    ]
    if unknown:
        raise UnresolvableError(unknown)
    solver = pool.Solver()
    if solver.solve(_jobs(pool, requests)):
        # say which request cannot be met, and why: each one is solved alone
        found: list[tuple[Request | None, str]] = []
        for request in requests:
            problems = solver.solve(_jobs(pool, [request]))
            texts = sorted(
                {r.info().problemstr() for p in problems for r in p.findallproblemrules()}
            )
            if texts:
                found.append(
                    (request, f"{request.where}: {request.name} on {arch}: {'; '.join(texts)}")
                )
        if not found:  # only the requests together conflict
            problems = solver.solve(_jobs(pool, requests))
            texts = sorted(
                {r.info().problemstr() for p in problems for r in p.findallproblemrules()}
            )
            found.append(
                (None, f"the packages cannot be installed together on {arch}: {'; '.join(texts)}")
            )
        raise UnresolvableError(found)
    return sorted(
        f"{s.repo.name}/{s.lookup_location()[0]}" for s in solver.transaction().newsolvables()
    )


def _selection(pool: Any, request: Request) -> Any:
    import solv

    flags = solv.Selection.SELECTION_NAME | solv.Selection.SELECTION_PROVIDES
    return pool.select(request.name, flags)


def _jobs(pool: Any, requests: Sequence[Request]) -> list[Any]:
    import solv

    jobs: list[Any] = []
    for request in requests:
        jobs += _selection(pool, request).jobs(solv.Job.SOLVER_INSTALL)
    return jobs
