"""Who may report and waive: the policies' ``reporters`` against GitLab group membership.

A user reports a team's testcases when their username is in the team policy's
``reporters.users``, or GitLab says they are a member (direct or inherited) of one of its
``reporters.groups`` (group full paths), asked with ``GET /groups/:id/members/all`` filtered
on the user's id and kept :data:`MEMBERSHIP_TTL` seconds per (group, user). A user may waive
when they are a member of ``[forge.gitlab] waivers_group``, or when gatekeeper's store has an
identity of the same name allowed to waive (``can_waive``); asking for a rerun, they act as
an admin when that identity is one (``is_admin``). The :class:`~gatekeeper.service.Actor`
built here is still checked by the core.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

from gatekeeper.errors import ConfigError
from gatekeeper.model import Policy
from gatekeeper.service import Actor

MEMBERSHIP_TTL = 60.0
INBOUND_KEYS = ("waivers_group",)


def waivers_group(app: Any) -> str | None:
    """``[forge.gitlab] waivers_group``, validated (a group full path, or unset)."""
    section: Mapping[str, Any] = app.settings.section("forge.gitlab")
    value = section.get("waivers_group")
    if value is None or value == "":
        return None
    if not isinstance(value, str) or value.strip("/") != value or " " in value:
        raise ConfigError(
            f"expected a GitLab group full path (like centos/releng), got {value!r}",
            file=app.settings.source,
            key="forge.gitlab.waivers_group",
        )
    return value


class Access:
    """Membership answers of one GitLab instance, cached briefly."""

    def __init__(self, forge: Any, *, ttl: float = MEMBERSHIP_TTL) -> None:
        self.forge = forge
        self.ttl = ttl
        self._cache: dict[tuple[str, int], tuple[float, bool]] = {}
        self._lock = threading.Lock()

    def is_member(self, group: str, user_id: int) -> bool:
        key = (group, user_id)
        now = time.monotonic()
        with self._lock:
            found = self._cache.get(key)
        if found is not None and found[0] > now:
            return found[1]
        answer = self._ask(group, user_id)
        with self._lock:
            self._cache[key] = (now + self.ttl, answer)
        return answer

    def _ask(self, group: str, user_id: int) -> bool:
        import gitlab

        gl = self.forge.gl
        try:
            members = gl.groups.get(group, lazy=True).members_all.list(
                user_ids=[user_id], get_all=False, per_page=100, **self.forge.opts
            )
        except gitlab.GitlabListError as exc:
            if exc.response_code in (403, 404):  # no such group, or not visible to the bot
                return False
            raise
        return any(int(member.id) == user_id for member in members)

    def teams(self, policies: list[Policy], username: str, user_id: int) -> list[Policy]:
        """The policies whose reporters include the user."""
        return [p for p in policies if self._reports(p, username, user_id)]

    def _reports(self, policy: Policy, username: str, user_id: int) -> bool:
        if username in policy.reporters.users:
            return True
        return any(self.is_member(group, user_id) for group in policy.reporters.groups)

    def actor(
        self, app: Any, user: Mapping[str, Any], *, waiving: bool = False, admin: bool = False
    ) -> Actor:
        """The gatekeeper identity of a GitLab user (``{"id", "username"}`` from the API);
        ``waiving``: with its right to waive, ``admin``: with the store identity's admin."""
        username, user_id = str(user["username"]), int(user["id"])
        groups = sorted(
            {
                group
                for policy in app.policies
                for group in policy.reporters.groups
                if self.is_member(group, user_id)
            }
        )
        can_waive = False
        if waiving:
            group = waivers_group(app)
            can_waive = (group is not None and self.is_member(group, user_id)) or bool(
                app.actor(username).can_waive
            )
        is_admin = admin and bool(app.actor(username).is_admin)
        return Actor(name=username, groups=tuple(groups), can_waive=can_waive, is_admin=is_admin)


def access_for(app: Any) -> Access:
    """The application's membership cache (made once, on its GitLab forge)."""
    found = getattr(app, "_gitlab_access", None)
    if found is None or found.forge is not app.forge:
        found = Access(app.forge)
        app._gitlab_access = found
    return found
