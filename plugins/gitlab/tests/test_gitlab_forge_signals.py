"""The summary note, the gate::* label and the gatekeeper status on a compose's MR."""

from gitlab_helpers import COMPOSE_PROJECT, PRODUCT, ForgeWorld
from test_gitlab_forge_propose import BRANCH, builds, propose

NOTES = r"/projects/[^/]+/merge_requests/\d+/notes"


def bot_notes(w: ForgeWorld) -> list[str]:
    mr = w.fake.project(COMPOSE_PROJECT).merge_requests[1]
    return [n.body for n in mr.notes if n.author.username == "gatekeeper-bot" and not n.system]


def test_the_summary_note_is_created_once_and_edited_in_place(forge_world: ForgeWorld) -> None:
    w = forge_world
    propose(w, builds(2))
    first = w.forge.upsert_summary_note(PRODUCT, BRANCH, "## Gate: pending")
    w.fake.as_user(w.dev).post_note(COMPOSE_PROJECT, 1, "<!-- gatekeeper:summary --> spoof")
    second = w.forge.upsert_summary_note(PRODUCT, BRANCH, "## Gate: passed")
    assert first == second
    assert bot_notes(w) == ["<!-- gatekeeper:summary -->\n## Gate: passed"]
    w.fake.clear_requests()
    w.forge.upsert_summary_note(PRODUCT, BRANCH, "## Gate: passed")
    assert w.fake.count("PUT") == 0 and w.fake.count("POST") == 0


def test_a_dropped_summary_post_is_found_not_posted_twice(forge_world: ForgeWorld) -> None:
    w = forge_world
    propose(w, builds(2))
    w.fake.faults.drop_response("POST", NOTES)
    w.forge.upsert_summary_note(PRODUCT, BRANCH, "## Gate: pending")
    assert bot_notes(w) == ["<!-- gatekeeper:summary -->\n## Gate: pending"]
    assert w.fake.count("POST", NOTES) == 1


def test_a_5xx_on_the_summary_post_is_looked_up_then_posted_once(forge_world: ForgeWorld) -> None:
    w = forge_world
    propose(w, builds(2))
    w.fake.faults.error("POST", NOTES, status=502)
    w.forge.upsert_summary_note(PRODUCT, BRANCH, "## Gate: pending")
    assert bot_notes(w) == ["<!-- gatekeeper:summary -->\n## Gate: pending"]
    assert [r.status for r in w.fake.requests if r.method == "POST" and "notes" in r.path] == [
        502,
        201,
    ]


def test_gate_labels_change_by_add_and_remove_only(forge_world: ForgeWorld) -> None:
    w = forge_world
    propose(w, builds(2))
    w.fake.as_user(w.dev).add_labels(COMPOSE_PROJECT, 1, "rdo::running", "keep-me")
    w.forge.set_gate_label(PRODUCT, BRANCH, "pending")
    w.forge.set_gate_label(PRODUCT, BRANCH, "failed")
    w.fake.clear_requests()
    w.forge.set_gate_label(PRODUCT, BRANCH, "failed")
    assert w.fake.count("PUT") == 0
    bodies = [r.body for r in w.fake.requests if r.method == "PUT"]
    assert all("labels" not in body for body in bodies)
    mr = w.fake.project(COMPOSE_PROJECT).merge_requests[1]
    assert sorted(mr.labels) == ["gate::failed", "keep-me", "rdo::running"]
    bot_events = [
        (e.action, e.label.name) for e in mr.label_events if e.user.username == "gatekeeper-bot"
    ]
    assert bot_events == [
        ("add", "gate::pending"),
        ("add", "gate::failed"),
        ("remove", "gate::pending"),
    ]


def test_the_gate_label_puts_use_add_labels_and_remove_labels(forge_world: ForgeWorld) -> None:
    w = forge_world
    propose(w, builds(2))
    w.fake.clear_requests()
    w.forge.set_gate_label(PRODUCT, BRANCH, "passed")
    [put] = [r for r in w.fake.requests if r.method == "PUT"]
    assert set(put.body) == {"add_labels", "remove_labels"}
    assert put.body["add_labels"] == "gate::passed"


def test_the_status_does_not_error_when_repeated(forge_world: ForgeWorld) -> None:
    w = forge_world
    mr = propose(w, builds(2))
    w.fake.clear_requests()
    for verdict in ("pending", "pending", "failed", "passed", "passed", "pending", "pending"):
        w.forge.set_status(PRODUCT, BRANCH, verdict)
    statuses = [
        s.status
        for s in w.fake.project(COMPOSE_PROJECT).statuses
        if s.name == "gatekeeper" and s.sha == mr.head_commit
    ]
    assert statuses == ["failed", "success", "pending"]
    assert all(r.status < 400 for r in w.fake.requests)


def test_a_retried_status_post_answered_400_counts_as_done(forge_world: ForgeWorld) -> None:
    """The first POST was applied but its answer lost; the retry's transition 400 is done."""
    w = forge_world
    mr = propose(w, builds(2))
    w.fake.faults.drop_response("POST", r"/projects/[^/]+/statuses/\w+")
    w.forge.set_status(PRODUCT, BRANCH, "pending")
    posts = [r.status for r in w.fake.requests if r.method == "POST" and "statuses" in r.path]
    assert posts == [0, 400]
    [status] = [s for s in w.fake.project(COMPOSE_PROJECT).statuses if s.sha == mr.head_commit]
    assert (status.name, status.status) == ("gatekeeper", "pending")
