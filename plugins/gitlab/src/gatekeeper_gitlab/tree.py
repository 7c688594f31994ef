"""Git object ids computed locally, and the commit actions that turn one tree into another.

GitLab's tree API lists each file's blob id; hashing the rendered files the way git does tells
which of them differ without reading any content. :func:`tree_id` is git's tree id of the
files (the same id the local forge's ``ComposeRepo.write_tree`` gives them), so a merge
request's ``tree_id`` means the same on every forge.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from typing import Any

#: the id of the tree the commit holds (git's tree id)
TREE_TRAILER = "Gatekeeper-Tree"
#: the id of the tree of the rendered files alone (what was proposed)
FILES_TRAILER = "Gatekeeper-Files"


def blob_id(content: bytes) -> str:
    """The blob id git gives ``content``."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content, usedforsecurity=False).hexdigest()


def tree_id(blobs: Mapping[str, str]) -> str:
    """git's id of the tree holding ``blobs`` (path -> blob id), files in mode 100644."""
    root: dict[str, Any] = {}
    for path, blob in blobs.items():
        node = root
        *dirs, name = path.split("/")
        for part in dirs:
            node = node.setdefault(part, {})
        node[name] = blob

    def write(node: dict[str, Any]) -> bytes:
        entries = []
        for name, child in node.items():
            if isinstance(child, dict):
                entries.append((name + "/", b"40000 " + name.encode(), write(child)))
            else:
                entries.append((name, b"100644 " + name.encode(), bytes.fromhex(child)))
        entries.sort(key=lambda e: e[0].encode())
        data = b"".join(head + b"\0" + oid for _, head, oid in entries)
        return hashlib.sha1(b"tree %d\0" % len(data) + data, usedforsecurity=False).digest()

    return write(root).hex()


def content_action(action: str, path: str, content: bytes) -> dict[str, str]:
    """A create/update action; text when it is UTF-8, else base64."""
    try:
        return {"action": action, "file_path": path, "content": content.decode("utf-8")}
    except UnicodeDecodeError:
        encoded = base64.b64encode(content).decode()
        return {"action": action, "file_path": path, "content": encoded, "encoding": "base64"}


def actions_for(
    base: Mapping[str, str], want: Mapping[str, str], content: Mapping[str, bytes]
) -> list[dict[str, str]]:
    """Actions turning the tree ``base`` (path -> blob id) into ``want``; ``content`` holds
    the bytes of every path that is created or updated. Sorted by path."""
    actions = []
    for path in sorted(set(base) | set(want)):
        if path not in want:
            actions.append({"action": "delete", "file_path": path})
        elif path not in base:
            actions.append(content_action("create", path, content[path]))
        elif base[path] != want[path]:
            actions.append(content_action("update", path, content[path]))
    return actions


def with_trailers(message: str, values: Mapping[str, str]) -> str:
    """The commit message with gatekeeper's trailers (read back by :func:`trailers`)."""
    lines = "".join(f"{key}: {value}\n" for key, value in sorted(values.items()))
    return f"{message.rstrip()}\n\n{lines}"


def trailers(message: str | None) -> dict[str, str]:
    """The gatekeeper trailers of a commit message (``Gatekeeper-Files``, ``-Tree``)."""
    found = {}
    for line in (message or "").splitlines():
        key, sep, value = line.partition(": ")
        if sep and key in (FILES_TRAILER, TREE_TRAILER):
            found[key] = value.strip()
    return found
