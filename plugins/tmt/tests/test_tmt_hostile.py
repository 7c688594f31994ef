"""Hostile ``results.yaml`` uploads and templates: a small input never expands into a large
stored one (issue #13, item 2)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from gatekeeper_tmt.results import parse
from gatekeeper_tmt.run import Options, read_run
from gatekeeper_tmt.tmtyaml import load
from tmt_helpers import COMPOSE, TMT, make_tree, require_tmt, run

from gatekeeper.errors import InputError

FILE = "results.yaml"


def parse_text(text: str, **options: object) -> list[object]:
    return list(parse(text.encode(), compose=COMPOSE, options={"plan": "/plans/one", **options}))


def amplified(results: int, items: int) -> str:
    """``results`` results sharing one anchored list of ``items`` subresults: a few KB that
    expand to ``results * items`` subresults."""
    head = (
        "- name: /tests/t0\n  result: pass\n  serial-number: 0\n"
        "  check:\n  - &sub {name: /x, result: fail, note: [padding padding padding]}\n"
        "  subresult: &subs\n" + "  - *sub\n" * items
    )
    rest = "".join(
        f"- name: /tests/t{n}\n  result: pass\n  serial-number: {n}\n  subresult: *subs\n"
        for n in range(1, results)
    )
    return head + rest


def test_aliases_that_expand_a_document_past_the_bound_are_refused_at_their_line() -> None:
    text = amplified(results=40, items=2_000)
    assert len(text) < 50_000
    started = time.monotonic()
    with pytest.raises(InputError, match="YAML aliases") as info:
        parse_text(text, file=FILE)
    assert time.monotonic() - started < 5
    error = info.value
    assert error.file == FILE and error.line is not None
    assert "*sub" in text.splitlines()[error.line - 1]  # the alias that passed the bound
    assert str(error).startswith(f"{FILE}:{error.line}: ")


def test_a_recursive_alias_is_refused_at_its_line() -> None:
    text = "- &r\n  name: /tests/pass\n  result: pass\n  serial-number: 1\n  check: [*r]\n"
    with pytest.raises(InputError, match="refers to a node holding it") as info:
        load(text, FILE)
    assert (info.value.file, info.value.line) == (FILE, 5)


def test_aliases_that_repeat_a_few_values_are_read() -> None:
    shared = "  context:\n    distro: &d [centos-stream-9]\n"
    again = "  context:\n    distro: *d\n"
    text = (
        "- name: /tests/a\n  result: pass\n  serial-number: 1\n" + shared
        + "- name: /tests/b\n  result: fail\n  serial-number: 2\n" + again
    )  # fmt: skip
    assert [r.testcase for r in parse_text(text)] == ["tests.a", "tests.b"]  # type: ignore[attr-defined]


def test_the_bound_grows_with_the_document() -> None:
    """Aliases may add as many nodes as the document writes: a large file that repeats
    what it writes once is read, however large."""
    items = 50_000
    text = "a: &a [" + ", ".join(["x"] * items) + "]\nb: *a\n"
    assert len(load(text, FILE)["b"]) == items


def test_a_real_tmt_run_with_a_context_writes_anchors_and_is_read(tmp_path: Path) -> None:
    """tmt repeats a plan's context in every result with YAML aliases (``&id001``...)."""
    require_tmt()
    tests = (
        "framework: shell\n/a:\n    test: 'true'\n/b:\n    test: 'true'\n/c:\n    test: 'true'\n"
    )
    plans = "/smoke:\n    discover:\n        how: fmf\n    execute:\n        how: tmt\n"
    tree = make_tree(tmp_path / "tree", tests, plans)
    done = run(
        TMT, "--feeling-safe", "-c", "distro=centos-stream-9", "run", "--id", tmp_path / "run",
        "-a", "provision", "--how", "local", cwd=tree,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    written = (tmp_path / "run/plans/smoke/execute/results.yaml").read_text(encoding="utf-8")
    assert "&id001" in written and "*id001" in written
    results = read_run(tmp_path / "run", compose=COMPOSE, options=Options(namespace="t"))
    assert sorted(r.testcase for r in results) == ["t.tests.a", "t.tests.b", "t.tests.c"]


@pytest.mark.parametrize(
    ("value", "shown"),
    [("9" * 5000, "9" * 30 + "..."), ("0x" + "f" * 17, "0x" + "f" * 17),
     ("-9223372036854775809", "-9223372036854775809")],
    ids=["5000-digits", "hexadecimal", "below-the-range"],
)  # fmt: skip
def test_an_integer_beyond_64_bits_is_refused_at_its_line(value: str, shown: str) -> None:
    text = f"- name: /tests/a\n  result: pass\n  serial-number: 1\n  duration: {value}\n"
    with pytest.raises(InputError) as info:
        parse_text(text, file=FILE)
    assert str(info.value) == (
        f"{FILE}:4: malformed YAML: {shown} is an integer beyond the signed 64-bit range"
    )


def test_the_largest_64_bit_integer_is_read() -> None:
    text = "- name: /tests/a\n  result: pass\n  serial-number: 9223372036854775807\n"
    (result,) = parse_text(text)
    assert result.data["tmt"]["serial_number"] == 2**63 - 1  # type: ignore[attr-defined]


# -- templates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "what"),
    [
        ("https://ci.example.org/{compose!r:>99999999}", "conversion"),
        ("https://ci.example.org/{compose:>99999999}", "format spec"),
        ("https://ci.example.org/{compose!s}", "conversion"),
        ("https://ci.example.org/{run:{plan}}", "format spec"),
        ("https://ci.example.org/{compose.__class__}", "attribute or index"),
        ("https://ci.example.org/{compose[0]}", "attribute or index"),
        ("https://ci.example.org/{}", "a name"),
        ("https://ci.example.org/{0}", "unknown placeholder"),
    ],
)
def test_a_template_takes_only_plain_known_placeholders(template: str, what: str) -> None:
    with pytest.raises(InputError, match=what) as info:
        parse_text(
            "- {name: /tests/a, result: pass, serial-number: 1}\n", log_url=template, run="r"
        )
    assert info.value.key == "log_url"
    assert "{compose}" in info.value.message  # what may be used instead


def test_a_bad_template_on_the_command_line_is_located_at_the_option(mixed_run: Path) -> None:
    options = Options(namespace="t_functional", log_url="https://x.example.org/{log!r:>9999}")
    with pytest.raises(InputError, match="conversion") as info:
        read_run(mixed_run, compose=COMPOSE, options=options)
    assert info.value.key == "--log-url"
