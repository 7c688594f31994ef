"""The triage commands of a note: waivers, rerun requests and known issues, each made once.

Each is made as the note's author (the :class:`~gatekeeper.service.Actor` the note's
handling built from GitLab) and checked again by the core: waivers and known issues need the
right to waive, a rerun the testcase's team's reporters or an admin. What each makes names
the note, so a note handled twice (a retried delivery, a poll after a lost reaction) makes
nothing twice:

- a waiver's comment ends with ``(GitLab note N, line L)``, and one with that comment for
  the testcase is not made again;
- a known issue's comment too, looked for among every known issue;
- a rerun's reason too when it has one; one without a reason is not asked again when the
  same user asked for a rerun of the same testcase, arch and scenario, without a reason,
  since the note was written (its results are covered by that request already).

Each function answers None when the command is done (or was done before), else why it
was refused.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gatekeeper.errors import GatekeeperError
from gatekeeper.service import Actor

from .commands import Command
from .context import MergeRequest


def signed(text: str, note: Any, c: Command) -> str:
    """``text`` naming the note and line it came from."""
    return f"{text} (GitLab note {note.id}, line {c.line})"


def waive(ctx: MergeRequest, note: Any, actor: Actor, c: Command) -> str | None:
    """Waive as the line asks (``expires``, ``bug`` as given; the policy's rules apply)."""
    assert c.reason is not None
    comment = signed(c.reason, note, c)
    try:
        for known in ctx.app.waivers(ctx.compose.id):
            if known.comment == comment and known.testcase == c.testcase:
                return None
        ctx.app.waive(
            ctx.compose.id, c.testcase, actor=actor, comment=comment, scenario=c.scenario,
            arch=c.arch, expires=c.expires, bug=c.bug,
        )  # fmt: skip
    except GatekeeperError as exc:
        return str(exc)
    return None


def rerun(ctx: MergeRequest, note: Any, actor: Actor, c: Command, written: datetime) -> str | None:
    """Ask for a rerun of the line's testcase (``written``: when the note was)."""
    reason = None if c.reason is None else signed(c.reason, note, c)
    triage = ctx.app.triage
    try:
        for known in triage.reruns(ctx.compose.id):
            same = (known.username, known.testcase, known.arch, known.scenario) == (
                actor.name, c.testcase, c.arch, c.scenario)  # fmt: skip
            if same and known.reason == reason and (reason is not None or known.time >= written):
                return None
        triage.rerun(ctx.compose.id, c.testcase, actor=actor, arch=c.arch,
                     scenario=c.scenario, reason=reason)  # fmt: skip
    except GatekeeperError as exc:
        return str(exc)
    return None


def known_issue(ctx: MergeRequest, note: Any, actor: Actor, c: Command) -> str | None:
    """Add the line's known issue (its product: the compose's unless ``product=`` says)."""
    assert c.reason is not None and c.bug is not None
    comment = signed(c.reason, note, c)
    triage = ctx.app.triage
    try:
        for use in triage.known_issues():
            if use.issue.comment == comment and use.issue.testcase == c.testcase:
                return None
        triage.add_known_issue(
            actor, product=c.product or ctx.compose.product, testcase=c.testcase, bug=c.bug,
            comment=comment, expires=c.expires, arch=c.arch, scenario=c.scenario,
        )  # fmt: skip
    except GatekeeperError as exc:
        return str(exc)
    return None
