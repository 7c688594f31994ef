"""Command comments: each note counted once, on creation, as its author (read from the API).

A note is handled when it was not written by the bot, is not a system note, holds command
lines, carries no reaction of the bot yet and was never edited. Its results have ids derived
from the note (``gitlab:note:<project id>:<note id>:<line>``); its waivers, known issues and
rerun requests name the note (:mod:`.triage`), so handling it again stores nothing twice.
The bot then reacts on the note (:data:`OK` when something was accepted, :data:`NO` when
something was refused; the reaction also marks the note as handled) and explains a refusal
once, in a reply carrying a hidden marker (listing at most :data:`MAX_EXPLAINED` lines,
each cut to :data:`MAX_EXPLAINED_CHARS`: a reply never repeats megabytes).
"""

from __future__ import annotations

from typing import Any

from gatekeeper.errors import GatekeeperError
from gatekeeper.model import Result

from . import triage
from .commands import Command, parse_note
from .context import SOURCE, MergeRequest, log, parse_time

OK, NO = "white_check_mark", "x"
MAX_EXPLAINED = 20
"""Refused lines a reply lists; the rest are counted."""
MAX_EXPLAINED_CHARS = 200
"""The longest reason a reply repeats (with the line it quotes)."""
EDITED = "an edited comment is not counted: post the commands in a new comment"


def _clip(text: str) -> str:
    """``text`` cut to :data:`MAX_EXPLAINED_CHARS` (a reply never repeats a long line)."""
    if not text.isascii():  # a lone surrogate is no text GitLab takes: shown as "?"
        text = text.encode("utf-8", "replace").decode("utf-8")
    if len(text) <= MAX_EXPLAINED_CHARS:
        return text
    return f"{text[:MAX_EXPLAINED_CHARS]}... ({len(text):,} characters)"


def marker(note_id: int) -> str:
    return f"<!-- gatekeeper:rejected-note:{note_id} -->"


def handle_note(ctx: MergeRequest, note: Any, *, fresh: bool = False) -> bool:
    """Handle one note (re-read from the API); whether it was handled now. Unless the note
    is ``fresh`` (its creation's delivery, handled once), a note the bot reacted to is
    skipped: it was handled before (polling sees every note again, edited ones too)."""
    author = note.author
    if note.system or ctx.is_bot(author):
        return False
    commands, bad = parse_note(str(note.body or ""))
    if not commands and not bad:
        return False
    if not fresh:
        reactions = note.awardemojis.list(get_all=True, per_page=100, **ctx.opts)
        if any(ctx.is_bot(a.user) and a.name in (OK, NO) for a in reactions):
            return False  # handled before
    refused: list[tuple[int, str]] = [(b.line, f"`{_clip(b.text)}`: {b.error}") for b in bad]
    accepted = 0
    if note.updated_at != note.created_at:
        refused = [(0, EDITED)]
    else:
        accepted, more = _apply(ctx, note, commands)
        refused += more
    if refused:
        _explain(ctx, note, sorted(refused))
    for name, wanted in ((OK, accepted), (NO, refused)):
        if wanted:
            _react(ctx, note, name)
    return True


def _apply(
    ctx: MergeRequest, note: Any, commands: list[Command]
) -> tuple[int, list[tuple[int, str]]]:
    """Results first (one report), then the triage lines in their order."""
    app, refused = ctx.app, []
    waiving = any(c.kind in ("waive", "known-issue") for c in commands)
    actor = ctx.access.actor(app, note.author, waiving=waiving)
    when = parse_time(note.created_at, app.clock())
    url = f"{ctx.mr.web_url}#note_{note.id}"
    results: list[tuple[int, Result]] = []
    for c in commands:
        if c.kind != "result":
            continue
        try:
            app.authorize_report(actor, [c.testcase])
        except GatekeeperError as exc:
            refused.append((c.line, str(exc)))
            continue
        assert c.outcome is not None
        result = Result(
            compose=ctx.compose.id, testcase=c.testcase, outcome=c.outcome, submit_time=when,
            id=f"gitlab:note:{ctx.project_id}:{note.id}:{c.line}", scenario=c.scenario,
            arch=c.arch, variant=c.variant, ref_url=c.url or url, source=SOURCE,
            data={"gitlab_note": int(note.id), "gitlab_user": actor.name},
        )  # fmt: skip
        results.append((c.line, result))
    accepted = 0
    if results:
        try:
            app.ingest([r for _, r in results], actor)
            accepted += len(results)
        except GatekeeperError as exc:
            refused += [(line, str(exc)) for line, _ in results]
    rerunner = None
    for c in commands:
        if c.kind == "waive":
            error = triage.waive(ctx, note, actor, c)
        elif c.kind == "known-issue":
            error = triage.known_issue(ctx, note, actor, c)
        elif c.kind == "rerun":
            rerunner = rerunner or ctx.access.actor(app, note.author, admin=True)
            error = triage.rerun(ctx, note, rerunner, c, when)
        else:
            continue
        if error is None:
            accepted += 1
        else:
            refused.append((c.line, error))
    return accepted, refused


def _explain(ctx: MergeRequest, note: Any, refused: list[tuple[int, str]]) -> None:
    """One reply per refused note, found again by the bot's id and its marker before
    posting; the POST is not retried blindly (a lost answer may hide a posted reply)."""
    listed = [f"- {'line ' + str(n) + ': ' if n else ''}{_clip(why)}"
              for n, why in refused[:MAX_EXPLAINED]]  # fmt: skip
    if len(refused) > MAX_EXPLAINED:
        listed.append(f"- and {len(refused) - MAX_EXPLAINED:,} more lines like these")
    lines = "\n".join(listed)
    text = (
        f"@{note.author['username']}: not counted from "
        f"[this comment]({ctx.mr.web_url}#note_{note.id}):\n\n{lines}\n"
    )
    ctx.app.forge.signals.upsert_note(ctx.mr, marker(int(note.id)), text, edit=False)
    log.info("%s: note %s refused: %s", ctx.compose.id, note.id, refused)


def _react(ctx: MergeRequest, note: Any, name: str) -> None:
    import gitlab

    try:
        note.awardemojis.create({"name": name}, **ctx.opts)
    except gitlab.GitlabCreateError as exc:
        if exc.response_code not in (404, 409):  # "has already been taken": a retry
            raise
