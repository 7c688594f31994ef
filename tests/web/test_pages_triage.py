"""The dashboard's triage (issue #17), rendered by the server (SQLite and PostgreSQL): a
compose page's cells say why they are what they are (a rerun asked for, an automatic
retry, a known issue, a waiver's bug and expiry, a waiver that expired), its waivers and
rerun requests are listed, and ``/known-issues`` lists every known issue with the
composes it waived. The states are made through the service, as the adapters make them."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from test_pages import HOSTILE, Node, dom

with warnings.catch_warnings():  # starlette's note about httpx; the client works
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from gatekeeper.api import create_app
from gatekeeper.model import Outcome, Result
from gatekeeper.service import Actor, Gatekeeper
from gatekeeper.testing import Clock

OLDER = "CentOS-Stream-9-20261124.n.0"
NIGHTLY = "CentOS-Stream-9-20261125.n.0"
QA = """\
team: qa
description: installation and network tests
owns: ["qa.*"]
reporters: {users: [qa-bot]}
gates:
  - testcase: qa.install
    arches: [x86_64, aarch64, s390x, ppc64le]
  - testcase: qa.network
    retries: 2
"""
QA_BOT = Actor(name="qa-bot")
LEAD = Actor(name="qa-lead", can_waive=True)
ISSUE_BUG = "https://issues.example.org/browse/RHEL-4242"
EXPIRING_BUG = "https://bugs.example.org/show_bug.cgi?id=1001"
WAIVER_BUG = "https://issues.example.org/browse/RHEL-5151"
ISSUE_COMMENT = "anaconda hangs on aarch64 installs, tracked upstream"


@dataclass
class World:
    """What the triage was made of: ids of the known issues, waivers and rerun requests."""

    ids: dict[str, str] = field(default_factory=dict)


def result(compose: str, testcase: str, outcome: str, at: Any, **kw: Any) -> Result:
    return Result(compose=compose, testcase=testcase, outcome=Outcome.parse(outcome),
                  submit_time=at, **kw)  # fmt: skip


def build_triage(app: Gatekeeper, clock: Clock) -> World:
    """Two nightlies of CentOS Stream 9. In the newer one, qa.install failed on every arch:
    on x86_64 a rerun is asked for (pending), on aarch64 a known issue waives it (as in
    the older nightly), on s390x a waiver expired (failed again), on ppc64le a waiver with
    a bug counts for 3 days; qa.network gave an ERROR and is retried automatically (1 of
    2). Besides, a waiver revoked, a known issue closed and one expired."""
    world = World()
    app.announce(OLDER)
    app.ingest([result(OLDER, "qa.install", "FAILED", clock(), arch="aarch64")], QA_BOT)
    clock.now += timedelta(days=1)
    app.announce(NIGHTLY)
    at = clock()
    app.ingest([
        *(result(NIGHTLY, "qa.install", "FAILED", at, arch=arch,
                 ref_url=f"https://ci.example.org/qa/{arch}.log")
          for arch in ("x86_64", "aarch64", "s390x", "ppc64le")),
        result(NIGHTLY, "qa.network", "ERROR", at, note="the lab's DHCP did not answer"),
    ], QA_BOT)  # fmt: skip
    known = app.triage.add_known_issue(
        LEAD, product="CentOS-Stream-9*", testcase="qa.install", arch="aarch64",
        bug=ISSUE_BUG, comment=ISSUE_COMMENT, expires="14d",
    )  # fmt: skip
    world.ids["known"] = known.id
    expired = app.triage.add_known_issue(
        LEAD, product="CentOS-Stream-10*", testcase="qa.install", bug=EXPIRING_BUG,
        comment="short-lived", expires="1h",
    )  # fmt: skip
    world.ids["known-expired"] = expired.id
    closed = app.triage.add_known_issue(LEAD, product="Fedora-*", testcase="qa.network",
                                        bug=EXPIRING_BUG, comment=HOSTILE)  # fmt: skip
    app.triage.close_known_issue(LEAD, closed.id)
    world.ids["known-closed"] = closed.id
    request, _ = app.triage.rerun(NIGHTLY, "qa.install", actor=QA_BOT, arch="x86_64")
    world.ids["rerun"] = request.id
    world.ids["retry"] = next(r.id for r in app.triage.reruns(NIGHTLY) if r.automatic)
    soon, _ = app.waive(NIGHTLY, "qa.install", actor=LEAD, arch="s390x", expires="1h",
                        bug=WAIVER_BUG, comment="s390x builders are being replaced")  # fmt: skip
    world.ids["waiver-expired"] = soon.id
    later, _ = app.waive(NIGHTLY, "qa.install", actor=LEAD, arch="ppc64le", expires="3d",
                         bug=WAIVER_BUG, comment="ppc64le: known kernel regression")  # fmt: skip
    world.ids["waiver-active"] = later.id
    revoked, _ = app.waive(NIGHTLY, "qa.network", actor=LEAD, comment="given by mistake")
    app.waive(NIGHTLY, "qa.network", actor=LEAD, comment="given by mistake", revoke=True)
    world.ids["waiver-revoked"] = revoked.id
    clock.now += timedelta(hours=2)  # the s390x waiver and one known issue expire
    assert NIGHTLY in app.act_on_deadlines()
    return world


@pytest.fixture
def world(gk_app: Gatekeeper) -> World:
    return build_triage(gk_app, gk_app.clock)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _policies(gk_policies: Callable[..., Path]) -> None:
    gk_policies(qa=QA)


@pytest.fixture
def client(gk_app: Gatekeeper, world: World) -> Iterator[TestClient]:
    with TestClient(create_app(gk_app), raise_server_exceptions=True) as test_client:
        yield test_client


def page(client: TestClient, url: str) -> Node:
    response = client.get(url)
    assert response.status_code == 200, response.text[:500]
    return dom(response.text)


def cell(doc: Node, testcase: str, arch: str = "") -> Node:
    return doc.by_id("matrix").one("td", "cell", data_testcase=testcase, data_arch=arch)


def answer(app: Gatekeeper, testcase: str, arch: str | None) -> dict[str, Any]:
    decision = app.decide(NIGHTLY).to_json()
    answers = decision["satisfied_requirements"] + decision["unsatisfied_requirements"]
    return next(a for a in answers if (a["testcase"], a["arch"]) == (testcase, arch))


# --- the cells ----------------------------------------------------------------------------


def test_a_cell_waiting_on_a_rerun_says_so_and_links_the_request(
    client: TestClient, gk_app: Gatekeeper, world: World
) -> None:
    found = cell(page(client, f"/composes/{NIGHTLY}"), "qa.install", "x86_64")
    assert found.attrs["data-answer"] == "test-result-pending"
    assert answer(gk_app, "qa.install", "x86_64")["reason"] == "rerun requested"
    assert found.one("span", "reason").words == "rerun requested"
    link = found.one("a", "rerun")
    assert link.attrs["href"] == f"#rerun-{world.ids['rerun']}"
    assert link.words == f"rerun request #{world.ids['rerun']}"
    assert "PENDING" in found.words.upper()  # the state in words, not only a colour


def test_an_errored_cell_being_retried_shows_the_retry_counter(
    client: TestClient, world: World
) -> None:
    found = cell(page(client, f"/composes/{NIGHTLY}"), "qa.network")
    assert found.attrs["data-answer"] == "test-result-pending"
    assert found.one("span", "reason").words == "errored (retry 1 of 2)"
    link = found.one("a", "rerun")
    assert link.words == f"automatic retry 1 of 2 (request #{world.ids['retry']})"
    assert link.attrs["href"] == f"#rerun-{world.ids['retry']}"
    assert "ERROR" in found.words


def test_a_cell_waived_by_a_known_issue_links_it_with_its_bug_and_expiry(
    client: TestClient, gk_app: Gatekeeper, world: World
) -> None:
    found = cell(page(client, f"/composes/{NIGHTLY}"), "qa.install", "aarch64")
    assert found.attrs["data-answer"] == "test-result-failed-waived"
    assert "state-waived" in found.classes and "waived" in found.words.lower()
    known = world.ids["known"]
    link = found.one("a", "known-issue")
    assert (link.attrs["href"], link.words) == (f"/known-issues#known-issue-{known}",
                                                f"known issue #{known}")  # fmt: skip
    bug = found.one("a", "bug")
    assert bug.attrs["href"] == ISSUE_BUG and bug.words == "bug RHEL-4242"
    expires = answer(gk_app, "qa.install", "aarch64")["expires"]
    assert found.one("span", "expires").one("time").attrs["datetime"] == expires
    assert "expires" in found.one("span", "expires").words


def test_a_cell_whose_waiver_expired_is_failed_and_says_when_it_expired(
    client: TestClient, gk_app: Gatekeeper, world: World
) -> None:
    found = cell(page(client, f"/composes/{NIGHTLY}"), "qa.install", "s390x")
    assert found.attrs["data-answer"] == "test-result-failed"
    reason = answer(gk_app, "qa.install", "s390x")["reason"]
    assert reason.startswith(f"waiver {world.ids['waiver-expired']} expired at ")
    assert found.one("span", "reason").words == reason
    assert not found.all("span", "waiver")  # nothing waives it any more


def test_a_cell_waived_by_a_waiver_shows_its_bug_expiry_and_link(
    client: TestClient, world: World
) -> None:
    found = cell(page(client, f"/composes/{NIGHTLY}"), "qa.install", "ppc64le")
    assert found.attrs["data-answer"] == "test-result-failed-waived"
    assert "qa-lead" in found.one("span", "waiver").words
    assert found.one("a", href=f"#waiver-{world.ids['waiver-active']}")
    assert found.one("a", "bug").attrs["href"] == WAIVER_BUG
    assert found.one("span", "expires").one("time", "countdown").attrs["datetime"]


# --- the sections -------------------------------------------------------------------------


def test_the_waivers_section_lists_each_waiver_with_its_state_expiry_and_bug(
    client: TestClient, world: World
) -> None:
    table = page(client, f"/composes/{NIGHTLY}").by_id("waivers").by_id("waiver-list")
    rows = {r.attrs["data-waiver"]: r for r in table.one("tbody").all("tr")}
    ids = world.ids
    assert set(rows) == {ids["waiver-expired"], ids["waiver-active"], ids["waiver-revoked"]}
    states = {w: r.attrs["data-state"] for w, r in rows.items()}
    assert states == {ids["waiver-expired"]: "expired", ids["waiver-active"]: "active",
                      ids["waiver-revoked"]: "revoked"}  # fmt: skip
    for waiver, state in states.items():
        assert rows[waiver].one("span", "badge").words == state  # a word besides the colour
    active = rows[ids["waiver-active"]]
    assert active.one("a", "bug").attrs["href"] == WAIVER_BUG
    assert active.one("time", "countdown")  # its expiry counts down
    assert "ppc64le" in active.words and "qa-lead" in active.words
    assert "qa-lead" in rows[ids["waiver-revoked"]].one("td", "state").words  # who revoked
    revoked = rows[ids["waiver-revoked"]].all("td")
    assert (revoked[4].words, revoked[5].words) == ("never", "none")  # no expiry, no bug


def test_the_waivers_section_lists_the_known_issues_waiving_here(
    client: TestClient, world: World
) -> None:
    table = page(client, f"/composes/{NIGHTLY}").by_id("known-issues-here")
    (row,) = table.one("tbody").all("tr")
    assert row.attrs["data-known-issue"] == world.ids["known"]
    assert row.one("a", href=f"/known-issues#known-issue-{world.ids['known']}")
    assert ISSUE_COMMENT in row.words and "CentOS-Stream-9*" in row.words


def test_the_reruns_section_lists_each_request_open_or_answered(
    client: TestClient, gk_app: Gatekeeper, world: World
) -> None:
    table = page(client, f"/composes/{NIGHTLY}").by_id("reruns").by_id("rerun-list")
    rows = {r.attrs["data-rerun"]: r for r in table.one("tbody").all("tr")}
    asked, retry = rows[world.ids["rerun"]], rows[world.ids["retry"]]
    assert asked.attrs["id"] == f"rerun-{world.ids['rerun']}"  # what the cells link to
    assert asked.attrs["data-state"] == retry.attrs["data-state"] == "open"
    assert "waiting for a newer result" in asked.one("td", "state").words
    assert "qa-bot" in asked.words and "x86_64" in asked.words and "asked for" in asked.words
    assert "automatic retry 1 of 2" in retry.words and "gatekeeper" in retry.words
    assert "after ERROR" in retry.words  # the automatic request's reason
    asked_time = asked.all("td")[0].one("time").attrs["datetime"]
    assert asked_time.startswith("2026-11-25T")
    # a newer result answers the request: the cell passes, the request says by what
    gk_app.ingest([result(NIGHTLY, "qa.install", "PASSED", gk_app.clock(), arch="x86_64",
                          id="new-1")], QA_BOT)  # fmt: skip
    doc = page(client, f"/composes/{NIGHTLY}")
    assert cell(doc, "qa.install", "x86_64").attrs["data-answer"] == "test-result-passed"
    answered = doc.by_id("rerun-list").one("tr", data_rerun=world.ids["rerun"])
    assert answered.attrs["data-state"] == "answered"
    assert "by a newer result" in answered.words and "PASSED" in answered.words


def test_a_compose_without_triage_says_so(client: TestClient) -> None:
    doc = page(client, f"/composes/{OLDER}")
    assert "No waiver was given" in doc.by_id("waivers").words
    assert "No rerun was requested" in doc.by_id("reruns").words
    assert doc.by_id("known-issues-here")  # the known issue waives here too


# --- /known-issues ------------------------------------------------------------------------


def test_the_known_issues_page_lists_open_issues_first_with_the_composes_they_waived(
    client: TestClient, world: World
) -> None:
    doc = page(client, "/known-issues")
    assert doc.one("title").words.startswith("Known issues")
    opened = doc.by_id("open-list").one("tbody").all("tr")
    assert [r.attrs["data-known-issue"] for r in opened] == [world.ids["known"]]
    row = opened[0]
    assert (row.attrs["id"], row.attrs["data-state"]) == (f"known-issue-{world.ids['known']}",
                                                          "open")  # fmt: skip
    assert row.attrs["data-composes"] == "2"
    waived = row.one("td", "composes")
    assert waived.one("span", "count").words == "2 composes"
    assert [a.attrs["href"] for a in waived.all("a")] == [f"/composes/{OLDER}",
                                                          f"/composes/{NIGHTLY}"]  # fmt: skip
    for shown in ("CentOS-Stream-9*", "qa.install", "aarch64", ISSUE_COMMENT, "qa-lead"):
        assert shown in row.words, shown
    assert row.one("a", "bug").attrs["href"] == ISSUE_BUG
    assert row.one("a", href="/teams/qa")  # the team owning the testcase
    assert row.one("time", "countdown").attrs["datetime"].startswith("2026-12-")  # 14 days


def test_the_known_issues_page_lists_the_expired_and_closed_ones_after(
    client: TestClient, world: World
) -> None:
    ended = page(client, "/known-issues").by_id("ended-list").one("tbody").all("tr")
    states = {r.attrs["data-known-issue"]: r.attrs["data-state"] for r in ended}
    assert states == {world.ids["known-expired"]: "expired", world.ids["known-closed"]: "closed"}
    for row in ended:
        assert row.one("span", "badge").words == row.attrs["data-state"]
        assert row.attrs["data-composes"] == "0"
        assert row.one("td", "composes").words == "0 composes"
    closed = next(r for r in ended if r.attrs["data-state"] == "closed")
    assert HOSTILE in closed.words  # shown as text, never markup
    assert not closed.all("script") and not closed.all("b")
    assert "qa-lead" in closed.one("td", "state").words  # who closed it


def test_every_page_links_the_known_issues(client: TestClient) -> None:
    for url in ("/", f"/composes/{NIGHTLY}", "/known-issues"):
        assert page(client, url).all("nav")[0].all("a", href="/known-issues"), url


def test_showing_the_triage_pages_records_nothing(client: TestClient, gk_app: Gatekeeper) -> None:
    before = (gk_app.dashboard.decision_version(NIGHTLY), gk_app.triage.reruns(NIGHTLY),
              [u.to_json() for u in gk_app.triage.known_issues()])  # fmt: skip
    for url in (f"/composes/{NIGHTLY}", "/known-issues", f"/composes/{OLDER}"):
        page(client, url)
    after = (gk_app.dashboard.decision_version(NIGHTLY), gk_app.triage.reruns(NIGHTLY),
             [u.to_json() for u in gk_app.triage.known_issues()])  # fmt: skip
    assert after == before


def test_the_page_shows_an_expiry_before_the_timer_records_it(
    client: TestClient, gk_app: Gatekeeper, world: World
) -> None:
    """The page shows what the API answers now: a waiver past its expiry no longer counts,
    whether or not the deadline timer has recorded it yet."""
    clock: Any = gk_app.clock
    clock.now += timedelta(days=4)  # past the ppc64le waiver's 3 days; nothing recorded
    found = cell(page(client, f"/composes/{NIGHTLY}"), "qa.install", "ppc64le")
    expected = answer(gk_app, "qa.install", "ppc64le")
    assert found.attrs["data-answer"] == expected["type"] == "test-result-failed"
    assert found.one("span", "reason").words == expected["reason"]
    waivers = page(client, f"/composes/{NIGHTLY}").by_id("waiver-list")
    assert waivers.one("tr", data_waiver=world.ids["waiver-active"]).attrs["data-state"] == (
        "expired"
    )


def test_the_history_names_the_rerun_requests_and_known_issues_that_moved_the_gate(
    client: TestClient, world: World
) -> None:
    causes = [c.words for c in page(client, f"/composes/{NIGHTLY}").by_id("history")
              .all("span", "cause")]  # fmt: skip
    assert f"rerun request #{world.ids['rerun']} by qa-bot" in causes, causes
    assert f"known issue #{world.ids['known']} added by qa-lead" in causes, causes
    assert causes[0] == "time passed (a deadline, or a waiver or known issue expired)"


@pytest.mark.parametrize("url", [f"/composes/{NIGHTLY}", "/known-issues"])
def test_the_triage_tables_have_captions_and_scoped_headers(client: TestClient, url: str) -> None:
    for table in page(client, url).all("table"):
        assert table.all("caption"), table.attrs
        assert all(th.attrs.get("scope") in ("col", "row") for th in table.all("th"))


def test_a_request_or_waiver_given_again_says_what_superseded_it(
    client: TestClient, gk_app: Gatekeeper, world: World
) -> None:
    again, _ = gk_app.triage.rerun(NIGHTLY, "qa.install", actor=QA_BOT, arch="x86_64")
    newer, _ = gk_app.waive(NIGHTLY, "qa.install", actor=LEAD, arch="ppc64le", expires="5d",
                            bug=WAIVER_BUG, comment="ppc64le: still the kernel")  # fmt: skip
    doc = page(client, f"/composes/{NIGHTLY}")
    first = doc.by_id("rerun-list").one("tr", data_rerun=world.ids["rerun"])
    assert first.attrs["data-state"] == "superseded"
    assert first.one("td", "state").one("a").attrs["href"] == f"#rerun-{again.id}"
    assert cell(doc, "qa.install", "x86_64").one("a", "rerun").attrs["href"] == f"#rerun-{again.id}"
    old = doc.by_id("waiver-list").one("tr", data_waiver=world.ids["waiver-active"])
    assert old.attrs["data-state"] == "replaced"
    assert old.one("td", "state").one("a").attrs["href"] == f"#waiver-{newer.id}"


def test_a_waiver_or_rerun_request_that_changes_no_answer_moves_the_pages_revision(
    client: TestClient, gk_app: Gatekeeper
) -> None:
    """What the open page polls moves with every waiver and rerun request, not only with
    a new decision version: one that changes no answer is listed on the page too."""
    version = client.get(f"/composes/{NIGHTLY}/version").json()
    shown = page(client, f"/composes/{NIGHTLY}").by_id("main").attrs
    assert shown["data-revision"] == version["revision"]
    request, _ = gk_app.triage.rerun(NIGHTLY, "qa.docs", actor=QA_BOT)  # gated by nobody
    after_rerun = client.get(f"/composes/{NIGHTLY}/version").json()
    assert after_rerun["version"] == version["version"]  # no answer changed
    assert after_rerun["revision"] != version["revision"]
    doc = page(client, f"/composes/{NIGHTLY}")
    assert doc.by_id(f"rerun-{request.id}").attrs["data-state"] == "closed"
    assert doc.by_id("main").attrs["data-revision"] == after_rerun["revision"]
    waiver, _ = gk_app.waive(NIGHTLY, "qa.docs", actor=LEAD, comment="docs are not shipped")
    after_waiver = client.get(f"/composes/{NIGHTLY}/version").json()
    assert after_waiver["version"] == version["version"]
    assert after_waiver["revision"] not in (version["revision"], after_rerun["revision"])
    doc = page(client, f"/composes/{NIGHTLY}")
    assert doc.by_id(f"waiver-{waiver.id}").attrs["data-state"] == "active"
    assert doc.by_id("main").attrs["data-revision"] == after_waiver["revision"]
