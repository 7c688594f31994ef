"""The browser tests' own ground: Chromium reaches the served application over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import SQLITE, Site

pytestmark = [pytest.mark.browser, SQLITE]


def test_chromium_reads_the_served_api(page: Any, site: Site) -> None:
    response = page.goto(f"/api/v1/composes/{site.ids['n2']}/decision")
    assert response is not None and response.status == 200
    body = page.evaluate("JSON.parse(document.body.innerText)")
    assert (body["compose"], body["verdict"]) == (site.ids["n2"], "failed")
