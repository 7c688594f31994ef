"""``gatekeeper policy import-greenwave``: Greenwave policy YAML -> gatekeeper policy files.

The Greenwave inputs are taken from Greenwave's own repository (release-engineering/greenwave):
its sample policies ``conf/policies/fedora.yaml`` and ``conf/policies/redhat.yaml``, and the
examples of ``docs/policies.rst``; the tags and keys are those of ``greenwave/policies.py``
(``Policy.safe_yaml_attributes``, ``PassingTestCaseRule``, ``RemoteRule``, ``FedoraAtomicCi``).
"""

from __future__ import annotations

import re
import tempfile
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from gatekeeper.cli import build_cli
from gatekeeper.errors import ErrorGroup, GatekeeperError
from gatekeeper.evaluate import evaluate, policy_applies
from gatekeeper.model import Compose, Outcome, Policy
from gatekeeper.model import Result as ModelResult
from gatekeeper.policy import load_policies
from gatekeeper.policy.greenwave_import import PASSING_RULE as RULE
from gatekeeper.policy.greenwave_import import Imported, import_greenwave, product_globs

# conf/policies/fedora.yaml, as upstream writes it: no subject_type (read as koji_build)
FEDORA = """\
--- !Policy
id: "taskotron_release_critical_tasks"
product_versions:
  - fedora-26
decision_context: bodhi_update_push_stable
blacklist: []
rules:
  - !PassingTestCaseRule {test_case_name: dist.rpmdeplint}
  - !PassingTestCaseRule {test_case_name: dist.upgradepath}
--- !Policy
id: "openqa_important_stuff_for_rawhide"
product_versions:
  - fedora-rawhide
decision_context: rawhide_compose_sync_to_mirrors
blacklist: []
rules:
  - !PassingTestCaseRule {test_case_name: compose.install_no_user, scenario: scenario1}
  - !PassingTestCaseRule {test_case_name: compose.install_no_user, scenario: scenario2}
"""
# conf/policies/redhat.yaml (its redhat-module policy left out): a koji_build and a compose policy
REDHAT = """\
--- !Policy
id: "osci_compose"
product_versions:
- rhel-something
decision_context: osci_compose_gate
subject_type: koji_build
excluded_packages:
- module-build*
rules:
- !PassingTestCaseRule {test_case_name: osci.brew-build.tier0.functional}
--- !Policy
id: "rtt_compose"
product_versions:
  - rhel-8
decision_context: rtt_compose_gate
subject_type: compose
blacklist: []
rules:
  - !PassingTestCaseRule {test_case_name: rtt.acceptance.validation}
"""
# docs/policies.rst, "PassingTestCaseRule": valid_until / valid_since on compose rules
VALIDITY = """\
--- !Policy
id: "compose_required_tests"
product_versions:
  - fedora-rawhide
decision_context: compose_required_tests
subject_type: compose
rules:
  - !PassingTestCaseRule
    valid_until: 2021-10-02
    test_case_name: compose.autocloud
    scenario: x86_64.64bit
  - !PassingTestCaseRule
    valid_since: 2021-10-02
    test_case_name: compose.autocloud
    scenario: x86_64.uefi
"""


def run(tmp_path: Path, *args: str, **files: str) -> Result:
    for name, text in files.items():
        (tmp_path / f"{name}.yaml").write_text(text, encoding="utf-8")
    paths = [str(tmp_path / f"{name}.yaml") for name in files]
    return CliRunner().invoke(build_cli(), ["policy", "import-greenwave", *paths, *args])


def imported(**files: str) -> Imported:
    return import_greenwave([(f"{name}.yaml", text) for name, text in files.items()])


def errors_of(text: str) -> list[GatekeeperError]:
    with pytest.raises(GatekeeperError) as info:
        imported(gw=text)
    return info.value.errors if isinstance(info.value, ErrorGroup) else [info.value]


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def policy(text: str) -> Policy:
    (one,) = load_text(imported(gw=text))
    return one


def load_text(result: Imported) -> list[Policy]:
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in result.files.items():
            (Path(tmp) / name).write_text(text, encoding="utf-8")
        return load_policies(tmp)


# -- what is expressed ------------------------------------------------------------------------


def test_a_compose_policy_is_written_and_passes_policy_check(tmp_path: Path) -> None:
    """redhat.yaml's rtt_compose: one gate; the koji_build policy is skipped."""
    out = tmp_path / "out"
    result = run(tmp_path, "-o", str(out), redhat=REDHAT)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["rtt_compose.yaml"]
    check = CliRunner().invoke(build_cli(), ["policy", "check", str(out)])
    assert (check.exit_code, check.output.endswith("1 policies, 1 gates: OK\n")) == (0, True)
    (loaded,) = load_policies(out)
    assert (loaded.team, loaded.owns) == ("rtt_compose", ("rtt.acceptance.validation",))
    assert [(g.testcase, g.scenario) for g in loaded.gates] == [("rtt.acceptance.validation", None)]
    assert loaded.applies_to.products == ("RHEL-8", "RHEL-8.*")
    assert loaded.decision_contexts == ("rtt_compose_gate",)


def test_each_scenario_of_a_testcase_is_a_gate_of_its_own() -> None:
    """fedora.yaml's policies, said to be about composes: openqa_important_stuff_for_rawhide."""
    loaded, _ = load_text(imported(gw=FEDORA.replace("blacklist: []", "subject_type: compose")))
    assert loaded.team == "openqa_important_stuff_for_rawhide"
    scenarios = [("compose.install_no_user", s) for s in ("scenario1", "scenario2")]
    assert [(g.testcase, g.scenario) for g in loaded.gates] == scenarios
    assert loaded.applies_to.products == ("Fedora-Rawhide",)
    assert loaded.decision_contexts == ("rawhide_compose_sync_to_mirrors",)


def test_an_imported_policy_decides_the_composes_greenwave_gated() -> None:
    loaded = policy(VALIDITY)
    rawhide = Compose.from_id("Fedora-Rawhide-20170508.n.0")
    assert policy_applies(loaded, rawhide.product, rawhide.type)
    assert not policy_applies(loaded, "Fedora-26", "production")
    now = datetime(2017, 5, 9, tzinfo=UTC)

    def passed(scenario: str) -> ModelResult:
        return ModelResult(rawhide.id, "compose.autocloud", Outcome.PASSED, now, scenario=scenario)

    assert evaluate(rawhide, [loaded], [passed("x86_64.uefi")], [], now).verdict == "pending"
    both = [passed("x86_64.uefi"), passed("x86_64.64bit")]
    assert evaluate(rawhide, [loaded], both, [], now).verdict == "passed"


def test_decision_contexts_are_kept_as_a_list() -> None:
    text = VALIDITY.replace("decision_context: compose_required_tests", "decision_contexts: [a, b]")
    assert policy(text).decision_contexts == ("a", "b")


def test_a_policy_with_no_rules_is_written_with_no_gates() -> None:
    """Greenwave: "rules: []" when no tests are required; gatekeeper says the same."""
    loaded = policy(VALIDITY.split("rules:")[0] + "rules: []\n")
    assert (loaded.gates, loaded.owns) == ((), ("compose_required_tests.*",))
    compose = Compose.from_id("Fedora-Rawhide-20170508.n.0")
    decision = evaluate(compose, [loaded], [], [], datetime(2017, 5, 9, tzinfo=UTC))
    assert (decision.verdict, decision.summary) == ("passed", "No tests are required")


def test_policies_with_the_same_rules_and_contexts_join_their_products() -> None:
    second = VALIDITY.replace('"compose_required_tests"', "branched").replace("-rawhide", "-27")
    result = imported(gw=VALIDITY + second)
    (loaded,) = load_text(result)
    assert loaded.applies_to.products == ("Fedora-Rawhide", "Fedora-27")
    assert len(loaded.gates) == 2
    assert not [n for n in result.notes if "valid" not in n.key]


def test_policies_with_the_same_products_and_contexts_join_their_rules() -> None:
    second = REDHAT.split("--- !Policy\n")[2].replace('"rtt_compose"', "more").replace("rtt.", "x.")
    (loaded,) = load_text(imported(gw=REDHAT + "--- !Policy\n" + second))
    assert [g.testcase for g in loaded.gates] == list(loaded.owns)
    assert loaded.owns == ("rtt.acceptance.validation", "x.acceptance.validation")


@pytest.mark.parametrize(
    ("version", "products"),
    [("fedora-rawhide", ["Fedora-Rawhide"]), ("fedora-26", ["Fedora-26"]),
     ("fedora-*", ["Fedora-*"]), ("rhel-8", ["RHEL-8", "RHEL-8.*"]), ("RHEL-9.2", ["RHEL-9.2"]),
     ("c9s", ["CentOS-Stream-9"]), ("centos-stream-10", ["CentOS-Stream-10"])],
)  # fmt: skip
def test_product_versions_name_the_compose_products(version: str, products: list[str]) -> None:
    assert product_globs(version, {}) == (products, None)


def test_an_unknown_product_version_is_kept_with_a_warning_or_mapped(tmp_path: Path) -> None:
    kept, warning = product_globs("eln", {})
    assert (kept, "--product eln=PRODUCT" in (warning or "")) == (["eln"], True)
    text, out = VALIDITY.replace("fedora-rawhide", "eln"), tmp_path / "out"
    result = run(tmp_path, "-o", str(out), "--product", "eln=Fedora-ELN", gw=text)
    assert result.exit_code == 0, result.output
    assert load_policies(out)[0].applies_to.products == ("Fedora-ELN",)


def test_a_testcase_with_glob_characters_is_owned_exactly() -> None:
    loaded = policy(VALIDITY.replace("compose.autocloud", '"c.[x]*?"'))
    assert [g.testcase for g in loaded.gates] == ["c.[x]*?", "c.[x]*?"]
    assert loaded.owns == ("c.[[]x][*][?]",)


# -- what is left out, at its line ------------------------------------------------------------


def test_policies_without_subject_type_are_koji_build_ones_and_skipped(tmp_path: Path) -> None:
    """fedora.yaml as upstream writes it: Greenwave reads no subject_type as koji_build."""
    result = run(tmp_path, "-o", str(tmp_path / "out"), fedora=FEDORA)
    assert result.exit_code == 1
    assert "no policy could be imported" in result.stderr
    assert not (tmp_path / "out").exists()
    assert result.stderr.count("no subject_type, so koji_build") == 2
    assert f"fedora.yaml:{line_of(FEDORA, 'openqa') - 1}: subject_type: " in result.stderr


def test_remote_and_obsolete_rules_are_reported_at_their_line() -> None:
    """!RemoteRule {} as in docs/policies.rst's example; FedoraAtomicCi is obsolete upstream."""
    rules = "rules:\n  - !RemoteRule {}\n  - !FedoraAtomicCi {}\n  - !NewRule {x: 1}\n"
    result = imported(gw=VALIDITY.replace("rules:\n", rules))
    notes = {(n.line, n.key): n.message for n in result.notes if "valid" not in n.key}
    assert notes.keys() == {(8, "rules[0]"), (9, "rules[1]"), (10, "rules[2]")}
    assert notes[10, "rules[2]"] == "left out !NewRule: unknown rule; gatekeeper has " + RULE
    assert "!RemoteRule" in notes[8, "rules[0]"] and "gating.yaml" in notes[8, "rules[0]"]
    assert "obsolete" in notes[9, "rules[1]"]
    (loaded,) = load_text(result)
    assert [g.scenario for g in loaded.gates] == ["x86_64.64bit", "x86_64.uefi"]


def test_a_policy_whose_rules_are_all_left_out_is_not_written() -> None:
    """Written with no gates, it would pass every compose: better no policy (fail closed)."""
    text = VALIDITY.split("rules:")[0] + "rules:\n  - !RemoteRule {}\n"
    result = imported(gw=text)
    assert result.files == {}
    assert any("none of its rules can be expressed" in n.message for n in result.notes)


def test_validity_dates_are_reported_and_the_gates_kept() -> None:
    """docs/policies.rst: valid_until / valid_since have no equivalent; both gates stay."""
    result = imported(gw=VALIDITY)
    assert [(n.line, n.key) for n in result.notes] == [
        (line_of(VALIDITY, "valid_until"), "rules[0].valid_until"),
        (line_of(VALIDITY, "valid_since"), "rules[1].valid_since"),
    ]
    (loaded,) = load_text(result)
    assert [g.scenario for g in loaded.gates] == ["x86_64.64bit", "x86_64.uefi"]


def test_excluded_packages_of_a_compose_policy_are_reported_when_not_empty() -> None:
    text = VALIDITY.replace("rules:", "excluded_packages: [python2-*]\npackages: []\nrules:")
    (note, *others) = imported(gw=text).notes
    assert (note.line, note.key) == (line_of(text, "excluded_packages"), "excluded_packages")
    assert "NVR" in note.message
    assert all("valid" in n.key for n in others)


def test_a_testcase_another_policy_gates_for_other_products_is_left_out() -> None:
    other = textwrap.dedent("""\
        --- !Policy
        id: f27
        product_versions: [fedora-27]
        decision_context: compose_required_tests
        subject_type: compose
        rules:
          - !PassingTestCaseRule {test_case_name: compose.autocloud}
          - !PassingTestCaseRule {test_case_name: compose.other}
    """)
    result = imported(gw=VALIDITY + other)
    first, second = load_text(result)
    assert (first.team, first.applies_to.products) == (
        "compose_required_tests",
        ("Fedora-Rawhide",),
    )
    assert (second.team, [g.testcase for g in second.gates]) == ("f27", ["compose.other"])
    (note,) = [n for n in result.notes if not n.key]
    assert note.line == line_of(VALIDITY + other, "{test_case_name: compose.autocloud}")
    assert "left out 'compose.autocloud': team 'compose_required_tests'" in note.message


def test_a_policy_other_policies_gate_all_testcases_of_is_skipped() -> None:
    other = VALIDITY.replace('"compose_required_tests"', "f27").replace("-rawhide", "-27")
    other = other.replace("x86_64.uefi", "other")
    result = imported(gw=VALIDITY + other)
    assert list(result.files) == ["compose_required_tests.yaml"]
    (skipped,) = [n for n in result.notes if "skipped" in n.message]
    assert skipped.line == VALIDITY.count("\n") + 1
    assert skipped.message == "policy 'f27' skipped: other policies gate all its testcases"


def test_strict_exits_1_and_writes_nothing_when_anything_is_left_out(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run(tmp_path, "-o", str(out), "--strict", gw=VALIDITY)
    assert result.exit_code == 1
    assert "gw.yaml:9: rules[0].valid_until: left out valid_until" in result.stderr
    assert "nothing written (--strict)" in result.stderr
    assert not out.exists()
    exact = REDHAT.split("--- !Policy\n")[2]
    assert run(tmp_path, "-o", str(out), "--strict", gw="--- !Policy\n" + exact).exit_code == 0


# -- refused: not Greenwave policy YAML, or not safe ------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("id: x\n", 1, "expected a Greenwave policy (--- !Policy), got a mapping"),
        ("--- !Policy\nid: [x\n", 3, "YAML syntax error"),
        ("--- !Policy\nid: a\x07\n", 2, "not YAML text"),
        (VALIDITY.replace("subject_type", "decision_contexts: [y]\nsubject_type"), 6, "not both"),
        (VALIDITY.replace("    test_case_name: compose.autocloud\n", "", 1), 8, "test_case_name"),
        (VALIDITY.replace("rules:", "rulez:"), 7, "unknown key 'rulez'"),
        (VALIDITY.replace("  - !PassingTestCaseRule\n    ", "  - ", 1), 8, "got a mapping"),
        (VALIDITY.replace("rules:\n", "rules: &r\n  - *r\n"), 7, "got a list"),
    ],
)
def test_what_is_not_greenwave_policy_yaml_is_refused_at_its_line(
    text: str, line: int, message: str
) -> None:
    errors = errors_of(text)
    assert any(e.line == line and message in e.message for e in errors), errors


def test_python_tags_are_never_constructed_and_errors_exit_2(tmp_path: Path) -> None:
    marker = tmp_path / "constructed"
    rule = f'  - !!python/object/apply:os.system ["touch {marker}"]\n'
    result = run(
        tmp_path, "-o", str(tmp_path / "out"), gw=VALIDITY.replace("rules:\n", "rules:\n" + rule)
    )
    assert result.exit_code == 2
    assert "gw.yaml:8: rules[0]: expected a rule like !PassingTestCaseRule" in result.stderr
    assert not marker.exists()


def test_aliases_are_read_once_so_a_small_file_stays_small_work() -> None:
    """A billion laughs under rules, product_versions and excluded_packages, and a large rule
    aliased many times: each node is read once, never expanded."""
    laughs = "".join(f"  l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10))
    head = "--- !Policy\nid: laughs\ndecision_context: x\nsubject_type: compose\n"
    aliased = "product_versions: *l9\nexcluded_packages: *l9\nrules:\n  - *l9\n"
    text = head + "relevance_key:\n  l0: &l0 [lol]\n" + laughs + aliased
    big = ", ".join(f"k{i}: v" for i in range(5_000))
    with pytest.raises(GatekeeperError, match="got a list"):
        imported(gw=text)
    aliased = f"rules:\n  - &big !PassingTestCaseRule {{test_case_name: t.x, {big}}}\n"
    errors = errors_of(VALIDITY.split("rules:")[0] + aliased + "  - *big\n" * 20_000)
    assert len(errors) == 5_000  # the unknown keys k0...: reported once, not 20,001 times


def test_the_documented_example_writes_the_documented_file() -> None:
    doc = (Path(__file__).parent.parent / "docs" / "compat-greenwave-policies.md").read_text()
    greenwave, written = re.findall(r"```yaml\n(.*?)```", doc, re.DOTALL)
    result = imported(greenwave=greenwave)
    assert result.files == {"compose_required_tests.yaml": written}
    console = doc.split("```console\n")[1].split("```")[0]
    assert [f"warning: {n}" for n in result.notes] == console.splitlines()[1:3]


# -- the output directory ---------------------------------------------------------------------


def test_existing_files_are_kept_unless_forced(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run(tmp_path, "-o", str(out), gw=VALIDITY).exit_code == 0
    again = run(tmp_path, "-o", str(out), gw=VALIDITY)
    assert again.exit_code == 2
    assert "compose_required_tests.yaml: already exists: use --force" in again.stderr
    assert run(tmp_path, "-o", str(out), "--force", gw=VALIDITY).exit_code == 0


def test_nothing_is_written_when_the_directory_would_not_load(tmp_path: Path) -> None:
    """An existing team already owning the testcases: policy check would fail, so no file."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "qa.yaml").write_text("team: qa\nowns: ['compose.*']\n", encoding="utf-8")
    result = run(tmp_path, "-o", str(out), gw=VALIDITY)
    assert result.exit_code == 2
    assert f"({out / 'compose_required_tests.yaml'}:5 owns[0])" in result.stderr
    assert "overlaps glob 'compose.autocloud' of team 'compose_required_tests'" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["qa.yaml"]
