"""Fixtures of the tmt plugin's tests: real tmt runs, made once per session."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tmt_helpers import COMPOSE, PLANS_FMF, POLICY, TESTS_FMF, make_tree, require_tmt, tmt_run

from gatekeeper.testing import Clock


@pytest.fixture
def gk_clock() -> Clock:
    """The service's clock reads the time the test started: the tmt runs are real, so
    their results carry real times, which a service refuses from its future."""
    return Clock(datetime.now(UTC))


@pytest.fixture(scope="session")
def mixed_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run directory of the mixed tree's two plans (tests fail in it: tmt exits 1)."""
    require_tmt()
    base = tmp_path_factory.mktemp("tmt-mixed")
    tree = make_tree(base / "tree", TESTS_FMF, PLANS_FMF)
    done = tmt_run(tree, base / "run")
    results = base / "run" / "plans" / "two" / "execute" / "results.yaml"
    assert results.is_file(), done.stdout + done.stderr
    return base / "run"


@pytest.fixture
def copy_run(mixed_run: Path, tmp_path: Path) -> Callable[[], Path]:
    """A private copy of the mixed run, for tests that change or re-report it."""

    def copy() -> Path:
        target = tmp_path / "run"
        shutil.copytree(mixed_run, target, symlinks=True)
        return target

    return copy


@pytest.fixture
def gk_config(tmp_path: Path) -> Callable[[object], Path]:
    """A gatekeeper.toml naming the store and policies of a started ``gk_app``."""

    def write(app: object) -> Path:
        settings = app.settings  # type: ignore[attr-defined]
        path = tmp_path / "gatekeeper.toml"
        path.write_text(
            f'database_url = "{settings.database_url}"\n'
            f'policies_dir = "{settings.policies_dir}"\n'
            f'var_dir = "{settings.var_dir}"\n',
            encoding="utf-8",
        )
        return path

    return write


@pytest.fixture
def gk(
    gk_policies: Callable[..., Path],
    gk_database_url: str,
    gk_config: Callable[[object], Path],
    request: pytest.FixtureRequest,
) -> Callable[..., tuple[Any, Path]]:
    """``gk(**policies)``: a started ``gk_app`` (both databases) with these policies (default:
    t_functional's) and the compose announced; returns it and its gatekeeper.toml."""

    def start(**policies: str) -> tuple[Any, Path]:
        gk_policies(**(policies or {"t_functional": POLICY}))
        app = request.getfixturevalue("gk_app")
        app.announce(COMPOSE)
        return app, gk_config(app)

    return start
