"""The gate as a merge request shows it: the verdict, the summary and what is missing.

Two tables built from the decision JSON for every place that shows it: the local forge's MR
description (:func:`gate_section`, kept up to date under :data:`GATE_MARK`) and the GitLab
plugin's summary note. :func:`gate_table` lists the unsatisfied required answers, each with
why it is what it is (``rerun requested``, ``errored (retry 1 of 2)``, ``waiver 3 expired at
...``); :func:`waived_table` the waived ones, each with what waives it (a waiver, or a known
issue carried across composes), its bug and its expiry: the testcase's team is told on the MR.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

GATE_MARK = "<!-- gatekeeper:gate -->"
MAX_ROWS = 50


def _cell(value: object) -> str:
    """A table cell: ``-`` for nothing; pipes escaped and lines joined, so a reason or a
    URL cannot break the table."""
    if value is None or value == "":
        return "-"
    return " ".join(str(value).split()).replace("|", "\\|")


def _table(header: Sequence[str], rows: list[list[object]], max_rows: int) -> list[str]:
    """Markdown lines: the header, at most ``max_rows`` rows, "... N more", a blank line."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows[:max_rows]]
    if len(rows) > max_rows:
        lines.append(f"| ... {len(rows) - max_rows} more |" + " |" * (len(header) - 1))
    lines.append("")
    return lines


def _where(a: Mapping[str, Any]) -> list[object]:
    return [a["type"], a["team"], a["testcase"], a.get("scenario"), a.get("arch")]


def gate_table(decision: Mapping[str, Any], *, max_rows: int = MAX_ROWS) -> list[str]:
    """Markdown lines of the decision's unsatisfied required answers, each with its reason
    (none: no lines): a header, at most ``max_rows`` rows, a "... N more" row, a blank line."""
    unsatisfied = [a for a in decision["unsatisfied_requirements"] if a.get("required", True)]
    if not unsatisfied:
        return []
    header = ("answer", "team", "testcase", "scenario", "arch", "why")
    return _table(header, [[*_where(a), a.get("reason")] for a in unsatisfied], max_rows)


def _waived_by(answer: Mapping[str, Any]) -> str:
    if answer.get("known_issue") is not None:
        by = f"known issue {answer['known_issue']}"
    elif answer.get("waiver_id") is not None:
        by = f"waiver {answer['waiver_id']}"
    else:
        by = "a waiver"
    return f"{by}; {answer['reason']}" if answer.get("reason") else by


def waived_table(decision: Mapping[str, Any], *, max_rows: int = MAX_ROWS) -> list[str]:
    """Markdown lines of the decision's waived required answers (none: no lines): a title,
    then each with what waives it, the bug and when the waiver expires."""
    waived = [
        a
        for a in decision["satisfied_requirements"]
        if a.get("required", True) and str(a["type"]).endswith("-waived")
    ]
    if not waived:
        return []
    header = ("answer", "team", "testcase", "scenario", "arch", "waived by", "bug", "expires")
    rows = [[*_where(a), _waived_by(a), a.get("bug"), a.get("expires")] for a in waived]
    return ["Waived:", "", *_table(header, rows, max_rows)]


def gate_section(decision: Mapping[str, Any] | None, version: int | None, promoted: bool) -> str:
    """The MR description's gate part: the current decision, kept up to date."""
    if decision is None:
        return f"{GATE_MARK}\n## Gate: not decided yet\n"
    lines = [
        GATE_MARK,
        f"## Gate: {decision['verdict']}" + (" (promoted)" if promoted else ""),
        "",
        decision["summary"],
        "",
        *gate_table(decision),
        *waived_table(decision),
        f"Decision v{version}, evaluated {decision['evaluated_at']}.",
    ]
    return "\n".join(lines) + "\n"


def with_gate(description: str, gate: str) -> str:
    """``description`` with its gate part (everything from :data:`GATE_MARK`) replaced."""
    head = description.split(GATE_MARK)[0].rstrip()
    return f"{head}\n\n{gate}"
