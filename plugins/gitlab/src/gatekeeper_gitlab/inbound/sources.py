"""Results from the MR's scoped labels, award emoji and head commit statuses.

- ``<team>::passed|failed|running`` -> ``<team>.label``, as the user of the latest
  ``resource_label_events`` entry adding it (id ``gitlab:label:<project>:<event id>``);
- ``thumbsup``/``thumbsdown`` on the MR -> ``<team>.vote`` for each team the user reports for
  (id ``gitlab:award:<project>:<award id>:<team>``);
- commit statuses on the head sha whose ``name`` is a testcase owned by a team and whose author
  reports for it (id ``gitlab:status:<project>:<status id>:<state>``).

Everything is read from the API; the bot's own labels, emoji and statuses are never counted.
"""

from __future__ import annotations

from typing import Any

from gatekeeper.model import Outcome, Policy, Result

from .context import SOURCE, MergeRequest, log, parse_time

LABEL_OUTCOMES = {"passed": Outcome.PASSED, "failed": Outcome.FAILED, "running": Outcome.RUNNING}
VOTE_OUTCOMES = {"thumbsup": Outcome.PASSED, "thumbsdown": Outcome.FAILED}
STATUS_OUTCOMES = {
    "success": Outcome.PASSED,
    "failed": Outcome.FAILED,
    "running": Outcome.RUNNING,
    "pending": Outcome.QUEUED,
    "created": Outcome.QUEUED,
    "canceled": Outcome.ERROR,
}


def _owned(ctx: MergeRequest, testcase: str, policy: Policy | None = None) -> Policy | None:
    owner = ctx.app.owner_of(testcase)
    if owner is None or (policy is not None and owner is not policy):
        return None
    found: Policy = owner
    return found


def _reports(ctx: MergeRequest, policy: Policy, user: dict[str, Any]) -> bool:
    return policy in ctx.access.teams([policy], str(user["username"]), int(user["id"]))


def read_labels(ctx: MergeRequest) -> None:
    teams = {p.team: p for p in ctx.app.policies}
    wanted: dict[str, tuple[Policy, Outcome]] = {}
    for name in ctx.mr.labels or ():
        team, sep, state = str(name).partition("::")
        if sep and team in teams and state in LABEL_OUTCOMES:
            wanted[str(name)] = (teams[team], LABEL_OUTCOMES[state])
    if not wanted:
        return
    events = ctx.mr.resourcelabelevents.list(get_all=True, per_page=100, **ctx.opts)
    latest: dict[str, Any] = {}
    for event in events:
        label = (event.label or {}).get("name")
        newer = label not in latest or int(event.id) > int(latest[label].id)
        if event.action == "add" and label in wanted and newer:
            latest[label] = event
    for label, (policy, outcome) in sorted(wanted.items()):
        event = latest.get(label)
        testcase = f"{policy.team}.label"
        if event is None or ctx.is_bot(event.user) or _owned(ctx, testcase, policy) is None:
            continue
        if not _reports(ctx, policy, event.user):
            log.info("%s: label %s by %s, no reporter of %s: not counted",
                     ctx.compose.id, label, event.user.get("username"), policy.team)  # fmt: skip
            continue
        result = Result(
            compose=ctx.compose.id, testcase=testcase, outcome=outcome,
            submit_time=parse_time(event.created_at, ctx.app.clock()),
            id=f"gitlab:label:{ctx.project_id}:{event.id}", ref_url=ctx.mr.web_url,
            source=SOURCE, data={"gitlab_label": label},
        )  # fmt: skip
        ctx.add(ctx.access.actor(ctx.app, event.user), result)


def read_votes(ctx: MergeRequest) -> None:
    awards = ctx.mr.awardemojis.list(get_all=True, per_page=100, **ctx.opts)
    for award in awards:
        outcome = VOTE_OUTCOMES.get(award.name)
        if outcome is None or ctx.is_bot(award.user):
            continue
        user = award.user
        teams = ctx.access.teams(ctx.app.policies, str(user["username"]), int(user["id"]))
        if not teams:
            continue
        actor = ctx.access.actor(ctx.app, user)
        for policy in teams:
            testcase = f"{policy.team}.vote"
            if _owned(ctx, testcase, policy) is None:
                continue
            result = Result(
                compose=ctx.compose.id, testcase=testcase, outcome=outcome,
                submit_time=parse_time(award.created_at, ctx.app.clock()),
                id=f"gitlab:award:{ctx.project_id}:{award.id}:{policy.team}",
                ref_url=ctx.mr.web_url, source=SOURCE, data={"gitlab_award": award.name},
            )  # fmt: skip
            ctx.add(actor, result)


def read_statuses(ctx: MergeRequest) -> None:
    sha = ctx.mr.sha
    if not sha:
        return
    commit = ctx.project.commits.get(sha, lazy=True)
    for status in commit.statuses.list(get_all=True, per_page=100, **ctx.opts):
        outcome = STATUS_OUTCOMES.get(status.status)
        policy = _owned(ctx, str(status.name))
        if outcome is None or policy is None or ctx.is_bot(status.author):
            continue
        if not _reports(ctx, policy, status.author):
            log.info("%s: status %s by %s, no reporter of %s: not counted", ctx.compose.id,
                     status.name, status.author.get("username"), policy.team)  # fmt: skip
            continue
        when = status.finished_at or status.started_at or status.created_at
        result = Result(
            compose=ctx.compose.id, testcase=str(status.name), outcome=outcome,
            submit_time=parse_time(when, ctx.app.clock()),
            id=f"gitlab:status:{ctx.project_id}:{status.id}:{status.status}",
            ref_url=status.target_url or ctx.mr.web_url, note=status.description,
            source=SOURCE, data={"gitlab_status": status.status, "sha": sha},
        )  # fmt: skip
        ctx.add(ctx.access.actor(ctx.app, status.author), result)


def read_all(ctx: MergeRequest) -> int:
    """Labels, votes and statuses of the MR, reported; the number of results stored."""
    read_labels(ctx)
    read_votes(ctx)
    read_statuses(ctx)
    return ctx.flush()
