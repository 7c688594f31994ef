"""Benchmark: GitLab API calls of the gitlab forge, counted in the GitLab fake's request log.

The real application (``forge = "gitlab"``, the gitlab and gitlab-outbound plugins) on the
GitLab fake (plugins/gitlab: a loopback HTTP server speaking GitLab's v4 API to the real
python-gitlab client), a fresh SQLite store, one tf policy gating ``tf.smoke`` and ``tf.full``:

- ``main`` holds a published nightly of BUILDS builds; the next nightly changes CHANGED of
  them (new releases). Counted: every request from ``import_compose`` of that nightly to an
  open MR with its summary note, ``gate::pending`` label and pending status, the outbox's
  hooks included. Target: <= 15;
- per incoming result: one ``app.ingest`` of one result by the tf reporter, and the outbound
  updates it causes (the summary note edited, the label and the status changed when the
  verdict changes), for a result that fails the gate, one that changes the summary but not
  the verdict, and one that passes it (which also promotes). Target: <= 3 each;
- the same first result sent by a process that remembers nothing (the worst case of a
  restarted worker), for information.

Baseline, measured in the same run: a bare python-gitlab round trip posting one note on the
MR (``mr.notes.create``) and one editing it (``mr.notes.update``), as calls and time.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

BUILDS = int(os.environ.get("BENCH_BUILDS", "200"))
CHANGED = int(os.environ.get("BENCH_CHANGED", "50"))
POLICY = (
    "team: tf\nowns: ['tf.*']\nreporters: {users: [tf-bot]}\n"
    "applies_to: {products: ['CentOS-Stream-*']}\n"
    "gates:\n  - testcase: tf.smoke\n  - testcase: tf.full\n"
)


def main() -> int:
    try:
        import gitlab
        from gatekeeper_gitlab import outbound, plugin
        from gatekeeper_gitlab.inbound import hooks as inbound
        from gatekeeper_gitlab_fake import MAINTAINER, GitLabFake
    except ImportError as exc:
        print(f"skipped: gatekeeper-gitlab is not installed ({exc})")
        return 0
    from _common import machine

    from gatekeeper.config import Settings
    from gatekeeper.model import Outcome, Result
    from gatekeeper.plugins import make_plugin_manager
    from gatekeeper.service import Actor, Gatekeeper
    from gatekeeper.testing import Clock
    from gatekeeper.testing.composes import synthetic_builds, write_compose

    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp, GitLabFake() as fake:
        top = Path(tmp)
        bot = fake.create_user("gatekeeper-bot", name="Gatekeeper", bot=True)
        project = "releng/CentOS-Stream-9"
        fake.create_project(project, files={"README.md": "The Compose Repo\n"}, owner=bot)
        fake.add_member(project, bot, MAINTAINER)
        (top / "policies").mkdir()
        (top / "policies" / "tf.yaml").write_text(POLICY, encoding="utf-8")
        os.environ["GATEKEEPER_GITLAB_TOKEN"] = bot.token
        settings = Settings(
            var_dir=top / "var",
            database_url=f"sqlite:///{top / 'gatekeeper.db'}",
            policies_dir=top / "policies",
            forge="gitlab",
            sections={"forge": {"gitlab": {"url": fake.url, "project": "releng/{product}"}}},
        )
        pm = make_plugin_manager(
            load_entrypoints=False,
            extra=[("gitlab", plugin), ("gitlab-outbound", outbound), ("gitlab-inbound", inbound)],
        )
        app = Gatekeeper(settings, pm=pm, clock=Clock(datetime(2026, 11, 24, 6, tzinfo=UTC)))
        app.start()
        try:
            builds = synthetic_builds(BUILDS, seed=11)
            write_compose(top / "c0", builds=builds, date="20261123")
            first = app.import_compose(str(top / "c0")).compose.id
            app.publish(first, force=True)
            changed = [
                dataclasses.replace(b, release=b.release + ".1") if i < CHANGED else b
                for i, b in enumerate(builds)
            ]
            write_compose(top / "c1", builds=changed, date="20261124")
            fake.clear_requests()
            start = time.perf_counter()
            cid = app.import_compose(str(top / "c1")).compose.id
            import_seconds = time.perf_counter() - start
            import_calls = list(fake.requests)

            def result(testcase: str, outcome: str, minute: int) -> Result:
                return Result(cid, testcase, Outcome(outcome),
                              datetime(2026, 11, 24, 6, minute, tzinfo=UTC))  # fmt: skip

            tf = Actor(name="tf-bot")
            per_result: list[tuple[str, int, float, str]] = []
            for what, res in (
                ("tf.smoke FAILED: pending -> failed", result("tf.smoke", "FAILED", 1)),
                ("tf.full PASSED: still failed, new summary", result("tf.full", "PASSED", 2)),
                ("tf.smoke PASSED: failed -> passed, promoted", result("tf.smoke", "PASSED", 3)),
            ):
                fake.clear_requests()
                start = time.perf_counter()
                app.ingest([res], tf)
                seconds = time.perf_counter() - start
                calls = list(fake.requests)
                per_result.append((what, len(calls), seconds, _calls(calls)))
            outbound.forget(app.forge)  # a restarted worker: nothing remembered
            fake.clear_requests()
            start = time.perf_counter()
            app.ingest([result("tf.full", "FAILED", 4)], tf)
            cold = (len(fake.requests), time.perf_counter() - start, _calls(fake.requests))

            # a result by comment, end to end: the webhook's event accepted, the MR and the
            # note re-read, its author checked, the reaction, the result stored, and the MR
            # updated (what the dispatcher does for a Note Hook delivery)
            from gatekeeper_gitlab.inbound.handle import event_from_hook
            from gatekeeper_gitlab_fake import DEVELOPER

            tf_user = fake.create_user("tf-bot")
            fake.add_member(project, tf_user, DEVELOPER)
            fake.as_user(tf_user).post_note(project, 2, "gate: tf.smoke FAILED")
            hook = fake.webhook_events[-1]
            fake.clear_requests()
            start = time.perf_counter()
            event = event_from_hook(hook.event, hook.payload)
            assert event is not None
            app.accept_forge_event("gitlab", hook.idempotency_key, event)
            while app.dispatcher.run_once():
                pass
            by_comment = (len(fake.requests), time.perf_counter() - start, _calls(fake.requests))

            # the baseline: a bare python-gitlab note round trip on the same MR
            gl = gitlab.Gitlab(fake.url, private_token=bot.token, timeout=30)
            from gitlab.v4.objects import ProjectMergeRequest

            lazy = gl.projects.get(project, lazy=True)
            mr = ProjectMergeRequest(lazy.mergerequests, {"iid": 2, "project_id": project},
                                     lazy=True)  # fmt: skip
            fake.clear_requests()
            start = time.perf_counter()
            note = mr.notes.create({"body": "baseline"})
            create_seconds = time.perf_counter() - start
            create_calls = len(fake.requests)
            fake.clear_requests()
            start = time.perf_counter()
            mr.notes.update(note.id, {"body": "baseline, edited"})
            edit_seconds = time.perf_counter() - start
            edit_calls = len(fake.requests)
        finally:
            app.store.dispose()

    print(f"main: {BUILDS} builds; the nightly changes {CHANGED} of them\n")
    print("| what | GitLab API calls | time | target | status |")
    print("|---|---|---|---|---|")
    print(f"| baseline: bare python-gitlab `mr.notes.create` | {create_calls} | "
          f"{create_seconds * 1000:.1f} ms | | |")  # fmt: skip
    print(f"| baseline: bare python-gitlab `mr.notes.update` | {edit_calls} | "
          f"{edit_seconds * 1000:.1f} ms | | |")  # fmt: skip
    status = "MET" if len(import_calls) <= 15 else "MISSED"
    print(f"| compose import -> open MR + summary note, label, status | {len(import_calls)} | "
          f"{import_seconds * 1000:.0f} ms | <= 15 | {status} |")  # fmt: skip
    for what, count, seconds, _ in per_result:
        print(f"| {what} | {count} | {seconds * 1000:.1f} ms | <= 3 | "
              f"{'MET' if count <= 3 else 'MISSED'} |")  # fmt: skip
    print(f"| a result by comment, end to end (Note Hook: MR and note re-read, author "
          f"checked, reaction, summary note edited) | {by_comment[0]} | "
          f"{by_comment[1] * 1000:.1f} ms | <= 3 | "
          f"{'MET' if by_comment[0] <= 3 else 'MISSED'} |")  # fmt: skip
    print(f"| a result sent by a restarted worker (nothing remembered) | {cold[0]} | "
          f"{cold[1] * 1000:.1f} ms | | info |")  # fmt: skip
    print("\nThe calls:")
    print(f"- import: {_calls(import_calls)}")
    for what, _, _, listed in per_result:
        print(f"- {what}: {listed}")
    print(f"- by comment: {by_comment[2]}")
    print(f"- restarted worker: {cold[2]}")
    sys.stdout.flush()
    return 0


def _calls(records: object) -> str:
    """``GET branches/main, POST commits, ...``: each request, shortened."""
    import re

    out = []
    for r in records:  # type: ignore[attr-defined]
        path = re.sub(r"^/projects/[^/]+", "", r.path)
        path = re.sub(r"/(statuses|commits)/[0-9a-f]{40}", r"/\1/:sha", path)
        path = re.sub(r"/\d+", "/:id", path)
        path = re.sub(r"/compose%2F[^/]+", "/compose%2F:id", path)
        out.append(f"{r.method} {path or '/projects/:id'}")
    return ", ".join(out) or "none"


if __name__ == "__main__":
    sys.exit(main())
