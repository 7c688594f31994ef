"""#17 on the command line: ``gatekeeper waive --expires --bug``, ``gatekeeper known-issue
add|list|close``, ``gatekeeper rerun`` and ``gatekeeper reruns``, acting as the local
operator on the test's store (SQLite and PostgreSQL); refusals are one located line on
stderr and exit 2. (Who may do each is the service's check, tested over HTTP in
tests/api/test_api_triage.py: the local operator may do everything.)"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from gatekeeper.cli import build_cli
from gatekeeper.model import Outcome
from gatekeeper.model import Result as StoredResult
from gatekeeper.service import Actor, Gatekeeper

CID = "CentOS-Stream-9-20261124.0"
BUG = "https://bugs.example.org/RDO-123"
RDO = """\
team: rdo
owns: ["rdo.*"]
reporters:
  users: [rdo-bot]
gates:
  - testcase: rdo.smoke
"""
STRICT = """\
team: strict
owns: ["strict.*"]
waivers: {require_bug: true, max_expires: 14d}
gates:
  - testcase: strict.check
"""


@pytest.fixture
def cli_env(
    tmp_path: Path, gk_database_url: str, gk_policies: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """The CLI runs in ``tmp_path`` on the test's database, with its policies."""
    monkeypatch.chdir(tmp_path)
    for name in ("GATEKEEPER_CONFIG", "GATEKEEPER_POLICIES_DIR", "GATEKEEPER_VAR_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GATEKEEPER_DATABASE_URL", gk_database_url)
    gk_policies(rdo=RDO, strict=STRICT)


@pytest.fixture
def gk(cli_env: None, gk_app: Gatekeeper) -> Gatekeeper:
    """An app on the CLI's store: it sets the scene (the compose, results) and checks."""
    gk_app.announce(CID, at=gk_app.clock() - timedelta(hours=1))
    return gk_app


def run(*args: str) -> Result:
    return CliRunner().invoke(build_cli(), list(args))


def ok(*args: str) -> str:
    done = run(*args)
    assert done.exit_code == 0, done.output
    return done.stdout


def refused(*args: str) -> str:
    done = run(*args)
    assert done.exit_code == 2, done.output
    assert done.stdout == ""
    (line,) = done.stderr.strip().splitlines()
    return line


def failed(gk: Gatekeeper, testcase: str = "rdo.smoke") -> None:
    """A FAILED result of ``testcase``, submitted before the CLI's (real) clock."""
    result = StoredResult(compose=CID, testcase=testcase, outcome=Outcome.FAILED,
                          submit_time=gk.clock(), id=f"{testcase}-1", arch="x86_64")  # fmt: skip
    gk.ingest([result], Actor(name="rdo-bot"))


def decision(testcase: str) -> dict[str, Any]:
    out = json.loads(run("decide", CID, "--json").stdout)
    (found,) = [a for a in out["satisfied_requirements"] + out["unsatisfied_requirements"]
                if a["testcase"] == testcase]  # fmt: skip
    return dict(found)


# -- waive --expires --bug ---------------------------------------------------------------------


def test_waive_takes_an_expiry_and_a_bug(gk: Gatekeeper) -> None:
    before = datetime.now(UTC)
    out = ok("waive", CID, "rdo.smoke", "-m", "flaky", "--expires", "3d", "--bug", BUG)
    after = datetime.now(UTC)
    assert out.startswith(f"waiver 1: rdo.smoke waived for {CID} (until ")
    assert out.endswith(f", bug {BUG}); verdict pending: Of 2 required tests, 1 result missing\n")
    (waiver,) = gk.waivers(CID)
    assert waiver.bug == BUG and waiver.expires is not None
    assert before + timedelta(days=3) <= waiver.expires <= after + timedelta(days=3)
    answer = decision("rdo.smoke")
    assert (answer["type"], answer["bug"]) == ("test-result-missing-waived", BUG)


def test_waive_expires_at_a_time(gk: Gatekeeper) -> None:
    out = ok("waive", CID, "rdo.smoke", "-m", "flaky", "--expires", "2027-06-01T00:00:00Z")
    assert f"waived for {CID} (until 2027-06-01T00:00:00Z); verdict pending" in out


def test_the_policy_refuses_a_bugless_waiver_and_a_long_expiry(gk: Gatekeeper) -> None:
    assert refused("waive", CID, "strict.check", "-m", "flaky") == (
        "error: bug: the policy of strict.check requires a bug URL on its waivers "
        "(waivers: require_bug)"
    )
    too_long = refused("waive", CID, "strict.check", "-m", "x", "--bug", BUG, "--expires", "15d")
    assert too_long.startswith("error: expires: expires '15d' is further ahead than 2w")
    assert refused("waive", CID, "rdo.smoke", "-m", "x", "--bug", "RDO-123").startswith(
        "error: bug: bug 'RDO-123' is not an http(s) URL"
    )
    assert gk.waivers(CID) == []


def test_a_revocation_takes_no_expiry_or_bug(gk: Gatekeeper) -> None:
    line = refused("waive", CID, "rdo.smoke", "-m", "fixed", "--revoke", "--expires", "1d")
    assert line == "error: --revoke: a revocation takes neither --expires nor --bug"


# -- known-issue add | list | close ------------------------------------------------------------


def test_a_known_issue_is_added_listed_and_closed(gk: Gatekeeper) -> None:
    failed(gk)
    add = ("known-issue", "add", "--product", "CentOS-Stream-*", "--testcase", "rdo.smoke")
    out = ok(*add, "--arch", "x86_64", "--bug", BUG, "--expires", "14d", "-m", "smoke times out")
    assert out.startswith("known issue 1: rdo.smoke waived in CentOS-Stream-* composes (until ")
    assert out.rstrip().endswith(f"bug {BUG}; it waives in 1 compose now")
    (listed,) = json.loads(ok("known-issue", "list", "--json"))
    assert (listed["id"], listed["state"], listed["arch"]) == ("1", "open", "x86_64")
    assert (listed["composes"], listed["composes_waived"]) == ([CID], 1)
    assert listed["comment"] == "smoke times out" and listed["expires"] is not None
    table = ok("known-issue", "list")
    for shown in ("Known issues (1)", "composes waived", "CentOS-Stream-*", "rdo.smoke", BUG):
        assert shown in table
    closed = ok("known-issue", "close", "1")
    assert closed.startswith("known issue 1: closed at ")
    assert closed.rstrip().endswith("it waived in 1 compose")
    assert json.loads(ok("known-issue", "list", "--json")) == []
    (every,) = json.loads(ok("known-issue", "list", "--all", "--json"))
    assert every["state"] == "closed"
    assert "closed" in ok("known-issue", "list", "--all")


def test_a_known_issue_past_its_expiry_lists_as_expired(gk: Gatekeeper) -> None:
    # the test's app runs on 2026-11-24; the CLI on the real clock, long after a day's expiry
    operator = Actor.local_operator()
    add = {"product": "CentOS-Stream-*", "testcase": "rdo.smoke", "bug": BUG, "comment": "x"}
    gk.triage.add_known_issue(operator, expires="1d", **add)
    assert json.loads(ok("known-issue", "list", "--json")) == []
    (listed,) = json.loads(ok("known-issue", "list", "--all", "--json"))
    assert listed["state"] == "expired"
    assert "expired" in ok("known-issue", "list", "--all")


def test_a_known_issue_waives_the_failure_in_the_decision(gk: Gatekeeper) -> None:
    failed(gk)
    assert decision("rdo.smoke")["type"] == "test-result-failed"
    ok("known-issue", "add", "--product", "CentOS-Stream-9", "--testcase", "rdo.smoke",
       "--bug", BUG, "-m", "smoke times out")  # fmt: skip
    waived = decision("rdo.smoke")
    assert waived["type"] == "test-result-failed-waived"
    assert (waived["known_issue"], waived["bug"]) == ("1", BUG)
    ok("known-issue", "close", "1")
    assert decision("rdo.smoke")["type"] == "test-result-failed"


def test_known_issue_refusals_are_located(gk: Gatekeeper) -> None:
    add = ("known-issue", "add", "--product", "CentOS-Stream-*", "-m", "x")
    assert refused(*add, "--testcase", "rdo.smoke", "--bug", "RDO-1").startswith("error: bug: ")
    assert refused(*add, "--testcase", "nobody.x", "--bug", BUG).startswith("error: testcase: ")
    assert refused(*add, "--testcase", "strict.check", "--bug", BUG, "--expires",
                   "30d").startswith("error: expires: ")  # fmt: skip
    assert run(*add, "--testcase", "rdo.smoke").exit_code == 2  # --bug is required
    assert refused("known-issue", "close", "9") == "error: known_issue: no known issue 9"
    assert json.loads(ok("known-issue", "list", "--all", "--json")) == []


# -- rerun, reruns ----------------------------------------------------------------------------


def test_a_rerun_makes_the_answer_pending_until_a_newer_result(gk: Gatekeeper) -> None:
    failed(gk)
    out = ok("rerun", CID, "rdo.smoke", "--reason", "runner lost")
    lines = out.splitlines()
    assert lines[0].startswith(f"rerun request 1: rdo.smoke of {CID}, by ")
    assert lines[0].endswith(": runner lost")
    assert lines[1:3] == [
        "now pending:",
        "  test-result-pending rdo.smoke arch=x86_64: rerun requested",
    ]
    assert lines[3] == "verdict pending: Of 2 required tests, 1 result missing, 1 test pending"
    pending = decision("rdo.smoke")
    assert (pending["type"], pending["rerun_id"]) == ("test-result-pending", "1")
    (listed,) = json.loads(ok("reruns", CID, "--json"))
    assert (listed["id"], listed["testcase"], listed["reason"]) == ("1", "rdo.smoke",
                                                                    "runner lost")  # fmt: skip
    table = ok("reruns", CID)
    assert f"Rerun requests for {CID} (1)" in table and "runner lost" in table
    ok("result", "add", CID, "rdo.smoke", "PASSED", "--arch", "x86_64")  # newer than the request
    assert decision("rdo.smoke")["type"] == "test-result-passed"


def test_a_rerun_narrowed_to_an_arch_says_so(gk: Gatekeeper) -> None:
    out = ok("rerun", CID, "rdo.smoke", "--arch", "s390x")
    assert out.splitlines()[0].startswith(f"rerun request 1: rdo.smoke (arch=s390x) of {CID}")
    assert "no answer waits on it" in out  # no result of it yet: still missing


def test_a_rerun_of_a_passed_result_needs_a_reason(gk: Gatekeeper) -> None:
    ok("result", "add", CID, "rdo.smoke", "PASSED")
    line = refused("rerun", CID, "rdo.smoke")
    assert line.startswith(f"error: reason: rdo.smoke passed in {CID} (result ")
    assert line.endswith("a rerun of a passed result needs a reason")
    assert json.loads(ok("reruns", CID, "--json")) == []


def test_a_rerun_of_an_unknown_compose_is_refused(gk: Gatekeeper) -> None:
    other = "CentOS-Stream-9-20990101.0"
    assert "not known" in refused("rerun", other, "rdo.smoke")
    assert "not known" in refused("reruns", other)
