"""A merge request's Compose Repo diff, file by file, as the local MR page shows it.

The local forge keeps each merge request as one commit on top of ``main`` as it was when
the MR was (re-)rendered: the diff is between that commit's parent and the MR's head. A
forge with its own web pages (GitLab) shows its diff there; the view links to it.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gatekeeper.errors import GatekeeperError
from gatekeeper.forge import Forge
from gatekeeper.forge.local import LocalForge
from gatekeeper.service.views import DiffLine, FileDiff, MergeRequestLink

MAX_FILES = 300
"""Changed files shown with their lines; the view counts the others."""
CONTEXT = 3
_CHANGE = {"A": "added", "D": "removed", "M": "modified"}


def mr_link(
    forge: Forge | None, compose_id: str, product: str, mr: Mapping[str, Any]
) -> MergeRequestLink:
    """Where the merge request is seen: the local MR page for the local forge (or when
    the forge's URL cannot be had), else the forge's web page of it."""
    local = MergeRequestLink(
        mr.get("number"),
        f"/composes/{compose_id}/mr",
        str(mr["forge"]),
        str(mr["state"]),
        local=True,
    )
    if mr["forge"] == "local" or forge is None or forge.name != mr["forge"]:
        return local
    url = _forge_url(forge, product, mr.get("number"))
    if url is None:
        return local
    return MergeRequestLink(mr.get("number"), url, str(mr["forge"]), str(mr["state"]), False)


def _forge_url(forge: Forge, product: str, number: int | None) -> str | None:
    """A forge's web URL of merge request ``number``: its own ``merge_request_url`` when
    it has one, else GitLab's layout under the project's web URL."""
    if number is None:
        return None
    try:
        own = getattr(forge, "merge_request_url", None)
        if callable(own):
            found = own(product, number)
            return str(found) if found else None
        if forge.name == "gitlab":
            return f"{forge.location(product).rstrip('/')}/-/merge_requests/{number}"
    except (GatekeeperError, OSError, LookupError, ValueError):
        return None  # a page still renders; it links to the local MR page instead
    return None


def _lines(old: bytes | None, new: bytes | None) -> tuple[DiffLine, ...]:
    before = (old or b"").decode("utf-8", "replace").splitlines()
    after = (new or b"").decode("utf-8", "replace").splitlines()
    out = []
    for line in difflib.unified_diff(before, after, lineterm="", n=CONTEXT):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            out.append(DiffLine("hunk", line))
        elif line.startswith("+"):
            out.append(DiffLine("add", line[1:]))
        elif line.startswith("-"):
            out.append(DiffLine("del", line[1:]))
        else:
            out.append(DiffLine("context", line[1:]))
    return tuple(out)


def file_diffs(
    forge: Forge, product: str, head: str | None
) -> tuple[tuple[FileDiff, ...], int] | None:
    """The changed files of the MR whose head commit is ``head``, at most MAX_FILES of
    them, and how many more there are; None when the forge keeps no local repository or
    the commit is not there."""
    if not isinstance(forge, LocalForge) or head is None:
        return None
    if not Path(forge.location(product)).is_dir():
        return None  # never made here (opening it would create it: a read writes nothing)
    try:
        repo = forge.repo(product)
        parents = repo.parents_of(head)
        if not parents:
            return None
        base = parents[0]
        changed = repo.changed_paths(base, head)
    except (GatekeeperError, OSError, LookupError, ValueError):
        return None
    files = []
    for status, path in changed[:MAX_FILES]:
        old = repo.read_file(base, path) if status != "A" else None
        new = repo.read_file(head, path) if status != "D" else None
        files.append(FileDiff(path, _CHANGE.get(status, "modified"), _lines(old, new)))
    return tuple(files), max(len(changed) - MAX_FILES, 0)
