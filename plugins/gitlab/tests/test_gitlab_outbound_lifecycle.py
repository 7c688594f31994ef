"""The MR follows the decision: the real application on the fake, from import to merge.

The compose is imported (its MR opened on the fake), results are ingested as the tf team's
reporter, the outbox dispatcher sends the hooks, and the summary note, the ``gate::*`` label
and the ``gatekeeper`` status follow the decision (pending, failed, passed), then publishing
merges the MR with the sha guard. On SQLite and on PostgreSQL.
"""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from gatekeeper_gitlab import outbound
from gatekeeper_gitlab_fake import GitLabFake
from gitlab_helpers import (
    COMPOSE_PROJECT,
    OUTBOUND_POLICY,
    ForgeWorld,
    bot_summary_notes,
    gate_labels,
    gate_statuses,
    gitlab_app,
    outbox_pending,
    tf_result,
)

from gatekeeper.service import Actor, Gatekeeper
from gatekeeper.testing.composes import synthetic_builds, write_compose

TF = Actor(name="tf-bot")
NOTES = r"/projects/[^/]+/merge_requests/\d+/notes(/\d+)?"


@pytest.fixture
def app(
    forge_world: ForgeWorld, tmp_path: Path, gk_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Gatekeeper]:
    started = gitlab_app(forge_world.fake, forge_world.bot, tmp_path, gk_database_url,
                         monkeypatch)  # fmt: skip
    yield started
    started.store.dispose()


def note(fake: GitLabFake) -> str:
    [body] = bot_summary_notes(fake)
    return body


def test_the_merge_request_follows_the_decision_to_the_merge(
    app: Gatekeeper, forge_world: ForgeWorld, tmp_path: Path
) -> None:
    fake = forge_world.fake
    cid = write_compose(tmp_path / "compose", builds=synthetic_builds(5, seed=3))
    app.import_compose(str(tmp_path / "compose"))
    app.dispatcher.run_once()
    state = fake.project(COMPOSE_PROJECT)
    [mr] = state.merge_requests.values()
    sha = state.branches[mr.source_branch]
    body = note(fake)  # the announcement recorded decision v1: pending, the missing result
    assert body.startswith("<!-- gatekeeper:summary -->\n## Gate: pending\n")
    assert "Of 1 required test, 1 result missing" in body
    assert "| test-result-missing | tf | tf.smoke | - | - |" in body
    assert f"Compose `{cid}`, decision v1, evaluated " in body
    assert gate_labels(fake) == ["gate::pending"]
    assert gate_statuses(fake, sha) == ["pending"]

    app.ingest([tf_result(cid, "FAILED", 1)], TF)
    app.dispatcher.run_once()
    body = note(fake)
    assert body.startswith("<!-- gatekeeper:summary -->\n## Gate: failed\n")
    assert "Of 1 required test, 1 test failed" in body
    assert "| test-result-failed | tf | tf.smoke | - | - |" in body
    assert f"Compose `{cid}`, decision v2, evaluated " in body
    assert gate_labels(fake) == ["gate::failed"]
    assert gate_statuses(fake, sha) == ["failed"]  # GitLab reuses the pending status

    app.ingest([tf_result(cid, "PASSED", 2)], TF)
    app.dispatcher.run_once()
    body = note(fake)
    assert body.startswith("<!-- gatekeeper:summary -->\n## Gate: passed (promoted)\n")
    assert "All required tests (1 total) have passed or been waived" in body
    assert "| test-result" not in body
    assert f"Compose `{cid}`, decision v3, evaluated " in body
    assert gate_labels(fake) == ["gate::passed"]
    assert gate_statuses(fake, sha) == ["failed", "success"]
    assert app.compose(cid) and outbox_pending(app) == []

    report = app.publish(cid)
    app.dispatcher.run_once()
    assert mr.state == "merged" and report.main_commit == state.branches["main"]
    [merge] = [r for r in fake.requests if r.method == "PUT" and r.path.endswith("/merge")]
    assert {**merge.query, **(merge.body or {})}["sha"] == sha and merge.status == 200
    assert note(fake).startswith("<!-- gatekeeper:summary -->\n## Gate: passed (published)\n")
    assert "Published: merged into `main`." in note(fake)
    assert gate_labels(fake) == ["gate::passed"]
    assert gate_statuses(fake, sha) == ["failed", "success"]
    assert len(state.merge_requests) == 1 and outbox_pending(app) == []
    assert fake.count("POST", NOTES) == 1  # one note, edited in place ever after


def test_each_hook_is_idempotent_even_without_memory(
    app: Gatekeeper, forge_world: ForgeWorld, tmp_path: Path
) -> None:
    """Sending the same state again, from this process or a fresh one, changes nothing."""
    fake = forge_world.fake
    cid = write_compose(tmp_path / "compose", builds=synthetic_builds(3, seed=4))
    app.import_compose(str(tmp_path / "compose"))
    app.ingest([tf_result(cid, "FAILED", 1)], TF)
    mr = fake.project(COMPOSE_PROJECT).merge_requests[1]
    events_before = len(mr.label_events)
    fake.clear_requests()
    outbound.sync(app, cid)
    assert fake.requests == []  # remembered: nothing sent
    outbound.forget(app.forge)
    outbound.sync(app, cid)  # a fresh process: reads, writes nothing
    assert {r.method for r in fake.requests} <= {"GET", "PUT"}
    assert fake.count("POST") == 0
    assert len(bot_summary_notes(fake)) == 1 and len(mr.label_events) == events_before
    assert gate_statuses(fake, fake.project(COMPOSE_PROJECT).branches[mr.source_branch]) == [
        "failed"
    ]


def test_with_the_local_forge_the_hooks_do_nothing(
    gk_policies: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No [forge.gitlab], no token: the outbound hooks are loaded and stay silent."""
    from gatekeeper_gitlab import plugin

    from gatekeeper.config import Settings
    from gatekeeper.plugins import make_plugin_manager

    monkeypatch.delenv("GATEKEEPER_GITLAB_TOKEN", raising=False)
    gk_policies(tf=OUTBOUND_POLICY)
    settings = Settings(var_dir=tmp_path / "var", policies_dir=tmp_path / "policies",
                        database_url=f"sqlite:///{tmp_path / 'gk.db'}")  # fmt: skip
    pm = make_plugin_manager(
        load_entrypoints=False, extra=[("gitlab", plugin), ("gitlab-outbound", outbound)]
    )
    local = Gatekeeper(settings, pm=pm)
    local.start()
    try:
        cid = write_compose(tmp_path / "compose", builds=synthetic_builds(2, seed=5))
        local.import_compose(str(tmp_path / "compose"))
        local.ingest([tf_result(cid, "PASSED", 1)], TF)
        assert local.forge.name == "local" and outbox_pending(local) == []
        assert outbound.sync(local, cid) is None
    finally:
        local.store.dispose()
