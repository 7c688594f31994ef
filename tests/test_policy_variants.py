"""Hostile and ambiguous policy files: each is refused with ``file:line`` (or bounded), by
``gatekeeper policy check`` and by ``gatekeeper serve`` at start-up alike."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from gatekeeper.errors import GatekeeperError
from gatekeeper.policy import load_policies, parse_policy
from gatekeeper.policy.reader import MAX_DEADLINE, MAX_POLICY_BYTES

SCRIPT = shutil.which("gatekeeper", path=str(Path(sys.executable).parent)) or "gatekeeper"


def errors_of(text: str) -> list[tuple[int | None, str | None, str]]:
    policy, errors = parse_policy(text, "rdo.yaml")
    assert policy is None and errors
    return [(e.line, e.key, e.message) for e in errors]


def gk(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEKEEPER_")}
    return subprocess.run(
        [SCRIPT, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


# -- huge numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize("deadline", ["367d", "999999999d", "3000000d", "53w"])
def test_a_deadline_past_a_year_is_refused(deadline: str) -> None:
    [(line, key, message)] = errors_of(
        f"team: rdo\ngates:\n  - testcase: rdo.x\n    deadline: {deadline}\n"
    )
    assert (line, key) == (4, "gates[0].deadline")
    assert "the longest deadline a gate may have" in message


def test_the_longest_deadline_is_accepted() -> None:
    policy, errors = parse_policy(
        "team: rdo\ngates:\n  - testcase: rdo.x\n    deadline: 366d\n", "rdo.yaml"
    )
    assert errors == [] and policy is not None
    assert policy.gates[0].deadline == MAX_DEADLINE == timedelta(days=366)


@pytest.mark.parametrize("deadline", ["\u0661\u0662h", "\uff11\uff12h"])  # Arabic-Indic, fullwidth
def test_a_deadline_in_other_scripts_digits_is_refused(deadline: str) -> None:
    [(line, key, message)] = errors_of(
        f"team: rdo\ngates:\n  - testcase: rdo.x\n    deadline: {deadline}\n"
    )
    assert (line, key) == (4, "gates[0].deadline") and "is not a duration" in message


def test_a_policy_with_the_longest_deadline_decides_a_compose(tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "rdo.yaml").write_text(
        "team: rdo\ngates:\n  - testcase: rdo.x\n    deadline: 366d\n", encoding="utf-8"
    )
    (tmp_path / "results.json").write_text("[]", encoding="utf-8")
    run = gk(
        "decide",
        "CentOS-Stream-9-20261124.0",
        "--policies",
        str(policies),
        "--results",
        "results.json",
        "--announced",
        "8999-01-01T00:00:00Z",
        "--now",
        "8999-06-01T00:00:00Z",
        cwd=tmp_path,
    )
    assert run.returncode == 3 and "Traceback" not in run.stderr, run.stderr


# -- tags, merge keys, aliases ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "key", "fragment"),
    [
        ("team: rdo\ndescription: !!binary aGVsbG8=\n", 2, "description", "tagged"),
        ("team: rdo\nowns: !!set {rdo.a: null}\n", 2, "owns", "got a mapping"),
        ("team: rdo\ngates: !include other.yaml\n", 2, "gates", "tagged !include"),
        ("team: rdo\ngates:\n  - testcase: !include x\n", 3, "gates[0].testcase", "!include"),
        (
            "team: rdo\ngates:\n  - &g {testcase: rdo.a}\n  - <<: *g\n    scenario: b\n",
            4,
            "gates[1]",
            "merge keys",
        ),
    ],
    ids=["binary", "set", "include-list", "include-scalar", "merge-key"],
)
def test_a_tag_or_merge_key_is_refused_where_it_stands(
    text: str, line: int, key: str, fragment: str
) -> None:
    found = errors_of(text)
    assert (found[0][0], found[0][1]) == (line, key)
    assert fragment in found[0][2]


def _laughs() -> str:
    """A billion laughs: 9**9 strings, if aliases were expanded."""
    lines = [
        "team: rdo",
        "reporters:",
        "  users: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]",
    ]
    lines.append("  groups: &a1 [" + ", ".join(["*a0"] * 9) + "]")
    lines.append("gates:")
    for level in range(2, 10):
        lines.append(f"  - testcase: rdo.x{level}")
        lines.append(f"    arches: &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_a_billion_laughs_is_refused_without_expanding() -> None:
    found = errors_of(_laughs())
    assert 0 < len(found) <= 9 * 9  # one per alias written, not one per string it stands for
    assert all(line is not None and "expected a string, got a list" in m for line, _, m in found)


def test_an_alias_of_plain_data_is_read() -> None:
    text = (
        "team: rdo\ngates:\n  - testcase: rdo.a\n    arches: &arches [x86_64, aarch64]\n"
        "  - testcase: rdo.b\n    arches: *arches\n"
    )
    policy, errors = parse_policy(text, "rdo.yaml")
    assert errors == [] and policy is not None
    assert policy.gates[1].arches == ("x86_64", "aarch64")


# -- the file itself --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "line", "fragment"),
    [
        (b"- team: rdo\n", 1, "got a list"),
        (b"rdo\n", 1, "got the string 'rdo'"),
        (b"team: rdo\ndescription: caf\xe9\n", 2, "not UTF-8 text"),
        (b"team: rdo\n---\nteam: idm\n", 2, "expected a single document"),
    ],
    ids=["list", "scalar", "latin-1", "two-documents"],
)
def test_a_file_that_is_no_policy_is_located(
    tmp_path: Path, content: bytes, line: int, fragment: str
) -> None:
    (tmp_path / "rdo.yaml").write_bytes(content)
    with pytest.raises(GatekeeperError) as raised:
        load_policies(tmp_path)
    assert (raised.value.file, raised.value.line) == (str(tmp_path / "rdo.yaml"), line)
    assert fragment in raised.value.message


def test_a_byte_order_mark_is_read() -> None:
    policy, errors = parse_policy("\ufeffteam: rdo\n", "rdo.yaml")
    assert errors == [] and policy is not None and policy.team == "rdo"


def test_a_file_over_the_policy_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    with open(tmp_path / "rdo.yaml", "wb") as handle:
        handle.truncate(1024**3)  # a 1 GB file, sparse: it costs no disk
    with pytest.raises(GatekeeperError) as raised:
        load_policies(tmp_path)
    assert raised.value.file == str(tmp_path / "rdo.yaml")
    assert f"over the {MAX_POLICY_BYTES}-byte limit" in raised.value.message


def test_a_policy_just_over_a_mebibyte_is_refused(tmp_path: Path) -> None:
    filler = "x" * MAX_POLICY_BYTES
    (tmp_path / "rdo.yaml").write_text(f'team: rdo\ndescription: "{filler}"\n', encoding="utf-8")
    with pytest.raises(GatekeeperError, match="byte limit"):
        load_policies(tmp_path)


# -- policy check and serve refuse alike ------------------------------------------------------

HOSTILE = "team: rdo\nowns: !!python/object/apply:os.system ['touch pwned']\n"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (HOSTILE, "rdo.yaml:2: owns: "),
        ("team: rdo\ngates:\n  - testcase: rdo.x\n    required: 'on'\n", "rdo.yaml:4: gates[0]"),
        (
            "team: rdo\ngates:\n  - testcase: rdo.x\n    deadline: 999999999d\n",
            "rdo.yaml:4: gates[0].deadline: ",
        ),
    ],
    ids=["python-tag", "quoted-boolean", "huge-deadline"],
)
@pytest.mark.parametrize("command", [["policy", "check", "policies"], ["serve", "--port", "0"]])
def test_policy_check_and_serve_refuse_with_file_and_line(
    tmp_path: Path, text: str, where: str, command: list[str]
) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "rdo.yaml").write_text(text, encoding="utf-8")
    run = gk(*command, cwd=tmp_path)
    assert run.returncode == 2, run.stderr
    assert f"error: policies/{where}" in run.stderr or f"/policies/{where}" in run.stderr
    assert "Traceback" not in run.stderr and not (tmp_path / "pwned").exists()
    assert list(tmp_path.glob("var/*")) == []  # a refused start touches no store
