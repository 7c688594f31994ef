"""Command comment lines: what is read, what is refused (pure parsing)."""

from gatekeeper_gitlab.inbound.commands import parse_note

from gatekeeper.model import Outcome


def test_result_lines_with_url_and_options_and_prose_around() -> None:
    body = (
        "Ran the suite.\n"
        "gate: tf.smoke PASSED https://ci.example.org/1 arch=x86_64 scenario=min\n"
        "  GATE: tf.other failed variant=BaseOS\n"
        "gate-waive: tf.flaky arch=aarch64 -- known flake, RHBZ#1\n"
    )
    commands, bad = parse_note(body)
    assert bad == []
    first, second, waive = commands
    assert (first.line, first.testcase, first.outcome, first.url, first.arch, first.scenario) == (
        2, "tf.smoke", Outcome.PASSED, "https://ci.example.org/1", "x86_64", "min",
    )  # fmt: skip
    assert (second.outcome, second.variant, second.url) == (Outcome.FAILED, "BaseOS", None)
    assert (waive.kind, waive.testcase, waive.arch, waive.reason) == (
        "waive", "tf.flaky", "aarch64", "known flake, RHBZ#1",
    )  # fmt: skip


def test_malformed_lines_are_named_with_their_reason() -> None:
    commands, bad = parse_note(
        "gate: tf.smoke MAYBE\ngate: tf.smoke\ngate: tf.smoke PASSED colour=red\n"
        "gate-waive: tf.smoke\ngate: tf.smoke PASSED junk\n/label ~x\n"
    )
    assert commands == []
    assert [b.line for b in bad] == [1, 2, 3, 4, 5]
    assert "reason" in bad[3].error and "colour" in bad[2].error
