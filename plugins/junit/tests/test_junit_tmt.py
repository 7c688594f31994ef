"""Names and notes a policy author can type: tmt's JUnit reports are named as the tmt plugin
names a run (``/`` read as ``.``, no doubled names, the plan as the scenario), and a
stestr/subunit failure keeps its exception's message (issue #13, item 16)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from gatekeeper_junit.parse import Options, parse_files

from gatekeeper.model import Result
from gatekeeper.testing import unavailable

CID = "CentOS-Stream-9-20261124.0"
TMT = Path(sys.executable).parent / "tmt"
TESTS_FMF = """\
framework: shell
/pass:
    test: echo all good
/fail:
    test: echo something broke; exit 1
/sub:
    test: tmt-report-result /sub/good PASS && tmt-report-result /sub/bad FAIL
"""
PLANS_FMF = "/smoke:\n    discover:\n        how: fmf\n    execute:\n        how: tmt\n"


def names(name: str, data: bytes, **options: str) -> list[tuple[str, str | None]]:
    results = parse_files([(name, data)], Options(CID, "ci", **options)).results
    return sorted((r.testcase, r.scenario) for r in results)


@pytest.fixture(scope="session")
def tmt_junit(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """A real tmt run's JUnit reports: ``default`` and ``subresults`` flavours."""
    if not TMT.exists() or shutil.which("rsync") is None:
        unavailable("tmt", "pip install -e 'plugins/tmt[test]' and apt-get install -y rsync")
    base = tmp_path_factory.mktemp("tmt-junit")
    for path, text in ((".fmf/version", "1\n"), ("tests/main.fmf", TESTS_FMF),
                       ("plans/main.fmf", PLANS_FMF)):  # fmt: skip
        (base / "tree" / path).parent.mkdir(parents=True, exist_ok=True)
        (base / "tree" / path).write_text(text, encoding="utf-8")
    reports = {}
    for flavor, more in (("default", ["-a", "provision", "--how", "local"]),
                         ("subresults", [])):  # fmt: skip
        out = base / f"{flavor}.xml"
        subprocess.run(
            [TMT, "--feeling-safe", "run", "--id", base / "run", *more, "report", "--how",
             "junit", "--flavor", flavor, "--file", out, "--force"],
            cwd=base / "tree", capture_output=True, timeout=300, check=False,
        )  # fmt: skip
        assert out.is_file(), f"tmt wrote no {flavor} report"
        reports[flavor] = out.read_bytes()
    return reports


def test_tmts_default_junit_is_named_as_the_tmt_plugin_names_it(
    tmt_junit: dict[str, bytes],
) -> None:
    assert names("junit.xml", tmt_junit["default"]) == [
        ("ci.tests.fail", "/plans/smoke"),
        ("ci.tests.pass", "/plans/smoke"),
        ("ci.tests.sub", "/plans/smoke"),
    ]


def test_tmts_subresults_junit_names_each_test_once_and_subresults_below_it(
    tmt_junit: dict[str, bytes],
) -> None:
    assert names("junit.xml", tmt_junit["subresults"], scenario="/plans/smoke") == [
        ("ci.tests.fail", "/plans/smoke"),
        ("ci.tests.pass", "/plans/smoke"),
        ("ci.tests.sub", "/plans/smoke"),
        ("ci.tests.sub.sub.bad", "/plans/smoke"),
        ("ci.tests.sub.sub.good", "/plans/smoke"),
    ]


def test_the_shared_tmt_sample_is_named_as_the_tmt_plugin_names_it(samples: Path) -> None:
    data = (samples / "tmt" / "junit-default.xml").read_bytes()
    assert names("junit-default.xml", data, scenario="ignored") == [
        ("ci.tests.custom", "/plans/local"),
        ("ci.tests.fail", "/plans/local"),
        ("ci.tests.pass", "/plans/local"),
    ]


def test_a_name_format_sees_tmts_fields_read_alike(samples: Path) -> None:
    data = (samples / "tmt" / "junit-default.xml").read_bytes()
    found = names("junit-default.xml", data, name_format="{namespace}{suite}.{name}")
    assert found[-1] == ("ci.plans.local.tests.pass", "/plans/local")


def test_a_scenario_property_still_wins_over_tmts_plan() -> None:
    xml = (
        '<testsuites><testsuite name="/plans/smoke"><properties>'
        '<property name="scenario" value="nightly"/></properties>'
        '<testcase name="/tests/pass"/></testsuite></testsuites>'
    )
    assert names("j.xml", xml.encode()) == [("ci.tests.pass", "nightly")]


@pytest.mark.parametrize(
    ("xml", "expected"),
    [  # not tmt's: a classname, or names that are not fmf names, keep the JUnit rule
        ('<testsuite name="/plans/x"><testcase classname="k" name="/t"/></testsuite>',
         ("ci.k./t", None)),
        ('<testsuite name="suite"><testcase name="/t"/></testsuite>', ("ci.suite./t", None)),
        ('<testsuite name="/s"><testcase name="t"/></testsuite>', ("ci./s.t", None)),
    ],
)  # fmt: skip
def test_other_reports_keep_the_junit_rule(xml: str, expected: tuple[str, None]) -> None:
    assert names("j.xml", xml.encode()) == [expected]


# -- stestr (subunit2junitxml): the message is in the traceback -------------------------

TRACEBACK = """\
Traceback (most recent call last):
  File "/usr/lib/python3.9/site-packages/tempest/api/compute/test_servers.py", line 41, in test_x
    self.assertEqual(1, 2)
    ~~~~~~~~~~~~~~~~^^^^^^
  File "/usr/lib/python3.9/site-packages/testtools/testcase.py", line 394, in assertEqual
    self.assertThat(observed, matcher, message)
testtools.matchers._impl.MismatchError: 1 != 2
"""


def stestr_case(text: str, tag: str = "failure") -> bytes:
    body = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (
        '<testsuite errors="0" failures="1" name="" tests="1" time="1.0">'
        '<testcase classname="tempest.api.compute.test_servers.ServersTest" '
        'name="test_x[id-0b0b,smoke]" time="1.0">'
        f'<{tag} type="testtools.testresult.real._StringException">{body}</{tag}>'
        "</testcase></testsuite>"
    ).encode()


def note(data: bytes) -> str | None:
    (result,) = parse_files([("stestr.xml", data)], Options(CID, "ci")).results
    assert isinstance(result, Result)
    return result.note


def test_a_stestr_failure_keeps_its_exception_and_message() -> None:
    assert note(stestr_case(TRACEBACK)) == (
        "failure: testtools.matchers._impl.MismatchError: 1 != 2"
    )


def test_a_stestr_error_after_long_captured_logs_keeps_its_message() -> None:
    logs = "_StringException: pythonlogging:'': {{{\n" + "DEBUG noise\n" * 2000 + "}}}\n\n"
    assert note(stestr_case(logs + TRACEBACK, tag="error")) == (
        "error: testtools.matchers._impl.MismatchError: 1 != 2"
    )


def test_a_type_and_a_text_without_a_message_keep_both() -> None:
    data = (
        b'<testsuite name="s"><testcase classname="c" name="t">'
        b'<failure type="AssertionError">expected 1, got 2\nmore</failure>'
        b"</testcase></testsuite>"
    )
    assert note(data) == "failure: AssertionError: expected 1, got 2"
