"""A compose's page (``/composes/ID``) in Chromium: the gate matrix answer for answer as the
decision JSON, the failed gate and its suspect builds, the waiver, the build diff and its
search, the history, the lockfiles, and the page following a new result by itself."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import (
    BOTH_STORES,
    FAILED_LOG,
    N1_BUILDS,
    N2_BUILDS,
    SQLITE,
    WAIVER_AUTHOR,
    WAIVER_COMMENT,
    Site,
    SpecBuild,
    cell_key,
    expect,
    screenshot,
    state_of,
)

pytestmark = pytest.mark.browser

CELLS = "#matrix td.cell[data-answer]"


def cell(page: Any, testcase: str, arch: str = "", scenario: str = "") -> Any:
    return page.locator(
        f'#matrix td.cell[data-testcase="{testcase}"][data-arch="{arch}"]'
        f'[data-scenario="{scenario}"]'
    )


def changed_names(old: list[SpecBuild], new: list[SpecBuild]) -> set[str]:
    """The source packages added, removed or rebuilt from ``old`` to ``new``."""
    before = {b.name: (b.epoch, b.version, b.release) for b in old}
    after = {b.name: (b.epoch, b.version, b.release) for b in new}
    return {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}


@BOTH_STORES
@pytest.mark.parametrize("which", ["n2", "n1", "s10"])
def test_every_matrix_cell_is_the_decision_jsons_answer(page: Any, site: Site, which: str) -> None:
    compose = site.ids[which]
    page.goto(f"/composes/{compose}")
    cells = page.eval_on_selector_all(
        CELLS,
        """tds => tds.map(td => ({
            key: [td.dataset.team, td.dataset.testcase, td.dataset.scenario, td.dataset.arch],
            answer: td.dataset.answer, classes: [...td.classList],
            text: td.innerText.toLowerCase()}))""",
    )
    verdict = page.locator("section#verdict")
    shown_verdict, verdict_text = verdict.get_attribute("data-verdict"), verdict.inner_text()
    empty = page.eval_on_selector_all("#matrix td.cell.none", "tds => tds.map(td => td.innerText)")
    screenshot(page, f"matrix-{which}-{site.store_kind}")
    history = site.api(f"/composes/{compose}/decisions")
    assert page.locator("main#main").get_attribute("data-version") == (
        str(history[-1]["version"]) if history else ""
    )
    decision = site.api(f"/composes/{compose}/decision")  # this one may record a version
    answers = decision["satisfied_requirements"] + decision["unsatisfied_requirements"]
    expected = {cell_key(a): a["type"] for a in answers}
    assert len(expected) == len(answers)
    shown = {tuple(c["key"]): c for c in cells}
    assert len(shown) == len(cells), "two cells for one (team, testcase, scenario, arch)"
    assert {k: c["answer"] for k, c in shown.items()} == expected
    for key, answer_type in expected.items():
        state = state_of(answer_type)
        assert f"state-{state}" in shown[key]["classes"], (key, shown[key]["classes"])
        assert state in shown[key]["text"], (key, shown[key]["text"])
    assert all(not text.strip() for text in empty), empty
    assert shown_verdict == decision["verdict"]
    assert decision["summary"] in verdict_text


@SQLITE
def test_the_failed_gate_shows_its_result_reporter_log_and_suspect_builds(
    page: Any, site: Site
) -> None:
    n1, n2 = site.ids["n1"], site.ids["n2"]
    page.goto(f"/composes/{n2}")
    failed = cell(page, "t_functional.tests", "ppc64le")
    assert "state-failed" in (failed.get_attribute("class") or "").split()
    text = failed.inner_text()
    assert "FAILED" in text and "t-functional-bot" in text and "3 of 214" in text, text
    assert failed.locator("a.log").get_attribute("href") == FAILED_LOG
    assert failed.locator("time").count() >= 1
    assert "1 test failed" in page.locator("section#verdict").inner_text()
    suspects = page.locator('ul.suspects[data-testcase="t_functional.tests"][data-arch="ppc64le"]')
    expect(suspects).to_have_count(1)
    items = suspects.locator("li").all_inner_texts()
    expected = changed_names(N1_BUILDS, N2_BUILDS)
    assert len(items) == len(expected), items
    assert all(any(name in item for item in items) for name in expected), (expected, items)
    assert n1 in suspects.locator("xpath=..").inner_text()  # where the gate last passed
    screenshot(page, "compose-failed")


@SQLITE
def test_the_verdict_names_the_gate_that_failed_it_and_links_its_suspects(
    page: Any, site: Site
) -> None:
    page.goto(f"/composes/{site.ids['n2']}")
    blocking = page.locator("section#verdict ul.blocking li")
    expect(blocking).to_have_count(1)  # ppc64le failed; the waived x86_64 failure is not one
    text = blocking.inner_text()
    for shown in ("failed", "t_functional.tests", "ppc64le", "t_functional", "t-functional-bot"):
        assert shown in text, (shown, text)
    waiting = page.locator("section#verdict").inner_text()
    assert "Waiting for results from rdo, t_functional." in waiting, waiting
    blocking.get_by_role("link", name="its suspect builds").click()
    target = page.locator(page.url[page.url.index("#") :])
    expect(target).to_be_in_viewport()
    expect(target).to_contain_text("t_functional.tests on ppc64le: failed")


@SQLITE
def test_a_waived_cell_shows_the_waivers_comment_and_author(page: Any, site: Site) -> None:
    page.goto(f"/composes/{site.ids['n2']}")
    waived = cell(page, "idm.ipa.install", "x86_64")
    assert waived.get_attribute("data-answer") == "test-result-failed-waived"
    assert "state-waived" in (waived.get_attribute("class") or "").split()
    text = waived.inner_text()
    assert "waived" in text.lower() and WAIVER_COMMENT in text and WAIVER_AUTHOR in text, text


@SQLITE
def test_the_deadlines_are_times_that_count_down(context: Any, site: Site) -> None:
    page = context.new_page()
    page.clock.install(time=site.clock.now)  # the page's timers move only when told
    page.goto(f"/composes/{site.ids['n2']}")
    countdowns = page.locator("time.countdown")
    assert countdowns.count() >= 1
    for when in countdowns.all():
        assert datetime.fromisoformat(when.get_attribute("datetime") or "").tzinfo is not None
    first = countdowns.first.inner_text()
    page.clock.fast_forward("01:00:00")
    expect(countdowns.first).not_to_have_text(first)


@SQLITE
def test_typing_in_the_build_search_filters_the_rows_at_once(page: Any, site: Site) -> None:
    n2 = site.ids["n2"]
    page.goto(f"/composes/{n2}")
    rows = page.locator("section#builds tr.build")
    names = [r.get_attribute("data-name") or "" for r in rows.all()]
    diff = site.api(f"/composes/{n2}/diff")
    assert sorted(names) == sorted(c["name"] for k in ("added", "removed", "updated")
                                   for c in diff[k])  # fmt: skip
    changes = {r.get_attribute("data-name"): r.get_attribute("data-change") for r in rows.all()}
    assert changes == {c["name"]: k for k in ("added", "removed", "updated") for c in diff[k]}
    target = diff["updated"][0]["name"]
    page.evaluate("window.__not_reloaded = true")
    page.locator("#build-search").press_sequentially(target)
    keep = [n for n in names if target in n]
    for row in rows.all():
        if row.get_attribute("data-name") in keep:
            expect(row).to_be_visible()
        else:
            expect(row).to_be_hidden()
    assert page.evaluate("window.__not_reloaded") is True
    assert urlsplit(page.url).path == f"/composes/{n2}"


@SQLITE
def test_without_javascript_the_build_search_asks_the_server(browser: Any, site: Site) -> None:
    context = browser.new_context(base_url=site.url, java_script_enabled=False)
    try:
        page = context.new_page()
        n2 = site.ids["n2"]
        page.goto(f"/composes/{n2}")
        target = site.api(f"/composes/{n2}/diff")["added"][0]["name"]
        page.fill("#build-search", target)
        with page.expect_navigation():
            page.press("#build-search", "Enter")
        assert parse_qs(urlsplit(page.url).query)["q"] == [target]
        names = [r.get_attribute("data-name") or "" for r in page.locator("tr.build").all()]
        assert names and all(target in n for n in names), names
        assert page.locator("#matrix td.cell[data-answer]").count() > 0  # still the whole page
        assert page.locator("time.countdown").first.inner_text().strip()  # the absolute time
        screenshot(page, "compose-no-js-search")
    finally:
        context.close()


@SQLITE
def test_the_history_says_what_changed_when_and_why(page: Any, site: Site) -> None:
    n2 = site.ids["n2"]
    page.goto(f"/composes/{n2}")
    history = site.api(f"/composes/{n2}/decisions")
    versions = page.locator("section#history li[data-version]").evaluate_all(
        "lis => lis.map(li => li.dataset.version)"
    )
    assert sorted(map(int, versions)) == [h["version"] for h in history]
    previous: dict[tuple[str, str, str, str], str] = {}
    for entry in history:
        item = page.locator(f'section#history li[data-version="{entry["version"]}"]')
        text = item.inner_text()
        assert item.locator("time").count() >= 1, text  # when
        cause = entry["cause"] or {}
        if cause.get("announced"):  # version 1: decided when announced
            assert entry["version"] == 1 and "announced" in text, (entry, text)
        else:
            who = cause.get("reporter") or cause.get("by")
            assert who and who in text, (entry, text)  # why: the reporter, or the waiver's author
        decision = entry["decision"]
        answers = {cell_key(a): a["type"] for k in ("satisfied_requirements",
                   "unsatisfied_requirements") for a in decision[k]}  # fmt: skip
        changed = {key[1] for key, kind in answers.items() if previous.get(key) != kind}
        if previous:  # what changed: a testcase whose answer moved
            assert any(testcase in text for testcase in changed), (changed, text)
        else:
            assert decision["verdict"] in text.lower(), text
        previous = answers


@SQLITE
def test_the_lockfile_and_merge_request_links(page: Any, site: Site) -> None:
    n2 = site.ids["n2"]
    page.goto(f"/composes/{n2}")
    links = [a.get_attribute("href") or "" for a in page.locator("a.lockfile").all()]
    assert links, "no lockfile links"
    prefix = f"/api/v1/composes/{n2}/lockfile?"
    assert all(link.startswith(prefix) for link in links), links
    formats = {parse_qs(urlsplit(link).query)["format"][0] for link in links}
    assert formats == {"rpm-lockfile", "fcos"}
    mr = page.locator(f'a[href="/composes/{n2}/mr"], a.mr').first.get_attribute("href")
    assert mr and page.request.get(mr).status == 200


@SQLITE
def test_a_result_posted_through_the_api_changes_the_open_page(page: Any, site: Site) -> None:
    n2 = site.ids["n2"]
    page.goto(f"/composes/{n2}")
    main = page.locator("main#main")
    before = main.get_attribute("data-version")
    pending = cell(page, "t_functional.tests", "s390x")
    assert pending.get_attribute("data-answer") == "test-result-pending"
    page.evaluate("window.__not_reloaded = 'still the same document'")
    site.post_results(n2, "t-functional-bot", [
        {"testcase": "t_functional.tests", "outcome": "PASSED", "arch": "s390x"},
    ])  # fmt: skip
    expect(pending).to_have_attribute("data-answer", "test-result-passed", timeout=15_000)
    assert "state-passed" in (pending.get_attribute("class") or "").split()
    assert page.evaluate("window.__not_reloaded") == "still the same document"
    history = site.api(f"/composes/{n2}/decisions")
    assert main.get_attribute("data-version") == str(history[-1]["version"]) != before
    summary = site.api(f"/composes/{n2}/decision")["summary"]
    expect(page.locator("section#verdict")).to_contain_text(summary)
    screenshot(page, "compose-live-updated")
