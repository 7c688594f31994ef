"""``make run`` (scripts/run.sh): the walk-through, then the service in the foreground."""

from __future__ import annotations

from pathlib import Path

from gatekeeper.testing.make_run import get_json, make_run

ROOT = Path(__file__).resolve().parents[1]


def test_make_run_serves_the_examples_and_prints_how_to_try_them(tmp_path: Path) -> None:
    with make_run(ROOT, tmp_path) as run:
        base, health = run.base, get_json(f"{run.base}/healthz")
        printed = run.log.read_text()
        curls = [
            line.split("curl -s ", 1)[1] for line in printed.splitlines() if "curl -s " in line
        ]
        assert len(curls) == 3, printed
        assert f"gatekeeper serves {base}" in printed
        for url in curls:  # each line shown works
            assert get_json(url), url
        composes = get_json(f"{base}/api/v1/composes")
        assert isinstance(composes, dict) and len(composes["items"]) == 3
        assert isinstance(health, dict)
        decision = get_json(f"{base}/api/v1/composes/CentOS-Stream-9-20261126.n.0/decision")
        assert isinstance(decision, dict) and decision["verdict"] == "passed"
