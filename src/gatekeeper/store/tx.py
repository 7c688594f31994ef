"""The transaction object: every query gatekeeper runs, grouped by subject.

:class:`Tx` is what :meth:`gatekeeper.store.Store.transaction` yields. Its methods
take and return :mod:`gatekeeper.model` types (or plain dicts for bookkeeping rows)
and never commit: the transaction commits when its ``with`` block ends.
"""

from __future__ import annotations

from gatekeeper.store.accounts import AccountQueries
from gatekeeper.store.composes import ComposeQueries
from gatekeeper.store.dashboard import DashboardQueries
from gatekeeper.store.outbox import OutboxQueries
from gatekeeper.store.results import ResultQueries, result_dedupe_key
from gatekeeper.store.resultsdb import ResultsdbQueries
from gatekeeper.store.triage import TriageQueries
from gatekeeper.store.waiverdb import WaiverDBQueries


class Tx(
    ComposeQueries,
    ResultQueries,
    AccountQueries,
    OutboxQueries,
    DashboardQueries,  # and through it DecisionQueries, AnswerQueries
    ResultsdbQueries,
    WaiverDBQueries,
    TriageQueries,
):
    """One open database transaction and all of gatekeeper's queries."""


__all__ = ["Tx", "result_dedupe_key"]
