"""The dashboard's pages, rendered by the server (SQLite and PostgreSQL): what each page
shows, its filters and paging, its hooks for the browser, escaping, and that no page
writes to the store."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():  # starlette's note about httpx; the client works
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from gatekeeper.api import create_app
from gatekeeper.model import Outcome, Result
from gatekeeper.service import Actor, Gatekeeper
from gatekeeper.testing.composes import SpecBuild, write_compose

BASE = "CentOS-Stream-9-20261124.0"
NIGHTLY = "CentOS-Stream-9-20261125.n.0"
RDO = """\
team: rdo
description: OpenStack packaged as RPMs
contact: rdo-ci@example.org
owns: ["rdo.*"]
reporters:
  users: [rdo-bot]
gates:
  - testcase: rdo.smoke
    arches: [x86_64, aarch64]
  - testcase: rdo.extra
    required: false
"""
IDM = """\
team: idm
owns: ["idm.*"]
reporters:
  users: [idm-bot]
gates:
  - testcase: idm.install
    deadline: 12h
"""
RDO_BOT = Actor(name="rdo-bot")
IDM_BOT = Actor(name="idm-bot")
RELENG = Actor(name="releng", is_admin=True, can_waive=True)
HOSTILE = '<script>alert("x")</script>&<b>'


# --- a small DOM, enough to read the pages' hooks -----------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.children)

    @property
    def words(self) -> str:
        return " ".join(self.text.split())

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def iter(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def all(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list[Node]:
        """Descendants (and self) with this tag, class and attribute values (``data_x``
        stands for ``data-x``)."""
        wanted = {k.replace("_", "-"): v for k, v in attrs.items()}
        return [
            n for n in self.iter()
            if (tag is None or n.tag == tag) and (cls is None or cls in n.classes)
            and all(n.attrs.get(k) == v for k, v in wanted.items())
        ]  # fmt: skip

    def one(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> Node:
        found = self.all(tag, cls, **attrs)
        assert len(found) == 1, f"expected one {tag} {cls} {attrs}, found {len(found)}"
        return found[0]

    def by_id(self, ident: str) -> Node:
        return self.one(id=ident)


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def dom(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root


# --- the application: two composes, results, a publication --------------------------------


def builds(*specs: tuple[str, str, str]) -> list[SpecBuild]:
    return [SpecBuild(name, version, release) for name, version, release in specs]


# This module's own world: these two fixtures override the browser tests' (conftest.py),
# so the pages are checked on both stores with two teams' policies and the default clock.
@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def gk_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'var' / 'gatekeeper.db'}"
    url: str = request.getfixturevalue("gk_postgres_url")
    return url


@pytest.fixture(autouse=True)
def _policies_and_time(gk_policies: Callable[..., Path]) -> None:
    gk_policies(rdo=RDO, idm=IDM)


def result(compose: str, testcase: str, outcome: str, at: Any, **kw: Any) -> Result:
    return Result(compose=compose, testcase=testcase, outcome=Outcome.parse(outcome),
                  submit_time=at, **kw)  # fmt: skip


@pytest.fixture
def app(gk_app: Gatekeeper, tmp_path: Path) -> Gatekeeper:
    """The base compose passed and was published; the nightly after it updates bash, adds
    zsh and removes tcsh, and its rdo.smoke failed on x86_64."""
    clock: Any = gk_app.clock
    base = write_compose(
        tmp_path / "composes" / BASE, compose_type="production", date="20261124",
        builds=builds(("bash", "5.1.8", "9.el9"), ("tcsh", "6.22", "1.el9"),
                      ("glibc", "2.34", "100.el9")),
    )  # fmt: skip
    nightly = write_compose(
        tmp_path / "composes" / NIGHTLY, compose_type="nightly", date="20261125",
        builds=builds(("bash", "5.1.8", "10.el9"), ("zsh", "5.8", "9.el9"),
                      ("glibc", "2.34", "100.el9")),
    )  # fmt: skip
    assert (base, nightly) == (BASE, NIGHTLY)
    gk_app.import_compose(str(tmp_path / "composes" / BASE))
    at = clock()
    gk_app.ingest([result(BASE, "rdo.smoke", "PASSED", at, arch=a) for a in ("x86_64", "aarch64")],
                  RDO_BOT)  # fmt: skip
    gk_app.ingest([result(BASE, "idm.install", "PASSED", at)], IDM_BOT)
    gk_app.publish(BASE)
    clock.now += timedelta(days=1)
    gk_app.import_compose(str(tmp_path / "composes" / NIGHTLY))
    at = clock()
    gk_app.ingest([
        result(NIGHTLY, "rdo.smoke", "FAILED", at, arch="x86_64", id="r-1",
               ref_url="https://ci.example.org/rdo/1", note="tempest: 3 failures"),
        result(NIGHTLY, "rdo.smoke", "PASSED", at, arch="aarch64", id="r-2"),
    ], RDO_BOT)  # fmt: skip
    return gk_app


@pytest.fixture
def client(app: Gatekeeper) -> Iterator[TestClient]:
    with TestClient(create_app(app), raise_server_exceptions=True) as test_client:
        yield test_client


def page(client: TestClient, url: str, status: int = 200) -> Node:
    response = client.get(url)
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    return dom(response.text)


def whatif(app: Gatekeeper, compose_id: str) -> dict[str, Any]:
    """The decision the API would answer now (without recording it)."""
    return app.decide(compose_id, now=app.clock()).to_json()


# --- every page ---------------------------------------------------------------------------

PAGES = ("/", f"/composes/{NIGHTLY}", f"/composes/{NIGHTLY}/mr", "/teams/rdo")


@pytest.mark.parametrize("url", PAGES)
def test_every_page_has_its_landmarks(client: TestClient, url: str) -> None:
    doc = page(client, url)
    assert doc.one("html").attrs["lang"] == "en"
    assert doc.one("title").words
    assert doc.one("a", "skip").attrs["href"] == "#main"
    assert doc.one("main").attrs["id"] == "main"
    assert doc.all("nav")[0].all("a", href="/")


@pytest.mark.parametrize("url", PAGES)
def test_every_table_has_a_caption_and_scoped_headers(client: TestClient, url: str) -> None:
    doc = page(client, url)
    for table in doc.all("table"):
        assert table.all("caption") or table.attrs.get("aria-label"), table.attrs
        assert all(th.attrs.get("scope") in ("col", "row") for th in table.all("th"))


@pytest.mark.parametrize("url", PAGES)
def test_every_form_control_has_a_label(client: TestClient, url: str) -> None:
    doc = page(client, url)
    labelled = {label.attrs.get("for") for label in doc.all("label")}
    for control in doc.all("select") + doc.all("input"):
        if control.attrs.get("type") == "hidden":
            continue
        assert control.attrs.get("id") in labelled, control.attrs


def test_pages_are_sent_with_a_policy_that_runs_only_their_own_scripts(
    client: TestClient,
) -> None:
    policy = client.get("/").headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "default-src 'self'" in policy


# --- the list -----------------------------------------------------------------------------


def rows(doc: Node) -> list[Node]:
    return doc.by_id("composes").one("tbody").all("tr")


def test_list_shows_each_compose_newest_first_with_the_verdict_the_api_gives(
    client: TestClient, app: Gatekeeper
) -> None:
    found = rows(page(client, "/"))
    assert [r.attrs["data-compose"] for r in found] == [NIGHTLY, BASE]
    for row in found:
        verdict = whatif(app, row.attrs["data-compose"])["verdict"]
        assert row.attrs["data-verdict"] == verdict
        assert row.one("span", "badge").words == verdict
        assert f"verdict-{verdict}" in row.one("span", "badge").classes
    nightly, base = found
    assert nightly.one("a", href=f"/composes/{NIGHTLY}").words == NIGHTLY
    assert nightly.attrs["data-state"] == "proposed"
    assert base.attrs["data-state"] == "published"


def test_list_counts_and_names_the_teams_we_wait_for(client: TestClient) -> None:
    nightly = rows(page(client, "/"))[0]
    assert nightly.one("td", "counts").words == "1/3"  # aarch64 passed; x86_64 failed; idm
    waiting = nightly.one("td", "waiting")  # who we wait for, and why: rdo failed, idm missing
    assert [a.attrs["href"] for a in waiting.all("a")] == ["/teams/idm", "/teams/rdo"]
    assert waiting.words == "idm (missing), rdo (failed)"
    deadline = nightly.one("td", "deadline").one("time")
    assert deadline.attrs["datetime"] == "2026-11-25T18:00:00Z"  # announced + 12h


def test_list_links_each_compose_to_its_merge_request(client: TestClient) -> None:
    for row in rows(page(client, "/")):
        link = row.one("a", "mr")
        assert link.attrs["href"] == f"/composes/{row.attrs['data-compose']}/mr"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?verdict=failed", [NIGHTLY]),
        ("?verdict=passed", [BASE]),
        ("?verdict=pending", []),
        ("?state=published", [BASE]),
        ("?state=proposed&verdict=failed", [NIGHTLY]),
        ("?product=CentOS-Stream-9", [NIGHTLY, BASE]),
        ("?product=CentOS-Stream-10", []),
        ("?product=&state=&verdict=", [NIGHTLY, BASE]),  # the form's "every ..." choices
    ],
)
def test_list_filters_by_product_state_and_verdict(
    client: TestClient, query: str, expected: list[str]
) -> None:
    doc = page(client, "/" + query)
    assert [r.attrs["data-compose"] for r in rows(doc)] == expected


def test_list_filter_form_keeps_the_chosen_values(client: TestClient) -> None:
    form = page(client, "/?state=published&verdict=passed").by_id("filters")
    assert form.attrs["method"] == "get"
    chosen = {s.attrs["name"]: [o.attrs["value"] for o in s.all("option") if "selected" in o.attrs]
              for s in form.all("select")}  # fmt: skip
    assert chosen == {"product": [""], "state": ["published"], "verdict": ["passed"]}
    products = [o.attrs["value"] for o in form.one("select", name="product").all("option")]
    assert products == ["", "CentOS-Stream-9"]
    states = [o.attrs["value"] for o in form.one("select", name="state").all("option")]
    assert set(states) == {"", "proposed", "promoted", "published", "superseded", "announced"}
    assert form.all("button", type="submit")


def test_list_pages_keep_the_filters(client: TestClient) -> None:
    first = page(client, "/?product=CentOS-Stream-9&limit=1")
    assert [r.attrs["data-compose"] for r in rows(first)] == [NIGHTLY]
    assert not first.all("a", rel="prev")
    following = first.one("a", rel="next").attrs["href"]
    assert following == "/?product=CentOS-Stream-9&limit=1&offset=1"
    second = page(client, following)
    assert [r.attrs["data-compose"] for r in rows(second)] == [BASE]
    assert not second.all("a", rel="next")
    assert second.one("a", rel="prev").attrs["href"] == "/?product=CentOS-Stream-9&limit=1"


@pytest.mark.parametrize(
    ("query", "named"),
    [("?state=shipped", "state"), ("?verdict=green", "verdict"), ("?limit=0", "limit"),
     ("?offset=-1", "offset"), ("?limit=ten", "limit")],
)  # fmt: skip
def test_list_refuses_a_bad_filter_with_a_page_naming_it(
    client: TestClient, query: str, named: str
) -> None:
    doc = page(client, "/" + query, status=400)
    assert named in doc.by_id("main").words


# --- the compose page ---------------------------------------------------------------------


def cells(doc: Node) -> list[Node]:
    return doc.by_id("matrix").all("td", "cell")


def test_every_cell_is_the_decision_answer_for_it(client: TestClient, app: Gatekeeper) -> None:
    doc = page(client, f"/composes/{NIGHTLY}")
    decision = whatif(app, NIGHTLY)
    answers = decision["satisfied_requirements"] + decision["unsatisfied_requirements"]
    expected = sorted((a["team"], a["testcase"], a["arch"] or "", a["type"]) for a in answers)
    shown = sorted(
        (c.attrs["data-team"], c.attrs["data-testcase"], c.attrs["data-arch"],
         c.attrs["data-answer"])
        for c in cells(doc) if "none" not in c.classes
    )  # fmt: skip
    assert shown == expected
    for cell in cells(doc):
        if "none" in cell.classes:
            continue
        state = next(c.removeprefix("state-") for c in cell.classes if c.startswith("state-"))
        assert state in cell.words  # the word, not only the colour
    assert doc.by_id("verdict").attrs["data-verdict"] == decision["verdict"] == "failed"
    assert decision["summary"] in doc.by_id("verdict").words


def test_matrix_has_an_any_column_for_gates_without_arches(client: TestClient) -> None:
    matrix = page(client, f"/composes/{NIGHTLY}").by_id("matrix")
    columns = [th.words for th in matrix.one("thead").all("th")]
    assert columns[-3:] == ["aarch64", "x86_64", "any"]
    idm = matrix.one("td", data_testcase="idm.install")
    assert idm.attrs["data-arch"] == "" and idm.attrs["data-scenario"] == ""
    assert "missing" in idm.words
    # rdo.smoke has no "any" requirement: an empty cell there
    smoke_row = next(tr for tr in matrix.all("tr") if tr.all("td", data_testcase="rdo.smoke"))
    assert len(smoke_row.all("td", "none")) == 1


def test_failed_cell_names_its_result_reporter_and_log(client: TestClient) -> None:
    doc = page(client, f"/composes/{NIGHTLY}")
    cell = doc.one("td", data_testcase="rdo.smoke", data_arch="x86_64")
    assert cell.attrs["data-answer"] == "test-result-failed"
    assert "state-failed" in cell.classes
    assert "failed" in cell.words and "FAILED" in cell.words and "rdo-bot" in cell.words
    assert cell.one("a", "log").attrs["href"] == "https://ci.example.org/rdo/1"
    assert cell.one("time").attrs["datetime"] == "2026-11-25T06:00:00Z"


def test_failed_gate_lists_the_builds_changed_since_it_last_passed(client: TestClient) -> None:
    doc = page(client, f"/composes/{NIGHTLY}")
    suspects = doc.one("ul", "suspects")
    assert (suspects.attrs["data-testcase"], suspects.attrs["data-arch"]) == ("rdo.smoke",
                                                                              "x86_64")  # fmt: skip
    assert suspects.attrs["data-passed-in"] == BASE
    items = {li.attrs["data-name"]: li.words for li in suspects.all("li")}
    assert items == {
        "bash": "bash-5.1.8-9.el9 → bash-5.1.8-10.el9",
        "zsh": "added zsh-5.8-9.el9",
        "tcsh": "removed tcsh-6.22-1.el9",
    }
    assert BASE in doc.by_id("suspects").words
    cell = doc.one("td", data_testcase="rdo.smoke", data_arch="x86_64")
    assert cell.all("a", href="#suspect-1") and doc.by_id("suspect-1")


def test_compose_page_shows_the_build_diff_against_main(client: TestClient) -> None:
    builds_section = page(client, f"/composes/{NIGHTLY}").by_id("builds")
    found = {
        tr.attrs["data-name"]: tr.attrs["data-change"] for tr in builds_section.all("tr", "build")
    }
    assert found == {"bash": "updated", "zsh": "added", "tcsh": "removed"}
    assert BASE in builds_section.words


@pytest.mark.parametrize(
    ("q", "expected"),
    [("zsh", {"zsh"}), ("BASH-5.1.8-10", {"bash"}), ("el9", {"bash", "zsh", "tcsh"}),
     ("nothing-like-this", set())],
)  # fmt: skip
def test_build_search_works_without_javascript(
    client: TestClient, q: str, expected: set[str]
) -> None:
    section = page(client, f"/composes/{NIGHTLY}?q={q}").by_id("builds")
    search = section.one("input", id="build-search")
    assert (search.attrs["type"], search.attrs["name"], search.attrs["value"]) == ("search", "q", q)
    form = next(f for f in section.all("form") if f.all("input", id="build-search"))
    assert form.attrs.get("method", "get") == "get"
    assert {tr.attrs["data-name"] for tr in section.all("tr", "build")} == expected


def test_compose_page_links_its_lockfiles_and_merge_request(client: TestClient) -> None:
    doc = page(client, f"/composes/{NIGHTLY}")
    lockfiles = [a.attrs["href"] for a in doc.all("a", "lockfile")]
    assert lockfiles
    assert all(h.startswith(f"/api/v1/composes/{NIGHTLY}/lockfile?format=") for h in lockfiles)
    assert doc.one("a", "mr").attrs["href"] == f"/composes/{NIGHTLY}/mr"


def test_history_says_what_changed_when_and_why(client: TestClient, app: Gatekeeper) -> None:
    clock: Any = app.clock
    clock.now += timedelta(hours=1)
    app.waive(NIGHTLY, "rdo.smoke", arch="x86_64", actor=RELENG, comment="known flake")
    history = page(client, f"/composes/{NIGHTLY}").by_id("history")
    versions = [li.attrs["data-version"] for li in history.all("li") if "data-version" in li.attrs]
    assert versions == [str(v["version"]) for v in reversed(app.history(NIGHTLY))]  # newest first
    assert versions == ["3", "2", "1"]
    latest, reported, first = (history.one("li", data_version=v) for v in versions)
    assert "announced" in first.words  # decided when imported: what is missing
    assert "rdo.smoke on x86_64: missing (a new requirement)" in first.words
    assert first.one("time").attrs["datetime"] == "2026-11-25T06:00:00Z"
    assert "rdo-bot" in reported.words and "rdo-bot" not in first.words  # rdo-bot's report
    assert "rdo.smoke on x86_64: missing → failed" in reported.words
    assert reported.one("time").attrs["datetime"] == "2026-11-25T06:00:00Z"
    assert "releng" in latest.words  # caused by releng's waiver
    assert "rdo.smoke on x86_64: failed → waived" in latest.words
    assert latest.one("time").attrs["datetime"] == "2026-11-25T07:00:00Z"


def test_compose_page_carries_its_version_and_loads_the_live_script(
    client: TestClient, app: Gatekeeper
) -> None:
    doc = page(client, f"/composes/{NIGHTLY}")
    main = doc.by_id("main")
    assert main.attrs["data-compose"] == NIGHTLY
    assert main.attrs["data-version"] == str(app.history(NIGHTLY)[-1]["version"])
    assert int(main.attrs["data-poll-ms"]) > 0
    assert doc.all("script", src="/static/live.js")


def test_deadlines_count_down_from_an_absolute_time(client: TestClient) -> None:
    doc = page(client, f"/composes/{NIGHTLY}")
    countdowns = doc.all("time", "countdown")
    assert countdowns
    assert {t.attrs["datetime"] for t in countdowns} == {"2026-11-25T18:00:00Z"}
    assert all("2026-11-25 18:00 UTC" in t.words for t in countdowns)  # without JavaScript


def test_waived_cell_shows_the_comment_and_its_author(client: TestClient, app: Gatekeeper) -> None:
    app.waive(NIGHTLY, "rdo.smoke", arch="x86_64", actor=RELENG, comment="known tempest flake")
    cell = page(client, f"/composes/{NIGHTLY}").one("td", data_testcase="rdo.smoke",
                                                    data_arch="x86_64")  # fmt: skip
    assert cell.attrs["data-answer"] == "test-result-failed-waived"
    assert "state-waived" in cell.classes
    assert "waived" in cell.words and "known tempest flake" in cell.words
    assert "releng" in cell.words


def test_hostile_text_is_shown_as_text(client: TestClient, app: Gatekeeper) -> None:
    app.ingest([result(NIGHTLY, "idm.install", "FAILED", app.clock(), note=HOSTILE,
                       ref_url="javascript:alert(1)")], IDM_BOT)  # fmt: skip
    app.waive(NIGHTLY, "rdo.smoke", arch="x86_64", actor=RELENG, comment=HOSTILE)
    compose = page(client, f"/composes/{NIGHTLY}")
    idm = compose.one("td", data_testcase="idm.install")
    assert HOSTILE in idm.text  # the note, as text
    assert "javascript:alert(1)" in idm.text and not idm.all("a", "log")  # not a link
    assert HOSTILE in compose.one("td", data_testcase="rdo.smoke", data_arch="x86_64").text
    team = page(client, "/teams/idm")
    assert HOSTILE in team.by_id("recent").text
    for doc in (compose, team):
        assert [s.attrs["src"] for s in doc.all("script")] == [
            "/static/page.js",
            *(["/static/live.js"] if doc is compose else []),
        ]  # no script but the page's own
        assert not doc.all("b")
        hrefs = [a.attrs.get("href", "") for a in doc.all("a")]
        assert not [h for h in hrefs if h.lower().startswith("javascript:")]


def test_hostile_compose_search_is_escaped(client: TestClient) -> None:
    response = client.get(f"/composes/{NIGHTLY}", params={"q": '"><script>alert(1)</script>'})
    assert response.status_code == 200
    assert "<script>alert(1)" not in response.text
    assert dom(response.text).one("input", id="build-search").attrs["value"] == (
        '"><script>alert(1)</script>'
    )


# --- the merge request page ---------------------------------------------------------------


def test_mr_page_shows_title_description_and_per_build_diff(
    client: TestClient, app: Gatekeeper
) -> None:
    doc = page(client, f"/composes/{NIGHTLY}/mr")
    record = app.merge_request(NIGHTLY)
    assert record is not None
    assert doc.one("h1").words == " ".join(record["title"].split())
    assert " ".join(record["description"].split()) in doc.by_id("description").words
    files = {a.attrs["data-path"]: a for a in doc.by_id("diff").all("article", "file")}
    assert {"builds/b/bash.yaml", "builds/z/zsh.yaml", "builds/t/tcsh.yaml"} <= set(files)
    bash = files["builds/b/bash.yaml"]
    added = [n.words for n in bash.iter() if n.tag == "ins" or "add" in n.classes]
    removed = [n.words for n in bash.iter() if n.tag == "del" or "del" in n.classes]
    assert any(line.startswith("+") and "10.el9" in line for line in added)
    assert any(line.startswith("-") and "9.el9" in line for line in removed)


def test_mr_page_of_a_compose_without_one_is_a_404_page(
    client: TestClient, app: Gatekeeper
) -> None:
    app.announce("CentOS-Stream-9-20261126.n.0")
    page(client, "/composes/CentOS-Stream-9-20261126.n.0/mr", status=404)


# --- the team page ------------------------------------------------------------------------


def test_team_page_renders_its_policy(client: TestClient) -> None:
    policy = page(client, "/teams/rdo").by_id("policy")
    words = policy.words
    for text in ("OpenStack packaged as RPMs", "rdo-ci@example.org", "rdo.*", "rdo-bot",
                 "rdo.smoke", "x86_64, aarch64", "rdo.extra", "informational"):  # fmt: skip
        assert text in words, text


def test_team_page_strips_show_each_requirement_over_the_last_composes(
    client: TestClient,
) -> None:
    strips = page(client, "/teams/rdo").by_id("strips")
    x86 = next(tr for tr in strips.one("tbody").all("tr") if "rdo.smoke" in tr.words
               and "x86_64" in tr.one("th").words)  # fmt: skip
    ticks = x86.one("td", "strip").all("span", "tick")
    assert [t.attrs["title"] for t in ticks] == [f"{BASE}: passed", f"{NIGHTLY}: failed"]
    assert "state-failed" in ticks[-1].classes
    assert f"{NIGHTLY}: failed" in x86.words  # a text alternative besides the colours


def test_team_page_lists_its_recent_results(client: TestClient) -> None:
    recent = page(client, "/teams/rdo").by_id("recent")
    assert "https://ci.example.org/rdo/1" in [a.attrs["href"] for a in recent.all("a", "log")]
    assert "tempest: 3 failures" in recent.words


# --- unknown things, the live poll, static files ------------------------------------------


@pytest.mark.parametrize(
    "url", ["/composes/CentOS-Stream-9-20991231.0", "/composes/nope", "/teams/nobody",
            "/composes/CentOS-Stream-9-20991231.0/mr"],
)  # fmt: skip
def test_unknown_compose_or_team_is_a_404_page(client: TestClient, url: str) -> None:
    doc = page(client, url, status=404)
    assert doc.one("h1").words == "Not found"
    assert doc.by_id("main").all("a", href="/")


def test_version_answers_the_latest_decision_version(client: TestClient, app: Gatekeeper) -> None:
    before = client.get(f"/composes/{NIGHTLY}/version")
    assert before.status_code == 200
    assert before.headers["content-type"] == "application/json"
    assert before.json()["version"] == app.history(NIGHTLY)[-1]["version"]
    shown = page(client, f"/composes/{NIGHTLY}").by_id("main").attrs
    assert (shown["data-version"], shown["data-revision"]) == (
        str(before.json()["version"]), before.json()["revision"])  # fmt: skip
    app.ingest([result(NIGHTLY, "idm.install", "PASSED", app.clock())], IDM_BOT)
    after = client.get(f"/composes/{NIGHTLY}/version").json()
    assert after["version"] == before.json()["version"] + 1
    assert after["revision"] != before.json()["revision"]
    assert client.get("/composes/nope/version").status_code == 404


def test_version_of_a_compose_without_a_stored_decision_is_null(
    client: TestClient, app: Gatekeeper, gk_policies: Callable[..., Path]
) -> None:
    gated = "applies_to: {products: ['CentOS-Stream-*']}\ngates:"
    gk_policies(rdo=RDO.replace("gates:", gated), idm=IDM.replace("gates:", gated))
    app.reload_policies()
    app.announce("Fedora-ELN-20261126.n.0")  # no policy gates it: never decided
    answer = client.get("/composes/Fedora-ELN-20261126.n.0/version")
    assert answer.json()["version"] is None
    assert page(client, "/composes/Fedora-ELN-20261126.n.0").by_id("main").attrs[
        "data-version"
    ] == ""  # fmt: skip
    app.announce("CentOS-Stream-10-20261126.0")  # a gated one is decided when announced
    assert client.get("/composes/CentOS-Stream-10-20261126.0/version").json()["version"] == 1


def test_list_shows_a_compose_time_has_moved_as_the_api_would_decide_it(
    client: TestClient, app: Gatekeeper
) -> None:
    clock: Any = app.clock
    app.announce("CentOS-Stream-10-20261126.0")  # version 1: pending, what is missing
    stored = app.history("CentOS-Stream-10-20261126.0")
    assert [v["verdict"] for v in stored] == ["pending"]
    clock.now += timedelta(hours=13)  # idm.install's 12h deadline passed: overdue, not recorded
    found = page(client, "/?product=CentOS-Stream-10")
    row = found.one("tr", data_compose="CentOS-Stream-10-20261126.0")
    assert row.attrs["data-verdict"] == whatif(app, "CentOS-Stream-10-20261126.0")["verdict"]
    assert row.attrs["data-verdict"] == "failed"
    assert app.history("CentOS-Stream-10-20261126.0") == stored  # shown, not recorded


@pytest.mark.parametrize(
    ("path", "media"),
    [("/static/gatekeeper.css", "text/css"), ("/static/live.js", "javascript"),
     ("/static/page.js", "javascript")],
)  # fmt: skip
def test_static_files_are_served(client: TestClient, path: str, media: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert media in response.headers["content-type"]
    assert response.text.strip()


def test_the_api_is_unchanged_beside_the_pages(client: TestClient) -> None:
    assert client.get(f"/api/v1/composes/{NIGHTLY}").json()["id"] == NIGHTLY
    paths = client.get("/openapi.json").json()["paths"]
    pages = {"/", "/composes/{compose_id}", "/composes/{compose_id}/mr", "/teams/{team}",
             "/composes/{compose_id}/version"}  # fmt: skip
    assert not pages & set(paths)  # the pages are not part of the API's schema


# --- reads never write --------------------------------------------------------------------


@contextmanager
def transactions(app: Gatekeeper) -> Iterator[list[bool]]:
    """Record each store transaction's ``readonly`` flag while the block runs."""
    store: Any = app.store
    opened: list[bool] = []
    real = store.transaction

    def spy(*, readonly: bool = False) -> Any:
        opened.append(readonly)
        return real(readonly=readonly)

    store.transaction = spy
    try:
        yield opened
    finally:
        del store.transaction


def test_no_page_writes_to_the_store(client: TestClient, app: Gatekeeper) -> None:
    clock: Any = app.clock
    clock.now += timedelta(hours=13)  # idm.install's deadline passed: the decision moves
    history = app.history(NIGHTLY)
    with transactions(app) as opened:
        for url in (*PAGES, f"/composes/{NIGHTLY}/version", "/teams/idm", f"/composes/{BASE}",
                    "/?verdict=failed"):  # fmt: skip
            assert client.get(url).status_code == 200, url
    assert opened and all(opened), "a page opened a writing transaction"
    assert app.history(NIGHTLY) == history
    # the page shows the decision the API gives at this moment (overdue), unrecorded
    doc = page(client, f"/composes/{NIGHTLY}")
    idm = doc.one("td", data_testcase="idm.install")
    assert idm.attrs["data-answer"] == "test-result-overdue"
    assert app.history(NIGHTLY) == history


# --- colours ------------------------------------------------------------------------------


def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_every_state_colour_pair_meets_wcag_aa(client: TestClient) -> None:
    css = client.get("/static/gatekeeper.css").text
    colours = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", css))
    states = ["passed", "failed", "errored", "pending", "missing", "overdue", "waived", "ignored",
              "add", "del"]  # fmt: skip
    for state in states:
        ratio = contrast(colours[f"{state}-fg"], colours[f"{state}-bg"])
        assert ratio >= 4.5, (state, ratio)
        assert f".state-{state}" in css or state in ("add", "del")
    for fg in ("text", "muted", "link"):
        for bg in ("bg", "bg-alt"):
            assert contrast(colours[fg], colours[bg]) >= 4.5, (fg, bg)
    assert contrast(colours["nav-text"], colours["nav-bg"]) >= 4.5


# --- the start -------------------------------------------------------------------------------


def test_the_service_renders_the_newest_pages_before_it_answers(
    app: Gatekeeper, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first page after a restart is not the one that compiles the templates and reads
    everything: the list and the newest composes' pages are rendered once at start."""
    rendered: list[str] = []
    view = app.dashboard.compose_view
    monkeypatch.setattr(app.dashboard, "compose_view",
                        lambda cid: rendered.append(cid) or view(cid))  # fmt: skip
    api = create_app(app)
    assert rendered == []  # building the application renders nothing
    with TestClient(api, raise_server_exceptions=True) as client:
        assert rendered == [NIGHTLY, BASE]  # newest first, before the first request
        assert client.get("/").status_code == 200


def test_a_page_that_fails_to_render_at_start_does_not_stop_the_service(
    app: Gatekeeper, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(compose_id: str) -> Any:
        raise RuntimeError(f"cannot read {compose_id}")

    view = app.dashboard.compose_view
    monkeypatch.setattr(app.dashboard, "compose_view", broken)
    with TestClient(create_app(app), raise_server_exceptions=True) as client:
        assert "action=warm outcome=failed" in caplog.text
        monkeypatch.setattr(app.dashboard, "compose_view", view)
        assert client.get(f"/composes/{NIGHTLY}").status_code == 200
