"""What the dashboard shows of triage (issue #17): why an answer is what it is, a
compose's waivers and rerun requests, and the known issues with the composes they waived.

Read models (frozen values) and the reads that build them; the web layer renders them
(:mod:`gatekeeper.api.web`). Every state is a word (``active``, ``expired``, ``revoked``,
``open``, ``answered``, ``closed``...), never only a colour. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from gatekeeper.model import Answer, KnownIssue, Policy, RerunRequest, Result, Waiver
from gatekeeper.store import Tx
from gatekeeper.timeutil import parse_time

# -- a cell's explanation ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Why:
    """What else explains an answer (the decision JSON's optional fields): ``reason``
    (``rerun requested``, ``errored (retry 1 of 2)``, ``waiver 3 expired at ...``), the
    ``bug`` and ``expires`` of the waiver or known issue excusing it, ``known_issue`` (its
    id), the rerun request it waits on (``rerun_id``; None with ``retry`` set: an automatic
    retry due, not requested yet) and the automatic ``retry`` of the gate's ``retries``."""

    reason: str | None = None
    bug: str | None = None
    expires: datetime | None = None
    known_issue: str | None = None
    rerun_id: str | None = None
    retry: int | None = None
    retries: int | None = None


class Whys(dict[tuple[object, ...], Why]):
    """``whys.of(answer)``: the :class:`Why` of an answer (None when it has no explaining
    field), one value per distinct combination on a page (thousands of plain answers
    cost one check each)."""

    def of(self, answer: Answer) -> Why | None:
        if not (answer.reason or answer.bug or answer.known_issue or answer.rerun_id
                or answer.retry or answer.expires):  # fmt: skip
            return None
        key = (answer.reason, answer.bug, answer.expires, answer.known_issue,
               answer.rerun_id, answer.retry, answer.retries)  # fmt: skip
        if key not in self:
            expires = parse_time(answer.expires) if answer.expires else None
            self[key] = Why(answer.reason, answer.bug, expires, answer.known_issue,
                            answer.rerun_id, answer.retry, answer.retries)  # fmt: skip
        return self[key]


# -- a compose's waivers -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WaiverRow:
    """One waiver of a compose and where it stands now: ``active`` (it counts),
    ``expired`` (at ``waiver.expires``), ``revoked`` (by ``ended_by`` at ``ended_at``) or
    ``replaced`` (by waiver ``replaced_by``, given later for the same testcase, scenario
    and arch)."""

    waiver: Waiver
    state: str
    ended_at: datetime | None = None
    ended_by: str | None = None
    replaced_by: str | None = None


def waiver_rows(waivers: Sequence[Waiver], now: datetime) -> tuple[WaiverRow, ...]:
    """The waivers (not the revocations) in the order given, each with its state; what
    ended it first wins (a waiver that expired before it was revoked is ``expired``)."""
    rows = []
    for index, waiver in enumerate(waivers):
        if not waiver.waived:
            continue
        after = next((w for w in waivers[index + 1 :] if w.key == waiver.key), None)
        until = after.time if after is not None else now
        if waiver.expires is not None and waiver.expires <= until:
            rows.append(WaiverRow(waiver, "expired", waiver.expires))
        elif after is not None and not after.waived:
            rows.append(WaiverRow(waiver, "revoked", after.time, after.username))
        elif after is not None:
            rows.append(WaiverRow(waiver, "replaced", after.time, after.username, after.id))
        else:
            rows.append(WaiverRow(waiver, "active"))
    return tuple(rows)


# -- known issues ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KnownIssueRow:
    """A known issue as the pages show it: ``state`` is ``open``, ``expired`` (at
    ``issue.expires``) or ``closed``; ``team`` owns its testcase (None: no team does);
    ``composes`` are those it waived an answer of, oldest first."""

    issue: KnownIssue
    state: str
    team: str | None
    composes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class KnownIssuesView:
    """The known issues page: the open ones (newest first), then the expired and closed
    ones (the most recently ended first)."""

    open: tuple[KnownIssueRow, ...]
    ended: tuple[KnownIssueRow, ...]


def _number(ident: str) -> tuple[int, str]:
    """An id's order: numeric ids numerically."""
    return (len(ident), ident)


def issue_state(issue: KnownIssue, now: datetime) -> str:
    """``open``, or what ended it first: ``closed`` or ``expired`` (as the API says)."""
    return issue.state_at(now)


def known_issue_rows(
    issues: Iterable[KnownIssue],
    uses: Mapping[str, Sequence[str]],
    now: datetime,
    owner_of: Callable[[str], Policy | None],
) -> list[KnownIssueRow]:
    rows = []
    for issue in issues:
        owner = owner_of(issue.testcase)
        rows.append(KnownIssueRow(issue, issue_state(issue, now),
                                  owner.team if owner is not None else None,
                                  tuple(uses.get(issue.id, ()))))  # fmt: skip
    return rows


def known_issues_view(rows: Iterable[KnownIssueRow]) -> KnownIssuesView:
    listed = list(rows)

    def ended(row: KnownIssueRow) -> datetime:
        at = row.issue.closed_at if row.state == "closed" else row.issue.expires
        return at or row.issue.created_at

    def newest(row: KnownIssueRow) -> tuple[datetime, tuple[int, str]]:
        return row.issue.created_at, _number(row.issue.id)

    opened = sorted((r for r in listed if r.state == "open"), key=newest, reverse=True)
    over = sorted((r for r in listed if r.state != "open"),
                  key=lambda r: (ended(r), _number(r.issue.id)), reverse=True)  # fmt: skip
    return KnownIssuesView(tuple(opened), tuple(over))


# -- a compose's rerun requests ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RerunRow:
    """One rerun request of a compose and where it stands: ``open`` (an answer of the
    decision shown waits on it), ``answered`` (by ``result``, the newest result it
    covers submitted after it), ``superseded`` (by request ``superseded_by``, asked later
    for the same results) or ``closed`` (nothing waits on it any more: no gate requires
    those results now)."""

    request: RerunRequest
    state: str
    result: Result | None = None
    superseded_by: str | None = None


def _asked_again(request: RerunRequest, result: Result) -> bool:
    """Whether ``result`` is of a key the request asked to run again (whatever its time)."""
    if result.testcase != request.testcase:
        return False
    if request.automatic:
        return (result.scenario, result.arch, result.variant) == (
            request.scenario, request.arch, request.variant)  # fmt: skip
    return (request.scenario is None or request.scenario == result.scenario) and (
        request.arch is None or request.arch == result.arch
    )


def rerun_rows(
    requests: Sequence[RerunRequest], latest: Sequence[Result], answers: Iterable[Answer]
) -> tuple[RerunRow, ...]:
    """The requests (oldest first) with their states, given the latest results of their
    testcases and the answers of the decision shown."""
    waited = {a.rerun_id for a in answers if a.rerun_id is not None}
    rows = []
    for index, request in enumerate(requests):
        if request.id in waited:
            rows.append(RerunRow(request, "open"))
            continue
        newer = [r for r in latest if _asked_again(request, r) and r.submit_time > request.after]
        if newer:
            rows.append(RerunRow(request, "answered", max(newer, key=lambda r: r.submit_time)))
            continue
        later = next((r for r in requests[index + 1 :]
                      if r.testcase == request.testcase and r.id in waited), None)  # fmt: skip
        if later is not None:
            rows.append(RerunRow(request, "superseded", superseded_by=later.id))
        else:
            rows.append(RerunRow(request, "closed"))
    return tuple(rows)


# -- a compose's page --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ComposeTriage:
    """What a compose page shows of triage, read together: its waivers (by id, for the
    matrix, and as rows), the known issues waiving its answers now, its rerun requests."""

    waivers: dict[str, Waiver]
    waiver_rows: tuple[WaiverRow, ...]
    known_issues: tuple[KnownIssueRow, ...]
    reruns: tuple[RerunRow, ...]


def read_compose_triage(
    tx: Tx,
    compose_id: str,
    answers: Sequence[Answer],
    now: datetime,
    owner_of: Callable[[str], Policy | None],
) -> ComposeTriage:
    """Read (in the page's transaction) the compose's waivers, rerun requests and the
    known issues its ``answers`` name."""
    waivers = tx.waivers_for(compose_id)
    requests = tx.reruns_for(compose_id)
    latest = tx.latest_results(compose_id, {r.testcase for r in requests}) if requests else []
    named = sorted({a.known_issue for a in answers if a.known_issue is not None}, key=_number)
    issues = [found for found in map(tx.known_issue, named) if found is not None]
    uses = tx.known_issue_uses() if issues else {}
    return ComposeTriage(
        waivers={w.id: w for w in waivers},
        waiver_rows=waiver_rows(waivers, now),
        known_issues=tuple(known_issue_rows(issues, uses, now, owner_of)),
        reruns=rerun_rows(requests, latest, answers),
    )


__all__ = [
    "ComposeTriage",
    "KnownIssueRow",
    "KnownIssuesView",
    "RerunRow",
    "WaiverRow",
    "Why",
    "Whys",
    "issue_state",
    "known_issue_rows",
    "known_issues_view",
    "read_compose_triage",
    "rerun_rows",
    "waiver_rows",
]
