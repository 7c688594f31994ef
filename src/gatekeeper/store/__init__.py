"""gatekeeper's store: the only code that touches SQL or a database driver.

``Store(url)`` owns the engine and the migrations; ``with store.transaction() as tx``
gives a :class:`Tx` carrying every query. SQLite by default, PostgreSQL in production.
Driver errors leave the store as gatekeeper's own: a value the database refuses is a
:class:`~gatekeeper.errors.StoreRefused` (an InputError), a database that cannot be reached
a :class:`~gatekeeper.errors.StoreUnavailable` (an Unavailable).
"""

from __future__ import annotations

from gatekeeper.store.claims import Listener, OutboxClaim
from gatekeeper.store.composes import compose_from_row
from gatekeeper.store.store import Store, default_url
from gatekeeper.store.tx import Tx, result_dedupe_key

__all__ = [
    "Listener",
    "OutboxClaim",
    "Store",
    "Tx",
    "compose_from_row",
    "default_url",
    "result_dedupe_key",
]
