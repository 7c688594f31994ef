"""The ``tmt`` result format: one plan's results.yaml -> gatekeeper results (no tmt run)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from gatekeeper_tmt.results import OUTCOMES, parse, to_testcase
from tmt_helpers import COMPOSE, SAMPLES

from gatekeeper.errors import InputError
from gatekeeper.model import Outcome, Result

# One result as tmt 1.78 writes it: internal __class__ keys, nulls, unquoted duration.
RESULT = """\
- __class__:
    module: tmt.result
    name: Result
  check: {check}
  context: {{}}
  data-path: data/guest/default-0/tests/{short}-{serial}/data
  duration: 00:00:01
  end-time: {end}
  fmf-id:
    name: {name}
    ref: null
  guest:
    __class__:
      module: tmt.result
      name: ResultGuestData
    name: {guest}
    primary-address: localhost
    role: null
  ids:
    extra-nitrate: null
    id: null
  log:
  - data/guest/default-0/tests/{short}-{serial}/output.txt
  name: {name}
  note: {note}
  original-result: {result}
  result: {result}
  serial-number: {serial}
  start-time: '2026-11-25T00:40:58.100000+00:00'
  subresult: {subresult}
  web-link: {web_link}
"""


def tmt_result(**fields: Any) -> str:
    values = {
        "name": "/tests/pass",
        "result": "pass",
        "serial": 1,
        "guest": "default-0",
        "end": "'2026-11-25T00:40:58.200000+00:00'",
        "check": "[]",
        "subresult": "[]",
        "note": "[]",
        "web_link": "null",
        **fields,
    }
    values["short"] = str(values["name"]).rsplit("/", 1)[-1]
    return RESULT.format(**values)


def parse_text(text: str, **options: Any) -> list[Result]:
    return parse(text.encode(), compose=COMPOSE, options={"plan": "/plans/one", **options})


@pytest.mark.parametrize(
    ("tmt", "outcome"),
    [
        ("pass", Outcome.PASSED),
        ("info", Outcome.INFO),
        ("fail", Outcome.FAILED),
        ("warn", Outcome.NEEDS_INSPECTION),
        ("error", Outcome.ERROR),
        ("skip", Outcome.NEEDS_INSPECTION),
        ("pending", Outcome.QUEUED),
    ],
)
def test_every_tmt_outcome_maps_to_a_gatekeeper_outcome(tmt: str, outcome: Outcome) -> None:
    (result,) = parse_text(tmt_result(result=tmt))
    assert result.outcome is outcome
    assert result.data["tmt"]["result"] == tmt


def test_the_mapping_covers_exactly_tmts_outcomes() -> None:
    assert set(OUTCOMES) == {"pass", "fail", "error", "info", "warn", "skip", "pending"}


def test_skip_warn_and_pending_say_so_in_the_note() -> None:
    notes = [parse_text(tmt_result(result=r))[0].note for r in ("skip", "warn", "pending")]
    assert notes == ["tmt result: skip", "tmt result: warn", "tmt result: pending"]


@pytest.mark.parametrize(
    ("namespace", "name", "testcase"),
    [
        ("t_functional", "/tests/pass", "t_functional.tests.pass"),
        ("rdo.tempest", "/smoke", "rdo.tempest.smoke"),
        ("t_functional.", "/tests", "t_functional.tests"),
        (None, "/tests/pass", "tests.pass"),
        ("", "/a//b/", "a.b"),
    ],
)
def test_testcase_is_the_namespace_and_the_dotted_test_name(
    namespace: str | None, name: str, testcase: str
) -> None:
    assert to_testcase(namespace, name) == testcase
    (result,) = parse_text(tmt_result(name=name), namespace=namespace)
    assert result.testcase == testcase


def test_scenario_is_the_plan_and_source_is_tmt() -> None:
    (result,) = parse_text(tmt_result(), plan="/plans/nightly")
    assert (result.scenario, result.source) == ("/plans/nightly", "tmt")


def test_arch_comes_from_the_guests_facts_before_the_option() -> None:
    text = tmt_result(guest="default-0") + tmt_result(name="/tests/other", serial=2, guest="g2")
    first, second = parse_text(text, guests={"default-0": "aarch64"}, arch="s390x")
    assert (first.arch, second.arch) == ("aarch64", "s390x")


def test_without_facts_or_option_the_arch_is_unknown() -> None:
    (result,) = parse_text(tmt_result())
    assert result.arch is None


def test_subresults_are_kept_in_data_and_failed_ones_named_in_the_note() -> None:
    subresults = """
  - __class__: {module: tmt.result, name: SubResult}
    name: /phase-one
    result: pass
    check: []
    end-time: null
  - name: /phase-two
    result: fail
    note: [assertion failed]
"""
    (result,) = parse_text(tmt_result(result="fail", subresult=subresults))
    assert result.outcome is Outcome.FAILED  # tmt's own verdict on the test, not recomputed
    assert result.data["tmt"]["subresults"] == [
        {"name": "/phase-one", "result": "pass", "outcome": "PASSED"},
        {"name": "/phase-two", "result": "fail", "outcome": "FAILED", "note": ["assertion failed"]},
    ]
    assert result.note == "subresults: /phase-two fail"


def test_subresults_do_not_change_the_outcome_tmt_decided() -> None:
    subresults = "\n  - {name: /detail, result: fail}\n"
    (result,) = parse_text(tmt_result(result="pass", subresult=subresults))
    assert result.outcome is Outcome.PASSED
    assert result.note == "subresults: /detail fail"


def test_checks_are_kept_in_data_and_failed_ones_named_with_their_event() -> None:
    checks = """
  - __class__: {module: tmt.result, name: CheckResult}
    name: dmesg
    event: before-test
    result: pass
    log: [data/guest/default-0/tests/pass-1/checks/dmesg-before-test.txt]
  - name: avc
    event: after-test
    result: fail
"""
    (result,) = parse_text(tmt_result(result="fail", check=checks))
    assert result.data["tmt"]["checks"] == [
        {"name": "dmesg", "result": "pass", "outcome": "PASSED", "event": "before-test"},
        {"name": "avc", "result": "fail", "outcome": "FAILED", "event": "after-test"},
    ]
    assert result.note == "checks: avc (after-test) fail"


def test_tmt_notes_are_kept() -> None:
    (result,) = parse_text(tmt_result(note="[timeout, 'see log']"))
    assert result.note == "timeout; see log"


def test_ref_url_is_the_template_filled_in() -> None:
    template = "https://ci.example.org/{compose}/{run}/{plan}/{test}/{serial}/{arch}?log={log}"
    (result,) = parse_text(
        tmt_result(name="/tests/a b", serial=7),
        log_url=template,
        run="run-042",
        guests={"default-0": "x86_64"},
    )
    assert result.ref_url == (
        f"https://ci.example.org/{COMPOSE}/run-042/plans/one/tests/a%20b/7/x86_64"
        "?log=plans/one/execute/data/guest/default-0/tests/a b-7/output.txt".replace(" ", "%20")
    )


def test_without_a_template_ref_url_is_tmts_web_link() -> None:
    (linked,) = parse_text(tmt_result(web_link="https://tf.example.org/r/1"))
    (unlinked,) = parse_text(tmt_result())
    assert (linked.ref_url, unlinked.ref_url) == ("https://tf.example.org/r/1", None)


def test_an_unknown_template_placeholder_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(InputError, match=r"\{build\}.*\{compose\}") as info:
        parse_text(tmt_result(), log_url="https://ci.example.org/{build}")
    assert info.value.key == "log_url"


def test_submit_time_is_when_the_test_ended() -> None:
    (result,) = parse_text(tmt_result())
    assert result.submit_time == datetime(2026, 11, 25, 0, 40, 58, 200000, tzinfo=UTC)


def test_a_result_that_never_ended_is_submitted_at_its_start() -> None:
    (result,) = parse_text(tmt_result(end="null"))
    assert result.submit_time == datetime(2026, 11, 25, 0, 40, 58, 100000, tzinfo=UTC)


def test_ids_are_the_same_when_the_same_run_is_read_again() -> None:
    text = tmt_result() + tmt_result(name="/tests/b", serial=2)
    first, again = parse_text(text), parse_text(text)
    assert [r.id for r in first] == [r.id for r in again]
    assert len({r.id for r in first}) == 2


def test_a_new_execution_of_a_test_gets_a_new_id() -> None:
    (before,) = parse_text(tmt_result())
    (after,) = parse_text(tmt_result(end="'2026-11-26T08:00:00+00:00'"))
    assert before.id != after.id
    assert before.id is not None and before.id.startswith("/plans/one:1:default-0:")


def test_the_same_file_reported_for_another_arch_gets_other_ids() -> None:
    (x86,) = parse_text(tmt_result(), arch="x86_64")
    (arm,) = parse_text(tmt_result(), arch="aarch64")
    assert x86.id != arm.id


def test_tmts_internal_keys_are_not_in_the_data() -> None:
    (result,) = parse_text(tmt_result())
    assert "__class__" not in repr(result.data)
    assert result.data["tmt"]["duration"] == "00:00:01"


def test_an_empty_file_holds_no_results() -> None:
    assert parse_text("") == [] and parse_text("[]\n") == []


def test_malformed_yaml_is_a_located_error() -> None:
    text = tmt_result() + "- name: [unclosed\n  result: pass\n"
    with pytest.raises(InputError, match="malformed YAML") as info:
        parse_text(text, file="plans/one/execute/results.yaml")
    assert info.value.file == "plans/one/execute/results.yaml"
    bad = len(tmt_result().splitlines()) + 1  # the unclosed list; PyYAML notices a line on
    assert info.value.line in (bad, bad + 1)


def test_an_unknown_tmt_result_is_located_at_its_key() -> None:
    text = tmt_result() + tmt_result(result="passed", serial=2)
    with pytest.raises(InputError, match="unknown tmt result 'passed'") as info:
        parse_text(text, file="results.yaml")
    lines = text.splitlines()
    assert info.value.key == "[1].result"
    assert info.value.line is not None and lines[info.value.line - 1] == "  result: passed"
    assert str(info.value).startswith(f"results.yaml:{info.value.line}: [1].result: ")


def test_a_missing_serial_number_is_refused() -> None:
    text = tmt_result().replace("  serial-number: 1\n", "")
    with pytest.raises(InputError, match="serial-number") as info:
        parse_text(text)
    assert info.value.key == "[0].serial-number" and info.value.line == 1


def test_a_result_that_is_not_a_mapping_is_refused_at_its_line() -> None:
    with pytest.raises(InputError, match="expected a mapping") as info:
        parse_text(tmt_result() + "- just text\n")
    assert info.value.key == "[1]"
    assert info.value.line == len(tmt_result().splitlines()) + 1


def test_a_file_that_is_not_a_list_is_refused() -> None:
    with pytest.raises(InputError, match="expected a list of tmt results"):
        parse_text("name: /tests/pass\nresult: pass\n")


def test_a_bad_subresult_is_located_by_its_path() -> None:
    with pytest.raises(InputError) as info:
        parse_text(tmt_result(subresult="\n  - {name: /x, result: maybe}\n"))
    assert info.value.key == "[0].subresult[0].result"


def test_the_shared_tmt_sample_parses() -> None:
    sample = SAMPLES / "tmt" / "results.yaml"
    if not sample.is_file():
        pytest.skip(f"{sample} is not there")
    results = parse(
        sample.read_bytes(),
        compose=COMPOSE,
        options={"namespace": "t_functional", "plan": "/plans/local", "arch": "x86_64"},
    )
    assert [(r.testcase, r.outcome) for r in results] == [
        ("t_functional.tests.custom", Outcome.FAILED),
        ("t_functional.tests.fail", Outcome.FAILED),
        ("t_functional.tests.pass", Outcome.PASSED),
    ]
    assert [s["name"] for s in results[0].data["tmt"]["subresults"]] == [
        "/custom/phase-one",
        "/custom/phase-two",
    ]
    assert results[2].data["tmt"]["id"] == "5b1c1a0e-0000-4000-8000-000000000001"
    assert {r.scenario for r in results} == {"/plans/local"}
