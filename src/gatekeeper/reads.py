"""Read-only use cases of :class:`gatekeeper.service.Gatekeeper` (listing, filtering,
paging) for the HTTP API and the CLI."""

from __future__ import annotations


class Reads:
    """Mixin of :class:`~gatekeeper.service.Gatekeeper`: queries that change nothing."""
