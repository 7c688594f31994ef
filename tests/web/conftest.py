"""The dashboard in a real browser: Debian's Chromium driven by Playwright, against the app
served over HTTP on loopback, with composes, policies, results and a waiver reported the
way teams report them (through the HTTP API, with tokens).

Chromium missing (or Playwright not installed) skips these tests, and fails them when
``CI=true``, as a missing PostgreSQL does. Each test gets its own store, server and browser
context; the browser is started once per test module (so once per xdist worker and module).
Screenshots go to ``test-artifacts/web/``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from gatekeeper.service import Gatekeeper
from gatekeeper.testing import Clock, issue_token, serving, unavailable
from gatekeeper.testing.composes import SpecBuild, next_nightly, synthetic_builds, write_compose

CHROMIUM = os.environ.get("GATEKEEPER_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "web"
API = "/api/v1"

T_FUNCTIONAL = """\
team: t_functional
description: CentOS functional tests, run by tmt on every arch
contact: centos-qa@example.org
owns: ["t_functional.*"]
reporters: {users: [t-functional-bot]}
gates:
  - testcase: t_functional.tests
    arches: [x86_64, aarch64, ppc64le, s390x]
    deadline: 12h
"""
RDO = """\
team: rdo
description: OpenStack packaged as RPMs
owns: ["rdo.*"]
reporters: {users: [rdo-ci-bot]}
gates:
  - testcase: rdo.tempest.smoke
    arches: [x86_64, aarch64]
    scenario: packstack
    deadline: 12h
  - testcase: rdo.tempest.full
    scenario: packstack
    required: false
"""
IDM = """\
team: idm
description: Identity Management integration tests
owns: ["idm.*"]
reporters: {users: [idm-ci-bot]}
gates:
  - testcase: idm.ipa.install
    arches: [x86_64, aarch64]
  - testcase: idm.sssd.smoke
    deadline: 2h
    on_missing: ignore
"""
REPORTERS = {"t_functional": "t-functional-bot", "rdo": "rdo-ci-bot", "idm": "idm-ci-bot"}

BASE_BUILDS = synthetic_builds(30, seed=41)
N1_BUILDS = next_nightly(BASE_BUILDS, changed=4, added=2, removed=1, seed=42)
N2_BUILDS = next_nightly(N1_BUILDS, changed=3, added=1, removed=1, seed=43)
STREAM10_BUILDS = synthetic_builds(12, seed=44, dist="el10")

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # the production compose is announced
T1 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # the first nightly
T2 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # the failing nightly, and Stream 10's
NOW = T2 + timedelta(hours=3)  # past idm.sssd.smoke's 2h deadline, before the 12h ones

FAILED_LOG = "https://ci.example.org/t_functional/4711/ppc64le/log.txt"
WAIVER_COMMENT = "IPA installer regression on x86_64, tracked in RHEL-4242"
WAIVER_AUTHOR = "qe-lead"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives Chromium with Playwright (mandatory when CI=true)"
    )


# The browser tests run on SQLite; those whose answers come from the store's reads run on
# PostgreSQL too. (gatekeeper.testing's gk_database_url takes the parameter.)
SQLITE = pytest.mark.parametrize("gk_database_url", ["sqlite"], indirect=True)
BOTH_STORES = pytest.mark.parametrize(
    "gk_database_url",
    ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
    indirect=True,
)


# -- the browser ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium, started once per module. Module scope, not session: while Playwright's
    sync API is open it marks an asyncio loop as running in this thread, which other
    modules' tests (asyncio.run) must not see."""
    if not os.access(CHROMIUM, os.X_OK):
        unavailable(f"Chromium at {CHROMIUM}", "not installed: apt-get install -y chromium")
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as exc:
        unavailable("Playwright", f"{exc}; pip install playwright axe-playwright-python")
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
        except Error as exc:
            unavailable(f"Chromium at {CHROMIUM}", str(exc).splitlines()[0])
        yield chromium
        chromium.close()


@dataclass
class Site:
    """The served application with its example data, and what the tests need to know."""

    url: str
    app: Gatekeeper
    clock: Clock
    ids: dict[str, str]
    tokens: dict[str, str]
    http: httpx.Client = field(repr=False)

    def api(self, path: str, **params: Any) -> Any:
        response = self.http.get(f"{API}{path}", params=params)
        assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text}"
        return response.json()

    def post_results(self, compose: str, who: str, results: Sequence[dict[str, Any]]) -> None:
        response = self.http.post(
            f"{API}/composes/{compose}/results", json=list(results), headers=self.auth(who)
        )
        assert response.status_code == 200, response.text

    @property
    def store_kind(self) -> str:
        """``sqlite`` or ``postgresql``: a name for artefacts of tests run on both."""
        return str(self.app.settings.database_url).split(":", 1)[0].split("+", 1)[0]

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture
def site_policies(gk_policies: Callable[..., Path], gk_clock: Clock) -> Path:
    """Three teams' policies, and the clock at the first compose: before the app starts."""
    gk_clock.now = T0
    return gk_policies(t_functional=T_FUNCTIONAL, rdo=RDO, idm=IDM)


@pytest.fixture
def site(
    site_policies: Path, gk_app: Gatekeeper, gk_clock: Clock, tmp_path: Path
) -> Iterator[Site]:
    """Three CentOS Stream 9 composes (a published production one, a pending nightly, a
    failing nightly) and a Stream 10 nightly, with results of three teams."""
    app = gk_app
    tokens = {who: issue_token(app, who) for who in REPORTERS.values()}
    tokens["releng"] = issue_token(app, "releng", is_admin=True, can_waive=True)
    tokens[WAIVER_AUTHOR] = issue_token(app, WAIVER_AUTHOR, can_waive=True)
    with serving(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        site = Site(url, app, gk_clock, {}, tokens, http)
        _populate(site, tmp_path / "composes")
        yield site


def _import(site: Site, where: Path, at: datetime, builds: Sequence[SpecBuild], **kw: Any) -> str:
    site.clock.now = at
    compose_id = write_compose(where, builds=builds, **kw)
    response = site.http.post(
        f"{API}/composes", json={"location": str(where)}, headers=site.auth("releng")
    )
    assert response.status_code == 201, response.text
    return compose_id


def _all_pass() -> dict[str, list[dict[str, Any]]]:
    return {
        "t-functional-bot": [
            {"testcase": "t_functional.tests", "outcome": "PASSED", "arch": arch}
            for arch in ("x86_64", "aarch64", "ppc64le", "s390x")
        ],
        "rdo-ci-bot": [
            {"testcase": "rdo.tempest.smoke", "scenario": "packstack", "outcome": "PASSED",
             "arch": arch} for arch in ("x86_64", "aarch64")
        ],
        "idm-ci-bot": [
            *({"testcase": "idm.ipa.install", "outcome": "PASSED", "arch": arch}
              for arch in ("x86_64", "aarch64")),
            {"testcase": "idm.sssd.smoke", "outcome": "PASSED"},
        ],
    }  # fmt: skip


def _populate(site: Site, root: Path) -> None:
    ids = site.ids
    ids["base"] = _import(
        site, root / "base", T0, BASE_BUILDS, date="20261120", compose_type="production"
    )
    site.clock.now = T0 + timedelta(hours=2)
    for who, results in _all_pass().items():
        site.post_results(ids["base"], who, results)
    published = site.http.post(f"{API}/composes/{ids['base']}/publish", headers=site.auth("releng"))
    assert published.status_code == 200, published.text

    ids["n1"] = _import(site, root / "n1", T1, N1_BUILDS, date="20261123")
    site.clock.now = T1 + timedelta(hours=2)
    n1 = _all_pass()
    n1["idm-ci-bot"] = [r for r in n1["idm-ci-bot"] if r.get("arch") != "aarch64"]
    for who, results in n1.items():  # idm.ipa.install on aarch64 never comes: pending
        site.post_results(ids["n1"], who, results)

    ids["n2"] = _import(site, root / "n2", T2, N2_BUILDS, date="20261124")
    ids["s10"] = _import(site, root / "s10", T2, STREAM10_BUILDS, date="20261124", version="10")
    site.clock.now = NOW
    n2 = ids["n2"]
    site.post_results(n2, "t-functional-bot", [
        {"testcase": "t_functional.tests", "outcome": "PASSED", "arch": "x86_64"},
        {"testcase": "t_functional.tests", "outcome": "PASSED", "arch": "aarch64"},
        {"testcase": "t_functional.tests", "outcome": "FAILED", "arch": "ppc64le",
         "ref_url": FAILED_LOG, "note": "3 of 214 tests failed"},
        {"testcase": "t_functional.tests", "outcome": "RUNNING", "arch": "s390x"},
    ])  # fmt: skip
    site.post_results(n2, "rdo-ci-bot", [  # aarch64 is missing, its deadline ahead
        {"testcase": "rdo.tempest.smoke", "scenario": "packstack", "outcome": "PASSED",
         "arch": "x86_64", "ref_url": "https://ci.example.org/rdo/88/log.html"},
    ])  # fmt: skip
    site.post_results(n2, "idm-ci-bot", [
        {"testcase": "idm.ipa.install", "outcome": "FAILED", "arch": "x86_64",
         "ref_url": "https://ci.example.org/idm/19/x86_64.log"},
        {"testcase": "idm.ipa.install", "outcome": "PASSED", "arch": "aarch64"},
    ])  # fmt: skip
    waived = site.http.post(
        f"{API}/composes/{n2}/waivers",
        json={"testcase": "idm.ipa.install", "arch": "x86_64", "comment": WAIVER_COMMENT},
        headers=site.auth(WAIVER_AUTHOR),
    )
    assert waived.status_code == 201, waived.text


# -- pages ---------------------------------------------------------------------------------


@pytest.fixture
def context(browser: Any, site: Site) -> Iterator[Any]:
    """A fresh browser context whose clock reads the service's (countdowns agree)."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=site.url)
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: Any, site: Site) -> Any:
    page = context.new_page()
    page.clock.set_fixed_time(site.clock.now)
    return page


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot as a test artefact; returns its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def expect(actual: Any) -> Any:
    """Playwright's ``expect`` (imported here, so that the test modules load without it and
    the ``browser`` fixture can say what is missing)."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(actual)


def state_of(answer_type: str) -> str:
    """The state word a cell shows for an answer type (test-result-failed-waived: waived)."""
    words = answer_type.removeprefix("test-result-").split("-")
    return words[-1] if words[-1] in ("waived", "ignored") else words[0]


def cell_key(answer: dict[str, Any]) -> tuple[str, str, str, str]:
    return (answer["team"], answer["testcase"], answer["scenario"] or "", answer["arch"] or "")
