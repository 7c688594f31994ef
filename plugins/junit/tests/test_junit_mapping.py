"""How a JUnit report becomes results: outcomes, reruns, properties, nesting, duplicates, ids."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from gatekeeper_junit.parse import Options, Parsed, parse, parse_files

from gatekeeper.errors import ErrorGroup, InputError
from gatekeeper.model import Result

CID = "CentOS-Stream-9-20261124.0"


def read(*documents: str, **options: Any) -> Parsed:
    files = [(f"f{i}.xml", doc.encode()) for i, doc in enumerate(documents)]
    return parse_files(files, Options(CID, options.pop("namespace", "ci"), **options))


def one(document: str, **options: Any) -> Result:
    (result,) = read(document, **options).results
    return result


def suite(*cases: str, props: str = "", name: str = "s") -> str:
    properties = f"<properties>{props}</properties>" if props else ""
    return f'<testsuite name="{name}">{properties}{"".join(cases)}</testsuite>'


def case(body: str = "", name: str = "t", classname: str = "c") -> str:
    return f'<testcase classname="{classname}" name="{name}">{body}</testcase>'


def prop(name: str, value: str) -> str:
    return f'<property name="{name}" value="{value}"/>'


# -- outcomes --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "outcome", "note"),
    [
        ("", "PASSED", None),
        (
            '<failure message="boom" type="AssertionError">trace</failure>',
            "FAILED",
            "failure: boom",
        ),
        ('<error message="oops">trace</error>', "ERROR", "error: oops"),
        ("<failure>first line\nsecond</failure>", "FAILED", "failure: first line"),
        ('<failure type="AssertionError"/>', "FAILED", "failure: AssertionError"),
        ("<failure/>", "FAILED", "failure"),
        ('<error message="e"/><failure message="f"/>', "FAILED", "failure: f"),
        ('<skipped message="s"/><failure message="f"/>', "FAILED", "failure: f"),
        ('<skipped message="s"/><error message="e"/>', "ERROR", "error: e"),
    ],
)
def test_outcome_mapping(body: str, outcome: str, note: str | None) -> None:
    result = one(suite(case(body)))
    assert (result.outcome.value, result.note) == (outcome, note)


def test_skipped_is_not_stored_by_default() -> None:
    parsed = read(suite(case('<skipped message="no network"/>'), case(name="u")))
    assert [r.testcase for r in parsed.results] == ["ci.c.u"]
    assert parsed.tallies[0].skipped == 1
    assert "(not stored)" in parsed.tallies[0].summary()


def test_skipped_is_info_when_configured() -> None:
    result = one(suite(case('<skipped message="no network"/>')), skipped="info")
    assert (result.outcome.value, result.note) == ("INFO", "skipped: no network")
    assert result.data["skipped"] is True


def test_long_messages_are_cut() -> None:
    note = one(suite(case(f'<failure message="{"x" * 1000}"/>'))).note
    assert note is not None and len(note) == 300 and note.endswith("...")


# -- reruns ----------------------------------------------------------------------------
def test_flaky_failure_then_pass_is_passed_and_noted() -> None:
    result = one(suite(case('<flakyFailure message="timeout"/><flakyError message="x"/>')))
    assert result.outcome.value == "PASSED"
    assert result.note == "flaky: passed on rerun after 2 failed attempt(s): timeout"
    assert result.data["flaky"] == 2


def test_flaky_passes_are_counted() -> None:
    parsed = read(suite(case("<flakyFailure/>"), case(name="u")))
    tally = parsed.tallies[0]
    assert (tally.passed, tally.flaky) == (2, 1)
    assert "2 passed (1 flaky)" in tally.summary()


def test_failure_with_reruns_stays_failed() -> None:
    result = one(suite(case('<failure message="f"/><rerunFailure message="f2"/><rerunFailure/>')))
    assert result.outcome.value == "FAILED"
    assert result.note == "failure: f (and again in 2 rerun(s))"
    assert result.data["reruns"] == 2


def test_error_with_reruns_stays_errored() -> None:
    result = one(suite(case('<error message="e"/><rerunError/>')))
    assert (result.outcome.value, result.note) == ("ERROR", "error: e (and again in 1 rerun(s))")


def test_reruns_without_a_final_result_count_as_failed() -> None:
    result = one(suite(case('<rerunFailure message="r"/>')))
    assert result.outcome.value == "FAILED"
    assert result.note == "rerun failures without a final result, counted as failed: r"


def test_surefire_flaky_report_with_stack_traces() -> None:
    document = suite(
        case(
            '<flakyFailure message="expected 1" type="java.lang.AssertionError">'
            "<stackTrace>at Foo.test(Foo.java:10)</stackTrace>"
            "<system-out>out</system-out></flakyFailure>",
            name="testFlaky",
            classname="com.example.FooTest",
        ),
        name="com.example.FooTest",
    )
    result = one(document)
    assert (result.testcase, result.outcome.value) == ("ci.com.example.FooTest.testFlaky", "PASSED")
    assert result.note == "flaky: passed on rerun after 1 failed attempt(s): expected 1"


# -- properties and nesting --------------------------------------------------------------
def test_options_give_every_result_its_arch_scenario_variant() -> None:
    result = one(suite(case()), arch="x86_64", scenario="pkg", variant="BaseOS")
    assert (result.arch, result.scenario, result.variant) == ("x86_64", "pkg", "BaseOS")


def test_suite_properties_set_arch_scenario_variant() -> None:
    props = prop("arch", "aarch64") + prop("scenario", "s1") + prop("variant", "AppStream")
    result = one(suite(case(), props=props + prop("java.vendor", "x")))
    assert (result.arch, result.scenario, result.variant) == ("aarch64", "s1", "AppStream")


def test_suite_properties_override_options_and_inner_suites_override_outer() -> None:
    inner = suite(case(name="inner"), props=prop("arch", "s390x"), name="in")
    outer = suite(case(name="outer"), inner, props=prop("arch", "aarch64") + prop("scenario", "o"))
    by_name = {r.testcase: r for r in read(outer, arch="x86_64", scenario="cli").results}
    assert (by_name["ci.c.outer"].arch, by_name["ci.c.outer"].scenario) == ("aarch64", "o")
    assert (by_name["ci.c.inner"].arch, by_name["ci.c.inner"].scenario) == ("s390x", "o")


def test_testcase_properties_are_the_most_specific() -> None:
    body = f"<properties>{prop('arch', 'ppc64le')}</properties>"
    result = one(suite(case(body), props=prop("arch", "aarch64")))
    assert result.arch == "ppc64le"


def test_empty_property_values_are_ignored() -> None:
    assert one(suite(case(), props=prop("arch", " ")), arch="x86_64").arch == "x86_64"


def test_nested_suites_at_any_depth_are_read_in_document_order() -> None:
    deep = suite(case(name="d3"), name="l3")
    document = (
        "<testsuites>"
        + suite(
            case(name="a1"), suite(case(name="b2"), deep, name="l2"), case(name="a2"), name="l1"
        )
        + suite(case(name="z1"), name="other")
        + "</testsuites>"
    )
    names = [r.data["name"] for r in read(document).results]
    assert names == ["a1", "a2", "b2", "d3", "z1"]
    suites = {r.data["name"]: r.data["suite"] for r in read(document).results}
    assert suites == {"a1": "l1", "a2": "l1", "b2": "l2", "d3": "l3", "z1": "other"}


def test_a_testsuite_root_is_read() -> None:
    assert one(suite(case())).testcase == "ci.c.t"


# -- naming ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("classname", "suite_name", "fmt", "expected"),
    [
        ("pkg.Cls", "s", None, "ci.pkg.Cls.t"),
        ("", "com.shape.CircleTest", None, "ci.com.shape.CircleTest.t"),  # Surefire/Ant style
        ("", "", None, "ci.t"),  # nothing to fall back on: the dot goes too
        ("pkg.Cls", "s", "{namespace}{name}", "ci.t"),
        ("pkg.Cls", "s", "{namespace}{suite}.{name}", "ci.s.t"),
        ("pkg.Cls", "s", "{namespace}{file}.{name}", "ci.f0.xml.t"),
        ("pkg.Cls", "", "{namespace}{name}.{suite}", "ci.t"),
    ],
)
def test_naming_rule(classname: str, suite_name: str, fmt: str | None, expected: str) -> None:
    options = {"name_format": fmt} if fmt else {}
    result = one(suite(case(classname=classname), name=suite_name), **options)
    assert result.testcase == expected


@pytest.mark.parametrize("namespace", ["ci", "ci.", " ci "])
def test_namespace_gets_one_dot(namespace: str) -> None:
    assert one(suite(case()), namespace=namespace).testcase == "ci.c.t"


def test_a_testcase_without_name_is_a_located_error() -> None:
    document = '<testsuite name="s">\n<testcase classname="c"/>\n<testcase name=" "/></testsuite>'
    with pytest.raises(ErrorGroup) as caught:
        read(document, document.replace('name=" "', 'name="ok"'))
    assert str(caught.value).splitlines() == [
        "f0.xml:2: a <testcase> has no name attribute",
        "f0.xml:3: a <testcase> has no name attribute",
        "f1.xml:2: a <testcase> has no name attribute",
    ]


# -- duplicates and ids ------------------------------------------------------------------
def test_duplicates_in_one_upload_fold_into_the_worst() -> None:
    first = suite(case(), case('<failure message="f"/>'))
    second = suite(case('<error message="e"/>'))
    parsed = read(first, second)
    (result,) = parsed.results
    assert result.outcome.value == "FAILED"
    assert result.note == "worst of 3 reports in this upload; failure: f"
    assert result.data["occurrences"] == ["f0.xml:1", "f0.xml:1", "f1.xml:1"]
    assert parsed.folded == 2


def test_a_testcase_repeated_thousands_of_times_lists_its_first_places_and_counts_the_rest() -> (
    None
):
    (result,) = read(suite(*[case()] * 4_999, case('<failure message="f"/>'))).results
    assert result.outcome.value == "FAILED"
    assert result.note == "worst of 5000 reports in this upload; failure: f"
    assert result.data["occurrences"] == ["f0.xml:1"] * 100
    assert result.data["occurrences_left_out"] == 4_900


def test_different_keys_are_not_duplicates() -> None:
    x86 = suite(case(), props=prop("arch", "x86_64"))
    arm = suite(case('<failure message="f"/>'), props=prop("arch", "aarch64"))
    outcomes = {r.arch: r.outcome.value for r in read(x86 + "", arm).results}
    assert outcomes == {"x86_64": "PASSED", "aarch64": "FAILED"}


def test_ids_are_stable_and_source_is_junit() -> None:
    document = suite(case(), case(name="u"))
    first, second = read(document).results, read(document).results
    assert [r.id for r in first] == [r.id for r in second]
    assert len({r.id for r in first}) == 2
    assert {r.source for r in first} == {"junit"}


def test_ids_change_with_the_file_the_options_or_the_run_id() -> None:
    (base,) = read(suite(case())).results
    assert read(suite(case(), name="s2")).results[0].id != base.id  # other bytes
    assert read(suite(case()), arch="x86_64").results[0].id != base.id  # other key
    assert read(suite(case()), run_id="pipeline-7").results[0].id != base.id


def test_submit_time_and_ref_url_come_from_the_options() -> None:
    when = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    result = one(suite(case()), submit_time=when, ref_url="https://ci.example.org/7")
    assert (result.submit_time, result.ref_url) == (when, "https://ci.example.org/7")


# -- the registered format's options -----------------------------------------------------
def test_parse_hook_reads_one_file() -> None:
    results = parse(suite(case()).encode(), compose=CID, options={"namespace": "ci"})
    assert [r.testcase for r in results] == ["ci.c.t"]
    assert results[0].compose == CID


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({}, "namespace"),
        ({"namespace": " . "}, "namespace"),
        ({"namespace": "ci", "arch": 7}, "arch"),
        ({"namespace": "ci", "name_format": "{namespace}{nope}"}, "name_format"),
        ({"namespace": "ci", "name_format": "{namespace}{classname}"}, "name_format"),
        ({"namespace": "ci", "name_format": "{name!r}"}, "name_format"),
        ({"namespace": "ci", "name_format": "{name"}, "name_format"),
        ({"namespace": "ci", "skipped": "pass"}, "skipped"),
        ({"namespace": "ci", "max_bytes": 0}, "max_bytes"),
        ({"namespace": "ci", "max_bytes": True}, "max_bytes"),
        ({"namespace": "ci", "submit_time": "now"}, "submit_time"),
        ({"namespace": "ci", "arhc": "x86_64"}, "arhc"),
    ],
)
def test_bad_options_are_refused(options: dict[str, Any], key: str) -> None:
    with pytest.raises(InputError) as caught:
        parse(suite(case()).encode(), compose=CID, options=options)
    assert caught.value.key == key
