"""GitLab failing (5xx, 429, timeouts) in the middle of the lifecycle: the outbox keeps the
hook calls pending, and after recovery every update is applied once, showing the final state."""

import time
from pathlib import Path

import pytest
from gitlab_helpers import (
    COMPOSE_PROJECT,
    ForgeWorld,
    bot_summary_notes,
    gate_labels,
    gate_statuses,
    outbox_due_now,
    outbox_pending,
    tf_result,
)

from gatekeeper.service import Actor, Gatekeeper
from gatekeeper.testing.composes import synthetic_builds, write_compose

TF = Actor(name="tf-bot")
NOTE = r"/projects/[^/]+/merge_requests/\d+/notes/\d+"
NOTES = r"/projects/[^/]+/merge_requests/\d+/notes"
MR = r"/projects/[^/]+/merge_requests/\d+"
STATUS = r"/projects/[^/]+/statuses/\w+"


@pytest.fixture
def app(impatient_app: Gatekeeper) -> Gatekeeper:
    return impatient_app


def recover(app: Gatekeeper) -> None:
    """Backoff elapsed: send every pending entry (as the running dispatcher would)."""
    outbox_due_now(app)
    while app.dispatcher.run_once():
        pass


def test_an_outage_mid_lifecycle_delays_every_update_and_loses_none(
    app: Gatekeeper, forge_world: ForgeWorld, tmp_path: Path
) -> None:
    fake = forge_world.fake
    cid = write_compose(tmp_path / "compose", builds=synthetic_builds(4, seed=7))
    app.import_compose(str(tmp_path / "compose"))
    state = fake.project(COMPOSE_PROJECT)
    sha = state.branches[f"compose/{cid}"]
    assert gate_labels(fake) == ["gate::pending"] and outbox_pending(app) == []

    # GitLab goes down: note edits answer 502, then timeouts, MR updates 429, statuses 503
    fake.faults.error("PUT", NOTE, status=502, times=2)
    fake.faults.delay("PUT", NOTE, seconds=1.2, times=2)
    fake.faults.rate_limit("PUT", MR, retry_after=1, times=50)
    fake.faults.error("POST", STATUS, status=503, times=50)
    fake.faults.error("GET", r"/projects/[^/]+/repository/commits/\w+/statuses", status=503,
                      times=50)  # fmt: skip
    app.ingest([tf_result(cid, "FAILED", 1)], TF)  # the result is stored all the same
    [failed] = outbox_pending(app)
    assert failed["kind"] == "gatekeeper_decision_changed"
    assert "GitLab answered 502" in failed["last_error"]
    outbox_due_now(app)
    app.dispatcher.run_once()  # the edit times out
    [failed] = outbox_pending(app)
    assert "Timeout" in failed["last_error"] and failed["attempts"] == 2

    app.ingest([tf_result(cid, "PASSED", 2)], TF)  # passes meanwhile: promoted
    kinds = [row["kind"] for row in outbox_pending(app)]
    assert kinds == ["gatekeeper_decision_changed"] * 2 + ["gatekeeper_promote_compose"]
    assert all(row["last_error"] for row in outbox_pending(app))
    errors = " ".join(row["last_error"] for row in outbox_pending(app))
    assert "429" in errors or "503" in errors
    late = [r for r in fake.requests if r.fault == "delay"]
    for _ in range(50):  # the timed-out edits are applied by the server, late
        if len(late) == 2:
            break
        time.sleep(0.1)
        late = [r for r in fake.requests if r.fault == "delay"]

    fake.faults.clear()  # GitLab is back
    fake.clear_requests()
    recover(app)
    assert outbox_pending(app) == []
    [body] = bot_summary_notes(fake)
    assert body.startswith("<!-- gatekeeper:summary -->\n## Gate: passed (promoted)\n")
    assert gate_labels(fake) == ["gate::passed"]
    assert gate_statuses(fake, sha)[-1] == "success"
    assert gate_statuses(fake, sha).count("success") == 1
    # each update applied once: one note edit, one label change, one status
    assert fake.count("POST", NOTES) == 0
    assert fake.count("PUT", NOTE) <= 1 and fake.count("PUT", MR) == 1
    assert fake.count("POST", STATUS) == 1
    assert len(state.merge_requests) == 1

    app.publish(cid)  # and the lifecycle goes on
    assert state.merge_requests[1].state == "merged" and outbox_pending(app) == []
    assert "(published)" in bot_summary_notes(fake)[0]


def test_an_outage_while_proposing_leaves_the_proposed_hook_pending(
    app: Gatekeeper, forge_world: ForgeWorld, tmp_path: Path
) -> None:
    """The MR is opened, its first note cannot be written: after recovery, exactly one."""
    fake = forge_world.fake
    fake.faults.error("GET", NOTES, status=500, times=50)
    cid = write_compose(tmp_path / "compose", builds=synthetic_builds(3, seed=8))
    app.import_compose(str(tmp_path / "compose"))
    # the announcement's decision v1, then the proposal: neither could write the note
    decided, proposed = outbox_pending(app)
    assert decided["kind"] == "gatekeeper_decision_changed" and decided["payload"]["version"] == 1
    assert proposed["kind"] == "gatekeeper_compose_proposed"
    assert "GitLab answered 500" in decided["last_error"]
    assert "GitLab answered 500" in proposed["last_error"]
    assert bot_summary_notes(fake) == []
    fake.faults.clear()
    fake.faults.drop_response("POST", NOTES)  # the note is made, its answer lost
    recover(app)
    assert outbox_pending(app) == []
    [body] = bot_summary_notes(fake)
    assert "## Gate: pending" in body and gate_labels(fake) == ["gate::pending"]
    assert "| test-result-missing | tf | tf.smoke | - | - |" in body
    sha = fake.project(COMPOSE_PROJECT).branches[f"compose/{cid}"]
    assert gate_statuses(fake, sha) == ["pending"]
    app.import_compose(str(tmp_path / "compose"))  # importing again: no second MR or note
    assert len(fake.project(COMPOSE_PROJECT).merge_requests) == 1
    assert len(bot_summary_notes(fake)) == 1
