"""The decision engine, rule by rule (DESIGN.md "Decision semantics")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gatekeeper.errors import NoPolicyApplies
from gatekeeper.evaluate import evaluate
from gatekeeper.model import AppliesTo, Compose, Gate, Outcome, Policy, Result, Waiver

CID = "CentOS-Stream-9-20261124.0"
COMPOSE = Compose.from_id(CID)  # announced 2026-11-24T00:00Z
NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
T0 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


def policy(*gates: Gate, team: str = "rdo", **kwargs: object) -> Policy:
    return Policy(team=team, owns=(f"{team}.*",), gates=gates, **kwargs)  # type: ignore[arg-type]


def result(testcase: str, outcome: str, minutes: int = 0, **kwargs: object) -> Result:
    return Result(
        compose=kwargs.pop("compose", CID),  # type: ignore[arg-type]
        testcase=testcase,
        outcome=Outcome.parse(outcome),
        submit_time=T0 + timedelta(minutes=minutes),
        **kwargs,  # type: ignore[arg-type]
    )


def waiver(testcase: str, wid: str = "1", minutes: int = 0, **kwargs: object) -> Waiver:
    return Waiver(
        id=wid,
        compose=kwargs.pop("compose", CID),  # type: ignore[arg-type]
        testcase=testcase,
        time=T0 + timedelta(minutes=minutes),
        comment="known issue",
        username="releng",
        **kwargs,  # type: ignore[arg-type]
    )


def decide(policies, results=(), waivers=(), now=NOW, compose=COMPOSE):  # type: ignore[no-untyped-def]
    if isinstance(policies, Policy):
        policies = [policies]
    return evaluate(compose, policies, results, waivers, now)


def types(decision) -> list[tuple[str, str | None]]:  # type: ignore[no-untyped-def]
    return [(a.type, a.arch) for a in decision.answers]


SMOKE = Gate(testcase="rdo.smoke")


# -- latest result per key ----------------------------------------------------------------
def test_latest_result_per_key_counts_by_submit_time() -> None:
    d = decide(policy(SMOKE), [result("rdo.smoke", "FAILED", 0), result("rdo.smoke", "PASSED", 5)])
    assert d.verdict == "passed"
    d = decide(policy(SMOKE), [result("rdo.smoke", "PASSED", 5), result("rdo.smoke", "FAILED", 9)])
    assert d.verdict == "failed"


def test_equal_submit_time_is_broken_by_id() -> None:
    rs = [result("rdo.smoke", "PASSED", 0, id="10"), result("rdo.smoke", "FAILED", 0, id="9")]
    d = decide(policy(SMOKE), rs)
    assert d.verdict == "passed"
    assert d.answers[0].result_id == "10"


def test_an_exact_tie_fails_closed() -> None:
    rs = [result("rdo.smoke", "PASSED"), result("rdo.smoke", "FAILED")]
    assert decide(policy(SMOKE), rs).verdict == "failed"
    assert decide(policy(SMOKE), rs[::-1]).verdict == "failed"


def test_every_latest_result_matching_a_requirement_must_pass() -> None:
    rs = [
        result("rdo.smoke", "PASSED", variant="BaseOS"),
        result("rdo.smoke", "FAILED", variant="AppStream", ref_url="https://ci/2"),
    ]
    d = decide(policy(SMOKE), rs)
    assert d.verdict == "failed"
    (answer,) = d.answers
    assert (answer.type, answer.variant, answer.ref_url) == (
        "test-result-failed",
        "AppStream",
        "https://ci/2",
    )


def test_results_of_other_composes_are_ignored() -> None:
    rs = [result("rdo.smoke", "PASSED", compose="CentOS-Stream-9-20261123.0")]
    assert types(decide(policy(SMOKE), rs)) == [("test-result-missing", None)]


# -- arches and scenarios -----------------------------------------------------------------
def test_one_requirement_per_listed_arch() -> None:
    gate = Gate(testcase="rdo.smoke", arches=("x86_64", "aarch64"))
    d = decide(policy(gate), [result("rdo.smoke", "PASSED", arch="x86_64")])
    assert types(d) == [("test-result-missing", "aarch64"), ("test-result-passed", "x86_64")]
    assert d.verdict == "pending"


def test_a_gate_without_arches_accepts_any_arch() -> None:
    d = decide(policy(SMOKE), [result("rdo.smoke", "PASSED", arch="s390x")])
    assert types(d) == [("test-result-passed", "s390x")]


def test_a_result_without_arch_does_not_satisfy_an_arch_requirement() -> None:
    gate = Gate(testcase="rdo.smoke", arches=("x86_64",))
    d = decide(policy(gate), [result("rdo.smoke", "PASSED")])
    assert types(d) == [("test-result-missing", "x86_64")]


def test_a_gate_scenario_matches_only_that_scenario() -> None:
    gate = Gate(testcase="rdo.smoke", scenario="packstack")
    rs = [
        result("rdo.smoke", "FAILED", scenario="tripleo"),
        result("rdo.smoke", "PASSED", scenario="packstack"),
    ]
    d = decide(policy(gate), rs)
    assert d.verdict == "passed"
    assert d.answers[0].scenario == "packstack"


def test_a_gate_without_scenario_needs_every_scenario_to_pass() -> None:
    rs = [result("rdo.smoke", "PASSED", scenario="a"), result("rdo.smoke", "FAILED", scenario="b")]
    d = decide(policy(SMOKE), rs)
    assert d.verdict == "failed"
    assert d.answers[0].scenario == "b"


# -- outcomes -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("outcome", "answer", "verdict"),
    [
        ("PASSED", "test-result-passed", "passed"),
        ("INFO", "test-result-passed", "passed"),
        ("FAILED", "test-result-failed", "failed"),
        ("NEEDS_INSPECTION", "test-result-failed", "failed"),
        ("ERROR", "test-result-errored", "failed"),
        ("QUEUED", "test-result-pending", "pending"),
        ("RUNNING", "test-result-pending", "pending"),
        ("passed", "test-result-passed", "passed"),
        ("running", "test-result-pending", "pending"),
    ],
)
def test_outcome_mapping(outcome: str, answer: str, verdict: str) -> None:
    d = decide(policy(SMOKE), [result("rdo.smoke", outcome)])
    assert (d.answers[0].type, d.verdict) == (answer, verdict)


def test_unknown_outcome_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown outcome 'SKIPPED'"):
        Outcome.parse("SKIPPED")


def test_pending_is_its_own_answer_not_missing() -> None:
    d = decide(policy(SMOKE), [result("rdo.smoke", "QUEUED", id="7")])
    assert d.answers[0].type == "test-result-pending"
    assert d.answers[0].result_id == "7"
    assert d.summary == "Of 1 required test, 1 test pending"


# -- waivers ------------------------------------------------------------------------------
def test_a_waiver_satisfies_a_failed_requirement() -> None:
    d = decide(policy(SMOKE), [result("rdo.smoke", "FAILED", id="3")], [waiver("rdo.smoke", "w1")])
    (answer,) = d.answers
    assert (answer.type, answer.is_satisfied, answer.waiver_id, answer.result_id) == (
        "test-result-failed-waived",
        True,
        "w1",
        "3",
    )
    assert d.verdict == "passed"
    assert d.summary == "All required tests (1 total) have passed or been waived"


@pytest.mark.parametrize(
    ("outcome", "kind"), [(None, "missing"), ("ERROR", "errored"), ("RUNNING", "pending")]
)
def test_a_waiver_satisfies_missing_errored_and_pending(outcome: str | None, kind: str) -> None:
    rs = [result("rdo.smoke", outcome)] if outcome else []
    d = decide(policy(SMOKE), rs, [waiver("rdo.smoke")])
    assert d.answers[0].type == f"test-result-{kind}-waived"
    assert d.verdict == "passed"


def test_a_waiver_with_arch_covers_only_that_arch() -> None:
    gate = Gate(testcase="rdo.smoke", arches=("x86_64", "aarch64"))
    rs = [
        result("rdo.smoke", "FAILED", arch="x86_64"),
        result("rdo.smoke", "FAILED", arch="aarch64"),
    ]
    d = decide(policy(gate), rs, [waiver("rdo.smoke", arch="aarch64")])
    assert types(d) == [("test-result-failed-waived", "aarch64"), ("test-result-failed", "x86_64")]
    assert d.verdict == "failed"


def test_a_waiver_without_scenario_or_arch_covers_all() -> None:
    gate = Gate(testcase="rdo.smoke", arches=("x86_64", "aarch64"), scenario="packstack")
    d = decide(policy(gate), [], [waiver("rdo.smoke")])
    assert [a.type for a in d.answers] == ["test-result-missing-waived"] * 2


def test_a_waiver_for_another_scenario_does_not_cover() -> None:
    gate = Gate(testcase="rdo.smoke", scenario="packstack")
    d = decide(policy(gate), [], [waiver("rdo.smoke", scenario="tripleo")])
    assert d.answers[0].type == "test-result-missing"


def test_a_revoked_waiver_no_longer_counts() -> None:
    ws = [waiver("rdo.smoke", "1", 0), waiver("rdo.smoke", "2", 5, waived=False)]
    d = decide(policy(SMOKE), [result("rdo.smoke", "FAILED")], ws)
    assert d.answers[0].type == "test-result-failed"
    assert d.verdict == "failed"


def test_the_latest_waiver_per_key_counts() -> None:
    ws = [waiver("rdo.smoke", "1", 0, waived=False), waiver("rdo.smoke", "2", 5)]
    d = decide(policy(SMOKE), [result("rdo.smoke", "FAILED")], ws)
    assert (d.answers[0].type, d.answers[0].waiver_id) == ("test-result-failed-waived", "2")


def test_waivers_for_other_composes_are_ignored() -> None:
    ws = [waiver("rdo.smoke", compose="CentOS-Stream-9-20261123.0")]
    d = decide(policy(SMOKE), [result("rdo.smoke", "FAILED")], ws)
    assert d.verdict == "failed"


def test_a_passed_requirement_is_not_reported_as_waived() -> None:
    d = decide(policy(SMOKE), [result("rdo.smoke", "PASSED")], [waiver("rdo.smoke")])
    assert d.answers[0].type == "test-result-passed"
    assert d.answers[0].waiver_id is None


# -- deadlines ----------------------------------------------------------------------------
DEADLINE = Gate(testcase="rdo.smoke", deadline=timedelta(hours=12))


def test_missing_before_the_deadline_is_missing() -> None:
    d = decide(policy(DEADLINE), now=COMPOSE.announced_at + timedelta(hours=12))
    assert (d.answers[0].type, d.verdict) == ("test-result-missing", "pending")


def test_missing_past_the_deadline_is_overdue_and_fails() -> None:
    d = decide(policy(DEADLINE), now=COMPOSE.announced_at + timedelta(hours=12, seconds=1))
    assert (d.answers[0].type, d.verdict) == ("test-result-overdue", "failed")
    assert d.summary == "Of 1 required test, 1 test overdue"


def test_pending_past_the_deadline_is_overdue() -> None:
    d = decide(policy(DEADLINE), [result("rdo.smoke", "RUNNING")], now=NOW + timedelta(days=1))
    assert d.answers[0].type == "test-result-overdue"


def test_a_failed_result_past_the_deadline_stays_failed() -> None:
    d = decide(policy(DEADLINE), [result("rdo.smoke", "FAILED")], now=NOW + timedelta(days=1))
    assert d.answers[0].type == "test-result-failed"


def test_on_missing_ignore_satisfies_an_overdue_gate() -> None:
    gate = Gate(testcase="rdo.smoke", deadline=timedelta(hours=1), on_missing="ignore")
    d = decide(policy(gate), now=NOW)
    assert (d.answers[0].type, d.answers[0].is_satisfied) == ("test-result-overdue-ignored", True)
    assert d.verdict == "passed"


def test_on_missing_ignore_waits_until_the_deadline() -> None:
    gate = Gate(testcase="rdo.smoke", deadline=timedelta(days=1), on_missing="ignore")
    assert decide(policy(gate), now=NOW).verdict == "pending"


def test_the_deadline_counts_from_the_announcement() -> None:
    late = Compose.from_id(CID, announced_at=NOW)
    d = decide(policy(DEADLINE), now=NOW + timedelta(hours=11), compose=late)
    assert d.answers[0].type == "test-result-missing"


def test_an_overdue_requirement_can_be_waived() -> None:
    d = decide(policy(DEADLINE), [], [waiver("rdo.smoke")], now=NOW + timedelta(days=1))
    assert (d.answers[0].type, d.verdict) == ("test-result-overdue-waived", "passed")


# -- informational gates, verdicts and summaries -------------------------------------------
def test_informational_gates_never_change_the_verdict() -> None:
    info = Gate(testcase="rdo.extra", required=False)
    d = decide(policy(SMOKE, info), [result("rdo.smoke", "PASSED"), result("rdo.extra", "FAILED")])
    assert d.verdict == "passed"
    assert d.summary == "All required tests (1 total) have passed or been waived"
    extra = next(a for a in d.answers if a.testcase == "rdo.extra")
    assert (extra.type, extra.required, extra.is_satisfied) == ("test-result-failed", False, False)


def test_failed_beats_pending_in_the_verdict() -> None:
    gates = (Gate(testcase="rdo.a"), Gate(testcase="rdo.b"))
    d = decide(policy(*gates), [result("rdo.a", "FAILED")])
    assert d.verdict == "failed"
    assert d.summary == "Of 2 required tests, 1 result missing, 1 test failed"


def test_summary_lists_every_kind_in_order_with_plurals() -> None:
    gates = [
        Gate(testcase=f"rdo.t{i}", deadline=timedelta(hours=1) if i >= 9 else None)
        for i in range(11)
    ]
    outcomes = {
        0: "PASSED",
        1: "RUNNING",
        2: "QUEUED",
        3: "ERROR",
        4: "FAILED",
        5: "FAILED",
        6: "NEEDS_INSPECTION",
    }
    rs = [result(f"rdo.t{i}", o) for i, o in outcomes.items()]
    d = decide(policy(*gates), rs)
    assert d.summary == (
        "Of 11 required tests, 2 results missing, 2 tests pending, 1 test errored, "
        "3 tests failed, 2 tests overdue"
    )


def test_no_gates_means_no_tests_are_required() -> None:
    d = decide(policy())
    assert (d.verdict, d.summary, d.answers) == ("passed", "No tests are required", ())
    assert d.applicable_policies == ("rdo",)


def test_only_informational_gates_mean_no_tests_are_required() -> None:
    d = decide(policy(Gate(testcase="rdo.x", required=False)))
    assert (d.verdict, d.summary) == ("passed", "No tests are required")


# -- applicability --------------------------------------------------------------------------
def test_applies_to_matches_product_and_type_globs() -> None:
    stream = policy(
        SMOKE, applies_to=AppliesTo(products=("CentOS-Stream-*",), types=("production",))
    )
    other = policy(Gate(testcase="idm.x"), team="idm", applies_to=AppliesTo(products=("Fedora-*",)))
    d = decide([stream, other])
    assert d.applicable_policies == ("rdo",)
    assert {a.team for a in d.answers} == {"rdo"}


def test_applies_to_keys_and_lists() -> None:
    rule = AppliesTo(products=("Fedora-*", "CentOS-Stream-9"), types=("nightly", "test"))
    p = policy(SMOKE, applies_to=rule)
    assert decide(p, compose=Compose.from_id("CentOS-Stream-9-20261124.n.0")).applicable_policies
    with pytest.raises(NoPolicyApplies):
        decide(p, compose=Compose.from_id("CentOS-Stream-9-20261124.0"))  # production


def test_no_applicable_policy_is_an_error_naming_product_and_type() -> None:
    p = policy(SMOKE, applies_to=AppliesTo(products=("Fedora-*",)))
    with pytest.raises(NoPolicyApplies, match=r"'CentOS-Stream-9'.*'production'"):
        decide(p)


# -- output shape and determinism ----------------------------------------------------------
def test_answers_come_in_a_deterministic_order() -> None:
    a = policy(Gate(testcase="rdo.z"), Gate(testcase="rdo.a", arches=("x86_64", "aarch64")))
    b = policy(Gate(testcase="idm.b"), team="idm")
    d1, d2 = decide([a, b]), decide([b, a])
    assert d1.answers == d2.answers
    assert [(x.team, x.testcase, x.arch) for x in d1.answers] == [
        ("idm", "idm.b", None),
        ("rdo", "rdo.a", "aarch64"),
        ("rdo", "rdo.a", "x86_64"),
        ("rdo", "rdo.z", None),
    ]


def test_decision_json_has_the_documented_fields() -> None:
    d = decide(
        policy(SMOKE, Gate(testcase="rdo.b")),
        [result("rdo.smoke", "PASSED", id="1", ref_url="https://ci/1")],
    )
    data = d.to_json()
    assert set(data) == {
        "compose",
        "verdict",
        "policies_satisfied",
        "summary",
        "applicable_policies",
        "satisfied_requirements",
        "unsatisfied_requirements",
        "evaluated_at",
    }
    assert data["policies_satisfied"] is False
    assert data["evaluated_at"] == "2026-11-24T06:00:00Z"
    assert data["satisfied_requirements"][0] == {
        "type": "test-result-passed",
        "team": "rdo",
        "testcase": "rdo.smoke",
        "scenario": None,
        "arch": None,
        "variant": None,
        "required": True,
        "result_id": "1",
        "ref_url": "https://ci/1",
    }
    assert data["unsatisfied_requirements"][0]["type"] == "test-result-missing"


# -- order independence (property) ---------------------------------------------------------
_outcomes = st.sampled_from([o.value for o in Outcome])
_results = st.lists(
    st.builds(
        lambda tc, o, minute, arch, variant, rid: result(
            tc, o, minute, arch=arch, variant=variant, id=str(rid)
        ),
        st.sampled_from(["rdo.a", "rdo.b", "rdo.c"]),
        _outcomes,
        st.integers(0, 5),
        st.sampled_from([None, "x86_64", "aarch64"]),
        st.sampled_from([None, "BaseOS"]),
        st.integers(0, 3),
    ),
    max_size=25,
)
_PROPERTY_POLICY = policy(
    Gate(testcase="rdo.a", arches=("x86_64", "aarch64")),
    Gate(testcase="rdo.b"),
    Gate(testcase="rdo.c", deadline=timedelta(hours=2), required=False),
)


@settings(max_examples=300, deadline=None)
@given(_results, st.randoms(use_true_random=False))
def test_the_decision_does_not_depend_on_arrival_order(rs: list[Result], rnd) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(rs)
    rnd.shuffle(shuffled)
    assert decide(_PROPERTY_POLICY, rs) == decide(_PROPERTY_POLICY, shuffled)
