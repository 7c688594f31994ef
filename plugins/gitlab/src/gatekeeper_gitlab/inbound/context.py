"""One compose merge request, re-read from the API, and what handling it shares."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gatekeeper.errors import GatekeeperError, NotFound
from gatekeeper.model import Compose, Result
from gatekeeper.service import Actor

from .access import Access, access_for

log = logging.getLogger("gatekeeper_gitlab.inbound")
BRANCH_PREFIX = "compose/"
SOURCE = "gitlab"


def compose_id_of(branch: object) -> str | None:
    """``compose/<id>`` -> ``<id>`` (None for any other branch)."""
    if isinstance(branch, str) and branch.startswith(BRANCH_PREFIX):
        return branch[len(BRANCH_PREFIX) :] or None
    return None


def parse_time(value: object, default: datetime) -> datetime:
    """GitLab's ISO 8601 timestamps (``...Z``)."""
    if not isinstance(value, str) or not value:
        return default
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return default


@dataclass
class MergeRequest:
    """A compose MR as GitLab describes it now, with the application handling it."""

    app: Any
    compose: Compose
    project: Any  # python-gitlab Project (lazy)
    mr: Any  # python-gitlab ProjectMergeRequest
    access: Access
    bot: Mapping[str, Any]
    batches: dict[str, tuple[Actor, list[Result]]] = field(default_factory=dict)

    @property
    def opts(self) -> dict[str, Any]:
        opts: dict[str, Any] = self.app.forge.opts
        return opts

    @property
    def project_id(self) -> int:
        return int(self.mr.project_id)

    def is_bot(self, user: Mapping[str, Any] | None) -> bool:
        return user is None or user.get("id") == self.bot.get("id")

    def add(self, actor: Actor, result: Result) -> None:
        """Queue ``result`` to be reported by ``actor`` (see :meth:`flush`)."""
        self.batches.setdefault(actor.name, (actor, []))[1].append(result)

    def flush(self) -> int:
        """Report each actor's queued results as one report (the core checks the actor
        again); the number of results stored. A refused report is logged, not raised."""
        stored = 0
        for actor, results in self.batches.values():
            try:
                stored += len(self.app.ingest(results, actor).stored)
            except GatekeeperError as exc:
                log.warning("%s: results of %s refused: %s", self.compose.id, actor.name, exc)
        self.batches.clear()
        return stored


def open_merge_request(
    app: Any, source_branch: object, iid: object, mr: Any = None, project_id: object = None
) -> MergeRequest | None:
    """The compose MR ``iid`` of the compose named by ``source_branch``; None when it is not
    that compose's MR.

    gatekeeper's own record says which MR is the compose's: an MR merely named like
    ``compose/<id>`` (into another branch, or from a fork) is not, whatever its branch. A
    note event (``project_id`` given) needs no MR read when the record names this open MR
    and ``project_id`` is the id GitLab itself gave the Compose Repo project (the payload's
    id is only compared, never used to read); otherwise the MR is read from the configured
    project and its branch checked against GitLab's answer."""
    import gitlab

    compose_id = compose_id_of(source_branch)
    if compose_id is None or not isinstance(iid, int) or isinstance(iid, bool):
        return None
    try:
        compose = app.compose(compose_id)
    except NotFound:
        log.info("GitLab event of an unknown compose %s: ignored", compose_id)
        return None
    record = app.merge_request(compose.id)
    if record is None or record.get("forge") != "gitlab" or record.get("number") != iid:
        log.warning("GitLab event names !%s as compose %s's MR, gatekeeper's is %s: ignored",
                    iid, compose.id, None if record is None else record.get("number"))  # fmt: skip
        return None
    forge = app.forge
    project = forge.project(compose.product)
    if mr is None:
        mr = _recorded(app, record, project, iid, project_id)
    if mr is None:
        try:
            mr = project.mergerequests.get(iid, **forge.opts)
        except gitlab.GitlabGetError as exc:
            if exc.response_code == 404:
                log.info("GitLab event of merge request !%s, not found: ignored", iid)
                return None
            raise
        forge.remember_project_id(project, mr)
    if mr.source_branch != f"{BRANCH_PREFIX}{compose.id}" or mr.target_branch != "main":
        log.warning(
            "GitLab event names !%s as compose %s's MR, GitLab says it is %s -> %s: ignored",
            iid, compose.id, mr.source_branch, mr.target_branch,
        )  # fmt: skip
        return None
    return MergeRequest(app, compose, project, mr, access_for(app), forge.bot())


def _recorded(
    app: Any, record: Mapping[str, Any], project: Any, iid: int, project_id: object
) -> Any:
    """The MR as gatekeeper recorded it (lazy: no request), if the record is this open MR
    and ``project_id`` is the Compose Repo's id as GitLab answered it earlier."""
    known = app.forge.project_ids.get(str(project.id))
    if known is None or project_id != known or record.get("state") != "open":
        return None
    from gitlab.v4.objects import ProjectMergeRequest

    settings = app.forge.settings
    web_url = f"{settings.url}/{project.id}/-/merge_requests/{iid}"
    attrs = {"iid": iid, "project_id": known, "source_branch": record["branch"],
             "target_branch": "main", "state": "opened", "sha": record.get("head_commit"),
             "web_url": web_url}  # fmt: skip
    return ProjectMergeRequest(project.mergerequests, attrs, lazy=True)
