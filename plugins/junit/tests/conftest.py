"""Shared set-up of the junit plugin's tests: two teams, an announced compose, the samples."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gatekeeper.service import Gatekeeper

#: ../shared/samples beside the repository (present here and in CI).
SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "samples"

CI_POLICY = """\
team: ci
owns: ["ci.*"]
reporters:
  users: [ci-bot]
gates:
  - testcase: ci.demo_tests.test_compose.TestComposeSmoke.test_repo_metadata_present
"""
OTHER_POLICY = """\
team: other
owns: ["other.*"]
reporters:
  users: [other-bot]
"""


@pytest.fixture
def cid() -> str:
    return "CentOS-Stream-9-20261124.0"


@pytest.fixture
def samples() -> Path:
    if not SAMPLES.is_dir():
        pytest.skip(f"the shared samples are not at {SAMPLES}")
    return SAMPLES


@pytest.fixture
def policies(gk_policies: Callable[..., Path]) -> Path:
    return gk_policies(ci=CI_POLICY, other=OTHER_POLICY)


@pytest.fixture
def app(policies: Path, gk_app: Gatekeeper, cid: str) -> Gatekeeper:
    """A started application (SQLite and PostgreSQL) with the two teams and one compose."""
    gk_app.announce(cid)
    return gk_app
