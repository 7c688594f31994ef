"""Alembic migrations of the gatekeeper store (run by :meth:`gatekeeper.store.Store.upgrade`)."""
