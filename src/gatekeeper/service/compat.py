"""ResultsDB's and WaiverDB's APIs as use cases: what ``gatekeeper.api.compat_resultsdb``
and ``compat_waiverdb`` call, as ``app.compat`` (the facade's part for those two APIs; each
method hands the call to the collaborator whose job it is)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from gatekeeper.model import Result
from gatekeeper.service.accounts import Actor
from gatekeeper.service.compat_resultsdb import ResultsdbCompat
from gatekeeper.service.compat_waiverdb import CompatWaiver, WaiverDB, WaiverRequest
from gatekeeper.service.context import Context

if TYPE_CHECKING:
    from gatekeeper.service import Gatekeeper


class Compat:
    """``app.compat``: ResultsDB v2.0's results and WaiverDB v1.0's waivers."""

    def __init__(self, ctx: Context, app: Gatekeeper) -> None:
        self._resultsdb = ResultsdbCompat(ctx, app)
        self._waiverdb = WaiverDB(ctx, app)

    def resultsdb_create(self, body: Mapping[str, Any], actor: Actor) -> Result:
        """Store a result posted in ResultsDB's shape (through :meth:`ingest`); the stored
        one (the one stored before, when the same result is posted again)."""
        return self._resultsdb.create(body, actor)

    def resultsdb_result(self, result_id: int) -> Result:
        """The result with database id ``result_id`` (NotFound when there is none)."""
        return self._resultsdb.get(result_id)

    def resultsdb_results(
        self, params: Iterable[tuple[str, str]], *, limit: int, offset: int = 0,
        latest: bool = False,
    ) -> list[Result]:  # fmt: skip
        """Results kept by ResultsDB's query ``params``, newest first (``latest``: the
        newest of each testcase and ``_distinct_on`` values)."""
        return self._resultsdb.results(params, limit=limit, offset=offset, latest=latest)

    def resultsdb_groups(
        self, uuids: Sequence[str], descriptions: Sequence[str], likes: Sequence[str]
    ) -> list[dict[str, Any]]:
        """The ResultsDB groups the stored results name (uuid, description, ref_url)."""
        return self._resultsdb.groups(uuids, descriptions, likes)

    def resultsdb_testcases(
        self, names: Sequence[str], likes: Sequence[str], *, limit: int, offset: int = 0
    ) -> list[str]:
        """The names of the testcases results were stored for (filtered), by name."""
        return self._resultsdb.testcases(names, likes, limit=limit, offset=offset)

    def waiverdb_create(
        self, requests: Sequence[WaiverRequest], actor: Actor
    ) -> list[CompatWaiver]:
        """Waive (``waived: false``: revoke) as WaiverDB's POST does, every request checked
        before any is waived."""
        return self._waiverdb.create(requests, actor)

    def waiverdb_waiver(self, waiver_id: int) -> CompatWaiver:
        """One waiver as WaiverDB shows it (NotFound: ``Waiver not found``)."""
        return self._waiverdb.get(waiver_id)

    def waiverdb_waivers(self, **filters: Any) -> tuple[list[CompatWaiver], int]:
        """A page of waivers filtered as WaiverDB's GET does, newest first; the total."""
        return self._waiverdb.listing(**filters)
