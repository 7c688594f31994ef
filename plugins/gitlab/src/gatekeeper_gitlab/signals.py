"""What a decision shows on its merge request: the summary note, the gate label, the status.

A collaborator of :class:`gatekeeper_gitlab.forge.GitLabForge`, beyond the Forge protocol;
``gatekeeper_gitlab.outbound`` wires these to decisions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import gitlab
import requests
from gitlab.v4.objects import Project, ProjectMergeRequest

from .errors import GitLabError, api, status_of

if TYPE_CHECKING:
    from .forge import GitLabForge

SUMMARY_MARK: Final = "<!-- gatekeeper:summary -->"
CLOSE_MARK: Final = "<!-- gatekeeper:closed -->"
GATE_LABELS: Final = {v: f"gate::{v}" for v in ("passed", "failed", "pending")}
STATUS_NAME: Final = "gatekeeper"
STATUS_STATES: Final = {"passed": "success", "failed": "failed", "pending": "pending"}


class Signals:
    """Notes, labels and statuses on a compose's open merge request, through its forge."""

    def __init__(self, forge: GitLabForge) -> None:
        self.forge = forge
        self.opts = forge.opts

    def upsert_note(
        self, mr: ProjectMergeRequest, mark: str, text: str, *, edit: bool = True
    ) -> int:
        """The bot's one note carrying ``mark``, holding ``text``: edited in place (unless
        not ``edit``: then a note found is left as it is), or posted.

        A POST is never retried blindly (its response may be lost after it was applied):
        after a failure the note is looked for again, up to ``max_retries`` times.
        """
        body = f"{mark}\n{text}"
        bot_id = self.forge.bot()["id"]
        retries = self.forge.settings.max_retries
        for attempt in range(retries + 1):
            notes = mr.notes.list(get_all=True, per_page=100, sort="asc", **self.opts)
            mine = [n for n in notes if n.author["id"] == bot_id and mark in n.body]
            if mine:
                if edit and mine[0].body != body:
                    mr.notes.update(mine[0].id, {"body": body}, **self.opts)
                return int(mine[0].id)
            try:
                note = mr.notes.create({"body": body}, retry_transient_errors=False, **self.opts)
                return int(note.id)
            except (gitlab.GitlabCreateError, requests.ConnectionError) as exc:
                transient = status_of(exc) is None or (status_of(exc) or 0) >= 500
                if not transient or attempt == retries:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _mr_for(self, product: str, branch: str) -> tuple[Project, ProjectMergeRequest]:
        project = self.forge.project(product)
        mr = self.forge.mrs.open(project, branch)
        if mr is None:
            raise GitLabError(f"no open merge request for {branch}", status=404)
        return project, mr

    @api("updating the summary note")
    def upsert_summary_note(self, product: str, branch: str, body: str) -> int:
        """The MR's one summary note (the bot's, marked ``<!-- gatekeeper:summary -->``)
        holds ``body``: created once, then edited in place. Returns the note id."""
        _, mr = self._mr_for(product, branch)
        return self.upsert_note(mr, SUMMARY_MARK, body)

    @api("setting the gate label")
    def set_gate_label(self, product: str, branch: str, verdict: str) -> None:
        """The scoped label ``gate::<verdict>`` on the MR, the other ``gate::*`` removed;
        with ``add_labels``/``remove_labels`` only, so other labels are never touched."""
        if verdict not in GATE_LABELS:
            raise ValueError(f"verdict {verdict!r} is not one of {', '.join(GATE_LABELS)}")
        project, mr = self._mr_for(product, branch)
        wanted = GATE_LABELS[verdict]
        others = [label for label in GATE_LABELS.values() if label != wanted]
        if wanted in mr.labels and not set(others) & set(mr.labels):
            return
        project.mergerequests.update(
            mr.iid, {"add_labels": wanted, "remove_labels": ",".join(others)}, **self.opts
        )

    @api("setting the commit status")
    def set_status(self, product: str, branch: str, verdict: str) -> None:
        """The commit status ``gatekeeper`` on the MR's head: success, failed or pending.
        The current one is read first; GitLab's 400 for a repeated state counts as done."""
        if verdict not in STATUS_STATES:
            raise ValueError(f"verdict {verdict!r} is not one of {', '.join(STATUS_STATES)}")
        project, mr = self._mr_for(product, branch)
        state = STATUS_STATES[verdict]
        commit = project.commits.get(mr.sha, lazy=True)
        current = commit.statuses.list(name=STATUS_NAME, ref=branch, get_all=True, **self.opts)
        if any(s.status == state for s in current):
            return
        try:
            commit.statuses.create(
                {"state": state, "name": STATUS_NAME, "ref": branch}, **self.opts
            )
        except gitlab.GitlabCreateError as exc:
            if exc.response_code != 400 or "transition" not in str(exc.error_message):
                raise
