"""Triage on the dashboard (issue #17) in Chromium: ``/known-issues`` and a compose page
with a rerun asked for, an automatic retry, a known issue, a waiver with a bug and one
expired (the world of test_pages_triage.py, made through the service) render, pass the
axe-core scan, and the open compose page follows a new result and a new rerun request,
and shows a waiver and a rerun request that change no answer (no decision version)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import SQLITE, expect, screenshot
from test_pages_triage import LEAD, NIGHTLY, QA, QA_BOT, World, build_triage, result

from gatekeeper.service import Gatekeeper
from gatekeeper.testing import Clock, serving

pytestmark = [pytest.mark.browser, SQLITE]

SERIOUS = ("serious", "critical")


@pytest.fixture(autouse=True)
def _policies(gk_policies: Callable[..., Path]) -> None:
    gk_policies(qa=QA)


@pytest.fixture
def triage_url(gk_app: Gatekeeper, gk_clock: Clock) -> Iterator[tuple[str, Gatekeeper, World]]:
    """The triage world served over HTTP on loopback."""
    world = build_triage(gk_app, gk_clock)
    with serving(gk_app) as url:
        yield url, gk_app, world


@pytest.fixture
def page(browser: Any, triage_url: tuple[str, Gatekeeper, World]) -> Iterator[Any]:
    url, app, _ = triage_url
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=url)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    tab.clock.set_fixed_time(app.clock())  # the countdowns read the service's clock
    yield tab
    context.close()


def axe_blocking(page: Any, kind: str) -> list[Any]:
    """The serious and critical violations of an axe-core scan (the others are printed)."""
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    for violation in violations:
        print(f"axe {kind}: {violation['impact']} {violation['id']}: {violation['help']}")
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:5])
            for v in violations if v["impact"] in SERIOUS]  # fmt: skip


def cell(page: Any, testcase: str, arch: str = "") -> Any:
    return page.locator(f'#matrix td.cell[data-testcase="{testcase}"][data-arch="{arch}"]')


def test_the_known_issues_page_renders_and_passes_axe(
    page: Any, triage_url: tuple[str, Gatekeeper, World]
) -> None:
    _, _, world = triage_url
    page.goto("/")
    page.get_by_role("navigation", name="Site").get_by_role("link", name="Known issues").click()
    expect(page).to_have_title("Known issues · gatekeeper")
    row = page.locator(f"#known-issue-{world.ids['known']}")
    expect(row).to_be_visible()
    expect(row.locator("td.composes")).to_contain_text("2 composes")
    expect(row.locator("td.state")).to_have_text("open")
    expect(row.locator("time.countdown")).to_contain_text("in 13d 22h")  # 14 days from 2 hours ago
    ended = page.locator("#ended-list tbody tr")
    expect(ended).to_have_count(2)
    assert sorted(ended.locator("span.badge").all_inner_texts()) == ["closed", "expired"]
    screenshot(page, "known-issues")
    assert not axe_blocking(page, "known-issues")


def test_a_compose_page_with_triage_renders_and_passes_axe(
    page: Any, triage_url: tuple[str, Gatekeeper, World]
) -> None:
    _, _, world = triage_url
    page.goto(f"/composes/{NIGHTLY}")
    expect(cell(page, "qa.install", "x86_64")).to_contain_text("rerun requested")
    expect(cell(page, "qa.network")).to_contain_text("errored (retry 1 of 2)")
    expect(cell(page, "qa.network")).to_contain_text("automatic retry 1 of 2")
    known = cell(page, "qa.install", "aarch64")
    expect(known).to_contain_text(f"known issue #{world.ids['known']}")
    expect(known).to_contain_text("bug RHEL-4242")
    expect(cell(page, "qa.install", "s390x")).to_contain_text(
        f"waiver {world.ids['waiver-expired']} expired at"
    )
    for section in ("#waivers", "#reruns"):
        expect(page.locator(section)).to_be_visible()
    expect(page.locator("#waiver-list tbody tr")).to_have_count(3)
    expect(page.locator("#rerun-list tbody tr")).to_have_count(2)
    cell(page, "qa.install", "x86_64").locator("a.rerun").click()  # to its request
    assert page.url.endswith(f"#rerun-{world.ids['rerun']}")
    expect(page.locator(f"#rerun-{world.ids['rerun']}")).to_be_in_viewport()
    screenshot(page, "compose-triage")
    assert not axe_blocking(page, "compose-triage")


def test_the_open_compose_page_follows_a_new_result_and_a_new_rerun_request(
    page: Any, triage_url: tuple[str, Gatekeeper, World]
) -> None:
    _, app, world = triage_url
    page.goto(f"/composes/{NIGHTLY}")
    x86 = cell(page, "qa.install", "x86_64")
    expect(x86).to_have_attribute("data-answer", "test-result-pending")
    page.evaluate("window.__not_reloaded = 'the same document'")
    app.ingest([result(NIGHTLY, "qa.install", "PASSED", app.clock(), arch="x86_64")], QA_BOT)
    expect(x86).to_have_attribute("data-answer", "test-result-passed", timeout=15_000)
    asked = page.locator(f"#rerun-{world.ids['rerun']}")
    expect(asked).to_have_attribute("data-state", "answered")
    expect(asked).to_contain_text("by a newer result")
    request, _ = app.triage.rerun(NIGHTLY, "qa.install", actor=QA_BOT, arch="x86_64",
                                  reason="flaky network in the lab")  # fmt: skip
    expect(x86).to_have_attribute("data-answer", "test-result-pending", timeout=15_000)
    expect(x86).to_contain_text("rerun requested")
    expect(page.locator(f"#rerun-{request.id}")).to_contain_text("flaky network in the lab")
    assert page.evaluate("window.__not_reloaded") == "the same document"
    screenshot(page, "compose-triage-live")


def test_the_open_compose_page_shows_a_waiver_and_rerun_request_that_change_no_answer(
    page: Any, triage_url: tuple[str, Gatekeeper, World]
) -> None:
    _, app, _ = triage_url
    page.goto(f"/composes/{NIGHTLY}")
    main = page.locator("main#main")
    version = main.get_attribute("data-version")
    page.evaluate("window.__not_reloaded = 'the same document'")
    request, _ = app.triage.rerun(NIGHTLY, "qa.docs", actor=QA_BOT,  # gated by nobody
                                  reason="the docs build flaked")  # fmt: skip
    asked = page.locator(f"#rerun-{request.id}")
    expect(asked).to_contain_text("the docs build flaked", timeout=15_000)
    waiver, _ = app.waive(NIGHTLY, "qa.docs", actor=LEAD, comment="docs are not shipped")
    given = page.locator(f"#waiver-{waiver.id}")
    expect(given).to_contain_text("docs are not shipped", timeout=15_000)
    expect(given).to_have_attribute("data-state", "active")
    assert app.dashboard.decision_version(NIGHTLY) == int(version or 0)  # no new version
    assert main.get_attribute("data-version") == version
    assert page.evaluate("window.__not_reloaded") == "the same document"
    screenshot(page, "compose-triage-live-no-version")
