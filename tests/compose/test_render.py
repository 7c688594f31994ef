"""The Compose Repo rendering: layout, determinism and YAML that reads back exactly."""

from __future__ import annotations

import random
import time
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from gatekeeper.compose import ComposeInfo
from gatekeeper.compose.repo_files import (
    build_data,
    build_path,
    compose_data,
    dump_yaml,
    render_build,
    render_compose,
    scalar,
)
from gatekeeper.model import Build

INFO = ComposeInfo(
    id="CentOS-Stream-9-20261125.n.0",
    product="CentOS-Stream-9",
    date="20261125",
    type="nightly",
    respin=0,
    status="FINISHED",
    variants={"BaseOS": ("x86_64", "aarch64"), "AppStream": ("x86_64", "aarch64")},
    label=None,
    location="https://composes.example.org/CentOS-Stream-9-20261125.n.0/compose",
)
BASH = Build(
    name="bash",
    version="5.1.8",
    release="9.el9",
    variants=("BaseOS",),
    arches=("x86_64", "aarch64"),
    rpms={"bash": ("x86_64", "aarch64"), "bash-doc": ("noarch",)},
)


def build(name: str, version: str = "1.0", release: str = "1.el9", **kw: Any) -> Build:
    return Build(name=name, version=version, release=release, **kw)


def test_build_file_reads_back_as_its_documented_fields() -> None:
    assert yaml.safe_load(render_build(BASH)) == {
        "name": "bash",
        "nvr": "bash-5.1.8-9.el9",
        "epoch": 0,
        "version": "5.1.8",
        "release": "9.el9",
        "variants": ["BaseOS"],
        "arches": ["aarch64", "x86_64"],
        "rpms": {"bash": ["aarch64", "x86_64"], "bash-doc": ["noarch"]},
    }


def test_build_file_is_block_mappings_with_flow_lists_in_documented_order() -> None:
    assert render_build(BASH).decode() == (
        "name: bash\n"
        "nvr: bash-5.1.8-9.el9\n"
        "epoch: 0\n"
        'version: "5.1.8"\n'
        'release: "9.el9"\n'
        "variants: [BaseOS]\n"
        "arches: [aarch64, x86_64]\n"
        "rpms:\n"
        "  bash: [aarch64, x86_64]\n"
        "  bash-doc: [noarch]\n"
    )


def test_build_without_rpms_has_an_empty_mapping() -> None:
    assert yaml.safe_load(render_build(build("empty")))["rpms"] == {}


def test_compose_file_reads_back_with_variants_and_counts() -> None:
    files = render_compose(INFO, [BASH, build("zlib", rpms={"zlib": ("x86_64",)})])
    assert yaml.safe_load(files["compose.yaml"]) == {
        "id": "CentOS-Stream-9-20261125.n.0",
        "product": "CentOS-Stream-9",
        "date": "20261125",
        "type": "nightly",
        "respin": 0,
        "label": None,
        "location": "https://composes.example.org/CentOS-Stream-9-20261125.n.0/compose",
        "variants": {"AppStream": ["aarch64", "x86_64"], "BaseOS": ["aarch64", "x86_64"]},
        "counts": {"builds": 2, "rpms": 4},
    }


def test_build_files_live_under_their_lowercased_first_letter() -> None:
    files = render_compose(INFO, [BASH, build("NetworkManager"), build("389-ds-base")])
    assert list(files) == [
        "builds/3/389-ds-base.yaml",
        "builds/b/bash.yaml",
        "builds/n/NetworkManager.yaml",
        "compose.yaml",
    ]


def test_builds_sharing_a_name_each_get_a_version_release_file() -> None:
    streams = [build("nodejs", "18.20.4", "1.module_el9"), build("nodejs", "20.16.0", "1.el9")]
    files = render_compose(INFO, [*streams, BASH])
    assert sorted(files) == [
        "builds/b/bash.yaml",
        "builds/n/nodejs@18.20.4-1.module_el9.yaml",
        "builds/n/nodejs@20.16.0-1.el9.yaml",
        "compose.yaml",
    ]


def test_build_path_of_a_duplicate_uses_version_release() -> None:
    assert build_path(BASH, duplicate=True) == "builds/b/bash@5.1.8-9.el9.yaml"
    assert build_path(BASH, duplicate=False) == "builds/b/bash.yaml"


def test_the_same_nvr_twice_is_refused() -> None:
    with pytest.raises(ValueError, match=r"two builds of bash-5\.1\.8-9\.el9"):
        render_compose(INFO, [BASH, BASH])


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "a@b"])
def test_a_name_that_cannot_be_a_file_name_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="cannot be a build's file name"):
        build_path(build(name), duplicate=False)


def test_shuffled_builds_render_the_same_bytes() -> None:
    builds = [
        build(f"pkg{i}", rpms={f"pkg{i}": ("x86_64", "s390x"), f"pkg{i}-devel": ("s390x",)})
        for i in range(200)
    ]
    shuffled = builds[:]
    random.Random(7).shuffle(shuffled)
    assert render_compose(INFO, builds) == render_compose(INFO, shuffled)
    assert list(render_compose(INFO, shuffled)) == sorted(render_compose(INFO, shuffled))


def test_arches_and_variants_render_in_sorted_order_whatever_the_input_order() -> None:
    one = build("a", arches=("x86_64", "aarch64"), variants=("BaseOS", "AppStream"))
    other = build("a", arches=("aarch64", "x86_64"), variants=("AppStream", "BaseOS"))
    assert render_build(one) == render_build(other)


@pytest.mark.parametrize(
    "text",
    ["5.1.8", "1.0", "20261125", "on", "Off", "yes", "N", "y", "null", "~", "", "true",
     "a: b", "#x", "a #b", "- x", "[a]", "{a}", "a,b", "*ref", "&a", "!tag", "|", ">",
     "'q'", '"q"', "@x", "`x`", "%x", " lead", "trail ", "0x1F", ".inf", "1e3", "<<", "="],
)  # fmt: skip
def test_ambiguous_scalars_are_quoted_and_read_back_as_strings(text: str) -> None:
    assert scalar(text).startswith('"')
    assert yaml.safe_load(f"k: {scalar(text)}\n") == {"k": text}


@pytest.mark.parametrize("text", ["bash", "glibc-langpack-en", "x86_64", "el9_4", "a.b+c~d^e"])
def test_unambiguous_names_stay_plain(text: str) -> None:
    assert scalar(text) == text


def test_control_characters_and_line_separators_are_escaped() -> None:
    text = "a\x00b\tc\nd\x85e\u2028f\x7fg\ufeffh"
    quoted = scalar(text)
    assert quoted.isascii()
    assert yaml.safe_load(f"k: {quoted}\n") == {"k": text}


def test_a_very_long_key_is_written_as_an_explicit_key() -> None:
    key = "x" * 2000 + " y"
    assert yaml.safe_load(dump_yaml({"rpms": {key: ["noarch"]}})) == {"rpms": {key: ["noarch"]}}


texts = st.text(st.characters(codec="utf-8"), max_size=40) | st.sampled_from(
    ["on", "no", "Y", "~", "", "1.0", "5.1.8", "0", "null", "a: b", "#", "é", "'", '"']
)


@given(
    name=texts,
    version=texts,
    release=texts,
    epoch=st.integers(min_value=0, max_value=2**31),
    arches=st.lists(texts, max_size=4),
    rpms=st.dictionaries(texts, st.lists(texts, max_size=3), max_size=4),
)
def test_any_build_reads_back_exactly(
    name: str, version: str, release: str, epoch: int, arches: list[str],
    rpms: dict[str, list[str]],
) -> None:  # fmt: skip
    one = Build(name, version, release, epoch, tuple(arches), tuple(arches),
                {rpm: tuple(a) for rpm, a in rpms.items()})  # fmt: skip
    assert yaml.safe_load(render_build(one).decode("utf-8")) == build_data(one)


@given(st.dictionaries(texts, st.one_of(texts, st.none(), st.integers()), max_size=5))
def test_any_mapping_of_scalars_reads_back_exactly(data: dict[str, Any]) -> None:
    assert yaml.safe_load(dump_yaml(data)) == data


def test_compose_data_counts_one_rpm_per_name_and_arch() -> None:
    assert compose_data(INFO, [BASH])["counts"] == {"builds": 1, "rpms": 3}


def test_a_big_compose_renders_fast() -> None:
    arches = ("aarch64", "ppc64le", "s390x", "x86_64")
    builds = [
        build(f"package-{i}", f"{i % 9}.{i % 31}.{i % 7}", f"{i % 20}.el9",
              variants=("AppStream", "BaseOS"), arches=arches,
              rpms={f"package-{i}{s}": arches for s in ("", "-devel", "-libs", "-doc")})
        for i in range(3_300)
    ]  # fmt: skip
    start = time.perf_counter()
    render_compose(INFO, builds)
    assert time.perf_counter() - start < 0.5
