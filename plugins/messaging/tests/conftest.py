"""Fixtures of the messaging plugin's tests (defined in messaging_helpers, a module name no
other test directory uses, so tests import its helpers by name).

Every test module here is marked ``rabbitmq``: they share one broker and one of them
restarts it, so ``make test`` runs them on their own, one after another, after the rest of
the suite has run in parallel.

The GitLab plugin's test helpers (``gitlab_helpers``: the GitLab fake and a compose MR on
it) are importable here too, for the MR commands whose messages go on the bus."""

import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from messaging_helpers import bus, consumers, gk_config_for  # noqa: F401

from gatekeeper.testing import Clock

GITLAB_TESTS = str(Path(__file__).resolve().parents[2] / "gitlab" / "tests")
if GITLAB_TESTS not in sys.path:
    sys.path.append(GITLAB_TESTS)


@pytest.fixture
def gk_clock() -> Clock:
    """The service's clock in these tests: after the samples' times (``generated_at`` up to
    09:00 of the compose's day), as a live consumer's clock is after what it hears; the core
    refuses a result further ahead of its clock than ``[results] max_clock_skew``."""
    return Clock(datetime(2026, 11, 24, 12, 0, tzinfo=UTC))
