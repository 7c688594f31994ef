"""The gate as a merge request shows it: the verdict, the summary and what is missing.

One table of the unsatisfied required answers, built here for every place that shows it:
the local forge's MR description (:func:`gate_section`, kept up to date under
:data:`GATE_MARK`) and the GitLab plugin's summary note.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

GATE_MARK = "<!-- gatekeeper:gate -->"
MAX_ROWS = 50


def gate_table(decision: Mapping[str, Any], *, max_rows: int = MAX_ROWS) -> list[str]:
    """Markdown lines of the decision's unsatisfied required answers (none: no lines):
    a header, at most ``max_rows`` rows, a "... N more" row, then a blank line."""
    unsatisfied = [a for a in decision["unsatisfied_requirements"] if a.get("required", True)]
    if not unsatisfied:
        return []
    lines = ["| answer | team | testcase | scenario | arch |", "|---|---|---|---|---|"]
    for a in unsatisfied[:max_rows]:
        lines.append(
            f"| {a['type']} | {a['team']} | {a['testcase']} | "
            f"{a.get('scenario') or '-'} | {a.get('arch') or '-'} |"
        )
    if len(unsatisfied) > max_rows:
        lines.append(f"| ... {len(unsatisfied) - max_rows} more | | | | |")
    lines.append("")
    return lines


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
        f"Decision v{version}, evaluated {decision['evaluated_at']}.",
    ]
    return "\n".join(lines) + "\n"


def with_gate(description: str, gate: str) -> str:
    """``description`` with its gate part (everything from :data:`GATE_MARK`) replaced."""
    head = description.split(GATE_MARK)[0].rstrip()
    return f"{head}\n\n{gate}"
