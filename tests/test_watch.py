"""`gatekeeper watch`: each new FINISHED compose of a tree is imported once, across restarts."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gatekeeper.plugins import make_plugin_manager
from gatekeeper.service import Gatekeeper
from gatekeeper.service.watch import candidates, poll
from gatekeeper.testing.composes import synthetic_builds, write_compose

BUILDS = synthetic_builds(12, seed=5)


@pytest.fixture(autouse=True)
def _policies(gk_policies: Callable[..., Path]) -> None:
    gk_policies(tf="team: tf\ngates:\n  - testcase: tf.smoke\n")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "production"
    for date, status in (("20261124", "FINISHED"), ("20261125", "STARTED")):
        top = root / "_tmp"
        cid = write_compose(top, date=date, compose_type="nightly", builds=BUILDS, status=status)
        top.rename(root / cid)
    (root / "latest-CentOS-Stream-9").symlink_to("CentOS-Stream-9-20261124.n.0")
    (root / "not-a-compose").mkdir()
    return root


def test_candidates_are_dated_composes_then_latest_links(tree: Path) -> None:
    assert [Path(c).name for c in candidates(str(tree))] == [
        "CentOS-Stream-9-20261124.n.0",
        "CentOS-Stream-9-20261125.n.0",
        "latest-CentOS-Stream-9",
    ]


def test_a_file_url_is_watched_as_its_directory(gk_app: Gatekeeper, tree: Path) -> None:
    assert [Path(c).name for c in candidates(tree.as_uri())] == [
        Path(c).name for c in candidates(str(tree))
    ]
    events = list(poll(gk_app, tree.as_uri()))
    assert events[0].startswith("imported: CentOS-Stream-9-20261124")


def test_a_finished_compose_is_imported_once(gk_app: Gatekeeper, tree: Path) -> None:
    first = list(poll(gk_app, str(tree)))
    assert first == [
        "imported: CentOS-Stream-9-20261124.n.0 (12 builds), merge request !1",
        "waiting: CentOS-Stream-9-20261125.n.0 is STARTED",
    ]
    assert list(poll(gk_app, str(tree))) == ["waiting: CentOS-Stream-9-20261125.n.0 is STARTED"]


def test_a_compose_is_imported_when_it_finishes(gk_app: Gatekeeper, tree: Path) -> None:
    list(poll(gk_app, str(tree)))
    (tree / "CentOS-Stream-9-20261125.n.0" / "STATUS").write_text("FINISHED_INCOMPLETE\n")
    assert list(poll(gk_app, str(tree))) == [
        "imported: CentOS-Stream-9-20261125.n.0 (12 builds), merge request !2"
    ]


def test_a_restarted_watcher_imports_nothing_again(gk_app: Gatekeeper, tree: Path) -> None:
    list(poll(gk_app, str(tree)))
    restarted = Gatekeeper(gk_app.settings, pm=make_plugin_manager())
    restarted.start()
    assert list(poll(restarted, str(tree))) == ["waiting: CentOS-Stream-9-20261125.n.0 is STARTED"]


def test_doomed_and_broken_composes_are_reported_not_fatal(gk_app: Gatekeeper, tree: Path) -> None:
    (tree / "CentOS-Stream-9-20261125.n.0" / "STATUS").write_text("DOOMED\n")
    broken = tree / "CentOS-Stream-9-20261126.n.0"
    shutil.copytree(tree / "CentOS-Stream-9-20261124.n.0", broken)
    (broken / "compose" / "metadata" / "composeinfo.json").write_text("{")
    lines = list(poll(gk_app, str(tree)))
    assert "waiting: CentOS-Stream-9-20261125.n.0 is DOOMED" in lines
    assert any(line.startswith("skipped: CentOS-Stream-9-20261126.n.0:") for line in lines)
    assert lines[0].startswith("imported: CentOS-Stream-9-20261124.n.0")


@pytest.fixture
def served(tree: Path) -> Iterator[str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tree))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_an_http_index_is_watched_like_a_directory(gk_app: Gatekeeper, served: str) -> None:
    lines = list(poll(gk_app, served))
    assert lines[0] == "imported: CentOS-Stream-9-20261124.n.0 (12 builds), merge request !1"
    assert list(poll(gk_app, served)) == ["waiting: CentOS-Stream-9-20261125.n.0 is STARTED"]
