"""Fixtures of the messaging plugin's tests (defined in messaging_helpers, a module name no
other test directory uses, so tests import its helpers by name)."""

import pytest
from messaging_helpers import bus, consumers, gk_config_for  # noqa: F401


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here shares one broker, and one of them restarts it: under pytest-xdist
    (``--dist loadgroup``) they all run in one worker, one after another."""
    for item in items:
        if "plugins/messaging/tests" in item.nodeid:
            item.add_marker(pytest.mark.xdist_group("rabbitmq"))
