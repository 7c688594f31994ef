"""gatekeeper-resultsdb: pull a compose's results from ResultsDB (API v2.0).

Both ways producers key compose results are read: ``productmd.compose.id=<id>``
(resultsdb_conventions, CI messages, Greenwave's ``compose`` subject) and
``type=productmd-compose`` with ``item=<id>`` (ResultsDB v3). The hooks live in
:mod:`gatekeeper_resultsdb.plugin`; the settings (``[resultsdb]``) in
:mod:`gatekeeper_resultsdb.settings`.
"""

from __future__ import annotations

from gatekeeper_resultsdb.mapping import ResultsDBError, to_result
from gatekeeper_resultsdb.settings import ResultsDBSettings

__all__ = ["ResultsDBError", "ResultsDBSettings", "to_result"]
