"""The HTTP upload of a JUnit file: an option the junit format does not take is refused,
naming the junit format's own options, never another format's (issue #13, item 13)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from gatekeeper_junit import CALLER_OPTIONS
from gatekeeper_junit.plugin import gatekeeper_register_result_formats

from gatekeeper.service import Gatekeeper
from gatekeeper.testing import issue_token, serving

JUNIT = b'<testsuite name="s"><testcase classname="k" name="t"/></testsuite>'
TMT_ONLY = ("log_url", "plan", "run")  # labels of the tmt format, not of junit's
SETTINGS = ("max_bytes", "name_format", "skipped")  # the server's [junit] settings


@pytest.fixture
def upload(app: Gatekeeper, cid: str) -> Iterator[httpx.Client]:
    token = issue_token(app, "ci-bot")
    with serving(app) as url:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=f"{url}/api/v1/composes/{cid}/results", headers=headers,
                          timeout=30) as client:  # fmt: skip
            yield client


def refusal(client: httpx.Client, query: str) -> str:
    answer = client.post(f"/junit?namespace=ci&{query}", content=JUNIT)
    assert answer.status_code == 422, answer.text
    detail: str = answer.json()["detail"]
    return detail


def test_the_junit_format_says_which_options_a_caller_gives() -> None:
    (parse,) = gatekeeper_register_result_formats().values()
    assert parse.caller_options == CALLER_OPTIONS  # type: ignore[attr-defined]
    assert set(CALLER_OPTIONS) == {"namespace", "arch", "scenario", "variant", "ref_url", "run_id"}


@pytest.mark.parametrize("gk_database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("option", TMT_ONLY)
def test_a_tmt_option_sent_to_junit_is_refused_naming_junits_options(
    upload: httpx.Client, app: Gatekeeper, cid: str, option: str
) -> None:
    detail = refusal(upload, f"{option}=x")
    assert detail.startswith(f"{option}: not an option a caller may give")
    assert "arch, namespace, ref_url, run_id, scenario, variant" in detail
    for other in (*TMT_ONLY, "filename", "now", "submit_time"):
        assert other == option or not re.search(rf"\b{other}\b", detail)
    assert app.results(cid) == []


@pytest.mark.parametrize("gk_database_url", ["sqlite"], indirect=True)
def test_a_server_setting_sent_to_junit_is_refused_naming_junits_options(
    upload: httpx.Client,
) -> None:
    detail = refusal(upload, "skipped=info")
    assert "arch, namespace, ref_url, run_id, scenario, variant" in detail
    assert not [other for other in TMT_ONLY if re.search(rf"\b{other}\b", detail)]
