"""What the dashboard shows: read models built by :class:`~gatekeeper.service.dashboard.Dashboard`.

The web layer renders only these frozen values; it never reads the store or the engine.
Every view is built by a read that writes nothing. The decision a view shows is the
compose's latest stored decision or, when it has none yet or that one is behind (a
deadline passed or a waiver or known issue expired since it was recorded, the policies
were edited since, or results wait to be decided), the engine's what-if at the service
clock: the same decision ``GET /api/v1/composes/{id}/decision`` answers at that moment,
answer for answer.

Times are aware UTC datetimes. A "state word" is the short, human name of an answer type:
``passed``, ``failed``, ``errored``, ``pending``, ``missing``, ``overdue``, ``waived``,
``ignored`` (:data:`STATE_WORDS`).

The read methods of ``app.dashboard`` (:class:`~gatekeeper.service.dashboard.Dashboard`)
that build them: ``composes(product=, state=, verdict=, limit=, offset=)`` ->
``Page[ComposeRow]``, ``products()``, ``compose_view(id)`` -> :class:`ComposeView`,
``team_view(team)`` -> :class:`TeamView`, ``merge_request_view(id)`` ->
:class:`MergeRequestView`, ``known_issues_view()`` -> ``KnownIssuesView`` and
``decision_version(id)`` (what the live page polls). An unknown compose or team raises
NotFound. Triage's read models (why an answer is what it is, waivers, known issues, rerun
requests) are in :mod:`~gatekeeper.service.triage_views`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from gatekeeper.compose.diff import ComposeDiff
from gatekeeper.model import Decision, Policy, Verdict
from gatekeeper.service.triage_views import KnownIssueRow, RerunRow, WaiverRow, Why

STATE_WORDS = ("passed", "failed", "errored", "pending", "missing", "overdue", "waived", "ignored")
"""Every state word a cell or a strip tick can carry (a strip tick can also be ``none``)."""


def state_word(answer_type: str) -> str:
    """The short state word of an answer type: ``test-result-failed-waived`` -> ``waived``,
    ``test-result-overdue-ignored`` -> ``ignored``, ``test-result-errored`` -> ``errored``."""
    if answer_type.endswith("-waived"):
        return "waived"
    if answer_type.endswith("-ignored"):
        return "ignored"
    return answer_type.removeprefix("test-result-")


# --- the list (/) -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MergeRequestLink:
    """Where a compose's merge request is seen: the forge's web URL when it has one, else
    the local MR page ``/composes/<id>/mr`` (``local`` is then True)."""

    number: int | None
    url: str
    forge: str
    state: str
    local: bool


@dataclass(frozen=True, slots=True)
class ComposeRow:
    """One compose as the list shows it.

    ``verdict`` is None only when no policy applies to the compose (it is not gated: a
    gate fails closed); ``undecided`` then says so (``"no policy applies to <product>
    <type> composes"``), and is None whenever ``verdict`` is set. A gated compose without
    a stored decision yet shows the engine's what-if (``version`` None). ``version`` is
    the latest stored decision version. ``satisfied``/``required`` count the required answers
    only. ``waiting_for`` are the teams (sorted) with a required answer missing or pending
    (not yet overdue). ``next_deadline`` is the earliest deadline instant still ahead
    (``announced_at + gate.deadline``) among the unsatisfied required answers; None when
    there is none. ``teams`` names each team with an unsatisfied required answer (sorted)
    with the most pressing state of those: ``failed``, ``errored``, ``overdue``,
    ``pending`` or ``missing``, in that order (who a compose waits for, and why).
    """

    id: str
    product: str
    type: str
    state: str
    announced_at: datetime
    age: timedelta
    verdict: Verdict | None
    undecided: str | None
    summary: str | None
    satisfied: int
    required: int
    waiting_for: tuple[str, ...]
    next_deadline: datetime | None
    version: int | None
    merge_request: MergeRequestLink | None
    teams: tuple[tuple[str, str], ...] = ()


# --- the compose page (/composes/<id>) ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class ResultView:
    """The result a cell's answer names: of the latest results matching its requirement,
    the worst (as the engine chose it). ``outcome`` is the reported outcome (``PASSED``,
    ``INFO``, ``FAILED``, ``NEEDS_INSPECTION``, ``ERROR``, ``QUEUED``, ``RUNNING``)."""

    id: str | None
    outcome: str
    submit_time: datetime
    reporter: str | None
    ref_url: str | None
    note: str | None
    variant: str | None = None


@dataclass(frozen=True, slots=True)
class WaiverView:
    """The waiver that satisfied a cell: its comment, who waived and when."""

    id: str
    comment: str | None
    username: str | None
    time: datetime


@dataclass(frozen=True, slots=True)
class Suspects:
    """For a failed or errored requirement: the builds that changed since the newest
    earlier compose (same product, at most a bounded look-back) in which it passed.

    ``passed_in`` is that compose's id, None when it never passed; ``reason`` then says why
    (``"no earlier compose"`` or ``"never passed in the last N composes"``), and
    ``changes`` is empty. ``changes`` is the build diff from ``passed_in`` to this compose
    (an empty diff: no build changed, so suspect the test or the infrastructure).
    """

    passed_in: str | None
    changes: ComposeDiff
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Cell:
    """One answer: a requirement on one arch.

    ``team``, ``testcase``, ``scenario``, ``arch`` and ``variant`` are the answer's, as the
    decision JSON has them (a gate without a scenario or arches takes them from the result
    that answered it: a cell of the "any" column can name an arch). ``column`` is the arch
    column the cell is in (None: "any"). ``answer_type`` is the full type
    (``test-result-failed-waived``), ``state`` its state word. ``satisfied`` is the
    answer's ``is_satisfied``. ``deadline`` is the requirement's deadline instant (None: no
    deadline). ``result`` is the result the answer names; ``waiver`` the waiver that
    satisfied it; ``suspects`` are set for failed and errored cells only; ``why`` holds the
    answer's explaining fields (reason, bug, expiry, known issue, rerun, retry), None when
    it has none.
    """

    team: str
    testcase: str
    scenario: str | None
    arch: str | None
    answer_type: str
    state: str
    satisfied: bool
    required: bool
    deadline: datetime | None
    result: ResultView | None
    waiver: WaiverView | None
    suspects: Suspects | None
    variant: str | None = None
    column: str | None = None
    why: Why | None = None


@dataclass(frozen=True, slots=True)
class MatrixRow:
    """One (team, testcase, scenario) row; ``cells`` has one entry per arch column of
    :attr:`Matrix.arches`, None where the row has no requirement on that arch."""

    team: str
    testcase: str
    scenario: str | None
    required: bool
    deadline: datetime | None
    cells: tuple[Cell | None, ...]


@dataclass(frozen=True, slots=True)
class Matrix:
    """The gate matrix: arch columns (sorted, then None for "any" when some gate has no
    arches) and rows sorted by team, testcase, scenario."""

    arches: tuple[str | None, ...]
    rows: tuple[MatrixRow, ...]

    @property
    def cells(self) -> tuple[Cell, ...]:
        return tuple(cell for row in self.rows for cell in row.cells if cell is not None)


@dataclass(frozen=True, slots=True)
class AnswerChange:
    """One answer whose type changed between two consecutive decision versions (``old``
    None: the answer is new; ``new`` None: it is gone)."""

    team: str
    testcase: str
    scenario: str | None
    arch: str | None
    old: str | None
    new: str | None


@dataclass(frozen=True, slots=True)
class Transition:
    """How many answers of a decision version went from one type to another (``old``
    None: new answers; ``new`` None: answers gone)."""

    old: str | None
    new: str | None
    count: int


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One stored decision version: its verdict, summary, when it was made, what changed
    against the previous version, and its cause as recorded (``cause``: e.g.
    ``{"results": [...], "reporter": ..., "count": n}``, ``{"waiver": ...}``,
    ``{"clock": True}``; ``cause_text`` is a readable sentence of it). Only the newest
    versions say what changed (``changes_shown``; reading every version's answers would
    cost a page too much); older ones have ``changes`` empty and ``changes_shown`` False.
    ``changes`` lists at most the first 200 changed answers (by team, testcase, scenario,
    arch); ``changes_total`` counts them all and ``transitions`` counts them all per
    (old type, new type), most frequent first."""

    version: int
    verdict: Verdict
    summary: str
    evaluated_at: datetime
    recorded_at: datetime | None
    changes: tuple[AnswerChange, ...]
    cause: dict[str, Any] | None
    cause_text: str
    changes_shown: bool = True
    changes_total: int = 0
    transitions: tuple[Transition, ...] = ()


@dataclass(frozen=True, slots=True)
class LockfileLink:
    """A lockfile export of the compose: ``url`` is the API path with its query."""

    format: str
    arch: str | None
    label: str
    url: str


@dataclass(frozen=True, slots=True)
class ComposeView:
    """Everything the compose page shows.

    ``decision`` is None when no policy applies (``row.undecided`` says so). ``version`` is
    the latest stored decision version (None: none stored); ``stored`` is True when the
    decision shown is that version, False when it is a what-if that differs from it (time
    or an edited policy moved it) or there is none. ``deadlines`` are the distinct deadline
    instants of the matrix's requirements, soonest first.
    ``base`` is the compose ``main`` holds (None: nothing published yet) and ``diff`` the
    builds changed against it. ``history`` is newest first, at most the newest 50
    versions of ``history_total`` (the API's ``/decisions`` has them all). ``waivers``
    are the compose's waivers in the order given, ``known_issues`` those waiving an answer
    shown, ``reruns`` its rerun requests, oldest first. ``revision`` names what of it can
    change (:func:`~gatekeeper.service.dashboard.revision_of`): the live page follows it.
    """

    row: ComposeRow
    decision: Decision | None
    version: int | None
    stored: bool
    matrix: Matrix
    deadlines: tuple[datetime, ...]
    base: str | None
    diff: ComposeDiff
    history: tuple[HistoryEntry, ...]
    lockfiles: tuple[LockfileLink, ...]
    merge_request: MergeRequestLink | None
    history_total: int = 0
    waivers: tuple[WaiverRow, ...] = ()
    known_issues: tuple[KnownIssueRow, ...] = ()
    reruns: tuple[RerunRow, ...] = ()
    revision: str = ""


# --- the team page (/teams/<team>) --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tick:
    """One compose's answer for a gate requirement in a team's strip: ``state`` is a state
    word or ``none`` (the compose has no stored decision or no such answer)."""

    compose_id: str
    state: str
    answer_type: str | None


@dataclass(frozen=True, slots=True)
class Strip:
    """One gate requirement (testcase, scenario, arch) over the team's recent composes."""

    testcase: str
    scenario: str | None
    arch: str | None
    required: bool
    ticks: tuple[Tick, ...]


@dataclass(frozen=True, slots=True)
class TeamResult:
    """One of the team's recent results, with its compose."""

    compose_id: str
    testcase: str
    scenario: str | None
    arch: str | None
    result: ResultView


@dataclass(frozen=True, slots=True)
class TeamView:
    """A team's page: its policy, the last composes its policy applies to (oldest first,
    at most 10), one strip per gate requirement over them, and its recent results (newest
    first, at most 50)."""

    policy: Policy
    composes: tuple[str, ...]
    strips: tuple[Strip, ...]
    recent: tuple[TeamResult, ...]


# --- the local merge request (/composes/<id>/mr) ------------------------------------------


@dataclass(frozen=True, slots=True)
class DiffLine:
    """One line of a unified diff: ``kind`` is ``add``, ``del``, ``context`` or ``hunk``
    (an ``@@`` header); ``text`` is the line without its sign."""

    kind: str
    text: str

    @property
    def sign(self) -> str:
        return {"add": "+", "del": "-", "context": " "}.get(self.kind, "")


@dataclass(frozen=True, slots=True)
class FileDiff:
    """One Compose Repo file changed by the merge request: ``change`` is ``added``,
    ``removed`` or ``modified``."""

    path: str
    change: str
    lines: tuple[DiffLine, ...]


@dataclass(frozen=True, slots=True)
class MergeRequestView:
    """A compose's merge request: its record and the Compose Repo diff between its base
    (``main`` when it was rendered) and its head. ``files`` is None when the forge cannot
    show a diff here (e.g. GitLab: follow ``link``). At most the first 300 changed files
    (by path) are listed; ``more_files`` says how many more there are."""

    compose_id: str
    number: int | None
    title: str
    description: str
    state: str
    branch: str
    forge: str
    base_compose: str | None
    head_commit: str | None
    link: MergeRequestLink
    files: tuple[FileDiff, ...] | None
    more_files: int = 0
