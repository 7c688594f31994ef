"""NEVRA parsing: what productmd writes, what older files and people write, and what fails."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatekeeper.compose.nevra import Nevra, format_evr, parse_nevra, split_nevra


def test_parses_productmd_spelling_with_epoch() -> None:
    assert parse_nevra("bash-0:5.1.8-9.el9.x86_64") == Nevra("bash", 0, "5.1.8", "9.el9", "x86_64")


def test_nonzero_epoch_is_kept() -> None:
    assert parse_nevra("perl-Time-HiRes-4:1.9764-462.el9.x86_64").epoch == 4


def test_missing_epoch_means_epoch_zero() -> None:
    assert parse_nevra("bash-5.1.8-9.el9.x86_64") == parse_nevra("bash-0:5.1.8-9.el9.x86_64")


def test_names_may_contain_dashes() -> None:
    nevra = parse_nevra("python3-dnf-plugins-core-0:4.3.0-13.el9.noarch")
    assert (nevra.name, nevra.version, nevra.release, nevra.arch) == (
        "python3-dnf-plugins-core",
        "4.3.0",
        "13.el9",
        "noarch",
    )


def test_source_arches_parse() -> None:
    assert parse_nevra("kernel-0:5.14.0-570.el9.src").arch == "src"
    assert parse_nevra("foo-1-1.nosrc").arch == "nosrc"


def test_str_is_productmd_spelling_with_epoch() -> None:
    assert str(parse_nevra("bash-5.1.8-9.el9.x86_64")) == "bash-0:5.1.8-9.el9.x86_64"


def test_evr_and_nvr_leave_a_zero_epoch_out() -> None:
    nevra = parse_nevra("bash-0:5.1.8-9.el9.x86_64")
    assert (nevra.evr, nevra.nvr) == ("5.1.8-9.el9", "bash-5.1.8-9.el9")


def test_format_evr_shows_a_nonzero_epoch() -> None:
    assert format_evr(2, "1.0", "3.el9") == "2:1.0-3.el9"
    assert format_evr(0, "1.0", "3.el9") == "1.0-3.el9"


def test_split_nevra_is_parse_nevra_as_a_plain_tuple() -> None:
    text = "glibc-langpack-en-0:2.34-100.el9.i686"
    assert split_nevra(text) == tuple(parse_nevra(text))


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("bash", "does not end in '.<arch>'"),
        ("bash-5.1.8.x86_64", "non-empty name, version and release"),
        ("-5.1.8-9.el9.x86_64", "non-empty name, version and release"),
        ("bash-x:5.1.8-9.el9.x86_64", "epoch 'x' is not a number"),
        ("bash-1:-9.el9.x86_64", "the version is empty"),
        ("ba sh-5.1.8-9.el9.x86_64", "the name contains ' '"),
        ("bash-5.1.8-9.el9.x86-64", "is not a NEVRA"),
        ("bash-5.1.8-9.el9.", "does not end in '.<arch>'"),
        ("", "does not end in '.<arch>'"),
    ],
)
def test_unparseable_nevra_raises_value_error_saying_why(text: str, why: str) -> None:
    with pytest.raises(ValueError, match="is not a NEVRA") as info:
        parse_nevra(text)
    assert why in str(info.value)
    assert repr(text) in str(info.value)


def test_non_string_is_refused() -> None:
    with pytest.raises(ValueError, match="expected a string"):
        parse_nevra(None)  # type: ignore[arg-type]


_PART = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._+~^", min_size=1, max_size=12)


@given(
    name=st.lists(_PART, min_size=1, max_size=3).map("-".join),
    epoch=st.integers(min_value=0, max_value=99),
    version=_PART,
    release=_PART,
    arch=st.sampled_from(["x86_64", "i686", "noarch", "src", "aarch64", "ppc64le", "s390x"]),
)
def test_formatted_nevra_parses_back_to_its_parts(
    name: str, epoch: int, version: str, release: str, arch: str
) -> None:
    nevra = Nevra(name, epoch, version, release, arch)
    assert parse_nevra(str(nevra)) == nevra
