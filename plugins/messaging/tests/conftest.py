"""Fixtures of the messaging plugin's tests (defined in messaging_helpers, a module name no
other test directory uses, so tests import its helpers by name)."""

from messaging_helpers import bus, consumers, gk_config_for  # noqa: F401
