"""``gatekeeper known-issue add|list|close``, ``rerun`` and ``reruns`` (#17): known failures
waived in every compose of a product until they expire or are closed, and requests to run a
compose's testcase again. They act as the local operator, as ``gatekeeper waive`` does."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from gatekeeper.cli.common import COMPOSE_ID, State, console, located
from gatekeeper.cli.output import new_table
from gatekeeper.timeutil import format_time

if TYPE_CHECKING:
    from gatekeeper.model import Answer, RerunRequest
    from gatekeeper.service.triage import KnownIssueUse


def _or_dash(value: object) -> str:
    return "-" if value is None else str(value)


@click.group("known-issue")
def known_issue() -> None:
    """Known failures, tracked by a bug, waived in every compose of a product."""


@known_issue.command("add")
@click.option("--product", required=True, help="The products it waives in: a glob, like "
              "'CentOS-Stream-*'.")  # fmt: skip
@click.option("--testcase", required=True)
@click.option("--arch", help="Only this arch (default: every one).")
@click.option("--scenario", help="Only this scenario (default: every one).")
@click.option("--bug", required=True, help="The URL of the bug tracking it.")
@click.option("--expires", help="When it stops waiving: a duration (14d) or a time (ISO 8601); "
              "default: never, or the policy's waivers: max_expires.")  # fmt: skip
@click.option("--comment", "-m", required=True, help="What the failure is, and why it is waived.")
@click.pass_obj
@located
def known_issue_add(
    state: State, product: str, testcase: str, arch: str | None, scenario: str | None,
    bug: str, expires: str | None, comment: str,
) -> None:  # fmt: skip
    """Add a known issue: it waives the failed and errored answers of TESTCASE in every
    compose of the product (the open ones are decided again now) until it expires or is
    closed."""
    app = state.app()
    issue = app.triage.add_known_issue(
        state.actor(None), product=product, testcase=testcase, bug=bug, comment=comment,
        expires=expires, arch=arch, scenario=scenario,
    )  # fmt: skip
    use = app.triage.known_issue(issue.id)
    until = "never expires" if issue.expires is None else f"until {format_time(issue.expires)}"
    click.echo(
        f"known issue {issue.id}: {testcase} waived in {product} composes ({until}), "
        f"bug {issue.bug}; it waives in {_composes(use)} now"
    )


def _composes(use: KnownIssueUse) -> str:
    count = len(use.composes)
    return f"{count} compose{'' if count == 1 else 's'}"


@known_issue.command("list")
@click.option("--all", "include_closed", is_flag=True, help="Expired and closed ones too.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@located
def known_issue_list(state: State, include_closed: bool, as_json: bool) -> None:
    """The known issues waiving now (--all: expired and closed ones too), newest first,
    with how many composes each waived an answer of."""
    uses = state.app().triage.known_issues(include_closed=include_closed)
    uses = [u for u in uses if include_closed or u.state == "open"]
    if as_json:
        click.echo(json.dumps([u.to_json() for u in uses], indent=2))
        return
    table = new_table(f"Known issues ({len(uses)})")
    for column in ("id", "product", "testcase", "arch", "scenario", "bug", "expires", "state",
                   "composes waived"):  # fmt: skip
        table.add_column(column, overflow="fold")
    for use in uses:
        issue = use.issue
        expires = None if issue.expires is None else format_time(issue.expires)
        table.add_row(issue.id, issue.product, issue.testcase, _or_dash(issue.arch),
                      _or_dash(issue.scenario), issue.bug, _or_dash(expires), use.state,
                      str(len(use.composes)))  # fmt: skip
    console().print(table)


@known_issue.command("close")
@click.argument("issue_id")
@click.pass_obj
@located
def known_issue_close(state: State, issue_id: str) -> None:
    """Close known issue ISSUE_ID: it waives nothing from now on."""
    app = state.app()
    issue = app.triage.close_known_issue(state.actor(None), issue_id)
    closed = _or_dash(None if issue.closed_at is None else format_time(issue.closed_at))
    click.echo(f"known issue {issue.id}: closed at {closed} by {issue.closed_by}; it waived in "
               f"{_composes(app.triage.known_issue(issue.id))}")  # fmt: skip


def _keys(scenario: str | None, arch: str | None, variant: str | None) -> list[str]:
    named = (("scenario", scenario), ("arch", arch), ("variant", variant))
    return [f"{key}={value}" for key, value in named if value is not None]


def _narrowed(request: RerunRequest) -> str:
    parts = _keys(request.scenario, request.arch, request.variant)
    return f" ({', '.join(parts)})" if parts else ""


@click.command("rerun")
@click.argument("compose_id", type=COMPOSE_ID)
@click.argument("testcase")
@click.option("--arch", help="Only this arch (default: every one).")
@click.option("--scenario", help="Only this scenario (default: every one).")
@click.option("--reason", help="Why (needed to rerun a passed result).")
@click.pass_obj
@located
def rerun(
    state: State, compose_id: str, testcase: str, arch: str | None, scenario: str | None,
    reason: str | None,
) -> None:  # fmt: skip
    """Ask for a rerun of TESTCASE in COMPOSE_ID: its answers are pending until a newer
    result arrives, and the team's CI is told (hook gatekeeper_rerun_requested)."""
    request, decided = state.app().triage.rerun(
        compose_id, testcase, actor=state.actor(None), arch=arch, scenario=scenario,
        reason=reason,
    )  # fmt: skip
    why = f": {request.reason}" if request.reason else ""
    click.echo(f"rerun request {request.id}: {testcase}{_narrowed(request)} of {compose_id}, "
               f"by {request.username}{why}")  # fmt: skip
    pending = [a for a in decided.answers if a.rerun_id == request.id]
    if pending:
        click.echo("now pending:")
        for answer in pending:
            click.echo(f"  {answer.type} {_where(answer)}: {answer.reason}")
    else:
        click.echo("no answer waits on it (no result of it to run again yet)")
    click.echo(f"verdict {decided.verdict}: {decided.summary}")


def _where(answer: Answer) -> str:
    return " ".join([answer.testcase, *_keys(answer.scenario, answer.arch, answer.variant)])


@click.command("reruns")
@click.argument("compose_id", type=COMPOSE_ID)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@located
def reruns(state: State, compose_id: str, as_json: bool) -> None:
    """The rerun requests of COMPOSE_ID, oldest first (those of a gate's retries too)."""
    requests = state.app().triage.reruns(compose_id)
    if as_json:
        click.echo(json.dumps([r.to_json() for r in requests], indent=2))
        return
    _rerun_table(compose_id, requests)


def _rerun_table(compose_id: str, requests: Sequence[RerunRequest]) -> None:
    table = new_table(f"Rerun requests for {compose_id} ({len(requests)})")
    for column in ("id", "time", "testcase", "scenario", "arch", "variant", "by", "why"):
        table.add_column(column, overflow="fold")
    for r in requests:
        why = f"retry {r.retry} of {r.retries}" if r.automatic else r.reason
        table.add_row(r.id, format_time(r.time), r.testcase, _or_dash(r.scenario),
                      _or_dash(r.arch), _or_dash(r.variant), r.username, _or_dash(why))  # fmt: skip
    console().print(table)


__all__ = ["known_issue", "rerun", "reruns"]
