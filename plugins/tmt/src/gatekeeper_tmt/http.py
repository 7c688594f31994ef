"""The tmt report plugin's HTTP path: one plan's results to a gatekeeper service.

The plan's results are read here, where tmt ran (its ``results.yaml`` and its guests'
facts), exactly as the direct path and ``gatekeeper report tmt`` read them, and sent as
one JSON report to ``POST /api/v1/composes/{compose}/results`` with the bearer token of
the reporting identity. The service authorises the upload by policy ownership and stores
all of it or none. Results carry ids derived from their content, so sending a plan again
(or retrying after a lost answer) stores nothing twice: transient failures (connection
errors, 429, 5xx) are retried a few times.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from gatekeeper.errors import ConfigError, GatekeeperError, InputError
from gatekeeper.inputs import RESULT_FIELDS
from gatekeeper.timeutil import utcnow
from gatekeeper_tmt.run import Options, read_plan

RETRIES = 3
TRANSIENT = {429, 500, 502, 503, 504}


class Refused(GatekeeperError):
    """The service answered the upload with an error."""


def report_body(plan_dir: Path, plan: str, *, run: str, compose: str, options: Options
                ) -> list[dict[str, Any]]:  # fmt: skip
    """The plan's results as the API's JSON report items."""
    results = read_plan(plan_dir, plan, compose=compose, run=run, options=options)
    if not results:
        raise InputError(f"plan {plan} holds no test results", file=str(plan_dir))
    return [{k: v for k, v in r.to_json().items() if k in RESULT_FIELDS} for r in results]


def post_plan(
    plan_dir: Path,
    plan: str,
    *,
    run: str,
    url: str,
    token: str | None,
    compose: str,
    namespace: str | None = None,
    arch: str | None = None,
    log_url: str | None = None,
    timeout: float = 60.0,
    pause: float = 1.0,
) -> str:
    """Send one plan's results; returns the line to show (as ``gatekeeper report`` does)."""
    if not token:
        raise ConfigError("no API token: put the reporting identity's token in the "
                          "environment variable named by --token-env", key="token")  # fmt: skip
    options = Options(namespace=namespace, arch=arch, log_url=log_url, now=utcnow())
    body = report_body(plan_dir, plan, run=run, compose=compose, options=options)
    target = f"{url.rstrip('/')}/api/v1/composes/{quote(compose, safe='')}/results"
    headers = {"Authorization": f"Bearer {token}", "User-Agent": "gatekeeper-tmt"}
    answer = None
    for attempt in range(RETRIES + 1):
        try:
            answer = httpx.post(target, json=body, headers=headers, timeout=timeout)
        except httpx.TransportError as exc:
            if attempt == RETRIES:
                raise Refused(f"cannot reach {url}: {exc}", key="url") from None
        else:
            if answer.status_code not in TRANSIENT or attempt == RETRIES:
                break
        time.sleep(pause * 2**attempt)
    assert answer is not None
    try:
        found = answer.json()
    except ValueError:
        found = {}
    if answer.status_code >= 400:
        error = found.get("error") if isinstance(found, dict) else None
        detail = found.get("detail") if isinstance(found, dict) else None
        raise Refused(f"HTTP {answer.status_code}: {error or answer.reason_phrase}"
                      + (f": {detail}" if detail else ""))  # fmt: skip
    decision = found["decision"]
    return (
        f"{compose}: {found['stored']} stored, {found['duplicates']} already known; "
        f"verdict {decision['verdict']}: {decision['summary']}"
    )
