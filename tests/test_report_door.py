"""The one door of every report (SQLite and PostgreSQL): limits, Unicode, the clock, and
result ids that are unique per owning team (no team shadows another's result)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

import gatekeeper.bounds
from gatekeeper.config import Settings
from gatekeeper.errors import ConfigError, Conflict, InputError, PolicyError
from gatekeeper.model import Outcome, Result
from gatekeeper.service import Actor, Gatekeeper
from gatekeeper.testing import Clock

CID = "CentOS-Stream-9-20261124.0"
RDO = """\
team: rdo
owns: ["rdo.*"]
reporters: {users: [rdo-bot]}
gates:
  - testcase: rdo.smoke
"""
IDM = """\
team: idm
owns: ["idm.*"]
reporters: {users: [idm-bot]}
gates:
  - testcase: idm.install
"""
RDO_BOT = Actor(name="rdo-bot")
RDO_OTHER_BOT = Actor(name="rdo-bot", groups=("CentOS/rdo",))
IDM_BOT = Actor(name="idm-bot")
RELENG = Actor(name="releng", is_admin=True, can_waive=True)


@pytest.fixture(autouse=True)
def _policies(gk_policies: Callable[..., Path]) -> None:
    gk_policies(rdo=RDO, idm=IDM)


@pytest.fixture
def app(gk_app: Gatekeeper) -> Gatekeeper:
    gk_app.announce(CID, at=gk_app.clock() - timedelta(hours=6))
    return gk_app


def result(app: Gatekeeper, testcase: str = "rdo.smoke", **fields: object) -> Result:
    values: dict[str, object] = {"outcome": Outcome.PASSED, "submit_time": app.clock()}
    values.update(fields)
    return Result(compose=CID, testcase=testcase, **values)  # type: ignore[arg-type]


def stored(app: Gatekeeper) -> list[Result]:
    return app.results(CID)


# -- item 3: a located 4xx, not a 500 ------------------------------------------------------
@pytest.mark.parametrize("field", ["note", "ref_url", "scenario", "id"])
def test_a_lone_surrogate_is_refused_at_its_key_and_nothing_is_stored(
    app: Gatekeeper, field: str
) -> None:
    good = result(app, id="ok-1")
    bad = result(app, **{field: "broken \ud800 text", **({} if field == "id" else {"id": "b"})})
    with pytest.raises(InputError) as caught:
        app.ingest([good, bad], RDO_BOT)
    assert f"[1].{field}" in str(caught.value)
    assert "lone surrogate (U+D800)" in str(caught.value)
    assert stored(app) == []


def test_a_lone_surrogate_in_data_is_refused(app: Gatekeeper) -> None:
    with pytest.raises(InputError, match=r"\[0\]\.data: .*surrogate"):
        app.ingest([result(app, data={"log": "x\udfff"})], RDO_BOT)
    assert stored(app) == []


def test_a_lone_surrogate_in_a_waiver_comment_is_refused(app: Gatekeeper) -> None:
    with pytest.raises(InputError, match=r"comment: holds a lone surrogate"):
        app.waive(CID, "rdo.smoke", actor=RELENG, comment="flaky \ud83d")
    assert app.waivers(CID) == []


def test_an_integer_beyond_64_bits_in_data_is_refused(app: Gatekeeper) -> None:
    with pytest.raises(InputError, match=r"\[0\]\.data: holds an integer beyond"):
        app.ingest([result(app, data={"n": int("9" * 3000)})], RDO_BOT)
    app.ingest([result(app, data={"n": 2**63 - 1, "m": -(2**63 - 1)})], RDO_BOT)
    assert [r.data for r in stored(app)] == [{"n": 2**63 - 1, "m": -(2**63 - 1)}]


def test_a_result_id_of_ten_thousand_characters_is_refused_before_the_store(
    app: Gatekeeper,
) -> None:
    with pytest.raises(InputError, match=r"\[0\]\.id: is 10,000 characters long; at most 256"):
        app.ingest([result(app, id="x" * 10_000)], RDO_BOT)
    app.ingest([result(app, id="x" * 256)], RDO_BOT)
    assert len(stored(app)) == 1


def test_names_urls_notes_and_data_have_their_documented_limits(app: Gatekeeper) -> None:
    cases = {
        "testcase": ("rdo." + "t" * 300, "at most 256"),
        "ref_url": ("https://x/" + "u" * 5000, "at most 4,096"),
        "note": ("n" * 70_000, "at most 65,536"),
    }
    for key, (value, limit) in cases.items():
        with pytest.raises(InputError, match=rf"\[0\]\.{key}: .*{limit}"):
            app.ingest([result(app, **{key: value})], RDO_BOT)
    with pytest.raises(InputError, match=r"\[0\]\.data: is 80,0\d\d bytes as JSON; at most 65,536"):
        app.ingest([result(app, data={"a": "b" * 40_000, "c": "d" * 40_000})], RDO_BOT)
    deep: dict[str, object] = {}
    node = deep
    for _ in range(20):
        node["d"] = {}
        node = node["d"]  # type: ignore[assignment]
    with pytest.raises(InputError, match=r"nests deeper than 16 levels"):
        app.ingest([result(app, data=deep)], RDO_BOT)
    assert stored(app) == []


@pytest.mark.parametrize(
    "data",
    [{"k" * 257: 1}, {"a": [{"b": {"k" * 300: 1}}]}, {'"' * 257: 1}, {"k" * 100 + '"': "v" * 300}],
    ids=["top-level", "nested", "quotes", "short-key-long-value"],
)  # fmt: skip
def test_a_data_key_over_the_name_limit_is_refused_at_any_depth(
    app: Gatekeeper, data: dict[str, object]
) -> None:
    longest = max(len(k) for k in _keys(data))
    if longest <= 256:  # a long value, or an escaped quote, beside short keys is stored
        app.ingest([result(app, data=data)], RDO_BOT)
        assert [r.data for r in stored(app)] == [data]
        return
    with pytest.raises(InputError) as caught:
        app.ingest([result(app, data=data)], RDO_BOT)
    assert str(caught.value) == (
        f"[0].data: holds a key of {longest} characters; at most 256 are taken"
    )
    assert stored(app) == []


def _keys(node: object) -> list[str]:
    if isinstance(node, dict):
        return [*node, *(k for v in node.values() for k in _keys(v))]
    if isinstance(node, list):
        return [k for v in node for k in _keys(v)]
    return []


def test_what_a_report_stores_in_all_is_bounded(
    app: Gatekeeper, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gatekeeper.bounds, "MAX_REPORT_BYTES", 50_000)
    many = [result(app, id=f"r{i}", data={"log": "l" * 1000}) for i in range(60)]
    with pytest.raises(
        InputError, match=r"a report would store 6\d,\d\d\d bytes .* at most 50,000"
    ):
        app.ingest(many, RDO_BOT)
    assert stored(app) == []
    app.ingest(many[:40], RDO_BOT)
    assert len(stored(app)) == 40


def test_decide_with_a_huge_integer_in_a_results_file_is_a_located_error(
    tmp_path: Path, gk_policies: Callable[..., Path]
) -> None:
    policies = gk_policies(rdo=RDO, idm=IDM)
    path = tmp_path / "results.json"
    path.write_text('[{"testcase": "rdo.smoke", "outcome": "PASSED",\n "data": {"n": '
                    + "9" * 5000 + "}}]")  # fmt: skip
    script = shutil.which("gatekeeper", path=str(Path(sys.executable).parent)) or "gatekeeper"
    run = subprocess.run(
        [script, "decide", CID, "--policies", str(policies), "--results", str(path)],
        capture_output=True, text=True, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    assert f"{path}:1: a number JSON readers cannot hold" in run.stderr
    assert run.stdout == ""


# -- item 4: ids are unique per owning team --------------------------------------------------
def test_another_team_reusing_an_id_stores_its_own_result(app: Gatekeeper) -> None:
    app.ingest([result(app, id="run-1", outcome=Outcome.FAILED)], RDO_BOT)
    report = app.ingest([result(app, "idm.install", id="run-1")], IDM_BOT)
    assert (len(report.stored), report.duplicates) == (1, 0)
    outcomes = {(r.testcase, r.outcome) for r in stored(app)}
    assert outcomes == {("rdo.smoke", Outcome.FAILED), ("idm.install", Outcome.PASSED)}


def test_the_same_result_again_is_a_duplicate(app: Gatekeeper) -> None:
    first = result(app, id="run-1", note="ok", data={"a": 1})
    app.ingest([first], RDO_BOT)
    again = result(app, id="run-1", note="ok", data={"a": 1},
                   submit_time=app.clock() + timedelta(seconds=5))  # fmt: skip
    report = app.ingest([again], RDO_OTHER_BOT)
    assert (len(report.stored), report.duplicates) == (0, 1)


@pytest.mark.parametrize(
    "change",
    [{"outcome": Outcome.FAILED}, {"note": "other"}, {"data": {"a": 2}}, {"arch": "s390x"},
     {"testcase": "rdo.other"}],
    ids=["outcome", "note", "data", "arch", "testcase"],
)  # fmt: skip
def test_the_same_id_with_another_body_is_a_conflict_and_stores_nothing(
    app: Gatekeeper, change: dict[str, object]
) -> None:
    app.ingest([result(app, id="run-1", note="ok", data={"a": 1})], RDO_BOT)
    fields: dict[str, object] = {"id": "run-1", "note": "ok", "data": {"a": 1}, **change}
    with pytest.raises(Conflict, match=r"id: result id 'run-1' is already stored with another"):
        app.ingest([result(app, id="fresh"), result(app, **fields)], RDO_BOT)
    assert [r.note for r in stored(app)] == ["ok"]


def test_one_id_twice_in_a_report_with_different_bodies_is_a_conflict(app: Gatekeeper) -> None:
    pair = [result(app, id="r"), result(app, id="r", outcome=Outcome.FAILED)]
    with pytest.raises(Conflict, match="given twice in this report"):
        app.ingest(pair, RDO_BOT)
    with pytest.raises(Conflict):
        app.record_results(pair, RDO_BOT)
    assert stored(app) == []


def test_the_bus_path_refuses_a_changed_redelivery_too(app: Gatekeeper) -> None:
    app.record_results([result(app, id="msg:1")], RDO_BOT)
    with pytest.raises(Conflict):
        app.record_results([result(app, id="msg:1", outcome=Outcome.ERROR)], RDO_BOT)
    assert app.record_results([result(app, id="msg:1")], RDO_BOT) == []


# -- item 5: the future ----------------------------------------------------------------------
def test_a_submit_time_far_in_the_future_is_refused(app: Gatekeeper) -> None:
    future = app.clock().replace(year=9999, month=12, day=31)
    with pytest.raises(
        InputError, match=r"\[0\]\.submit_time: 9999-12-31T.* is more than 10m ahead"
    ):
        app.ingest([result(app, submit_time=future)], RDO_BOT)
    app.ingest([result(app, submit_time=app.clock() + timedelta(minutes=9))], RDO_BOT)
    assert len(stored(app)) == 1


def test_the_clock_skew_is_configurable(
    gk_settings: Settings, gk_clock: Clock, tmp_path: Path
) -> None:
    config = tmp_path / "gatekeeper.toml"
    config.write_text('[results]\nmax_clock_skew = "1h"\n')
    sections = {"results": {"max_clock_skew": "1h"}}
    settings = Settings(**{**gk_settings.__dict__, "sections": sections, "source": str(config)})
    app = Gatekeeper(settings, clock=gk_clock)
    app.start()
    app.announce(CID)
    app.ingest([result(app, submit_time=app.clock() + timedelta(minutes=50))], RDO_BOT)
    with pytest.raises(InputError, match="more than 1h ahead"):
        app.ingest([result(app, submit_time=app.clock() + timedelta(minutes=70))], RDO_BOT)
    bad = Settings(**{**gk_settings.__dict__, "sections": {"results": {"max_clock_skew": 5}},
                      "source": str(config)})  # fmt: skip
    with pytest.raises(ConfigError, match=r"results\.max_clock_skew"):
        Gatekeeper(bad, clock=gk_clock)


def test_results_stored_before_scoped_ids_keep_deduplicating(app: Gatekeeper) -> None:
    """The migration marks results stored with unscoped keys; start() scopes them once."""
    app.ingest([result(app, id="old-1"), result(app, note="keyed by its content")], RDO_BOT)
    with app.store.transaction() as tx:  # as the migration leaves a store of old rows
        tx._conn.exec_driver_sql(
            "UPDATE results SET scope = NULL, dedupe_key = COALESCE('gatekeeper:' || "
            "compose_id || ':' || external_id, dedupe_key)"
        )
        tx.first_time("pending:rescope-results")
    app.start()
    report = app.ingest([result(app, id="old-1")], RDO_BOT)
    assert (len(report.stored), report.duplicates) == (0, 1)
    idm = app.ingest([result(app, "idm.install", id="old-1")], IDM_BOT)
    assert len(idm.stored) == 1
    with app.store.transaction() as tx:
        assert tx.first_time("pending:rescope-results")  # the mark is gone
        scopes = tx._conn.exec_driver_sql("SELECT scope FROM results ORDER BY id").all()
    assert [scope for (scope,) in scopes] == ["rdo", "rdo", "idm"]  # content-keyed ones too


def test_start_loads_the_policies_so_a_bad_one_stops_it(
    gk_settings: Settings, gk_clock: Clock, gk_policies: Callable[..., Path]
) -> None:
    gk_policies(rdo=RDO, idm=IDM, broken="team: broken\ngates: [{testcase: 3}]\n")
    app = Gatekeeper(gk_settings, clock=gk_clock)
    with pytest.raises(PolicyError, match=r"broken\.yaml"):
        app.start()
