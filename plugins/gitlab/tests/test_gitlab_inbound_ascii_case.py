"""Command words match in ASCII case only: a letter that Unicode case folding turns into an
ASCII one (a dotless i, a dotted capital I, a long s, a Kelvin sign) makes prose, not a
command."""

import pytest
from gatekeeper_gitlab.inbound.commands import parse_note

from gatekeeper.model import Outcome


@pytest.mark.parametrize(
    "line",
    [
        "gate-wa\u0131ve: tf.flaky -- flake",  # dotless i
        "GATE-WA\u0130VE: tf.flaky -- flake",  # dotted capital I
        "/gate\u212aeeper waive tf.flaky -- flake",  # Kelvin sign
        "/gatekeeper \u212anown-issue tf.flaky bug=https://bugs.example.org/1 -- flake",
        "/gatekeeper known-i\u017f\u017fue tf.flaky bug=https://bugs.example.org/1 -- flake",
        "gate: tf.smoke PA\u017f\u017fED",  # long s in the outcome
        "gate: tf.smoke \u0131nfo",
    ],
    ids=[
        "dotless-i",
        "dotted-I",
        "kelvin-slash",
        "kelvin-verb",
        "long-s-verb",
        "long-s-outcome",
        "dotless-i-outcome",
    ],
)
def test_a_unicode_case_variant_is_no_command(line: str) -> None:
    commands, _bad = parse_note(line)
    assert commands == []


def test_ascii_case_variants_are_commands() -> None:
    commands, bad = parse_note(
        "GATE-WAIVE: tf.flaky -- flake\n/GateKeeper WAIVE tf.other -- flake\n"
        "gate: tf.smoke passed\n"
    )
    assert bad == []
    assert [(c.kind, c.testcase) for c in commands] == [
        ("waive", "tf.flaky"),
        ("waive", "tf.other"),
        ("result", "tf.smoke"),
    ]
    assert commands[2].outcome is Outcome.PASSED
