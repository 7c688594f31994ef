"""The list of composes (``/``) in Chromium: verdicts as the API gives them, filters,
pagination, and the keyboard."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import BOTH_STORES, SQLITE, T2, Site, screenshot

pytestmark = pytest.mark.browser

ROWS = "#composes tbody tr[data-compose]"


def rows(page: Any) -> list[dict[str, str]]:
    """Each body row of the list: its compose, verdict and state attributes, badge text."""
    return list(
        page.eval_on_selector_all(
            ROWS,
            """trs => trs.map(tr => ({
                compose: tr.dataset.compose, verdict: tr.dataset.verdict,
                state: tr.dataset.state,
                badge: (tr.querySelector('.badge') || {}).textContent || ''}))""",
        )
    )


@BOTH_STORES
def test_the_list_shows_each_compose_with_the_verdict_the_api_gives(page: Any, site: Site) -> None:
    page.goto("/")
    shown = rows(page)  # read before the API is asked: GET .../decision records a decision
    screenshot(page, f"list-{site.store_kind}")
    listed = site.api("/composes")["items"]
    assert [r["compose"] for r in shown] == [c["id"] for c in listed]  # newest first
    for row, compose in zip(shown, listed, strict=True):
        verdict = site.api(f"/composes/{compose['id']}/decision")["verdict"]
        assert row["verdict"] == verdict, row
        assert row["badge"].strip() == verdict, row
        assert row["state"] == compose["state"], row
    relisted = {c["id"]: c["verdict"] for c in site.api("/composes")["items"]}
    assert {r["compose"]: r["verdict"] for r in shown} == relisted


@SQLITE
def test_a_row_links_its_compose_and_says_whom_it_waits_for(page: Any, site: Site) -> None:
    n2 = site.ids["n2"]
    page.goto("/")
    row = page.locator(f'{ROWS}[data-compose="{n2}"]')
    assert row.locator(f'a[href="/composes/{n2}"]').inner_text().strip() == n2
    decision = site.api(f"/composes/{n2}/decision")
    answers = decision["satisfied_requirements"] + decision["unsatisfied_requirements"]
    required = [a for a in answers if a["required"]]
    satisfied = [a for a in decision["satisfied_requirements"] if a["required"]]
    assert row.locator("td.counts").inner_text().strip() == f"{len(satisfied)}/{len(required)}"
    waiting = row.locator("td.waiting a")
    assert sorted(waiting.all_inner_texts()) == ["rdo", "t_functional"]  # s390x running, aarch64
    assert sorted(a.get_attribute("href") for a in waiting.all()) == [
        "/teams/rdo",
        "/teams/t_functional",
    ]
    when = row.locator("td.deadline time").get_attribute("datetime")
    assert when is not None and datetime.fromisoformat(when) == T2 + timedelta(hours=12)
    mr = row.locator("a.mr").get_attribute("href")
    assert mr is not None and (mr.startswith("http") or mr == f"/composes/{n2}/mr"), mr
    assert page.request.get(mr).status == 200


@SQLITE
def test_choosing_a_verdict_in_the_filters_lists_only_those_composes(page: Any, site: Site) -> None:
    page.goto("/")
    assert {r["verdict"] for r in rows(page)} >= {"failed", "passed", "pending"}
    page.select_option('#filters select[name="verdict"]', "failed")
    with page.expect_navigation():
        page.click('#filters [type="submit"]')
    assert parse_qs(urlsplit(page.url).query)["verdict"] == ["failed"]
    assert [(r["compose"], r["verdict"]) for r in rows(page)] == [(site.ids["n2"], "failed")]
    assert page.input_value('#filters select[name="verdict"]') == "failed"  # the choice stays
    screenshot(page, "list-failed")


@SQLITE
def test_the_product_and_state_filters_narrow_the_list(page: Any, site: Site) -> None:
    page.goto("/?product=CentOS-Stream-10")
    assert [r["compose"] for r in rows(page)] == [site.ids["s10"]]
    page.goto("/")
    page.select_option('#filters select[name="state"]', "published")
    with page.expect_navigation():
        page.click('#filters [type="submit"]')
    assert [(r["compose"], r["state"]) for r in rows(page)] == [(site.ids["base"], "published")]


@SQLITE
def test_pagination_walks_every_compose_and_keeps_the_filters(page: Any, site: Site) -> None:
    page.goto("/?product=CentOS-Stream-9&limit=2")
    seen = [r["compose"] for r in rows(page)]
    assert len(seen) == 2
    assert page.locator('a[rel="prev"]').count() == 0
    with page.expect_navigation():
        page.click('a[rel="next"]')
    query = parse_qs(urlsplit(page.url).query)
    assert (query["product"], query["limit"], query["offset"]) == (
        ["CentOS-Stream-9"],
        ["2"],
        ["2"],
    )
    seen += [r["compose"] for r in rows(page)]
    assert page.locator('a[rel="next"]').count() == 0
    expected = [site.ids[k] for k in ("n2", "n1", "base")]
    assert seen == expected
    with page.expect_navigation():
        page.click('a[rel="prev"]')
    query = parse_qs(urlsplit(page.url).query)
    assert (query["product"], query.get("offset", ["0"])) == (["CentOS-Stream-9"], ["0"])
    assert [r["compose"] for r in rows(page)] == expected[:2]


FOCUSABLE = """() => {
    const candidates = document.querySelectorAll(
        'a[href], button, input:not([type=hidden]), select, textarea, [tabindex]');
    const focusable = [...candidates].filter(e => !e.disabled && e.tabIndex >= 0
        && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden');
    focusable.forEach((e, i) => { e.dataset.tabprobe = String(i); });
    return focusable.map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''));
}"""


@SQLITE
def test_tab_reaches_the_skip_link_first_then_every_control_in_order(page: Any) -> None:
    page.goto("/")
    order = page.evaluate(FOCUSABLE)
    assert len(order) > 10, order
    reached = []
    for _ in order:
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.dataset.tabprobe || null"))
    assert reached[0] == "0" and order[0] == "a.skip"
    assert reached == [str(i) for i in range(len(order))], list(zip(reached, order, strict=True))
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.dataset.tabprobe") == str(len(order) - 2)


@SQLITE
def test_the_skip_link_and_enter_on_a_compose_link_work_by_keyboard(page: Any, site: Site) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    n2 = site.ids["n2"]
    page.focus(f'{ROWS}[data-compose="{n2}"] a[href="/composes/{n2}"]')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert urlsplit(page.url).path == f"/composes/{n2}"
    assert page.locator("main#main").get_attribute("data-compose") == n2
