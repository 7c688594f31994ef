"""Message bodies as their publishers send them: pungi, Fedora CI (1.x), ResultsDB."""

from __future__ import annotations

from typing import Any

COMPOSE = "CentOS-Stream-9-20261124.0"


def ci_body(
    compose: str = COMPOSE,
    *,
    arch: str = "x86_64",
    result: str | None = "passed",
    category: str = "functional",
    namespace: str = "t_functional",
    kind: str = "tier0",
    generated_at: str = "2026-11-24T08:00:00Z",
    run: str = "1",
) -> dict[str, Any]:
    """A ``productmd-compose`` test message body (queued/running: ``result=None``)."""
    test: dict[str, Any] = {"namespace": namespace, "type": kind, "category": category}
    if result is not None:
        test["result"] = result
    return {
        "contact": {"name": "CentOS QA", "team": "t_functional", "email": "qa@example.org"},
        "run": {"url": f"https://ci.example.org/run/{run}", "log": "https://ci.example.org/log"},
        "artifact": {"type": "productmd-compose", "id": compose, "compose_type": "production"},
        "pipeline": {"id": f"pipeline-{run}", "name": "t_functional"},
        "test": test,
        "system": [{"architecture": arch, "variant": "BaseOS", "provider": "openstack"}],
        "generated_at": generated_at,
        "version": "1.1.14",
    }


def resultsdb_body(
    rid: int, compose: str = COMPOSE, testcase: str = "rdo.tempest.smoke", outcome: str = "PASSED"
) -> dict[str, Any]:
    """ResultsDB's ``resultsdb.result.new`` body: the API v2.0 result."""
    return {
        "id": rid,
        "testcase": {"name": testcase, "ref_url": None, "href": "https://rdb/testcases/x"},
        "outcome": outcome,
        "note": "",
        "ref_url": f"https://ci.example.org/rdo/{rid}",
        "submit_time": "2026-11-24T09:00:00.000001",
        "groups": [],
        "data": {"productmd.compose.id": [compose], "arch": ["x86_64"], "scenario": ["packstack"]},
        "href": f"https://rdb/api/v2.0/results/{rid}",
    }


def pungi_body(compose: str, location: str, status: str = "FINISHED") -> dict[str, Any]:
    return {
        "status": status,
        "compose_id": compose,
        "location": location,
        "compose_type": "production",
        "release_short": "CentOS-Stream",
        "release_version": "9",
    }
