"""A compose source for the embedded default: poll a tree of composes.

The tree is a local mirror of ``production/`` (one directory per compose, plus
``latest-*`` links) or an HTTP index of one. Each new FINISHED compose is imported
once; what was imported is the store's ``composes`` table, so a restarted watcher
does not import anything again. Composes still running are looked at again on the
next poll; a broken one is reported and skipped, and never stops the watcher.
"""

from __future__ import annotations

import html.parser
import re
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from gatekeeper.compose.fetch import COMPOSEINFO, file_url_path, open_source, parse_json
from gatekeeper.errors import GatekeeperError
from gatekeeper.model import ComposeId

if TYPE_CHECKING:
    from gatekeeper.service import Gatekeeper

FINISHED = ("FINISHED", "FINISHED_INCOMPLETE")
_NAME = re.compile(r"^(latest-.+|.+-\d{8}(\.(n|t|ci|d))?\.\d+)$")


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs.extend(v for k, v in attrs if k == "href" and v)


def candidates(location: str) -> list[str]:
    """The compose locations in the tree: dated compose directories first (oldest first),
    then ``latest-*`` links."""
    if urllib.parse.urlsplit(location).scheme in ("http", "https"):
        base = location if location.endswith("/") else location + "/"
        parser = _Links()
        parser.feed(open_source(base).read_bytes("").decode("utf-8", "replace"))
        names = {
            urllib.parse.unquote(h.rstrip("/").rsplit("/", 1)[-1])
            for h in parser.hrefs
            if not h.startswith(("?", "#", "/", "..")) and "://" not in h
        }
        found = [(name, base + urllib.parse.quote(name) + "/") for name in names]
    else:
        scheme = urllib.parse.urlsplit(location).scheme.lower()
        root = file_url_path(location) if scheme == "file" else Path(location)
        if not root.is_dir():
            raise GatekeeperError("not a directory of composes", file=location)
        found = [(p.name, str(p)) for p in root.iterdir() if p.is_dir()]
    keep = [(name, where) for name, where in found if _NAME.match(name)]
    return [
        where for name, where in sorted(keep, key=lambda nw: (nw[0].startswith("latest-"), nw[0]))
    ]


def poll(app: Gatekeeper, location: str) -> Iterator[str]:
    """Import every new finished compose of the tree once; yields one line per event."""
    for where in candidates(location):
        name = Path(urllib.parse.urlsplit(where).path.rstrip("/")).name
        try:
            if not name.startswith("latest-") and app.is_imported(ComposeId.parse(name).id):
                continue
        except ValueError:
            pass
        try:
            source = open_source(where)
            status = (
                source.read_bytes("STATUS").decode().strip()
                if source.exists("STATUS")
                else "missing"
            )
            if status not in FINISHED:
                yield f"waiting: {name} is {status}"
                continue
            info = parse_json(source.read_bytes(COMPOSEINFO), file=source.describe(COMPOSEINFO))
            compose_id = info["payload"]["compose"]["id"]
            if app.is_imported(compose_id):
                continue
            report = app.import_compose(where)
        except (GatekeeperError, OSError, ValueError, KeyError, TypeError) as exc:
            yield f"skipped: {name}: {exc}"
            continue
        yield (
            f"imported: {report.compose.id} ({report.builds} builds), merge request "
            f"!{report.merge_request['number']}"
        )
