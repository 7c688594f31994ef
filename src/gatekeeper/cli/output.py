"""Human-readable output for the CLI (rich tables); JSON output lives on the models."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from gatekeeper.timeutil import format_time

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from gatekeeper.model import Decision, Result
    from gatekeeper.plugins import PluginInfo


def new_table(title: str) -> Table:
    """A rich table with its title on the left (rich's tables load when first drawn)."""
    from rich.table import Table

    return Table(title=title, title_justify="left")


_STYLE = {"passed": "green", "failed": "red", "pending": "yellow"}


def _type_style(answer_type: str, satisfied: bool) -> str:
    if answer_type.endswith(("-waived", "-ignored")):
        return "cyan"
    return (
        "green"
        if satisfied
        else ("yellow" if "missing" in answer_type or "pending" in answer_type else "red")
    )


def decision(console: Console, decided: Decision) -> None:
    from rich.markup import escape

    table = new_table(f"Decision for {decided.compose}")
    for column in ("answer", "team", "testcase", "scenario", "arch", "variant", "evidence"):
        table.add_column(column, overflow="fold")
    for answer in decided.answers:
        evidence = []
        if answer.result_id is not None:
            evidence.append(f"result {answer.result_id}")
        if answer.waiver_id is not None:
            evidence.append(f"waiver {answer.waiver_id}")
        if answer.known_issue is not None:
            evidence.append(f"known issue {answer.known_issue}")
        if answer.expires is not None:
            evidence.append(f"until {answer.expires}")
        for text in (answer.bug, answer.ref_url):
            if text:
                evidence.append(escape(text))
        if answer.reason is not None:
            evidence.append(f"({escape(answer.reason)})")
        label = answer.type + ("" if answer.required else " (informational)")
        table.add_row(
            f"[{_type_style(answer.type, answer.is_satisfied)}]{label}[/]",
            answer.team,
            answer.testcase,
            answer.scenario or "-",
            answer.arch or "-",
            answer.variant or "-",
            " ".join(evidence) or "-",
        )
    if decided.answers:
        console.print(table)
    style = _STYLE.get(decided.verdict, "bold")
    console.print(f"verdict: [bold {style}]{decided.verdict}[/]")
    console.print(f"summary: {decided.summary}")
    console.print(f"policies: {', '.join(decided.applicable_policies)}")


def results(console: Console, compose: str, rows: Sequence[Result]) -> None:
    table = new_table(f"Results for {compose} ({len(rows)})")
    for column in (
        "id",
        "submitted",
        "testcase",
        "outcome",
        "scenario",
        "arch",
        "variant",
        "reporter",
    ):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(
            r.id or "-",
            format_time(r.submit_time),
            r.testcase,
            r.outcome.value,
            r.scenario or "-",
            r.arch or "-",
            r.variant or "-",
            r.reporter or "-",
        )
    console.print(table)


def plugins(console: Console, infos: Sequence[PluginInfo]) -> None:
    table = new_table("Plugins")
    for column in ("name", "version", "kind", "hooks"):
        table.add_column(column, overflow="fold")
    for info in infos:
        kind = "built-in" if info.builtin else "entry point"
        table.add_row(info.name, info.version, kind, ", ".join(info.hooks) or "-")
    console.print(table)
