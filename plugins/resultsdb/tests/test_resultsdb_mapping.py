"""One ResultsDB v2.0 result JSON -> one gatekeeper Result."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from gatekeeper_resultsdb.mapping import ResultsDBError, belongs_to, map_outcome, to_result

from gatekeeper.model import Outcome

CID = "CentOS-Stream-9-20261124.0"


def raw(**overrides: Any) -> dict[str, Any]:
    result: dict[str, Any] = {
        "id": 42,
        "groups": ["7b3a1c4e-0000-0000-0000-000000000001"],
        "testcase": {
            "name": "rdo.tempest.smoke",
            "ref_url": None,
            "href": "https://rdb.example.org/api/v2.0/testcases/rdo.tempest.smoke",
        },
        "submit_time": "2026-11-24T10:15:00.123456",
        "outcome": "PASSED",
        "note": "",
        "ref_url": "https://ci.example.org/rdo/42",
        "data": {"productmd.compose.id": [CID], "scenario": ["packstack"], "arch": ["x86_64"]},
        "href": "https://rdb.example.org/api/v2.0/results/42",
    }
    result.update(overrides)
    return result


def test_fields_come_from_the_result_and_its_list_valued_data() -> None:
    result = to_result(raw(), CID)
    assert (result.compose, result.testcase, result.outcome) == (
        CID,
        "rdo.tempest.smoke",
        Outcome.PASSED,
    )
    assert (result.scenario, result.arch, result.variant) == ("packstack", "x86_64", None)
    assert result.ref_url == "https://ci.example.org/rdo/42"
    assert result.submit_time == datetime(2026, 11, 24, 10, 15, 0, 123456, tzinfo=UTC)


def test_the_resultsdb_id_is_the_result_id_with_source_resultsdb() -> None:
    result = to_result(raw(id=42), CID)
    assert (result.id, result.source) == ("42", "resultsdb")


def test_arch_falls_back_to_system_architecture_and_variant_is_system_variant() -> None:
    data = {"system_architecture": ["aarch64"], "system_variant": ["BaseOS"]}
    result = to_result(raw(data=data), CID)
    assert (result.arch, result.variant) == ("aarch64", "BaseOS")


def test_arch_wins_over_system_architecture() -> None:
    data = {"arch": ["x86_64"], "system_architecture": ["aarch64"]}
    assert to_result(raw(data=data), CID).arch == "x86_64"


def test_mapped_single_values_leave_data_and_the_rest_is_kept_as_lists() -> None:
    data = {
        "scenario": ["packstack"],
        "arch": ["x86_64"],
        "item": [f"{CID}/BaseOS/x86_64", CID],
        "type": ["productmd-compose"],
    }
    result = to_result(raw(data=data), CID)
    assert dict(result.data) == {
        "item": [f"{CID}/BaseOS/x86_64", CID],
        "type": ["productmd-compose"],
    }


def test_a_mapped_key_with_several_values_takes_the_first_and_keeps_all_in_data() -> None:
    result = to_result(raw(data={"arch": ["x86_64", "i686"]}), CID)
    assert result.arch == "x86_64"
    assert result.data["arch"] == ["x86_64", "i686"]


def test_a_single_value_instead_of_a_list_is_accepted() -> None:
    assert to_result(raw(data={"arch": "s390x"}), CID).arch == "s390x"


@pytest.mark.parametrize("outcome", list(Outcome))
def test_every_gatekeeper_outcome_maps_to_itself(outcome: Outcome) -> None:
    assert to_result(raw(outcome=outcome.value), CID).outcome is outcome


def test_outcomes_are_read_in_any_case() -> None:
    assert map_outcome("needs_inspection") == (Outcome.NEEDS_INSPECTION, None)


@pytest.mark.parametrize("outcome", ["CRASHED", "ABORTED", "SKIPPED"])
def test_an_unknown_outcome_counts_as_error_and_is_kept_in_data(outcome: str) -> None:
    result = to_result(raw(outcome=outcome), CID)
    assert result.outcome is Outcome.ERROR
    assert result.data["resultsdb_outcome"] == [outcome]


def test_ref_url_falls_back_to_the_results_resultsdb_link() -> None:
    result = to_result(raw(ref_url=None), CID)
    assert result.ref_url == "https://rdb.example.org/api/v2.0/results/42"


def test_an_empty_note_is_none() -> None:
    assert to_result(raw(note=""), CID).note is None
    assert to_result(raw(note="flaky host"), CID).note == "flaky host"


def test_a_zoned_submit_time_is_converted_to_utc() -> None:
    result = to_result(raw(submit_time="2026-11-24T12:00:00+02:00"), CID)
    assert result.submit_time == datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"id": None}, "has no id"),
        ({"testcase": {"href": "x"}}, "result 42 has no testcase name"),
        ({"outcome": None}, "result 42 has no outcome"),
        ({"submit_time": "yesterday"}, "result 42: submit_time: 'yesterday' is not a time"),
        ({"data": ["x86_64"]}, "result 42: data must be an object of lists"),
    ],
)
def test_a_malformed_result_is_an_error_naming_it(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ResultsDBError, match=message):
        to_result(raw(**overrides), CID, where="ResultsDB at http://rdb")


def test_a_result_belongs_to_the_compose_by_productmd_compose_id() -> None:
    assert belongs_to(raw(data={"productmd.compose.id": [CID]}), CID)
    assert not belongs_to(raw(data={"productmd.compose.id": ["Other-1-20261124.0"]}), CID)


def test_a_result_belongs_to_the_compose_by_type_and_item() -> None:
    data = {"type": ["productmd-compose"], "item": [f"{CID}/BaseOS/x86_64", CID]}
    assert belongs_to(raw(data=data), CID)
    assert not belongs_to(raw(data={"type": ["koji-build"], "item": [CID]}), CID)
    assert not belongs_to(
        raw(data={"type": ["productmd-compose"], "item": [f"{CID}/BaseOS/x86_64"]}), CID
    )


def test_a_scratch_compose_result_does_not_belong_to_the_compose() -> None:
    data = {"type": ["productmd-compose_scratch"], "item": [CID]}
    assert not belongs_to(raw(data=data), CID)
