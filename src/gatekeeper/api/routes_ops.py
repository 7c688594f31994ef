"""Operations: ``/healthz`` (the store, and every check in ``app.health_checks``) and
``/metrics`` (Prometheus text; besides :mod:`gatekeeper.api.metrics`' own,
``gatekeeper_outbox_dead_letters``: outbox entries the dispatcher gave up, read at each
scrape, until ``gatekeeper outbox retry`` brings them back)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from gatekeeper.api.metrics import CONTENT_TYPE, ApiMetrics, log
from gatekeeper.api.models import HealthOut
from gatekeeper.service import Gatekeeper


class DeadLetters(Collector):
    """``gatekeeper_outbox_dead_letters``, read from the store when scraped."""

    def __init__(self, app: Gatekeeper) -> None:
        self.app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            dead = self.app.outbox_counts()["dead"]
        except Exception as exc:  # a scrape must not fail because the store is down
            log.warning("metrics: store unreachable: %r", exc)
            return
        gauge = GaugeMetricFamily(
            "gatekeeper_outbox_dead_letters",
            "Outbox entries given up (dead) until `gatekeeper outbox retry`",
        )
        gauge.add_metric([], dead)
        yield gauge


def health_checks(app: Gatekeeper) -> dict[str, Callable[[], None]]:
    """The store's check (a round trip) and the app's extra ones, by name. An extra check
    is a callable raising on failure, named by its ``__name__`` (e.g. the bus's)."""
    checks: dict[str, Callable[[], None]] = {"store": app.store.ping}
    for check in app.health_checks:
        name = getattr(check, "__name__", None) or type(check).__name__
        checks[name if name not in checks else f"{name}#{len(checks)}"] = check
    return checks


def run_checks(app: Gatekeeper) -> dict[str, str]:
    """Every health check's answer by name: ``ok``, or the first line of its error."""
    results: dict[str, str] = {}
    for name, check in health_checks(app).items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:
            log.warning("health check failed: check=%s error=%r", name, exc)
            results[name] = f"{type(exc).__name__}: {exc}".splitlines()[0]
    return results


def router(app: Gatekeeper, metrics: ApiMetrics) -> APIRouter:
    api = APIRouter(tags=["operations"])
    metrics.registry.register(DeadLetters(app))
    # the checks' own threads: requests filling the server's thread pool (writers waiting
    # for SQLite's write lock) never keep /healthz waiting
    checking = ThreadPoolExecutor(max_workers=2, thread_name_prefix="gatekeeper-healthz")

    @api.get(
        "/healthz",
        response_model=HealthOut,
        responses={503: {"model": HealthOut, "description": "a check failed"}},
    )
    async def healthz() -> Any:
        """200 when the store (and every configured check, e.g. the bus) answers, else 503."""
        results = await asyncio.get_running_loop().run_in_executor(checking, run_checks, app)
        healthy = all(v == "ok" for v in results.values())
        body = {"status": "ok" if healthy else "failing", "checks": results}
        return JSONResponse(body, status_code=200 if healthy else 503)

    @api.get(
        "/metrics",
        response_class=Response,
        responses={
            200: {
                "content": {"text/plain": {"schema": {"type": "string"}}},
                "description": "Prometheus text format",
            }
        },
    )
    def prometheus() -> Response:
        """Prometheus metrics (see :mod:`gatekeeper.api.metrics`)."""
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    return api
