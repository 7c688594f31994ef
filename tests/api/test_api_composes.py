"""/api/v1/composes: list with verdicts and pages, show, builds, diff against main,
decision and its history; announce and publish for admins."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from apihelpers import API, CID, IDM, CheckedClient, Tokens

from gatekeeper.errors import Unavailable
from gatekeeper.service import Gatekeeper
from gatekeeper.testing.composes import next_nightly, synthetic_builds, write_compose

BASE = synthetic_builds(12, seed=1)
NEXT = next_nightly(BASE, changed=3, added=2, removed=1, seed=2)


def _write(tmp_path: Path) -> tuple[str, str, str, str]:
    base_id = write_compose(
        tmp_path / "base", date="20261120", compose_type="production", builds=BASE
    )
    next_id = write_compose(tmp_path / "next", date="20261125", builds=NEXT)
    return str(tmp_path / "base"), base_id, str(tmp_path / "next"), next_id


def test_list_gives_composes_newest_first_with_their_verdict(
    client: CheckedClient, app: Gatekeeper
) -> None:
    app.announce("CentOS-Stream-9-20261125.0", at=app.clock())
    body = client.get(f"{API}/composes").json()
    assert [c["id"] for c in body["items"]] == ["CentOS-Stream-9-20261125.0", CID]
    # decided when announced: pending, with what is missing
    assert [c["verdict"] for c in body["items"]] == ["pending", "pending"]
    assert body["items"][1]["summary"] == "Of 2 required tests, 2 results missing"
    assert body["next"] is None


def test_list_pages_follow_next_until_the_end(client: CheckedClient, app: Gatekeeper) -> None:
    for day in range(1, 6):
        app.announce(f"CentOS-Stream-9-202612{day:02d}.0", at=app.clock() + timedelta(days=day))
    seen, url, pages = [], f"{API}/composes?limit=2", 0
    while url:
        body = client.get(url).json()
        seen += [c["id"] for c in body["items"]]
        url, pages = body["next"], pages + 1
    assert pages == 3
    assert len(seen) == len(set(seen)) == 6
    assert seen[-1] == CID


def test_list_filters_by_state(client: CheckedClient, app: Gatekeeper) -> None:
    assert [c["id"] for c in client.get(f"{API}/composes?state=announced").json()["items"]] == [CID]
    assert client.get(f"{API}/composes?state=published").json()["items"] == []


def test_a_limit_out_of_range_is_a_located_422(client: CheckedClient) -> None:
    response = client.get(f"{API}/composes?limit=0")
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_input"
    assert "query.limit" in response.json()["detail"]


def test_show_gives_the_compose_and_an_unknown_one_is_404(client: CheckedClient) -> None:
    shown = client.get(f"{API}/composes/{CID}").json()
    assert (shown["id"], shown["state"], shown["merge_request"]) == (CID, "announced", None)
    missing = client.get(f"{API}/composes/CentOS-Stream-9-20990101.0")
    assert missing.status_code == 404
    assert missing.json() == {
        "error": "not_found",
        "detail": "compose 'CentOS-Stream-9-20990101.0' is not known: announce or import it first",
    }


def test_every_compose_route_is_404_for_an_unknown_compose(client: CheckedClient) -> None:
    for tail in ("", "/builds", "/diff", "/decision", "/decisions", "/results", "/waivers"):
        response = client.get(f"{API}/composes/nope{tail}")
        assert (response.status_code, response.json()["error"]) == (404, "not_found"), tail


def test_announce_imports_a_compose_and_opens_its_merge_request(
    client: CheckedClient, tokens: Tokens, tmp_path: Path
) -> None:
    base_dir, base_id, _, _ = _write(tmp_path)
    response = client.post(
        f"{API}/composes", json={"location": base_dir}, headers=tokens.auth("admin")
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["compose"], body["created"], body["builds"]) == (base_id, True, len(BASE))
    assert body["merge_request"]["branch"] == f"compose/{base_id}"
    again = client.post(
        f"{API}/composes", json={"location": base_dir}, headers=tokens.auth("admin")
    )
    assert (again.status_code, again.json()["created"]) == (200, False)
    shown = client.get(f"{API}/composes/{base_id}").json()
    assert (shown["state"], shown["merge_request"]["state"]) == ("proposed", "open")


def test_announce_reads_a_file_url_as_the_servers_local_directory(
    client: CheckedClient, tokens: Tokens, tmp_path: Path
) -> None:
    base_dir, base_id, _, _ = _write(tmp_path)
    url = Path(base_dir).as_uri()
    response = client.post(f"{API}/composes", json={"location": url}, headers=tokens.auth("admin"))
    assert response.status_code == 201, response.text
    assert (response.json()["compose"], response.json()["builds"]) == (base_id, len(BASE))
    again = client.post(
        f"{API}/composes", json={"location": base_dir}, headers=tokens.auth("admin")
    )
    assert (again.status_code, again.json()["created"]) == (200, False)


def test_a_file_url_is_refused_to_non_admins_before_the_disk_is_read(
    client: CheckedClient, tokens: Tokens, tmp_path: Path
) -> None:
    for where in (tmp_path / "nowhere", Path("/etc")):  # no answer tells whether it exists
        body = {"location": where.as_uri()}
        refused = client.post(f"{API}/composes", json=body, headers=tokens.auth("rdo"))
        assert refused.status_code == 403, refused.text
        assert (
            refused.json()["detail"]
            == "rdo-ci may not announce composes: it needs an admin identity"
        )


def test_announcing_another_url_scheme_is_a_located_422(
    client: CheckedClient, tokens: Tokens
) -> None:
    body = {"location": "ftp://composes.example.org/c"}
    response = client.post(f"{API}/composes", json=body, headers=tokens.auth("admin"))
    assert response.status_code == 422
    assert response.json()["detail"] == (
        "ftp://composes.example.org/c: unsupported URL scheme 'ftp': use a local path, "
        "file://, http:// or https://"
    )


def test_builds_and_diff_against_main_after_publishing(
    client: CheckedClient, tokens: Tokens, tmp_path: Path
) -> None:
    base_dir, base_id, next_dir, next_id = _write(tmp_path)
    admin = tokens.auth("admin")
    for where in (base_dir, next_dir):
        assert client.post(f"{API}/composes", json={"location": where}, headers=admin).is_success
    first = client.get(f"{API}/composes/{next_id}/diff").json()
    assert (first["base"], first["counts"]["added"]) == (None, len(NEXT))
    # no results here: never promoted, published regardless
    published = client.post(f"{API}/composes/{base_id}/publish?force=true", headers=admin)
    assert published.status_code == 200, published.text
    assert published.json()["rerendered"] == [next_id]
    diff = client.get(f"{API}/composes/{next_id}/diff").json()
    assert diff["base"] == base_id
    assert diff["counts"] == {"updated": 3, "added": 2, "removed": 1}
    assert all(" -> " not in n for change in diff["updated"] for n in change["new"])
    names, url = [], f"{API}/composes/{next_id}/builds?limit=5"
    while url:
        page = client.get(url).json()
        assert len(page["items"]) <= 5
        names, url = names + [b["name"] for b in page["items"]], page["next"]
    assert names == sorted(b.name for b in NEXT)
    assert client.post(f"{API}/composes/{base_id}/publish", headers=admin).json()["already"]


def test_announce_and_publish_are_for_admins_only(
    client: CheckedClient, tokens: Tokens, tmp_path: Path
) -> None:
    base_dir, *_ = _write(tmp_path)
    for method, url, body in (
        ("POST", f"{API}/composes", {"location": base_dir}),
        ("POST", f"{API}/composes/{CID}/publish", None),
    ):
        refused = client.request(method, url, json=body, headers=tokens.auth("rdo"))
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"] == "forbidden"
        assert client.request(method, url, json=body).status_code == 401
    assert client.get(f"{API}/composes/{CID}").json()["state"] == "announced"


def test_decision_and_its_history_with_causes(
    client: CheckedClient, tokens: Tokens, app: Gatekeeper
) -> None:
    decision = client.get(f"{API}/composes/{CID}/decision").json()
    assert (decision["verdict"], decision["compose"]) == ("pending", CID)
    body = [{"testcase": "rdo.smoke", "outcome": "PASSED", "arch": "x86_64"}]
    client.post(f"{API}/composes/{CID}/results", json=body, headers=tokens.auth("rdo"))
    history = client.get(f"{API}/composes/{CID}/decisions").json()
    assert [h["version"] for h in history] == [1, 2]
    assert history[-1]["decision"]["summary"] == "Of 2 required tests, 1 result missing"
    assert all("cause" in h for h in history)


def test_a_forge_outage_is_503_and_changes_nothing(
    client: CheckedClient, tokens: Tokens, tmp_path: Path, app: Gatekeeper,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    base_dir, base_id, _, _ = _write(tmp_path)
    admin = tokens.auth("admin")
    assert client.post(f"{API}/composes", json={"location": base_dir}, headers=admin).is_success

    def down(*args: object, **kwargs: object) -> str:
        raise Unavailable("forge.gitlab: merging: GitLab answered 502: Bad Gateway")

    monkeypatch.setattr(type(app.forge), "merge", down)
    answer = client.post(f"{API}/composes/{base_id}/publish?force=true", headers=admin)
    assert answer.status_code == 503
    assert answer.json()["error"] == "unavailable"
    assert "GitLab answered 502" in answer.json()["detail"]
    assert client.get(f"{API}/composes/{base_id}").json()["state"] == "proposed"


def test_publishing_a_compose_never_promoted_is_409_until_forced(
    client: CheckedClient, tokens: Tokens, tmp_path: Path, app: Gatekeeper
) -> None:
    base_dir, base_id, _, _ = _write(tmp_path)
    admin = tokens.auth("admin")
    assert client.post(f"{API}/composes", json={"location": base_dir}, headers=admin).is_success
    for query in ("", "?force=false"):
        refused = client.post(f"{API}/composes/{base_id}/publish{query}", headers=admin)
        assert refused.status_code == 409, refused.text
        assert refused.json() == {
            "error": "conflict",
            "detail": f"compose {base_id} is not promoted (its gate has not passed): to publish "
            "it anyway, use --force (force=true in the API); its merge request will say so",
        }
    shown = client.get(f"{API}/composes/{base_id}").json()
    assert (shown["state"], shown["merge_request"]["state"]) == ("proposed", "open")
    forced = client.post(f"{API}/composes/{base_id}/publish?force=true", headers=admin)
    assert forced.status_code == 200, forced.text
    assert forced.json()["already"] is False
    shown = client.get(f"{API}/composes/{base_id}").json()
    assert (shown["state"], shown["merge_request"]["state"]) == ("published", "merged")
    description = (app.merge_request(base_id) or {})["description"]  # the local forge's MR
    assert description.startswith("**Published without promotion (forced by releng).**\n\n")


def test_get_decision_never_writes_what_time_changed(
    client: CheckedClient, tokens: Tokens, app: Gatekeeper, gk_policies: Callable[..., Path]
) -> None:
    gk_policies(idm=IDM + "    deadline: 1h\n    on_missing: ignore\n")
    app.reload_policies()
    cid = "CentOS-Stream-9-20261125.0"
    app.announce(cid, at=app.clock())  # version 1, under the policy with the deadline
    reported = client.post(
        f"{API}/composes/{cid}/results",
        json=[{"testcase": "rdo.smoke", "outcome": "PASSED", "arch": "x86_64"}],
        headers=tokens.auth("rdo"),
    )
    assert reported.status_code == 200, reported.text
    before = client.get(f"{API}/composes/{cid}/decision").json()
    assert (before["verdict"], before["summary"]) == (
        "pending",
        "Of 2 required tests, 1 result missing",
    )
    history = app.history(cid)
    assert [v["version"] for v in history] == [1, 2]
    clock: Any = app.clock
    clock.now += timedelta(hours=1, minutes=1)  # idm.install is overdue now, and ignored
    answer = client.get(f"{API}/composes/{cid}/decision")
    assert answer.status_code == 200
    whatif = answer.json()
    assert whatif["verdict"] == "passed"
    assert {(a["testcase"], a["type"]) for a in whatif["satisfied_requirements"]} == {
        ("rdo.smoke", "test-result-passed"),
        ("idm.install", "test-result-overdue-ignored"),
    }
    assert app.history(cid) == history  # the GET recorded nothing
    assert client.get(f"{API}/composes/{cid}").json()["state"] == "announced"  # nor promoted
    # the deadline timer records what time changed (CID too: its policies changed)
    assert sorted(app.act_on_deadlines()) == sorted([CID, cid])
    assert [v["version"] for v in app.history(cid)] == [1, 2, 3]
    assert app.history(cid)[-1]["cause"] == {"clock": "2026-11-24T07:00:00Z"}
    assert client.get(f"{API}/composes/{cid}/decision").json() == whatif
    assert client.get(f"{API}/composes/{cid}").json()["state"] == "promoted"
    assert app.act_on_deadlines() == []  # one deadline, one version
