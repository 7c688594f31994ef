"""Finding a compose branch's merge request on GitLab: listed before one is created (so
proposing is idempotent, and a retried creation's 409 finds the MR), its title and
description kept up to date, and the numeric project id GitLab answered remembered."""

from __future__ import annotations

from typing import Any, Final

import gitlab
from gitlab.v4.objects import Project, ProjectMergeRequest

MAIN: Final = "main"


class MergeRequests:
    """A compose branch's merge requests; a collaborator of
    :class:`~gatekeeper_gitlab.forge.GitLabForge`, sharing its call options and its record
    of project ids."""

    def __init__(self, opts: dict[str, Any], project_ids: dict[str, int]) -> None:
        self.opts = opts
        self.project_ids = project_ids

    def list(self, project: Project, branch: str, state: str = "opened") -> list[Any]:
        found: list[Any] = project.mergerequests.list(
            source_branch=branch, target_branch=MAIN, state=state, get_all=True, **self.opts
        )
        return found

    def open(self, project: Project, branch: str) -> ProjectMergeRequest | None:
        found = self.list(project, branch)
        return found[0] if found else None

    def remember_project_id(self, project: Project, mr: Any) -> None:
        """Note the numeric id GitLab gave ``project`` in an MR it answered."""
        found = getattr(mr, "project_id", None)
        if isinstance(found, int) and not isinstance(found, bool):
            self.project_ids[str(project.id)] = found

    def ensure(
        self, project: Project, branch: str, title: str, description: str
    ) -> ProjectMergeRequest:
        """The open MR of ``branch`` (found first, else created), with this title/description."""
        mr = self._found_mr(project, branch, title, description)
        self.remember_project_id(project, mr)
        return mr

    def _found_mr(
        self, project: Project, branch: str, title: str, description: str
    ) -> ProjectMergeRequest:
        mr = self.open(project, branch)
        if mr is None:
            try:
                created: ProjectMergeRequest = project.mergerequests.create(
                    {
                        "source_branch": branch,
                        "target_branch": MAIN,
                        "title": title,
                        "description": description,
                    },
                    **self.opts,
                )
                return created
            except gitlab.GitlabCreateError as exc:
                if exc.response_code != 409:
                    raise
                mr = self.open(project, branch)  # created meanwhile (or by a retry)
                if mr is None:
                    raise
        if mr.title != title or mr.description != description:
            project.mergerequests.update(
                mr.iid, {"title": title, "description": description}, **self.opts
            )
            mr.title, mr.description = title, description
        return mr
