"""``make run`` as a person meets it: the dashboard URL it prints, opened in Chromium, lists
the example composes, and the failing nightly's page shows which gate failed, who reported
it, its log link and its suspect builds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, screenshot

from gatekeeper.testing.make_run import get_json as _get
from gatekeeper.testing.make_run import make_run as started_make_run

pytestmark = pytest.mark.browser

FAILING = "CentOS-Stream-9-20261125.n.0"  # t_functional fails on s390x (examples/results-*)


@pytest.fixture
def make_run(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """scripts/run.sh in a copy of the checkout's examples; once the service answers, yields
    its base URL and what it printed."""
    with started_make_run(ROOT, tmp_path) as run:
        yield run.base, run.log.read_text()


def _nvrs(base: str, compose: str) -> dict[str, str]:
    items, url = [], f"{base}/api/v1/composes/{compose}/builds"
    while url:
        page = _get(url)
        items, url = items + page["items"], page["next"]
    return {b["name"]: b["nvr"] for b in items}


def test_make_run_opens_on_a_dashboard_that_shows_why_the_nightly_failed(
    browser: Any, make_run: tuple[str, str]
) -> None:
    base, printed = make_run
    first = next(line for line in printed.splitlines() if base in line)
    assert "dashboard" in first, printed  # the first address it gives is the dashboard's
    url = first.split("dashboard: ", 1)[1].split()[0]
    assert url == f"{base}/", first
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(url)
        shown = page.eval_on_selector_all(
            "#composes tbody tr[data-compose]", "trs => trs.map(tr => tr.dataset.compose)"
        )
        assert shown == [c["id"] for c in _get(f"{base}/api/v1/composes")["items"]]
        assert FAILING in shown
        row = page.locator(f'#composes tr[data-compose="{FAILING}"]')
        assert row.get_attribute("data-verdict") == "failed"
        with page.expect_navigation():
            row.locator(f'a[href="/composes/{FAILING}"]').click()

        failed = page.locator(
            '#matrix td.cell.state-failed[data-testcase="t_functional.tests"][data-arch="s390x"]'
        )
        result = _get(
            f"{base}/api/v1/composes/{FAILING}/results?testcase=t_functional.tests&arch=s390x"
        )["items"][-1]
        text = failed.inner_text()
        assert "failed" in text.lower() and result["outcome"] in text, text
        assert result["reporter"] and result["reporter"] in text, (result, text)
        assert failed.locator("a.log").get_attribute("href") == result["ref_url"]

        suspects = page.locator(
            'ul.suspects[data-testcase="t_functional.tests"][data-arch="s390x"]'
        )
        items = suspects.locator("li").all_inner_texts()
        where = suspects.locator("xpath=..").inner_text()
        passed_in = next(c for c in shown if c != FAILING and c in where)
        before, after = _nvrs(base, passed_in), _nvrs(base, FAILING)
        changed = {n for n in before.keys() | after.keys() if before.get(n) != after.get(n)}
        assert changed and len(items) == len(changed), (changed, items)
        assert all(any(name in item for item in items) for name in changed), (changed, items)
        screenshot(page, "make-run-failing-nightly")
    finally:
        context.close()
