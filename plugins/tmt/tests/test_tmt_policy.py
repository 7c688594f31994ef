"""The ``tmt`` result format through the application (``Gatekeeper.report``, as the HTTP
upload will use it), against the Integration SIG's real t_functional policy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tmt_helpers import COMPOSE

from gatekeeper.errors import InputError, Unauthorized

POLICY = Path(__file__).resolve().parents[3] / "policies" / "t_functional.yaml"
SUITE = """\
- __class__: {module: tmt.result, name: Result}
  name: /tests
  result: pass
  serial-number: 1
  guest: {name: default-0, role: null}
  start-time: '2026-11-24T05:00:00+00:00'
  end-time: '2026-11-24T05:40:00+00:00'
  subresult: []
  check: []
"""


def report(app: Any, arch: str, reporter: str = "t-functional-bot") -> Any:
    options = {"namespace": "t_functional", "plan": "/plans/t_functional", "arch": arch}
    return app.report(
        "tmt", SUITE.encode(), compose=COMPOSE, actor=app.actor(reporter), options=options
    )


def test_the_tmt_format_is_registered(gk: Callable[..., Any]) -> None:
    app, _ = gk(t_functional=POLICY.read_text(encoding="utf-8"))
    assert "tmt" in app.result_formats


def test_t_functional_passes_once_every_arch_reported_its_suite(gk: Callable[..., Any]) -> None:
    app, _ = gk(t_functional=POLICY.read_text(encoding="utf-8"))
    first = report(app, "x86_64").decision
    assert first.verdict == "pending"
    assert first.summary == "Of 4 required tests, 3 results missing"
    (passed,) = first.satisfied_requirements
    assert (passed.testcase, passed.arch, passed.scenario) == (
        "t_functional.tests",
        "x86_64",
        "/plans/t_functional",
    )
    for arch in ("aarch64", "ppc64le", "s390x"):
        last = report(app, arch).decision
    assert last.verdict == "passed"


def test_only_t_functionals_reporters_may_report_it(gk: Callable[..., Any]) -> None:
    app, _ = gk(t_functional=POLICY.read_text(encoding="utf-8"))
    with pytest.raises(Unauthorized, match=r"t_functional\.tests \(team t_functional\)"):
        report(app, "x86_64", reporter="rdo-ci-bot")
    assert app.results(COMPOSE) == []


@pytest.mark.parametrize("option", ["variant", "ref_url", "name_format"])
def test_an_option_the_tmt_format_does_not_take_is_refused_naming_its_own(
    gk: Callable[..., Any], option: str
) -> None:
    app, _ = gk(t_functional=POLICY.read_text(encoding="utf-8"))
    options = {"namespace": "t_functional", "plan": "/plans/t_functional", option: "x"}
    with pytest.raises(InputError) as caught:
        app.report("tmt", SUITE.encode(), compose=COMPOSE, actor=app.actor("t-functional-bot"),
                   options=options)  # fmt: skip
    assert caught.value.key == option
    assert caught.value.message == (
        f"the tmt format takes no option {option!r}; it takes "
        "arch, log_url, namespace, plan, run, run_id, scenario"
    )
    assert app.results(COMPOSE) == []


def test_the_tmt_format_says_which_options_a_caller_gives(gk: Callable[..., Any]) -> None:
    app, _ = gk(t_functional=POLICY.read_text(encoding="utf-8"))
    assert app.result_formats["tmt"].caller_options == {
        "namespace", "arch", "plan", "scenario", "log_url", "run", "run_id",
    }  # fmt: skip
