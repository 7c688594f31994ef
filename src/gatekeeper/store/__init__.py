"""gatekeeper's store: the only code that touches SQL.

``Store(url)`` owns the engine and the migrations; ``with store.transaction() as tx``
gives a :class:`Tx` carrying every query. SQLite by default, PostgreSQL in production.
"""

from __future__ import annotations

from gatekeeper.store.repo import Tx, result_dedupe_key
from gatekeeper.store.store import Store, default_url

__all__ = ["Store", "Tx", "default_url", "result_dedupe_key"]
