"""Fixtures of the messaging plugin's tests (defined in messaging_helpers, a module name no
other test directory uses, so tests import its helpers by name).

Every test module here is marked ``rabbitmq``: they share one broker and one of them
restarts it, so ``make test`` runs them on their own, one after another, after the rest of
the suite has run in parallel."""

from messaging_helpers import bus, consumers, gk_config_for  # noqa: F401
