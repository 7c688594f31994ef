"""Prometheus metrics of one HTTP application, in its own registry (not the process's
global one, so one process, or one test session, can hold many applications).

- ``gatekeeper_results_ingested_total``: results stored through this process's API;
- ``gatekeeper_decisions_total{verdict}``: new decision versions that results stored
  through this process's API caused (not those of waivers, of the bus consumer, or of
  time passing: ``gatekeeper_composes`` counts every compose's latest verdict);
- ``gatekeeper_composes{verdict}``: composes by their latest verdict (read from the store
  at each scrape, so every worker agrees; ``undecided`` before the first decision);
- ``gatekeeper_outbox_depth``: outbox entries not delivered yet (read at each scrape);
- ``gatekeeper_http_request_duration_seconds{method,route,status}``: request latency by
  route template (``/api/v1/composes/{compose_id}``, never the concrete path).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from gatekeeper.service import Gatekeeper

log = logging.getLogger("gatekeeper.api")

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _StoreCollector(Collector):
    """Gauges read from the store when scraped."""

    def __init__(self, app: Gatekeeper) -> None:
        self.app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            depth, verdicts = self.app.counts()
        except Exception as exc:  # a scrape must not fail because the store is down
            log.warning("metrics: store unreachable: %r", exc)
            return
        outbox = GaugeMetricFamily("gatekeeper_outbox_depth", "Outbox entries not delivered yet")
        outbox.add_metric([], depth)
        yield outbox
        composes = GaugeMetricFamily(
            "gatekeeper_composes", "Composes by their latest verdict", labels=["verdict"]
        )
        for verdict, count in sorted(verdicts.items()):
            composes.add_metric([verdict], count)
        yield composes


class ApiMetrics:
    def __init__(self, app: Gatekeeper) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.results_ingested = Counter(
            "gatekeeper_results_ingested",
            "Results stored through the HTTP API",
            registry=self.registry,
        )
        self.decisions = Counter(
            "gatekeeper_decisions",
            "New decision versions caused by results stored through the HTTP API, by verdict",
            ["verdict"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "gatekeeper_http_request_duration_seconds",
            "HTTP request latency by route template",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.registry.register(_StoreCollector(app))

    def ingested(self, stored: int, verdict: str, version: int | None) -> None:
        self.results_ingested.inc(stored)
        if version is not None:
            self.decisions.labels(verdict).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
