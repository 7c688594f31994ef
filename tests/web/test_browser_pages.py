"""The team page, the local merge request page, what every page shares (landmarks, a 404
page), an axe-core scan of each page, and the screenshots (the README's among them)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from typing import Any

import pytest
from conftest import ARTIFACTS, FAILED_LOG, ROOT, SQLITE, Site, expect, screenshot, state_of

pytestmark = [pytest.mark.browser, SQLITE]

README_IMAGE = ROOT / "docs" / "images" / "compose-page.png"
SERIOUS = ("serious", "critical")


def test_the_team_page_renders_its_policy_history_strips_and_results(page: Any, site: Site) -> None:
    page.goto("/teams/t_functional")
    policy = page.locator("section#policy").inner_text()
    for shown in ("t_functional.*", "t-functional-bot", "t_functional.tests", "ppc64le", "12h"):
        assert shown in policy, (shown, policy)
    strips = page.locator("#strips tbody tr")
    assert strips.count() == 4  # one per arch of t_functional.tests
    row = strips.filter(has_text="ppc64le")
    ticks = row.locator("td.strip span.tick")
    titles = [t.get_attribute("title") or "" for t in ticks.all()]
    base, n1, n2 = (site.ids[k] for k in ("base", "n1", "n2"))
    assert f"{base}: passed" in titles and f"{n1}: passed" in titles, titles
    assert f"{n2}: failed" in titles, titles
    assert titles.index(f"{n1}: passed") < titles.index(f"{n2}: failed")  # newest last
    failed = ticks.nth(titles.index(f"{n2}: failed"))
    assert "state-failed" in (failed.get_attribute("class") or "").split()
    assert f"{n2}: failed" in row.inner_text()  # in words too, not only a colour
    recent = page.locator("section#recent")
    expect(recent).to_contain_text("FAILED")
    assert recent.locator(f'a[href="{FAILED_LOG}"]').count() >= 1
    screenshot(page, "team-t_functional")


def test_each_strip_tick_is_that_composes_answer(page: Any, site: Site) -> None:
    page.goto("/teams/t_functional")
    ticks = page.locator("#strips tbody tr").evaluate_all(
        """trs => trs.map(tr => [tr.querySelector('th').innerText,
            [...tr.querySelectorAll('span.tick')].map(t => [t.title, [...t.classList]])])"""
    )  # read before the API is asked: GET .../decision may record a decision
    answers: dict[tuple[str, str], str] = {}
    for compose in site.ids.values():
        decision = site.api(f"/composes/{compose}/decision")
        for answer in decision["satisfied_requirements"] + decision["unsatisfied_requirements"]:
            if answer["testcase"] == "t_functional.tests":
                answers[compose, answer["arch"]] = state_of(answer["type"])
    assert len(ticks) == 4
    for requirement, strip in ticks:
        arch = requirement.split(" on ")[-1].strip()
        assert len(strip) == len(site.ids), (requirement, strip)  # every compose, oldest first
        for title, classes in strip:
            compose, state = title.rsplit(": ", 1)
            assert state == answers[compose, arch], (requirement, title)
            assert f"state-{state}" in classes, (title, classes)


def test_the_merge_request_page_shows_title_description_and_a_per_build_diff(
    page: Any, site: Site
) -> None:
    n2 = site.ids["n2"]
    mr = site.api(f"/composes/{n2}")["merge_request"]
    diff = site.api(f"/composes/{n2}/diff")
    page.goto(f"/composes/{n2}/mr")
    assert page.locator("h1").inner_text().strip() == mr["title"]
    description = page.locator("section#description").inner_text()
    assert diff["added"][0]["name"] in description and diff["base"] in description
    files = page.locator("section#diff article.file")
    paths = [f.get_attribute("data-path") or "" for f in files.all()]
    changed = {c["name"] for k in ("added", "removed", "updated") for c in diff[k]}
    build_paths = {p for p in paths if p.startswith("builds/")}
    assert {p.rsplit("/", 1)[1].removesuffix(".yaml") for p in build_paths} == changed
    assert all(p == f"builds/{p.split('/')[2][0].lower()}/{p.split('/')[2]}" for p in build_paths)
    assert set(paths) - build_paths <= {"compose.yaml"}
    updated = diff["updated"][0]
    article = page.locator(f'section#diff article.file[data-path$="/{updated["name"]}.yaml"]')
    added = article.locator("ins, .add").all_inner_texts()
    removed = article.locator("del, .del").all_inner_texts()
    assert added and removed, article.inner_text()
    assert all(line.lstrip().startswith("+") for line in added), added  # signs, not colour
    assert all(line.lstrip().startswith("-") for line in removed), removed
    new_release = updated["new"][0].rsplit("-", 1)[1]
    assert any(new_release in line for line in added), (new_release, added)
    screenshot(page, "merge-request")


def test_an_unknown_compose_or_team_is_a_404_page(page: Any) -> None:
    for path in ("/composes/CentOS-Stream-9-20990101.0", "/teams/nobody"):
        response = page.goto(path)
        assert response is not None and response.status == 404
        assert response.headers["content-type"].startswith("text/html")
        assert page.locator("main#main").count() == 1 and page.title()


PAGES: dict[str, Callable[[Site], str]] = {
    "list": lambda site: "/",
    "compose": lambda site: f"/composes/{site.ids['n2']}",
    "team": lambda site: "/teams/t_functional",
    "merge-request": lambda site: f"/composes/{site.ids['n2']}/mr",
    "not-found": lambda site: "/teams/nobody",
}


@pytest.mark.parametrize("kind", sorted(PAGES))
def test_each_page_has_the_landmarks_and_passes_axe(page: Any, site: Site, kind: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page.goto(PAGES[kind](site))
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.title().strip()
    assert page.locator('a.skip[href="#main"]').count() == 1
    assert page.locator("main#main").count() == 1
    assert page.locator('nav a[href="/"]').count() >= 1
    screenshot(page, f"page-{kind}")
    results = Axe().run(page)
    violations = results.response["violations"]
    for violation in violations:  # the minor and moderate ones are reported, not failed
        print(f"axe {kind}: {violation['impact']} {violation['id']}: {violation['help']}")
    blocking = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:5])
        for v in violations
        if v["impact"] in SERIOUS
    ]
    assert not blocking, blocking


def test_the_axe_scan_fails_a_page_whose_text_lacks_contrast(page: Any) -> None:
    """The scan above can fail: grey on grey text is a serious violation to it."""
    from axe_playwright_python.sync_playwright import Axe

    page.goto("/")
    page.evaluate(
        """() => { const p = document.createElement('p');
            p.textContent = 'hard to read';
            p.style.color = '#999'; p.style.background = '#aaa';
            document.querySelector('main').append(p); }"""
    )
    violations = Axe().run(page).response["violations"]
    assert ("color-contrast", "serious") in {(v["id"], v["impact"]) for v in violations}


def test_the_compose_page_screenshot_shows_the_failed_gate(page: Any, site: Site) -> None:
    """The README's picture: the failing nightly's page as a browser first shows it.
    ``GATEKEEPER_README_SCREENSHOT=1`` also writes it to docs/images/compose-page.png."""
    height = 1440
    page.set_viewport_size({"width": 1280, "height": height})
    page.goto(f"/composes/{site.ids['n2']}")
    failed = '[data-testcase="t_functional.tests"][data-arch="ppc64le"]'
    for shown in (f"#matrix td.cell{failed}", f"ul.suspects{failed}"):
        box = page.locator(shown).bounding_box()
        assert box is not None and box["y"] + box["height"] <= height, (shown, box)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "compose-page.png"
    page.screenshot(path=str(path))  # the first screen, as a browser shows it
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("GATEKEEPER_README_SCREENSHOT") == "1":
        README_IMAGE.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, README_IMAGE)


def test_every_page_works_without_javascript(browser: Any, site: Site) -> None:
    """With JavaScript off, the list filters and pages through the server, and every page
    is complete as served."""
    context = browser.new_context(base_url=site.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/?limit=2")
        page.select_option('#filters select[name="product"]', "CentOS-Stream-9")
        with page.expect_navigation():
            page.click('#filters [type="submit"]')
        first = page.locator("#composes tbody tr[data-compose]").evaluate_all(
            "trs => trs.map(tr => tr.dataset.compose)"
        )
        with page.expect_navigation():
            page.click('a[rel="next"]')
        second = page.locator("#composes tbody tr[data-compose]").evaluate_all(
            "trs => trs.map(tr => tr.dataset.compose)"
        )
        assert first + second == [site.ids[k] for k in ("n2", "n1", "base")]
        n2 = site.ids["n2"]
        for path, shown in (
            (f"/composes/{n2}", "#matrix td.cell.state-failed"),
            (f"/composes/{n2}", "ul.suspects li"),
            (f"/composes/{n2}", "section#verdict ul.blocking li"),
            (f"/composes/{n2}/mr", "section#diff article.file"),
            ("/teams/t_functional", "#strips td.strip span.tick"),
            ("/known-issues", "main#main h1"),
        ):
            page.goto(path)
            assert page.locator(shown).count() >= 1, (path, shown)
        screenshot(page, "page-no-js-known-issues")
    finally:
        context.close()


def test_the_compose_page_is_usable_by_keyboard(page: Any, site: Site) -> None:
    """From the top of the failing nightly's page, Tab reaches the verdict's link to the
    failed gate's suspects before the matrix; Enter follows it."""
    page.goto(f"/composes/{site.ids['n2']}")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "its suspect builds":
            break
    else:
        raise AssertionError("Tab never reached the verdict's link to the suspect builds")
    assert page.evaluate("!!document.activeElement.closest('section#verdict')")
    page.keyboard.press("Enter")
    target = page.locator(page.url[page.url.index("#") :])
    expect(target).to_be_in_viewport()
    expect(target).to_contain_text("t_functional.tests on ppc64le: failed")
