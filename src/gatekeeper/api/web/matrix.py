"""The gate matrix and its suspect lists, written as HTML in Python.

A compose gated by many teams has thousands of cells; a template spends microseconds per
expression, which adds up past the page's budget (4,000 cells in well under 150 ms). So
the matrix's body and the suspect lists are built here, one f-string per cell with every
value escaped (``html.escape``), and handed to ``compose.html`` as markup. Whatever a
reporter or a waiver wrote is text: each value goes through :func:`text` or
:func:`attr`. A suspect list is built once per earlier compose and shared by every cell
that last passed there.

The service hands back the very same matrix while nothing in it changed, and the very
same cells of a new matrix where their answers did not change, so what was written of
them is kept (:func:`drawn`, by compose): a page shown again writes no cell, the first
page of a new decision version writes the cells that changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape as html_escape

from markupsafe import Markup

from gatekeeper.api.web.pages import SuspectList, suspect_lists
from gatekeeper.api.web.render import bug_label, is_web_url, stamps
from gatekeeper.service.triage_views import Why
from gatekeeper.service.view_cache import Kept
from gatekeeper.service.views import Cell, ComposeView, Matrix

NOTE_CHARS = 160  # a result's note in a cell; the team page shows more
DRAWN_KEPT = 16  # composes whose last matrix's HTML is kept
WrittenCells = dict[int, tuple[Cell, int | None, str]]
"""Each cell's HTML by the cell's ``id()``, with the cell and its suspects' anchor."""


class Escaper(dict[str, str]):
    """``esc[value]``: ``value`` as HTML text or attribute value, every special character
    escaped. Remembers what it escaped: a page repeats its teams, testcases, arches,
    answer types and reporters in every row."""

    def __missing__(self, value: str) -> str:
        found = self[value] = html_escape(value)
        return found


def text(value: str) -> str:
    """``value`` as HTML text (or an attribute value): every special character escaped."""
    return html_escape(value)


class Times(dict[datetime, str]):
    """``times[at]``: the ``<time>`` element of an instant (its ``datetime`` attribute and
    the readable text), formatted once per page."""

    def __missing__(self, at: datetime) -> str:
        machine, person = stamps(at)
        found = self[at] = f'<time datetime="{machine}">{person}</time>'
        return found

    @staticmethod
    def countdown(at: datetime) -> str:
        machine, person = stamps(at)
        return f'<time class="countdown" datetime="{machine}">{person}</time>'


def _shorten(note: str) -> str:
    return note if len(note) <= NOTE_CHARS else note[: NOTE_CHARS - 1].rstrip() + "\u2026"


def row_attributes(team: str, testcase: str, scenario: str | None, esc: Escaper) -> str:
    """The attributes every cell of a (team, testcase, scenario) row shares."""
    return (f' data-team="{esc[team]}" data-testcase="{esc[testcase]}"'
            f' data-scenario="{esc[scenario or ""]}"')  # fmt: skip


def bug_link(url: str) -> str:
    """A bug's link, named by the end of its URL (``bug RHEL-4242``); a URL a page may not
    link is shown as text."""
    if not is_web_url(url):
        return f'<span class="detail bug">bug: {text(url)}</span>'
    return (f'<a class="detail bug" href="{text(url)}" title="{text(url)}">bug '
            f"{text(bug_label(url))}</a>")  # fmt: skip


def why_html(why: Why, times: Times) -> str:
    """What else explains an answer, in words: the reason, the known issue (linked to the
    known issues page), the bug and expiry of what waives it, and the rerun it waits on
    (linked to the compose's rerun requests) with the automatic retry's count."""
    html = ""
    if why.reason:
        html += f'<span class="detail reason">{text(why.reason)}</span>'
    if why.known_issue is not None:
        ident = text(why.known_issue)
        html += (f'<a class="detail known-issue" href="/known-issues#known-issue-{ident}">'
                 f"known issue #{ident}</a>")  # fmt: skip
    if why.bug:
        html += bug_link(why.bug)
    if why.expires is not None:
        html += f'<span class="detail expires">expires {times.countdown(why.expires)}</span>'
    counter = f"automatic retry {why.retry} of {why.retries}" if why.retry else ""
    if why.rerun_id is not None:
        ident = text(why.rerun_id)
        what = f"{counter} (request #{ident})" if counter else f"rerun request #{ident}"
        html += f'<a class="detail rerun" href="#rerun-{ident}">{what}</a>'
    elif counter:
        html += f'<span class="detail retry">{counter} due</span>'
    return html


def cell_html(cell: Cell, shared: str, times: Times, esc: Escaper, anchor: int | None) -> str:
    """One answer's ``<td>``: its state word, the latest result (outcome, time, reporter,
    log link, note), the waiver (author, comment, link to it), what else explains it
    (:func:`why_html`) and a link to its suspects. ``shared`` holds its row's attributes
    (:func:`row_attributes`)."""
    html = (
        f'<td class="cell state-{cell.state}"{shared} data-arch="{esc[cell.arch or ""]}"'
        f' data-answer="{esc[cell.answer_type]}"><span class="word">{cell.state}</span>'
    )
    result = cell.result
    if result is not None:
        html += (
            f'<span class="detail">{esc[result.outcome]} at {times[result.submit_time]}'
            f'</span><span class="detail">by <span class="reporter">'
            f"{esc[result.reporter or 'unknown']}</span></span>"
        )
        url = result.ref_url
        if url:
            if is_web_url(url):
                html += f'<a class="log" href="{html_escape(url)}">log</a>'
            else:
                html += f'<span class="detail">log: {html_escape(url)}</span>'
        if result.note:
            html += f'<span class="detail note">{html_escape(_shorten(result.note))}</span>'
    waiver = cell.waiver
    if waiver is not None:
        html += (
            f'<span class="detail waiver">waived by <span class="author">'
            f"{esc[waiver.username or 'unknown']}</span>: <q>"
            f"{html_escape(waiver.comment or '')}</q></span>"
            f'<a class="detail" href="#waiver-{esc[waiver.id]}">waiver #{esc[waiver.id]}</a>'
        )
    if cell.why is not None:
        html += why_html(cell.why, times)
    if anchor is not None:
        html += f'<a class="detail" href="#suspect-{anchor}">suspect builds</a>'
    return html + "</td>"


def matrix_body(
    matrix: Matrix, suspects: Sequence[SuspectList], written: WrittenCells | None = None
) -> tuple[Markup, WrittenCells]:
    """The rows of ``<table id="matrix">``'s body: team, testcase (with its deadline),
    scenario, then one cell per arch column (an empty ``td.cell.none`` where the row has
    no requirement); and each cell's HTML, to hand back as ``written`` next time (a cell
    found there, the same object with the same anchor, is not written again)."""
    times, esc = Times(), Escaper()
    anchors = {id(item.cell): item.anchor for item in suspects}
    before = written or {}
    made: WrittenCells = {}
    out = []
    for row in matrix.rows:
        team = esc[row.team]
        head = [
            f'<tr><td><a href="/teams/{team}">{team}</a></td><th scope="row">{esc[row.testcase]}'
        ]
        if not row.required:
            head.append(' <span class="optional">(informational)</span>')
        if row.deadline is not None:
            head.append(f'<span class="detail">deadline {times.countdown(row.deadline)}</span>')
        head.append(f"</th><td>{esc[row.scenario or '']}</td>")
        out.append("".join(head))
        shared = row_attributes(row.team, row.testcase, row.scenario, esc)
        for cell in row.cells:
            if cell is None:
                out.append('<td class="cell none"></td>')
                continue
            anchor = anchors.get(id(cell))
            kept = before.get(id(cell))
            if kept is not None and kept[0] is cell and kept[1] == anchor:
                made[id(cell)] = kept
                out.append(kept[2])
                continue
            if (cell.team, cell.testcase, cell.scenario) != (row.team, row.testcase, row.scenario):
                mine = row_attributes(cell.team, cell.testcase, cell.scenario, esc)
            else:
                mine = shared
            html = cell_html(cell, mine, times, esc, anchor)
            made[id(cell)] = (cell, anchor, html)
            out.append(html)
        out.append("</tr>\n")
    return Markup("".join(out)), made


def _items(item: SuspectList) -> str:
    return "".join(
        f'<li data-name="{text(b.name)}" data-change="{b.change}">{text(b.text)}</li>'
        for b in item.builds
    )


def suspects_body(suspects: Iterable[SuspectList]) -> Markup:
    """For each failed or errored cell: a heading (the anchor its cell links to), where it
    last passed, and ``<ul class="suspects">`` of the builds changed since."""
    shared: dict[int, str] = {}  # one list of items per earlier compose (shared builds)
    out = []
    for item in suspects:
        cell, found = item.cell, item.cell.suspects
        assert found is not None
        where = text(cell.arch or "any arch")
        scenario = f" ({text(cell.scenario)})" if cell.scenario else ""
        out.append(
            f'<h3 id="suspect-{item.anchor}">{text(cell.team)}: {text(cell.testcase)}'
            f"{scenario} on {where}: {cell.state}</h3>"
        )
        if found.passed_in:
            since = f'<a href="/composes/{text(found.passed_in)}">{text(found.passed_in)}</a>'
            if item.total:
                plural = "s" if item.total != 1 else ""
                out.append(f"<p>It last passed in {since}; {item.total} build{plural} "
                           "changed since:</p>")  # fmt: skip
            else:
                out.append(f"<p>It last passed in {since}; no build changed since, so "
                           "suspect the test or its infrastructure.</p>")  # fmt: skip
        else:
            reason = text(found.reason or "no earlier compose")
            out.append(f"<p>It never passed before ({reason}), so no build can be singled "
                       "out.</p>")  # fmt: skip
        key = id(item.builds)
        if key not in shared:
            shared[key] = _items(item)
        out.append(
            f'<ul class="suspects" data-team="{text(cell.team)}"'
            f' data-testcase="{text(cell.testcase)}" data-scenario="{text(cell.scenario or "")}"'
            f' data-arch="{text(cell.arch or "")}" data-passed-in="{text(found.passed_in or "")}">'
            f"{shared[key]}</ul>"
        )
        if item.more:
            out.append(f"<p>and {item.more} more: see the build diff below.</p>")
        out.append("\n")
    return Markup("".join(out))


@dataclass(frozen=True, slots=True)
class Drawn:
    """A compose's gate matrix written: its failed and errored cells' suspect lists, the
    matrix's body, the suspects' section, and each cell's HTML (:func:`matrix_body`)."""

    matrix: Matrix
    suspects: list[SuspectList]
    body: Markup
    suspects_body: Markup
    written: WrittenCells


_DRAWN: Kept[str, Drawn] = Kept(DRAWN_KEPT)


def drawn(view: ComposeView) -> Drawn:
    """The compose page's matrix and suspects written: those of its last page when the
    service handed back the same matrix, else written anew, reusing each unchanged cell's
    HTML."""
    last = _DRAWN.get(view.row.id)
    if last is not None and last.matrix is view.matrix:
        return last
    suspects = suspect_lists(view)
    body, written = matrix_body(view.matrix, suspects, last.written if last else None)
    found = Drawn(view.matrix, suspects, body, suspects_body(suspects), written)
    _DRAWN.put(view.row.id, found)
    return found


__all__ = [
    "Drawn",
    "bug_link",
    "cell_html",
    "drawn",
    "matrix_body",
    "row_attributes",
    "suspects_body",
    "text",
    "why_html",
]
