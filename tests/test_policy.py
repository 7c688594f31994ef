"""Policies: parsing, located errors, checks across files, matching, globs and schema."""

from __future__ import annotations

import itertools
import textwrap
from datetime import timedelta
from fnmatch import fnmatchcase
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gatekeeper.errors import ErrorGroup, PolicyError
from gatekeeper.model import AppliesTo, Policy
from gatekeeper.policy import (
    applies,
    globs_overlap,
    load_policies,
    load_policy_file,
    owns,
    parse_policy,
    policy_schema,
    team_for,
)

EXAMPLES = Path(__file__).resolve().parent.parent / "policies"

GOOD = """\
team: rdo
description: OpenStack packaged as RPMs
contact: rdo-ci@example.org
owns: ["rdo.*"]
reporters:
  users: [rdo-ci-bot]
  groups: [CentOS/Integration/rdo]
applies_to:
  products: ["CentOS-Stream-9", "CentOS-Stream-10"]
  types: [production]
gates:
  - testcase: rdo.tempest.smoke
    arches: [x86_64, aarch64]
    scenario: packstack
    required: true
    deadline: 12h
    on_missing: block
  - testcase: rdo.tempest.full
    required: false
"""


def parse(text: str, filename: str = "rdo.yaml") -> tuple[Policy | None, list[PolicyError]]:
    return parse_policy(textwrap.dedent(text), filename)


def only_error(text: str) -> PolicyError:
    policy, errors = parse(text)
    assert policy is None
    assert len(errors) == 1, [str(e) for e in errors]
    return errors[0]


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# -- a good policy ----------------------------------------------------------------------------


def test_good_policy_parses_every_field() -> None:
    policy, errors = parse(GOOD)
    assert errors == []
    assert policy is not None
    assert policy.team == "rdo"
    assert policy.description == "OpenStack packaged as RPMs"
    assert policy.contact == "rdo-ci@example.org"
    assert policy.owns == ("rdo.*",)
    assert policy.reporters.users == ("rdo-ci-bot",)
    assert policy.reporters.groups == ("CentOS/Integration/rdo",)
    assert policy.applies_to == AppliesTo(("CentOS-Stream-9", "CentOS-Stream-10"), ("production",))
    smoke = policy.gates[0]
    assert smoke.testcase == "rdo.tempest.smoke"
    assert smoke.arches == ("x86_64", "aarch64")
    assert smoke.scenario == "packstack"
    assert smoke.required is True
    assert smoke.deadline == timedelta(hours=12)
    assert smoke.on_missing == "block"


def test_policy_file_is_the_filename() -> None:
    policy, _ = parse(GOOD, "policies/rdo.yaml")
    assert policy is not None and policy.file == "policies/rdo.yaml"


def test_gate_line_is_the_line_of_the_gate_item() -> None:
    policy, _ = parse(GOOD)
    assert policy is not None
    assert [g.line for g in policy.gates] == [12, 18]


def test_gate_defaults_are_required_unconstrained_and_blocking() -> None:
    policy, _ = parse("team: rdo\ngates:\n  - testcase: rdo.x\n")
    assert policy is not None
    gate = policy.gates[0]
    assert (gate.arches, gate.scenario, gate.required, gate.deadline, gate.on_missing) == (
        (),
        None,
        True,
        None,
        "block",
    )


def test_owns_defaults_to_the_team_glob() -> None:
    policy, _ = parse("team: idm\n")
    assert policy is not None and policy.owns == ("idm.*",)


def test_policy_without_gates_has_none() -> None:
    policy, errors = parse("team: idm\ngates: []\n")
    assert errors == [] and policy is not None and policy.gates == ()


@pytest.mark.parametrize("deadline", ["90m", "12h", "2d"])
def test_good_durations_are_accepted(deadline: str) -> None:
    policy, errors = parse(f"team: rdo\ngates:\n  - testcase: rdo.x\n    deadline: {deadline}\n")
    assert errors == [] and policy is not None and policy.gates[0].deadline


@pytest.mark.parametrize(
    ("word", "value"),
    [("false", False), ("False", False), ("TRUE", True), ("no", False), ("yes", True)],
)
def test_yaml_booleans_are_accepted_for_required(word: str, value: bool) -> None:
    policy, errors = parse(f"team: rdo\ngates:\n  - testcase: rdo.x\n    required: {word}\n")
    assert errors == [] and policy is not None and policy.gates[0].required is value


def test_same_testcase_with_different_scenarios_is_two_gates() -> None:
    policy, errors = parse("""\
        team: rdo
        gates:
          - {testcase: rdo.x, scenario: a}
          - {testcase: rdo.x, scenario: b}
        """)
    assert errors == [] and policy is not None and len(policy.gates) == 2


def test_type_glob_matching_a_compose_type_is_accepted() -> None:
    policy, errors = parse("team: rdo\napplies_to:\n  types: ['prod*', nightly]\n")
    assert errors == [] and policy is not None
    assert policy.applies_to.types == ("prod*", "nightly")


# -- the error format -------------------------------------------------------------------------


def test_error_text_is_file_line_key_path_and_message() -> None:
    _, errors = parse("team: rdo\ngates:\n  - testcase: rdo.x\n    deadline: 12\n", "p/rdo.yaml")
    assert [str(e) for e in errors] == [
        "p/rdo.yaml:4: gates[0].deadline: '12' is not a duration: "
        "use a whole number and a unit, like 90m, 12h or 2d"
    ]


def test_error_text_stays_on_one_line() -> None:
    error = only_error('team: "r\\ndo"\n')
    assert str(error) == (
        "rdo.yaml:1: team: invalid team name 'r\\ndo': use lowercase letters, digits, "
        "'_' and '-', starting with a letter or digit"
    )


def test_every_error_of_a_file_is_reported_in_line_order() -> None:
    _, errors = parse("""\
        team: rdo
        colour: blue
        gates:
          - testcase: rdo.x
            deadline: soon
            on_missing: maybe
        """)
    assert [(e.line, e.key) for e in errors] == [
        (2, "colour"),
        (5, "gates[0].deadline"),
        (6, "gates[0].on_missing"),
    ]


# -- YAML-level errors ------------------------------------------------------------------------


def test_yaml_syntax_error_names_its_line() -> None:
    error = only_error("team: rdo\ngates:\n  - testcase: rdo.x\n   bad: [\n")
    assert error.line == 4
    assert error.key is None
    assert error.message.startswith("YAML syntax error")


def test_unclosed_flow_list_is_a_syntax_error() -> None:
    error = only_error("team: rdo\nowns: [rdo.*\n")
    assert error.message.startswith("YAML syntax error") and error.line == 3


def test_empty_file_is_an_error() -> None:
    error = only_error("")
    assert (error.line, error.key) == (1, None)
    assert "empty" in error.message


def test_comment_only_file_is_an_empty_file() -> None:
    assert "empty" in only_error("# nothing yet\n").message


@pytest.mark.parametrize("text", ["- team: rdo\n", "rdo\n", "~\n"])
def test_top_level_must_be_a_mapping(text: str) -> None:
    error = only_error(text)
    assert error.line == 1
    assert "expected a mapping of policy keys" in error.message


def test_several_documents_are_an_error() -> None:
    error = only_error("team: rdo\n---\nteam: idm\n")
    assert error.line == 2 and "single document" in error.message


def test_duplicate_top_level_key_is_an_error() -> None:
    error = only_error("team: rdo\ndescription: a\ndescription: b\n")
    assert (error.line, error.key) == (3, "description")
    assert "duplicate key 'description' (first at line 2)" in error.message


def test_duplicate_key_in_a_gate_is_an_error() -> None:
    _, errors = parse("""\
        team: rdo
        gates:
          - testcase: rdo.x
            deadline: 12h
            deadline: 2d
        """)
    assert [(e.line, e.key) for e in errors] == [(5, "gates[0].deadline")]


def test_non_string_key_is_an_error() -> None:
    error = only_error("team: rdo\n1: x\n")
    assert error.line == 2 and "keys must be strings, got the number 1" in error.message


def test_merge_key_is_an_error() -> None:
    error = only_error("team: rdo\nreporters:\n  <<: {users: [a]}\n")
    assert (error.line, error.key) == (3, "reporters")
    assert "merge keys" in error.message


def test_recursive_alias_is_a_type_error_not_a_crash() -> None:
    error = only_error("team: rdo\nowns: &a [*a]\n")
    assert (error.line, error.key) == (2, "owns[0]")


# -- unknown and missing keys -----------------------------------------------------------------


def test_unknown_top_level_key() -> None:
    error = only_error("team: rdo\ncolour: blue\n")
    assert (error.line, error.key) == (2, "colour")
    assert error.message.startswith("unknown key 'colour'; expected one of: team, description")


def test_unknown_reporters_key_suggests_the_close_one() -> None:
    error = only_error("team: rdo\nreporters:\n  users: [a]\n  grups: [b]\n")
    assert (error.line, error.key) == (4, "reporters.grups")
    assert "did you mean 'groups'?" in error.message


def test_unknown_applies_to_key() -> None:
    error = only_error("team: rdo\napplies_to:\n  product: [CentOS-Stream-9]\n")
    assert (error.line, error.key) == (3, "applies_to.product")
    assert "did you mean 'products'?" in error.message


def test_unknown_gate_key_lists_the_expected_ones() -> None:
    error = only_error("team: rdo\ngates:\n  - testcase: rdo.x\n    deadlin: 12h\n")
    assert (error.line, error.key) == (4, "gates[0].deadlin")
    assert error.message == (
        "unknown key 'deadlin' (did you mean 'deadline'?); expected one of: "
        "testcase, arches, scenario, required, deadline, on_missing, retries, waivers"
    )


def test_missing_team_is_an_error() -> None:
    error = only_error("# rdo\ndescription: x\n")
    assert (error.line, error.key) == (2, "team")
    assert "missing required key 'team'" in error.message


def test_missing_testcase_in_a_gate_is_an_error() -> None:
    error = only_error("team: rdo\ngates:\n  - testcase: rdo.x\n  - arches: [x86_64]\n")
    assert (error.line, error.key) == (4, "gates[1].testcase")
    assert "missing required key 'testcase'" in error.message


# -- wrong types ------------------------------------------------------------------------------


def test_string_where_a_list_is_expected() -> None:
    error = only_error("team: rdo\ngates:\n  - testcase: rdo.x\n    arches: x86_64\n")
    assert (error.line, error.key) == (4, "gates[0].arches")
    assert error.message == "expected a list of arches, got the string 'x86_64'; write [x86_64]"


def test_list_where_a_string_is_expected() -> None:
    error = only_error("team: rdo\ngates:\n  - testcase: rdo.x\n    scenario: [a, b]\n")
    assert (error.line, error.key) == (4, "gates[0].scenario")
    assert error.message == "expected a scenario name, got a list"


def test_yaml_boolean_where_a_string_is_expected() -> None:
    error = only_error("team: rdo\ngates:\n  - testcase: rdo.x\n    scenario: on\n")
    assert (error.line, error.key) == (4, "gates[0].scenario")
    assert "got the boolean 'on'" in error.message and 'quote it: "on"' in error.message


def test_number_where_a_string_is_expected() -> None:
    error = only_error("team: rdo\nreporters:\n  users: [rdo-bot, 123]\n")
    assert (error.line, error.key) == (3, "reporters.users[1]")
    assert error.message == 'expected a string, got the number 123; quote it: "123"'


def test_string_where_a_boolean_is_expected() -> None:
    error = only_error("team: rdo\ngates:\n  - testcase: rdo.x\n    required: 'yes'\n")
    assert (error.line, error.key) == (4, "gates[0].required")
    assert error.message == "expected true or false, got the string 'yes'; remove the quotes"


def test_list_where_a_mapping_is_expected() -> None:
    error = only_error("team: rdo\nreporters: [rdo-bot]\n")
    assert (error.line, error.key) == (2, "reporters")
    assert error.message == "expected a mapping, got a list"


def test_empty_value_is_an_error() -> None:
    error = only_error("team: rdo\ndescription:\n")
    assert (error.line, error.key) == (2, "description")
    assert "got no value" in error.message


def test_gates_must_be_a_list() -> None:
    error = only_error("team: rdo\ngates:\n  testcase: rdo.x\n")
    assert (error.line, error.key) == (3, "gates")
    assert error.message.startswith("expected a list of gates, got a mapping")


def test_a_gate_must_be_a_mapping() -> None:
    error = only_error("team: rdo\ngates:\n  - rdo.x\n")
    assert (error.line, error.key) == (3, "gates[0]")
    assert "expected a gate" in error.message


# -- values -----------------------------------------------------------------------------------


@pytest.mark.parametrize("team", ["RDO", "-rdo", "_rdo", "rdo ci", "rdo.ci", "''"])
def test_invalid_team_name_is_an_error(team: str) -> None:
    error = only_error(f"description: x\nteam: {team}\n")
    assert (error.line, error.key) == (2, "team")


def test_team_that_yaml_reads_as_a_boolean_is_an_error() -> None:
    error = only_error("team: yes\n")
    assert error.key == "team" and "boolean 'yes'" in error.message


@pytest.mark.parametrize(
    ("glob", "reason"),
    [
        ("", "empty glob"),
        ("rdo.[", "unclosed '[' at character 5"),
        ("rdo.[a-z", "unclosed '['"),
        ("rdo.[]", "empty character class '[]'"),
        ("rdo.[!]", "empty character class '[!]'"),
        ("rdo.[z-a]", "matches no character"),
    ],
)
def test_bad_glob_in_owns_is_an_error(glob: str, reason: str) -> None:
    error = only_error(f"team: rdo\nowns:\n  - rdo.*\n  - '{glob}'\n")
    assert (error.line, error.key) == (4, "owns[1]")
    assert f"bad glob '{glob}'" in error.message and reason in error.message


def test_bad_glob_in_applies_to_products_is_an_error() -> None:
    error = only_error("team: rdo\napplies_to:\n  products: ['CentOS-Stream-[9']\n")
    assert (error.line, error.key) == (3, "applies_to.products[0]")


def test_empty_owns_is_an_error() -> None:
    error = only_error("team: rdo\nowns: []\n")
    assert (error.line, error.key) == (2, "owns")


@pytest.mark.parametrize("deadline", ["12", "h", "-1h", "1.5h", "0h", "'12 hours'"])
def test_bad_duration_is_an_error(deadline: str) -> None:
    error = only_error(f"team: rdo\ngates:\n  - testcase: rdo.x\n    deadline: {deadline}\n")
    assert (error.line, error.key) == (4, "gates[0].deadline")


def test_on_missing_must_be_block_or_ignore() -> None:
    error = only_error("team: rdo\ngates:\n  - testcase: rdo.x\n    on_missing: skip\n")
    assert (error.line, error.key) == (4, "gates[0].on_missing")
    assert error.message == "expected 'block' or 'ignore', got 'skip'"


def test_duplicate_arch_in_a_gate_is_an_error() -> None:
    error = only_error("""\
        team: rdo
        gates:
          - testcase: rdo.x
            arches:
              - x86_64
              - aarch64
              - x86_64
        """)
    assert (error.line, error.key) == (7, "gates[0].arches[2]")
    assert "duplicate 'x86_64' (already at gates[0].arches[0])" in error.message


def test_empty_arches_is_an_error() -> None:
    error = only_error("team: rdo\ngates:\n  - testcase: rdo.x\n    arches: []\n")
    assert (error.line, error.key) == (4, "gates[0].arches")


def test_duplicate_gate_is_an_error() -> None:
    error = only_error("""\
        team: rdo
        gates:
          - testcase: rdo.x
            scenario: a
          - testcase: rdo.y
          - testcase: rdo.x
            scenario: a
        """)
    assert (error.line, error.key) == (6, "gates[2]")
    assert "duplicate gate for testcase 'rdo.x' (scenario 'a'); first at gates[0] (line 3)" in (
        error.message
    )


def test_unknown_compose_type_is_an_error() -> None:
    error = only_error("team: rdo\napplies_to:\n  types: [production, prod]\n")
    assert (error.line, error.key) == (3, "applies_to.types[1]")
    assert "unknown compose type 'prod'; use one of production, test, nightly" in error.message


def test_type_glob_matching_no_compose_type_is_an_error() -> None:
    error = only_error("team: rdo\napplies_to:\n  types: ['weekly*']\n")
    assert (error.line, error.key) == (3, "applies_to.types[0]")
    assert "matches no compose type" in error.message


def test_gate_testcase_not_owned_by_the_team_is_an_error() -> None:
    error = only_error("team: rdo\ngates:\n  - testcase: rdo.x\n  - testcase: idm.x\n")
    assert (error.line, error.key) == (4, "gates[1].testcase")
    assert "testcase 'idm.x' is not owned by team 'rdo' (owns: rdo.*)" in error.message


def test_ownership_is_not_checked_against_broken_owns() -> None:
    _, errors = parse("team: rdo\nowns: ['rdo.[']\ngates:\n  - testcase: rdo.x\n")
    assert [e.key for e in errors] == ["owns[0]"]


# -- nothing crashes --------------------------------------------------------------------------


@settings(max_examples=300)
@given(st.text(alphabet=st.sampled_from(list("team: rdo\n -[]{}&*!|>'\"#,?%@`\t\x00\ufeff"))))
def test_any_text_gives_errors_not_a_traceback(text: str) -> None:
    policy, errors = parse_policy(text, "fuzz.yaml")
    assert (policy is None) == bool(errors)
    assert all(str(e).startswith("fuzz.yaml") and "\n" not in str(e) for e in errors)


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=5),
    st.sampled_from(["rdo.x", "12h", "block", "x86_64"]),
)
_KEYS = st.sampled_from(
    [
        "team",
        "owns",
        "gates",
        "testcase",
        "arches",
        "deadline",
        "reporters",
        "users",
        "applies_to",
        "types",
        "on_missing",
        "required",
        "x",
    ]
)
_DATA = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_KEYS, inner, max_size=4)),
    max_leaves=12,
)


@settings(max_examples=300)
@given(st.dictionaries(_KEYS, _DATA, max_size=5))
def test_any_data_gives_errors_not_a_traceback(data: dict[str, object]) -> None:
    policy, errors = parse_policy(yaml.safe_dump(data), "fuzz.yaml")
    assert (policy is None) == bool(errors)
    assert all(e.line is not None for e in errors)


# -- directories ------------------------------------------------------------------------------


def test_load_policies_returns_policies_sorted_by_team(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "team: zeta\n")
    write(tmp_path, "b.yml", "team: alpha\n")
    assert [p.team for p in load_policies(tmp_path)] == ["alpha", "zeta"]


def test_load_policies_reads_only_yaml_files_at_the_top(tmp_path: Path) -> None:
    write(tmp_path, "rdo.yaml", "team: rdo\n")
    write(tmp_path, "README.md", "not a policy\n")
    write(tmp_path, ".idm.yaml", "broken: [\n")
    (tmp_path / "old").mkdir()
    write(tmp_path / "old", "idm.yaml", "team: idm\n")
    assert [p.team for p in load_policies(str(tmp_path))] == ["rdo"]


def test_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as info:
        load_policies(tmp_path / "nope")
    assert info.value.file == str(tmp_path / "nope")
    assert "does not exist" in info.value.message


def test_directory_without_policy_files_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "notes.txt", "team: rdo\n")
    with pytest.raises(PolicyError) as info:
        load_policies(tmp_path)
    assert info.value.file == str(tmp_path) and "no policy files" in info.value.message


def test_single_error_in_a_directory_is_raised_alone(tmp_path: Path) -> None:
    write(tmp_path, "rdo.yaml", "team: rdo\ncolour: x\n")
    with pytest.raises(PolicyError) as info:
        load_policies(tmp_path)
    assert not isinstance(info.value, ErrorGroup)
    assert str(info.value) == (
        f"{tmp_path / 'rdo.yaml'}:2: colour: unknown key 'colour'; expected one of: team, "
        "description, contact, owns, reporters, applies_to, gates, decision_context, waivers"
    )


def test_three_broken_files_are_reported_in_one_group_sorted_by_file_and_line(
    tmp_path: Path,
) -> None:
    write(tmp_path, "c.yaml", "team: c\ngates:\n  - testcase: c.x\n    deadline: 12\n")
    write(tmp_path, "a.yaml", "team: a\nowns: ['a.[']\ncolour: x\n")
    write(tmp_path, "b.yaml", "team: [b]\n")
    with pytest.raises(ErrorGroup) as info:
        load_policies(tmp_path)
    assert [(Path(e.file or "").name, e.line, e.key) for e in info.value.errors] == [
        ("a.yaml", 2, "owns[0]"),
        ("a.yaml", 3, "colour"),
        ("b.yaml", 1, "team"),
        ("c.yaml", 4, "gates[0].deadline"),
    ]
    assert str(info.value).count("\n") == 3


def test_duplicate_team_is_located_at_the_second_files_team_line(tmp_path: Path) -> None:
    first = write(tmp_path, "a.yaml", "team: rdo\nowns: ['rdo.*']\n")
    write(tmp_path, "b.yaml", "# the same team again\nteam: rdo\n")
    with pytest.raises(PolicyError) as info:
        load_policies(tmp_path)
    error = info.value
    assert (Path(error.file or "").name, error.line, error.key) == ("b.yaml", 2, "team")
    assert f"already defined in {first}:1" in error.message


def test_overlapping_owns_is_located_at_the_later_files_glob(tmp_path: Path) -> None:
    first = write(tmp_path, "a.yaml", "team: alpha\nowns:\n  - alpha.*\n  - shared.*\n")
    write(tmp_path, "b.yaml", "team: beta\nowns:\n  - beta.*\n  - 'shared.[a-c]*'\n")
    with pytest.raises(PolicyError) as info:
        load_policies(tmp_path)
    error = info.value
    assert (Path(error.file or "").name, error.line, error.key) == ("b.yaml", 4, "owns[1]")
    assert error.message.startswith(
        f"glob 'shared.[a-c]*' overlaps glob 'shared.*' of team 'alpha' ({first}:4 owns[1]): "
        "a testcase like 'shared.a' would belong to both"
    )


def test_default_owns_can_overlap_too(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "team: rdo\n")
    write(tmp_path, "b.yaml", "team: other\nowns: ['r*']\n")
    with pytest.raises(PolicyError) as info:
        load_policies(tmp_path)
    assert (Path(info.value.file or "").name, info.value.line) == ("b.yaml", 2)
    assert "of team 'rdo'" in info.value.message


def test_disjoint_owns_load(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "team: rdo\nowns: ['rdo.*']\n")
    write(tmp_path, "b.yaml", "team: rdoc\nowns: ['rdoc.*', 'rdo-*']\n")
    assert [p.team for p in load_policies(tmp_path)] == ["rdo", "rdoc"]


def test_undecodable_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "rdo.yaml").write_bytes(b"team: rdo\ndescription: caf\xe9\n")
    with pytest.raises(PolicyError) as info:
        load_policies(tmp_path)
    assert info.value.line == 2 and "not UTF-8" in info.value.message


def test_load_policy_file_returns_the_policy(tmp_path: Path) -> None:
    path = write(tmp_path, "rdo.yaml", GOOD)
    policy = load_policy_file(path)
    assert policy.team == "rdo" and policy.file == str(path)


def test_load_policy_file_raises_all_its_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "rdo.yaml", "team: RDO\ncolour: x\n")
    with pytest.raises(ErrorGroup) as info:
        load_policy_file(path)
    assert [e.key for e in info.value.errors] == ["team", "colour"]


def test_example_policies_load_cleanly() -> None:
    policies = load_policies(EXAMPLES)
    assert {"t_functional", "rdo", "idm"} <= {p.team for p in policies}


# -- matching ---------------------------------------------------------------------------------


def _policy(products: tuple[str, ...] = (), types: tuple[str, ...] = ()) -> Policy:
    return Policy(team="rdo", owns=("rdo.*", "openstack-?"), applies_to=AppliesTo(products, types))


def test_applies_when_a_product_and_a_type_glob_match() -> None:
    policy = _policy(("CentOS-Stream-9", "CentOS-Stream-1*"), ("production", "nightly"))
    assert applies(policy, "CentOS-Stream-10", "nightly")
    assert not applies(policy, "CentOS-Stream-8", "nightly")
    assert not applies(policy, "CentOS-Stream-9", "test")


def test_empty_applies_to_matches_any_compose() -> None:
    assert applies(_policy(), "Fedora-40", "ci")
    assert applies(_policy(types=("production",)), "anything", "production")


def test_applies_is_case_sensitive() -> None:
    assert not applies(_policy(("centos-stream-*",)), "CentOS-Stream-9", "production")


def test_owns_matches_testcase_globs() -> None:
    assert owns(_policy(), "rdo.tempest.smoke")
    assert owns(_policy(), "openstack-1")
    assert not owns(_policy(), "idm.rdo.x")


def test_team_for_finds_the_owner() -> None:
    idm = Policy(team="idm", owns=("idm.*",))
    assert team_for([idm, _policy()], "rdo.x") == _policy()
    assert team_for([idm, _policy()], "unknown.x") is None


# -- glob overlap -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("rdo.*", "rdo.*", True),
        ("rdo.*", "rdo-*", False),
        ("rdo.*", "*.smoke", True),
        ("a*", "*b", True),
        ("a*b", "a*c", False),
        ("?", "ab", False),
        ("[a-c]x", "[!b]x", True),
        ("[a-c]x", "[!a-c]x", False),
        ("[ab]", "[!ab]", False),
        ("[!b-c]", "a", True),
        ("[!a-c]", "?", True),
        ("[!a]", " ", True),
        ("[!a]", "\0", True),
        ("*", "", True),
        ("?*", "", False),
        ("x[", "x[", True),
        ("x[", "x?", True),
        ("[]]", "]", True),
        ("[z-a]", "*", False),
    ],
)
def test_globs_overlap_examples(a: str, b: str, expected: bool) -> None:
    assert globs_overlap(a, b) is expected
    assert globs_overlap(b, a) is expected


def _brute_overlap(a: str, b: str, alphabet: str, longest: int) -> bool:
    return any(
        fnmatchcase(text, a) and fnmatchcase(text, b)
        for size in range(longest + 1)
        for text in map("".join, itertools.product(alphabet, repeat=size))
    )


_TOKENS = st.sampled_from(
    ["a", "b", "?", "*", "[a]", "[b]", "[ab]", "[!a]", "[!b]", "[!ab]", "[a-b]", "[b-a]", "[!a-b]"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_TOKENS, max_size=4), st.lists(_TOKENS, max_size=4))
def test_globs_overlap_agrees_with_brute_force(a: list[str], b: list[str]) -> None:
    # "c" stands for every character other than a and b; a common string, if any,
    # is no longer than the two patterns' character tokens together
    longest = sum(t != "*" for t in a) + sum(t != "*" for t in b)
    assert globs_overlap("".join(a), "".join(b)) == _brute_overlap(
        "".join(a), "".join(b), "abc", longest
    )


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab*?[]!-", max_size=3), st.text(alphabet="ab*?[]!-", max_size=3))
def test_globs_overlap_agrees_with_brute_force_on_raw_patterns(a: str, b: str) -> None:
    # membership only changes at a pattern's character or just after it: those
    # characters (and NUL) stand for all; a pattern without '*' bounds the length
    alphabet = "".join(sorted({"\0", *a, *b, *(chr(ord(c) + 1) for c in a + b)}))
    bounds = [len(p) for p in (a, b) if "*" not in p]
    longest = min(bounds) if bounds else len(a.replace("*", "")) + len(b.replace("*", ""))
    assert globs_overlap(a, b) == _brute_overlap(a, b, alphabet, longest)


@given(st.text(alphabet="ab.*?[]!-^\\", max_size=8), st.text(alphabet="ab.*?[]!-^\\", max_size=8))
def test_overlap_example_matches_both_globs(a: str, b: str) -> None:
    from gatekeeper.policy.globs import overlap_example

    example = overlap_example(a, b)
    assert (example is not None) == globs_overlap(a, b)
    if example is not None:
        assert fnmatchcase(example, a) and fnmatchcase(example, b)


# -- JSON Schema ------------------------------------------------------------------------------


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = policy_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] and schema["title"] and schema["description"]


def test_good_policy_passes_the_schema() -> None:
    jsonschema.validate(yaml.safe_load(GOOD), policy_schema(), jsonschema.Draft202012Validator)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_example_policies_pass_the_schema(path: Path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    jsonschema.validate(data, policy_schema(), jsonschema.Draft202012Validator)


@pytest.mark.parametrize(
    "change",
    [
        {"team": "RDO"},
        {"colour": "blue"},
        {"owns": "rdo.*"},
        {"owns": []},
        {"owns": ["rdo.["]},
        {"owns": ["rdo.[]"]},
        {"owns": [""]},
        {"reporters": {"users": "rdo-bot"}},
        {"applies_to": {"types": ["prod"]}},
        {"applies_to": {"product": ["x"]}},
        {"gates": [{"arches": ["x86_64"]}]},
        {"gates": [{"testcase": "rdo.x", "deadline": "12"}]},
        {"gates": [{"testcase": "rdo.x", "deadline": "1.5h"}]},
        {"gates": [{"testcase": "rdo.x", "deadline": "0h"}]},
        {"gates": [{"testcase": "rdo.x", "required": "yes"}]},
        {"gates": [{"testcase": "rdo.x", "on_missing": "skip"}]},
        {"gates": [{"testcase": "rdo.x", "arches": ["a", "a"]}]},
        {"gates": [{"testcase": "rdo.x", "scenario": True}]},
    ],
    ids=str,
)
def test_bad_policies_fail_the_schema(change: dict[str, object]) -> None:
    data = {**yaml.safe_load(GOOD), **change}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, policy_schema(), jsonschema.Draft202012Validator)
    _, errors = parse_policy(yaml.safe_dump(data), "rdo.yaml")
    assert errors, "the loader rejects what the schema rejects"


@given(st.text(alphabet="a*?[]!-", max_size=8))
def test_schema_glob_pattern_agrees_with_the_loader(glob: str) -> None:
    import re

    from gatekeeper.policy.globs import glob_problem

    pattern = policy_schema()["properties"]["owns"]["items"]["pattern"]
    problem = glob_problem(glob)
    # a class matching no character ("[b-a]") is beyond a regular expression
    if problem is None or "matches no character" not in problem:
        assert (re.search(pattern, glob) is not None) == (problem is None)


# -- tags on collections ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "key"),
    [
        ("team: rdo\nowns: !!python/object/apply:os.system ['echo hi']\n", 2, "owns"),
        ("team: rdo\nreporters: !!python/object:os.system {users: [a]}\n", 2, "reporters"),
        ("team: rdo\ngates: !!omap [{testcase: rdo.a}]\n", 2, "gates"),
        ("team: rdo\ngates:\n  - !custom {testcase: rdo.a}\n", 3, "gates[0]"),
    ],
)
def test_a_tagged_list_or_mapping_is_refused_where_it_stands(
    text: str, line: int, key: str
) -> None:
    error = only_error(text)
    assert (error.line, error.key) == (line, key)
    assert "tagged" in error.message and "remove the tag" in error.message


# -- decision_context (Greenwave's decision contexts) -------------------------------------------


def test_a_policy_answers_the_gatekeeper_context_by_default() -> None:
    policy, errors = parse("team: rdo\n")
    assert errors == []
    assert policy is not None and policy.decision_contexts == ("gatekeeper",)


@pytest.mark.parametrize(
    ("value", "contexts"),
    [
        ("bodhi_update_push_stable", ("bodhi_update_push_stable",)),
        ("[gatekeeper, osci_compose_gate]", ("gatekeeper", "osci_compose_gate")),
    ],
)
def test_decision_context_is_a_name_or_a_list(value: str, contexts: tuple[str, ...]) -> None:
    policy, errors = parse(f"team: rdo\ndecision_context: {value}\n")
    assert errors == []
    assert policy is not None and policy.decision_contexts == contexts
    data = yaml.safe_load(f"team: rdo\ndecision_context: {value}\n")
    jsonschema.validate(data, policy_schema(), jsonschema.Draft202012Validator)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("[]", "the list is empty"),
        ("[a, a]", "duplicate 'a'"),
        ('""', "got an empty string"),
        ("{a: b}", "expected a decision context or a list of them"),
        ("[1]", "quote it"),
    ],
)
def test_a_bad_decision_context_is_located(value: str, expected: str) -> None:
    error = only_error(f"team: rdo\ndecision_context: {value}\n")
    assert error.line == 2 and error.key is not None
    assert error.key.startswith("decision_context")
    assert expected in error.message
    data = yaml.safe_load(f"team: rdo\ndecision_context: {value}\n")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, policy_schema(), jsonschema.Draft202012Validator)
