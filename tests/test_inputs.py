"""Results and waivers files for the offline CLI: formats and located errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gatekeeper.errors import ErrorGroup, InputError
from gatekeeper.inputs import parse_results, parse_waivers
from gatekeeper.model import Outcome

CID = "CentOS-Stream-9-20261124.0"
NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


def test_a_json_array_of_results() -> None:
    text = (
        '[{"testcase": "rdo.a", "outcome": "passed", "id": 4, "arch": "x86_64",\n'
        '  "submit_time": 1795500000000, "data": {"k": [1]}}]'
    )
    (r,) = parse_results(text, "r.json", CID, NOW)
    assert (r.testcase, r.outcome, r.id, r.arch, r.data) == (
        "rdo.a",
        Outcome.PASSED,
        "4",
        "x86_64",
        {"k": [1]},
    )
    assert r.submit_time == datetime.fromtimestamp(1795500000, UTC)


def test_json_lines_results_with_iso_times() -> None:
    text = (
        '{"testcase": "rdo.a", "outcome": "FAILED", "submit_time": "2026-11-24T03:00:00Z"}\n'
        '\n{"testcase": "rdo.b", "outcome": "Running"}\n'
    )
    a, b = parse_results(text, "r.jsonl", CID, NOW)
    assert a.submit_time == datetime(2026, 11, 24, 3, tzinfo=UTC)
    assert (b.outcome, b.submit_time) == (Outcome.RUNNING, NOW)


def test_an_empty_array_is_no_results() -> None:
    assert parse_results(" [ ] ", "r.json", CID, NOW) == []


def test_results_for_another_compose_are_skipped() -> None:
    text = '[{"testcase": "rdo.a", "outcome": "PASSED", "compose": "Other-1-20261124.0"}]'
    assert parse_results(text, "r.json", CID, NOW) == []


def test_every_bad_item_is_reported_with_its_line() -> None:
    text = (
        '[\n {"testcase": "rdo.a", "outcome": "PASSED"},\n'
        ' {"testcase": "rdo.b", "outcome": "GREAT"},\n'
        ' {"outcome": "PASSED", "arhc": "x86_64"}\n]'
    )
    with pytest.raises(ErrorGroup) as info:
        parse_results(text, "r.json", CID, NOW)
    assert [str(e) for e in info.value.errors] == [
        "r.json:3: [1].outcome: unknown outcome 'GREAT': use one of PASSED, INFO, FAILED, "
        "NEEDS_INSPECTION, ERROR, QUEUED, RUNNING",
        "r.json:4: [2].arhc: unknown key; expected one of: arch, compose, data, id, note, "
        "outcome, ref_url, scenario, submit_time, testcase, variant",
        "r.json:4: [2].testcase: missing; it is required",
    ]


def test_malformed_json_names_the_line() -> None:
    with pytest.raises(InputError, match=r"^r.json:3: malformed JSON"):
        parse_results(
            '[\n{"testcase": "a", "outcome": "PASSED"},\n{"testcase": }]', "r.json", CID, NOW
        )


def test_malformed_json_lines_names_the_line() -> None:
    with pytest.raises(InputError, match=r"^r.jsonl:2: malformed JSON"):
        parse_results('{"testcase": "a", "outcome": "PASSED"}\n{oops\n', "r.jsonl", CID, NOW)


def test_a_bad_time_is_located() -> None:
    with pytest.raises(InputError, match=r"r.json:1: \[0\].submit_time: 'yesterday' is not a time"):
        parse_results(
            '[{"testcase": "a", "outcome": "PASSED", "submit_time": "yesterday"}]',
            "r.json",
            CID,
            NOW,
        )


def test_an_empty_file_is_an_error() -> None:
    with pytest.raises(InputError, match="empty file"):
        parse_results("  \n", "r.json", CID, NOW)


def test_waivers_default_to_waived_and_can_revoke() -> None:
    text = (
        '[{"id": "1", "testcase": "rdo.a", "comment": "flaky", "username": "releng"},\n'
        ' {"id": 2, "testcase": "rdo.a", "arch": "x86_64", "waived": false,'
        ' "time": "2026-11-24T05:00:00+02:00"}]'
    )
    a, b = parse_waivers(text, "w.json", CID, NOW)
    assert (a.waived, a.comment, a.time) == (True, "flaky", NOW)
    assert (b.id, b.waived, b.arch, b.time) == (
        "2",
        False,
        "x86_64",
        datetime(2026, 11, 24, 3, tzinfo=UTC),
    )


def test_waivers_need_an_id_and_a_testcase() -> None:
    with pytest.raises(ErrorGroup, match=r"w.json:1: \[0\].id: missing"):
        parse_waivers('[{"waived": "yes"}]', "w.json", CID, NOW)


def test_waivers_must_be_an_array() -> None:
    with pytest.raises(InputError, match="expected a JSON array of waivers"):
        parse_waivers('{"id": "1", "testcase": "a"}', "w.json", CID, NOW)


def test_an_epoch_time_no_clock_shows_is_a_located_error_not_a_crash() -> None:
    from gatekeeper.timeutil import parse_time

    with pytest.raises(ValueError, match="is not a time any clock shows"):
        parse_time(10**30)
    with pytest.raises(ValueError, match="is not a time any clock shows"):
        parse_time("9" * 25)


@pytest.mark.parametrize(
    "text",
    ["PA\u017f\u017fED", "\u0131NFO", "\uff30\uff21\uff33\uff33\uff25\uff24", "passed\u0301"],
)
def test_an_outcome_is_read_in_ascii_case_variants_only(text: str) -> None:
    with pytest.raises(ValueError, match="unknown outcome"):
        Outcome.parse(text)


@pytest.mark.parametrize("text", ["passed", "Passed", " PASSED ", "needs_inspection"])
def test_an_outcome_in_any_ascii_case_is_read(text: str) -> None:
    assert Outcome.parse(text).value == text.strip().upper()


@pytest.mark.parametrize("written", ["1.5", "1e400", "true", "[1]"])
def test_a_result_id_is_a_string_or_an_integer(written: str) -> None:
    text = f'[{{"testcase": "rdo.a", "outcome": "PASSED", "id": {written}}}]'
    with pytest.raises(InputError, match=r"^f:1: \[0\]\.id: expected a string or an integer"):
        parse_results(text, "f", CID, NOW)
    (result,) = parse_results(text.replace(written, "12"), "f", CID, NOW)
    assert result.id == "12"


@pytest.mark.parametrize("word", ["NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize("layout", ["array", "lines"])
def test_nan_and_infinity_are_not_json_numbers(word: str, layout: str) -> None:
    item = f'{{"testcase": "a.b", "outcome": "PASSED", "data": {{"x": {word}}}}}'
    text = f"[\n{{}},\n{item}\n]" if layout == "array" else f"{{}}\n{item}\n"
    with pytest.raises(InputError) as caught:
        parse_results(text, "r.json", CID, NOW)
    assert caught.value.line == (3 if layout == "array" else 2)
    assert f"{word} is not a JSON number" in str(caught.value)
