"""What changed between two composes, build by build, and the merge request's text.

Builds are matched by source package name. A name only in the new compose is *added*, only
in the old one *removed*; a name in both whose builds differ is *updated*. Unchanged builds
are not listed. A name with several builds (modular streams) compares as a set of builds:
only the builds that differ are listed, with a note saying how many others are unchanged.
A build whose NVR stayed but whose variants, arches or binary RPMs changed is listed as
updated, with the same NVR on both sides and a note saying what changed.

Builds are shown as NVRs (``bash-5.1.8-9.el9``). When either side of a name has a non-zero
epoch, they are shown as ``name-E:V-R`` (``foo-1:2.0-1.el9 -> foo-2:2.0-1.el9``), so an epoch
change is never hidden behind two equal-looking NVRs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from gatekeeper.compose import ComposeInfo
from gatekeeper.model import Build

_SHOWN_NAMES = 3  # names listed in a content note before "and N more"


@dataclass(frozen=True, slots=True)
class BuildChange:
    """One source package's change: its builds before and after (empty when none)."""

    name: str
    old: tuple[str, ...]
    new: tuple[str, ...]
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ComposeDiff:
    """The builds added, removed and updated between two composes, each sorted by name."""

    added: tuple[BuildChange, ...] = ()
    removed: tuple[BuildChange, ...] = ()
    updated: tuple[BuildChange, ...] = ()

    @property
    def counts(self) -> dict[str, int]:
        """``{"updated": n, "added": n, "removed": n}``."""
        return {
            "updated": len(self.updated),
            "added": len(self.added),
            "removed": len(self.removed),
        }

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.updated)


Key = tuple[int, str, str]  # epoch, version, release


def _key(build: Build) -> Key:
    return (build.epoch, build.version, build.release)


def _label(build: Build, with_epoch: bool) -> str:
    if with_epoch:
        return f"{build.name}-{build.epoch}:{build.version}-{build.release}"
    return build.nvr


def _names(items: Iterable[str]) -> str:
    listed = sorted(items)
    shown = ", ".join(listed[:_SHOWN_NAMES])
    more = len(listed) - _SHOWN_NAMES
    return f"{shown} and {more} more" if more > 0 else shown


def _content_note(old: Build, new: Build) -> str:
    """What differs between two builds of the same NVR."""
    parts = []
    for what, before, after in (
        ("variants", set(old.variants), set(new.variants)),
        ("arches", set(old.arches), set(new.arches)),
        ("rpms", set(old.rpms), set(new.rpms)),
    ):
        changes = []
        if after - before:
            changes.append(f"+{_names(after - before)}")
        if before - after:
            changes.append(f"-{_names(before - after)}")
        if changes:
            parts.append(f"{what} {' '.join(changes)}")
    moved = {
        rpm for rpm in set(old.rpms) & set(new.rpms) if set(old.rpms[rpm]) != set(new.rpms[rpm])
    }
    if moved:
        parts.append(f"arches of {_names(moved)}")
    return "same NVR, content changed: " + "; ".join(parts or ["rpm details"])


def _same_content(old: Build, new: Build) -> bool:
    if old == new:  # the common case, and the cheapest test
        return True

    def norm(build: Build) -> tuple[object, ...]:
        rpms = {rpm: frozenset(arches) for rpm, arches in build.rpms.items()}
        return (frozenset(build.variants), frozenset(build.arches), rpms)

    return norm(old) == norm(new)


def _by_name(builds: Sequence[Build]) -> dict[str, dict[Key, Build]]:
    grouped: dict[str, dict[Key, Build]] = {}
    for build in builds:
        grouped.setdefault(build.name, {})[_key(build)] = build
    return grouped


def _compare(name: str, old: Mapping[Key, Build], new: Mapping[Key, Build]) -> BuildChange | None:
    with_epoch = any(build.epoch for build in (*old.values(), *new.values()))
    gone = [key for key in old if key not in new]
    came = [key for key in new if key not in old]
    kept = [key for key in old if key in new]
    changed = [key for key in kept if not _same_content(old[key], new[key])]
    if not (gone or came or changed):
        return None
    notes = []
    for key in sorted(changed):
        note = _content_note(old[key], new[key])
        notes.append(f"{_label(new[key], with_epoch)}: {note}" if len(kept) > 1 else note)
    unchanged = len(kept) - len(changed)
    if unchanged:
        notes.append(f"{unchanged} other build{'s' if unchanged > 1 else ''} unchanged")
    return BuildChange(
        name=name,
        old=tuple(_label(old[key], with_epoch) for key in sorted([*gone, *changed])),
        new=tuple(_label(new[key], with_epoch) for key in sorted([*came, *changed])),
        note="; ".join(notes) or None,
    )


def diff_builds(old: Sequence[Build], new: Sequence[Build]) -> ComposeDiff:
    """Classify the builds of two composes by source package name."""
    old_by_name, new_by_name = _by_name(old), _by_name(new)
    added, removed, updated = [], [], []
    for name in sorted(old_by_name.keys() | new_by_name.keys()):
        before, after = old_by_name.get(name, {}), new_by_name.get(name, {})
        change = _compare(name, before, after)
        if change is None:
            continue
        if not before:
            added.append(change)
        elif not after:
            removed.append(change)
        else:
            updated.append(change)
    return ComposeDiff(added=tuple(added), removed=tuple(removed), updated=tuple(updated))


def _summary(diff: ComposeDiff) -> str:
    parts = [f"{count} {what}" for what, count in diff.counts.items() if count]
    return ", ".join(parts) if parts else "no build changes"


def mr_title(info: ComposeInfo, diff: ComposeDiff) -> str:
    """``<compose id>: 12 updated, 3 added, 1 removed`` (zero counts left out)."""
    return f"{info.id}: {_summary(diff)}"


def _cell(values: Sequence[str]) -> str:
    if not values:
        return "—"
    return "<br>".join(f"`{value}`".replace("|", "\\|") for value in values)


def _text(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def _table(changes: Sequence[BuildChange], with_note: bool) -> list[str]:
    header = "| package | old | new |" + (" note |" if with_note else "")
    rule = "|---|---|---|" + ("---|" if with_note else "")
    rows = []
    for change in changes:
        row = f"| {_text(change.name)} | {_cell(change.old)} | {_cell(change.new)} |"
        if with_note:
            row += f" {_text(change.note or '')} |"
        rows.append(row)
    return [header, rule, *rows]


_TITLES = {"updated": "Updated", "added": "Added", "removed": "Removed"}


def _section(what: str, changes: Sequence[BuildChange], fold_after: int) -> list[str]:
    lines = ["", f"### {_TITLES[what]} ({len(changes)})", ""]
    with_note = any(change.note for change in changes)
    shown, folded = changes[:fold_after], changes[fold_after:]
    if shown:
        lines += _table(shown, with_note)
    if folded:
        more = f"{len(folded)} more" if shown else f"all {len(folded)}"
        lines += [
            *([""] if shown else []),
            "<details>",
            f"<summary>{more} {what}</summary>",
            "",
            *_table(folded, with_note),
            "",
            "</details>",
        ]
    return lines


def mr_description(
    info: ComposeInfo, diff: ComposeDiff, *, base_id: str | None, fold_after: int = 30
) -> str:
    """The merge request's description: what it is compared with, counts, one table a section.

    Each section shows its first ``fold_after`` changes; the rest are folded in ``<details>``.
    """
    if base_id is None:
        against = "Compared with `main`: nothing published yet, so every build is new."
    else:
        against = f"Compared with `main`: the last published compose, **{_text(base_id)}**."
    kind = f"{info.type} compose of {info.product}" + (
        f", label {info.label}" if info.label else ""
    )
    lines = [f"## Compose {info.id}", "", f"A {_text(kind)}. {against}", ""]
    if diff.is_empty:
        lines.append("**No build changes.**")
    else:
        lines += [
            f"**{_summary(diff)}**",
            "",
            "| builds | count |",
            "|---|---|",
            *(f"| {what} | {count} |" for what, count in diff.counts.items()),
        ]
        for what, changes in (
            ("updated", diff.updated),
            ("added", diff.added),
            ("removed", diff.removed),
        ):
            if changes:
                lines += _section(what, changes, max(fold_after, 0))
    return "\n".join(lines) + "\n"
