"""The compose lifecycle on the local forge: import, propose, publish, supersede, re-render."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from gatekeeper import hookimpl
from gatekeeper.forge.gitrepo import MAIN
from gatekeeper.model import Outcome, Result
from gatekeeper.service import Actor, Gatekeeper
from gatekeeper.testing.composes import next_nightly, synthetic_builds, write_compose

POLICY = (
    "team: tf\nowns: ['tf.*']\napplies_to: {products: ['CentOS-Stream-*']}\n"
    "gates:\n  - testcase: tf.smoke\n"
)
OPERATOR = Actor(name="releng", is_admin=True, can_waive=True)
BASE = synthetic_builds(40, seed=1)
NEXT = next_nightly(BASE, changed=5, added=2, removed=1, seed=2)
LATER = next_nightly(NEXT, changed=3, added=1, removed=1, seed=3)


@pytest.fixture(autouse=True)
def _policies(gk_policies: Callable[..., Path]) -> None:
    gk_policies(tf=POLICY)


@pytest.fixture
def composes(tmp_path: Path) -> dict[str, str]:
    """Three composes on disk: a production baseline and two newer nightlies."""
    root = tmp_path / "production"
    out = {}
    for key, date, kind, builds in (
        ("base", "20261120", "production", BASE),
        ("next", "20261124", "nightly", NEXT),
        ("later", "20261125", "nightly", LATER),
    ):
        top = root / key
        cid = write_compose(top, date=date, compose_type=kind, builds=builds)
        out[key] = str(top)
        out[f"{key}_id"] = cid
    return out


def repo_git(app: Gatekeeper, *args: str) -> str:
    location = app.forge.location("CentOS-Stream-9")
    return subprocess.run(
        ["git", "-C", location, *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def mr_of(app: Gatekeeper, compose_id: str) -> dict[str, Any]:
    with app.store.transaction() as tx:
        mr = tx.merge_request_for(compose_id)
    assert mr is not None
    return mr


def state_of(app: Gatekeeper, compose_id: str) -> str:
    with app.store.transaction() as tx:
        return str((tx.compose_row(compose_id) or {})["state"])


def test_import_opens_a_merge_request_against_main(
    gk_app: Gatekeeper, composes: dict[str, str]
) -> None:
    report = gk_app.import_compose(composes["base"])
    assert (report.created, report.proposed, report.builds) == (True, True, len(BASE))
    mr = report.merge_request
    assert (mr["state"], mr["branch"], mr["number"]) == ("open", f"compose/{report.compose.id}", 1)
    assert f"{len(BASE)} added" in mr["title"]
    assert state_of(gk_app, report.compose.id) == "proposed"
    assert repo_git(gk_app, "rev-parse", f"compose/{report.compose.id}^") == repo_git(
        gk_app, "rev-parse", MAIN
    )
    assert "compose.yaml" in repo_git(gk_app, "ls-tree", "--name-only", mr["branch"])


def test_importing_twice_changes_nothing(gk_app: Gatekeeper, composes: dict[str, str]) -> None:
    first = gk_app.import_compose(composes["base"])
    again = gk_app.import_compose(composes["base"])
    assert (again.created, again.proposed) == (False, False)
    assert again.merge_request["head_commit"] == first.merge_request["head_commit"]
    with gk_app.store.transaction() as tx:
        assert len(tx.list_merge_requests()) == 1
        assert len(tx.builds_for(first.compose.id)) == len(BASE)


def test_the_same_compose_gives_the_same_tree_everywhere(
    tmp_path: Path, gk_app: Gatekeeper, composes: dict[str, str]
) -> None:
    from gatekeeper.config import Settings
    from gatekeeper.store import default_url

    other_var = tmp_path / "elsewhere" / "var"
    other = Gatekeeper(
        Settings(
            var_dir=other_var,
            database_url=default_url(other_var),
            policies_dir=gk_app.settings.policies_dir,
        )
    )
    other.start()
    a = gk_app.import_compose(composes["base"]).merge_request
    b = other.import_compose(composes["base"]).merge_request
    assert a["tree_id"] == b["tree_id"]


def test_publish_merges_and_main_becomes_the_compose(
    gk_app: Gatekeeper, composes: dict[str, str]
) -> None:
    seen: list[str] = []

    class Hook:
        @hookimpl
        def gatekeeper_compose_published(self, app: Any, compose: Any, merge_request: Any) -> None:
            seen.append(compose.id)

    gk_app.pm.register(Hook())
    cid = gk_app.import_compose(composes["base"]).compose.id
    report = gk_app.publish(cid, force=True)  # no result: never promoted
    assert repo_git(gk_app, "rev-parse", f"{MAIN}^{{tree}}") == mr_of(gk_app, cid)["tree_id"]
    assert (mr_of(gk_app, cid)["state"], state_of(gk_app, cid)) == ("merged", "published")
    assert seen == [cid]
    assert gk_app.publish(cid).already
    assert seen == [cid]
    assert report.main_commit == repo_git(gk_app, "rev-parse", MAIN)


def test_the_next_mr_shows_the_diff_against_the_published_compose(
    gk_app: Gatekeeper, composes: dict[str, str]
) -> None:
    gk_app.publish(gk_app.import_compose(composes["base"]).compose.id, force=True)
    mr = gk_app.import_compose(composes["next"]).merge_request
    assert "5 updated" in mr["title"] and "2 added" in mr["title"] and "1 removed" in mr["title"]
    assert mr["base_compose"] == composes["base_id"]
    changed = repo_git(gk_app, "diff", "--name-status", MAIN, mr["branch"]).splitlines()
    assert len(changed) == 5 + 2 + 1 + 1  # the builds, and compose.yaml


def test_publishing_supersedes_older_and_rerenders_newer(
    gk_app: Gatekeeper, composes: dict[str, str]
) -> None:
    gk_app.publish(gk_app.import_compose(composes["base"]).compose.id, force=True)
    older = gk_app.import_compose(composes["next"]).compose.id
    newer = gk_app.import_compose(composes["later"]).compose.id
    before = mr_of(gk_app, newer)
    gk_app.ingest(
        [
            Result(
                compose=newer,
                testcase="tf.smoke",
                outcome=Outcome.PASSED,
                submit_time=gk_app.clock(),
            )
        ],
        OPERATOR,
    )
    # publish the older nightly (never promoted) while the newer one's MR is open
    report = gk_app.publish(older, force=True)
    assert report.rerendered == (newer,)
    after = mr_of(gk_app, newer)
    assert after["tree_id"] == before["tree_id"]
    assert after["head_commit"] != before["head_commit"]
    assert repo_git(gk_app, "rev-parse", f"{after['branch']}^") == repo_git(
        gk_app, "rev-parse", MAIN
    )
    assert after["base_compose"] == older
    assert len(gk_app.results(newer)) == 1  # results belong to the compose, not the commit
    # then the newer one (promoted by its passing result): nothing is left open
    report = gk_app.publish(newer)
    assert report.superseded == ()
    assert state_of(gk_app, newer) == "published"


def test_publishing_a_newer_compose_closes_older_mrs(
    gk_app: Gatekeeper, composes: dict[str, str]
) -> None:
    older = gk_app.import_compose(composes["next"]).compose.id
    newer = gk_app.import_compose(composes["later"]).compose.id
    report = gk_app.publish(newer, force=True)
    assert report.superseded == (older,)
    assert (mr_of(gk_app, older)["state"], state_of(gk_app, older)) == ("closed", "superseded")


def test_a_new_decision_rewrites_the_gate_section(
    gk_app: Gatekeeper, composes: dict[str, str]
) -> None:
    cid = gk_app.import_compose(composes["next"]).compose.id
    imported = mr_of(gk_app, cid)["description"]  # decided when imported: what is missing
    assert "Gate: pending" in imported and "test-result-missing" in imported
    assert "Decision v1, evaluated 2026-11-24T06:00:00Z." in imported
    gk_app.clock.now += timedelta(minutes=5)  # type: ignore[attr-defined]
    gk_app.ingest(
        [
            Result(
                compose=cid, testcase="tf.smoke", outcome=Outcome.FAILED, submit_time=gk_app.clock()
            )
        ],
        OPERATOR,
    )
    description = mr_of(gk_app, cid)["description"]
    assert "Gate: failed" in description
    assert "test-result-failed" in description and "test-result-missing" not in description
    assert "Decision v2, evaluated 2026-11-24T06:05:00Z." in description
    assert description.count("<!-- gatekeeper:gate -->") == 1
    assert "5 updated" in mr_of(gk_app, cid)["title"] or "updated" in description


def test_a_forge_failure_leaves_nothing_half_made(
    gk_app: Gatekeeper, composes: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from gatekeeper.store.composes import ComposeQueries

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr(ComposeQueries, "upsert_merge_request", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        gk_app.import_compose(composes["base"])
    with gk_app.store.transaction() as tx:
        assert tx.list_composes() == []
    assert gk_app.forge.repo("CentOS-Stream-9").branches("compose/") == []
    monkeypatch.undo()
    assert gk_app.import_compose(composes["base"]).proposed


def test_a_failure_while_storing_builds_leaves_nothing(
    gk_app: Gatekeeper, composes: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from gatekeeper.store.composes import ComposeQueries

    real = ComposeQueries.put_builds

    def half(self: Any, compose_id: str, builds: Any) -> None:
        real(self, compose_id, builds[: len(builds) // 2])
        raise OSError("connection lost")

    monkeypatch.setattr(ComposeQueries, "put_builds", half)
    with pytest.raises(OSError):
        gk_app.import_compose(composes["base"])
    with gk_app.store.transaction() as tx:
        assert tx.list_composes() == []
        assert tx.builds_for(composes["base_id"]) == []


def test_bad_metadata_changes_nothing(gk_app: Gatekeeper, composes: dict[str, str]) -> None:
    from gatekeeper.errors import GatekeeperError

    rpms = Path(composes["base"]) / "compose" / "metadata" / "rpms.json"
    rpms.write_text(rpms.read_text()[:1000])
    with pytest.raises(GatekeeperError, match=r"rpms\.json"):
        gk_app.import_compose(composes["base"])
    with gk_app.store.transaction() as tx:
        assert tx.list_composes() == []


def test_compose_proposed_fires_once_per_compose(
    gk_app: Gatekeeper, composes: dict[str, str]
) -> None:
    seen: list[tuple[str, int]] = []

    class Hook:
        @hookimpl
        def gatekeeper_compose_proposed(self, app: Any, compose: Any, merge_request: Any) -> None:
            seen.append((compose.id, merge_request["number"]))

    gk_app.pm.register(Hook())
    gk_app.import_compose(composes["base"])
    gk_app.import_compose(composes["base"])
    gk_app.propose(composes["base_id"])
    assert seen == [(composes["base_id"], 1)]


def test_publishing_a_compose_never_promoted_asks_for_force(
    gk_app: Gatekeeper, composes: dict[str, str]
) -> None:
    from gatekeeper.errors import Conflict

    seen: list[str] = []

    class Hook:
        @hookimpl
        def gatekeeper_compose_published(self, app: Any, compose: Any, merge_request: Any) -> None:
            seen.append(compose.id)

    gk_app.pm.register(Hook())
    cid = gk_app.import_compose(composes["base"]).compose.id
    main = repo_git(gk_app, "rev-parse", MAIN)
    with pytest.raises(Conflict, match=r"is not promoted.*--force \(force=true in the API\)"):
        gk_app.publish(cid)
    assert (mr_of(gk_app, cid)["state"], state_of(gk_app, cid)) == ("open", "proposed")
    assert repo_git(gk_app, "rev-parse", MAIN) == main  # nothing merged
    assert "without promotion" not in mr_of(gk_app, cid)["description"]
    assert seen == []


def test_a_forced_publish_says_so_in_the_merge_request(
    gk_app: Gatekeeper, composes: dict[str, str]
) -> None:
    told: list[str] = []

    class Hook:
        @hookimpl
        def gatekeeper_compose_published(self, app: Any, compose: Any, merge_request: Any) -> None:
            told.append(merge_request["description"])

    gk_app.pm.register(Hook())
    cid = gk_app.import_compose(composes["base"]).compose.id
    report = gk_app.publish(cid, force=True, by="releng")
    assert not report.already
    mr = mr_of(gk_app, cid)
    assert mr["state"] == "merged" and state_of(gk_app, cid) == "published"
    note = "**Published without promotion (forced by releng).**"
    assert mr["description"].startswith(note + "\n\n")
    assert mr["description"].count(note) == 1
    assert "<!-- gatekeeper:gate -->" in mr["description"]  # the rest is kept
    assert told == [mr["description"]]  # the plugins hear it with the merged MR
    assert gk_app.publish(cid, force=True, by="releng").already
    assert mr_of(gk_app, cid)["description"].count(note) == 1


def test_a_promoted_compose_publishes_without_force_or_note(
    gk_app: Gatekeeper, composes: dict[str, str]
) -> None:
    cid = gk_app.import_compose(composes["base"]).compose.id
    passed = Result(
        compose=cid, testcase="tf.smoke", outcome=Outcome.PASSED, submit_time=gk_app.clock()
    )
    gk_app.ingest([passed], OPERATOR)
    assert gk_app.compose_info(cid)["promoted"]
    gk_app.publish(cid, by="releng")
    mr = mr_of(gk_app, cid)
    assert (mr["state"], state_of(gk_app, cid)) == ("merged", "published")
    assert "without promotion" not in mr["description"]


def test_a_revoked_promotion_asks_for_force_again(
    gk_app: Gatekeeper, composes: dict[str, str]
) -> None:
    from gatekeeper.errors import Conflict

    cid = gk_app.import_compose(composes["base"]).compose.id
    for outcome in (Outcome.PASSED, Outcome.FAILED):
        gk_app.clock.now += timedelta(minutes=1)  # type: ignore[attr-defined]
        result = Result(compose=cid, testcase="tf.smoke", outcome=outcome,
                        submit_time=gk_app.clock())  # fmt: skip
        gk_app.ingest([result], OPERATOR)
    assert not gk_app.compose_info(cid)["promoted"]
    with pytest.raises(Conflict, match="is not promoted"):
        gk_app.publish(cid)
    assert state_of(gk_app, cid) == "proposed"
