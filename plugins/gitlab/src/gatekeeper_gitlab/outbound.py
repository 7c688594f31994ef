"""The outbound side's hooks: the merge request follows the decision (``forge = "gitlab"``).

Every hook here (a compose proposed, its decision changed, promoted, revoked, published)
does one thing: it reads the compose's **current** state from the store (its merge request
record, its latest decision, promoted or published) and makes the MR show it:

- the bot's **one** summary note (``<!-- gatekeeper:summary -->``, found by the bot's user id
  plus that marker, edited in place): the verdict, the decision's summary, a table of the
  unsatisfied required answers with why (``rerun requested``, ``errored (retry 1 of 2)``)
  and one of the waived ones with their waiver or known issue, bug and expiry;
- the scoped label ``gate::passed|failed|pending`` (``add_labels``/``remove_labels`` only);
- the commit status ``gatekeeper`` on the MR's head commit (success, failed, pending).

Reading the current state rather than the hook's arguments makes each call idempotent and
order-free: the outbox dispatcher may send an entry again after a failure (GitLab down), or
send an older entry after a newer one; each send shows the latest decision, and re-applying
the same state sends nothing that changes the MR. A failure raises (``GitLabError``), so the
entry stays in the outbox and is retried with backoff.

Cost: what was last written to each MR is remembered per forge object (the note's id and
body, the label, the status): a new decision costs one note edit, plus one label change and
one status when the verdict changed. A process that starts without that memory reads first
(the notes list, the statuses list), so nothing is written twice.

With another forge every hook returns at once and needs no configuration; python-gitlab is
imported only when ``forge = "gitlab"``.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from gatekeeper import hookimpl
from gatekeeper.compose.gate import gate_table, waived_table

if TYPE_CHECKING:
    from gitlab.v4.objects import Project, ProjectMergeRequest

    from gatekeeper.model import Compose, Decision, MergeRequest
    from gatekeeper.service import Gatekeeper

    from .forge import GitLabForge

FORGE: Final = "gitlab"
MARK_PREFIX: Final = "<!-- gatekeeper:"
"""Every note the bot writes starts with a hidden marker beginning with this."""
MAX_ROWS: Final = 50


@dataclass(frozen=True)
class MergeRequestState:
    """What the MR of a compose should show, read from the store."""

    compose: str
    product: str
    branch: str
    iid: int
    mr_state: str  # open | merged
    head_commit: str | None
    verdict: str  # passed | failed | pending
    body: str


@dataclass
class _Written:
    """What this process last wrote to one MR (so unchanged parts are not sent again)."""

    note_id: int | None = None
    body: str | None = None
    label: str | None = None
    status: tuple[str, str] | None = None  # (sha, state)


@dataclass
class _Memory:
    mrs: dict[tuple[str, int], _Written] = field(default_factory=dict)

    def of(self, project: str, iid: int) -> _Written:
        return self.mrs.setdefault((project, iid), _Written())


_MEMORY: weakref.WeakKeyDictionary[Any, _Memory] = weakref.WeakKeyDictionary()


def _forge(app: Any) -> GitLabForge | None:
    """The app's GitLab forge, or None when another forge is configured."""
    if getattr(app.settings, "forge", None) != FORGE:
        return None
    forge: GitLabForge = app.forge
    return forge


# -- what the MR should show ---------------------------------------------------------------
def summary_body(
    compose: str,
    decision: Mapping[str, Any] | None,
    version: int | None,
    *,
    promoted: bool,
    published: bool,
) -> str:
    """The summary note's text (without its marker): deterministic for one stored state."""
    verdict = decision["verdict"] if decision else "pending"
    title = f"## Gate: {verdict}"
    if published:
        title += " (published)"
    elif promoted:
        title += " (promoted)"
    lines = [title, ""]
    if decision is None:
        lines += [f"Compose `{compose}`: not decided yet.", ""]
    else:
        lines += [str(decision["summary"]), "", *gate_table(decision, max_rows=MAX_ROWS),
                  *waived_table(decision, max_rows=MAX_ROWS)]  # fmt: skip
    if published:
        lines += ["Published: merged into `main`.", ""]
    elif promoted:
        lines += ["Promoted: the gate passed; the compose may be published.", ""]
    if decision is not None:
        lines.append(f"Compose `{compose}`, decision v{version}, evaluated "
                     f"{decision['evaluated_at']}.")  # fmt: skip
    lines.append("<sub>Written by gatekeeper, edited in place on every decision.</sub>")
    return "\n".join(lines)


def wanted_state(app: Any, compose_id: str) -> MergeRequestState | None:
    """The compose's MR and what it should show; None when there is no GitLab MR to update
    (none yet, closed as superseded, or made by another forge)."""
    view = app.gate_view(compose_id)
    if view is None:
        return None
    row, mr, decision = view.compose, view.merge_request, view.decision
    if mr is None or mr["forge"] != FORGE or mr["number"] is None:
        return None
    if mr["state"] not in ("open", "merged"):
        return None
    published = row["state"] == "published" or mr["state"] == "merged"
    body = summary_body(
        compose_id,
        decision,
        view.version,
        promoted=bool(row.get("promoted")),
        published=published,
    )
    return MergeRequestState(
        compose=compose_id,
        product=row["product"],
        branch=mr["branch"],
        iid=int(mr["number"]),
        mr_state=mr["state"],
        head_commit=mr["head_commit"],
        verdict=decision["verdict"] if decision else "pending",
        body=body,
    )


# -- applying it ---------------------------------------------------------------------------
def sync(app: Any, compose_id: str) -> MergeRequestState | None:
    """Make the compose's MR show its current state (note, label, status); idempotent.

    Does nothing when another forge is configured. Raises ``GitLabError`` when GitLab
    fails (after python-gitlab's retries): the caller's outbox entry is then retried.
    """
    forge = _forge(app)
    if forge is None:
        return None
    state = wanted_state(app, compose_id)
    if state is None:
        return None
    apply_state(forge, state)
    return state


def apply_state(forge: GitLabForge, state: MergeRequestState) -> None:
    from .errors import api

    api("updating the merge request's gate")(_apply)(forge, state)


def _apply(forge: GitLabForge, state: MergeRequestState) -> None:
    project = forge.project(state.product)
    path = forge.settings.project_for(state.product)
    memory = _MEMORY.setdefault(forge, _Memory())
    written = memory.of(path, state.iid)
    mr = _lazy_mr(project, path, state.iid)
    try:
        _note(forge, mr, written, state.body)
        _label(forge, project, state.iid, written, state.verdict)
        if state.mr_state == "open" and state.head_commit:  # merged: the head's status stays
            _status(forge, project, state, written)
    except BaseException:
        # a request that timed out may still be applied by GitLab, later than what was
        # sent after it: the next send reads the MR again instead of trusting memory
        memory.mrs.pop((path, state.iid), None)
        raise


def _lazy_mr(project: Project, path: str, iid: int) -> ProjectMergeRequest:
    """The MR as a python-gitlab object without a request (its notes' path needs both ids)."""
    from gitlab.v4.objects import ProjectMergeRequest

    return ProjectMergeRequest(project.mergerequests, {"iid": iid, "project_id": path}, lazy=True)


def _note(forge: GitLabForge, mr: ProjectMergeRequest, written: _Written, text: str) -> None:
    import gitlab

    from .signals import SUMMARY_MARK

    body = f"{SUMMARY_MARK}\n{text}"
    if written.body == body:
        return
    if written.note_id is not None:
        try:
            mr.notes.update(written.note_id, {"body": body}, **forge.opts)
            written.body = body
            return
        except gitlab.GitlabUpdateError as exc:
            if exc.response_code != 404:  # deleted by someone: found or posted again below
                raise
    written.note_id, written.body = None, None
    written.note_id = forge.signals.upsert_note(mr, SUMMARY_MARK, text)
    written.body = body


def _label(forge: GitLabForge, project: Project, iid: int, written: _Written, verdict: str) -> None:
    from .signals import GATE_LABELS

    if written.label == verdict:
        return
    wanted = GATE_LABELS[verdict]
    others = ",".join(label for label in GATE_LABELS.values() if label != wanted)
    # add/remove only: other labels are never touched, and a repeat changes nothing
    project.mergerequests.update(iid, {"add_labels": wanted, "remove_labels": others},
                                 **forge.opts)  # fmt: skip
    written.label = verdict


def _status(
    forge: GitLabForge, project: Project, state: MergeRequestState, written: _Written
) -> None:
    import gitlab

    from .signals import STATUS_NAME, STATUS_STATES

    sha = state.head_commit
    assert sha is not None
    wanted = STATUS_STATES[state.verdict]
    if written.status == (sha, wanted):
        return
    commit = project.commits.get(sha, lazy=True)
    if written.status is None or written.status[0] != sha:  # not known here: read it first
        current = commit.statuses.list(name=STATUS_NAME, ref=state.branch, get_all=True,
                                       **forge.opts)  # fmt: skip
        if any(s.status == wanted for s in current):
            written.status = (sha, wanted)
            return
    written.status = None  # until it is known: a timed-out POST may still be applied
    try:
        commit.statuses.create(
            {
                "state": wanted,
                "name": STATUS_NAME,
                "ref": state.branch,
                "description": f"gate {state.verdict}",
            },
            **forge.opts,
        )
    except gitlab.GitlabCreateError as exc:  # a repeated pending: GitLab's transition 400
        if exc.response_code != 400 or "transition" not in str(exc.error_message):
            raise
    written.status = (sha, wanted)


def forget(forge: Any) -> None:
    """Drop what this process remembers having written (tests and benchmarks)."""
    _MEMORY.pop(forge, None)


# -- the hooks -----------------------------------------------------------------------------
@hookimpl
def gatekeeper_compose_proposed(
    app: Gatekeeper, compose: Compose, merge_request: MergeRequest
) -> None:
    """The new MR gets its summary note (pending), ``gate::pending`` and a pending status."""
    sync(app, compose.id)


@hookimpl
def gatekeeper_decision_changed(
    app: Gatekeeper, compose: Compose, old: Decision | None, new: Decision, version: int
) -> None:
    """The note, label and status show the compose's latest decision."""
    sync(app, compose.id)


@hookimpl
def gatekeeper_promote_compose(app: Gatekeeper, compose: Compose, decision: Decision) -> None:
    """The note says promoted (the label is ``gate::passed`` already)."""
    sync(app, compose.id)


@hookimpl
def gatekeeper_promotion_revoked(app: Gatekeeper, compose: Compose, decision: Decision) -> None:
    """The note no longer says promoted."""
    sync(app, compose.id)


@hookimpl
def gatekeeper_compose_published(
    app: Gatekeeper, compose: Compose, merge_request: MergeRequest | None
) -> None:
    """The merged MR's note says published; its label stays the verdict's."""
    sync(app, compose.id)
