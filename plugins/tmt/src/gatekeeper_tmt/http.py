"""The tmt report plugin's HTTP path: one plan's results to a gatekeeper service.

The plan's ``results.yaml`` is sent as it is, in the ``tmt`` result format, to
``POST /api/v1/composes/{compose}/results/tmt``, labelled with the query options the API
takes from a caller (``namespace``, ``plan``, ``run``, ``arch``, ``log_url``) and the
bearer token of the reporting identity. The service parses it with the very parser
``gatekeeper report tmt`` uses, so the two ways of reporting a run give its results the
same ids and source (``tmt``): a run reported both ways is stored once. The service
authorises the upload by policy ownership and stores all of it or none. Transient
failures (connection errors, 429, 5xx) are retried a few times; re-sending stores
nothing twice.

The plan is read here first, where tmt ran, as the other paths read it: a malformed file
is refused at its own path before anything is sent, and the arch tmt recorded in the
guests' facts (which the service cannot see) is sent as the ``arch`` option.
"""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import quote

import httpx

from gatekeeper.errors import ConfigError, GatekeeperError, InputError
from gatekeeper.timeutil import utcnow
from gatekeeper_tmt.run import RESULTS, Options, read_plan

RETRIES = 3
TRANSIENT = {429, 500, 502, 503, 504}


class Refused(GatekeeperError):
    """The service answered the upload with an error."""


def upload(
    plan_dir: Path, plan: str, *, run: str, compose: str, options: Options
) -> tuple[bytes, dict[str, str]]:
    """The plan's ``results.yaml`` and the query options that label it as read here."""
    results = read_plan(plan_dir, plan, compose=compose, run=run, options=options)
    if not results:
        raise InputError(f"plan {plan} holds no test results", file=str(plan_dir))
    arches = sorted({r.arch or "" for r in results})
    if len(arches) > 1:
        raise InputError(
            f"the plan's guests run on several arches ({', '.join(a or 'none' for a in arches)}):"
            " an upload to the service has one arch; report this run with --url file://... "
            "or `gatekeeper report tmt`, which read each guest's arch",
            file=str(plan_dir / RESULTS),
        )
    labels = {
        "namespace": options.namespace,
        "plan": plan,
        "run": run,
        "arch": arches[0],
        "log_url": options.log_url,
    }
    return (plan_dir / RESULTS).read_bytes(), {k: v for k, v in labels.items() if v}


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
    token_env: str = "GATEKEEPER_TOKEN",
    timeout: float = 60.0,
    pause: float = 1.0,
) -> str:
    """Send one plan's results; returns the line to show (as ``gatekeeper report`` does)."""
    if not token:
        raise ConfigError(
            f"no API token: give --token, or put the reporting identity's token in "
            f"${token_env} (--token-env names the variable)",
            key="token",
        )
    options = Options(namespace=namespace, arch=arch, log_url=log_url, now=utcnow())
    body, labels = upload(plan_dir, plan, run=run, compose=compose, options=options)
    target = f"{url.rstrip('/')}/api/v1/composes/{quote(compose, safe='')}/results/tmt"
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/octet-stream",
        "User-Agent": "gatekeeper-tmt",
    }
    answer = None
    for attempt in range(RETRIES + 1):
        try:
            answer = httpx.post(
                target, content=body, params=labels, headers=headers, timeout=timeout
            )
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
