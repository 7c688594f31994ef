"""``gatekeeper compose lockfile``'s two formats, checked key by key and type by type
against the shared samples, and what goes in them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from lockhelpers import POLICY, binary_paths, sample_file, shape, write

from gatekeeper.service import Gatekeeper
from gatekeeper.testing.repodata import package_checksum, package_size


@pytest.fixture
def app(gk_policies: Any, gk_app: Gatekeeper) -> Gatekeeper:
    return gk_app


@pytest.fixture(autouse=True)
def _policy(gk_policies: Any) -> None:
    gk_policies(**{"tf.yaml": POLICY})


@pytest.fixture
def compose(tmp_path: Path, app: Gatekeeper) -> tuple[Path, str]:
    top = tmp_path / "c"
    compose_id = write(top)
    app.import_compose(str(top))
    return top, compose_id


def _rpm_lock(app: Gatekeeper, compose_id: str, **options: Any) -> dict[str, Any]:
    files = app.lockfile(compose_id, "rpm-lockfile", **options)
    assert list(files) == ["rpms.lock.yaml"]
    doc: dict[str, Any] = yaml.safe_load(files["rpms.lock.yaml"])
    return doc


def test_rpm_lockfile_has_the_samples_keys_and_types(
    app: Gatekeeper, compose: tuple[Path, str]
) -> None:
    sample = yaml.safe_load(sample_file("rpms.lock.yaml").read_text())
    doc = _rpm_lock(app, compose[1], with_sources=True)
    assert list(doc) == list(sample) == ["lockfileVersion", "lockfileVendor", "arches"]
    assert doc["lockfileVersion"] == 1 and doc["lockfileVendor"] == "redhat"
    assert shape(doc) == shape(sample)  # every key and type, down to each package field
    assert [list(p) for p in doc["arches"][0]["packages"][:1]] == [
        ["url", "repoid", "size", "checksum", "name", "evr", "sourcerpm"]
    ]
    assert all(arch["module_metadata"] == [] for arch in doc["arches"])


def test_rpm_lockfile_pins_every_binary_rpm_with_its_repodata_size_and_sha256(
    app: Gatekeeper, compose: tuple[Path, str]
) -> None:
    top, compose_id = compose
    doc = _rpm_lock(app, compose_id)
    assert [a["arch"] for a in doc["arches"]] == ["aarch64", "x86_64"]
    base = top.resolve().as_uri() + "/compose/"
    for arch in doc["arches"]:
        paths = {p["url"].removeprefix(base) for p in arch["packages"]}
        assert paths == binary_paths(top, arch["arch"])
        for package in arch["packages"]:
            path = package["url"].removeprefix(base)
            assert package["size"] == package_size(path)
            assert package["checksum"] == f"sha256:{package_checksum(path)}"
            assert package["repoid"] == f"{path.split('/')[0]}-{arch['arch']}"
        assert arch["source"] == []
    x86 = {p["name"]: p for p in doc["arches"][1]["packages"]}
    assert x86["nginx"]["evr"] == "1:1.20.1-20.el9"
    assert x86["nginx"]["sourcerpm"] == "nginx-1.20.1-20.el9.src.rpm"
    assert x86["ncurses-libs"]["sourcerpm"] == "ncurses-6.2-10.el9.src.rpm"
    glibc = [
        p["url"].rsplit("/", 1)[1] for p in doc["arches"][1]["packages"] if p["name"] == "glibc"
    ]
    assert glibc == ["glibc-2.34-100.el9.i686.rpm", "glibc-2.34-100.el9.x86_64.rpm"]


def test_with_sources_lists_each_srpm_once_with_the_source_repos_checksum(
    app: Gatekeeper, compose: tuple[Path, str]
) -> None:
    top, compose_id = compose
    doc = _rpm_lock(app, compose_id, arches=["x86_64"], with_sources=True)
    (arch,) = doc["arches"]
    sources = arch["source"]
    assert sorted(s["name"] for s in sources) == ["bash", "broken", "glibc", "ncurses", "nginx"]
    for source in sources:
        path = source["url"].removeprefix(top.resolve().as_uri() + "/compose/")
        assert "/source/tree/Packages/" in path
        assert source["checksum"] == f"sha256:{package_checksum(path)}"
        assert source["repoid"] == f"{path.split('/')[0]}-source"
        assert "sourcerpm" not in source
    assert {p["sourcerpm"] for p in arch["packages"]} == {
        f"{s['name']}-{s['evr'].split(':')[-1]}.src.rpm" for s in sources
    }


def test_fcos_writes_one_manifest_lock_per_arch_shaped_like_the_sample(
    app: Gatekeeper, compose: tuple[Path, str]
) -> None:
    sample = json.loads(sample_file("fcos-manifest-lock.x86_64.json").read_text())
    files = app.lockfile(compose[1], "fcos")
    assert sorted(files) == ["manifest-lock.aarch64.json", "manifest-lock.x86_64.json"]
    doc = json.loads(files["manifest-lock.x86_64.json"])
    assert list(doc) == list(sample) == ["packages", "metadata"]
    sample_package = shape(next(iter(sample["packages"].values())))
    assert all(shape(p) == sample_package for p in doc["packages"].values())
    repos = {"AppStream-x86_64": {"generated": "str"}, "BaseOS-x86_64": {"generated": "str"}}
    assert shape(doc["metadata"]) == {"generated": "str", "rpmmd_repos": repos}
    assert list(doc["packages"]) == sorted(doc["packages"])
    assert doc["packages"]["nginx"] == {
        "evra": "1:1.20.1-20.el9.x86_64", "metadata": {"sourcerpm": "nginx"}}  # fmt: skip
    # one entry per name: the tree's own arch wins over multilib
    assert doc["packages"]["glibc"]["evra"] == "2.34-100.el9.x86_64"
    assert doc["packages"]["nginx-filesystem"]["evra"] == "1:1.20.1-20.el9.noarch"
    assert doc["packages"]["ncurses-libs"]["metadata"] == {"sourcerpm": "ncurses"}
    assert doc["metadata"]["generated"] == "2026-12-01T00:00:00Z"
    assert doc["metadata"]["rpmmd_repos"]["BaseOS-x86_64"] == {"generated": "2025-12-01T00:00:00Z"}
    assert files["manifest-lock.x86_64.json"].endswith(b"}\n")


def test_the_same_compose_and_options_give_the_same_bytes(
    app: Gatekeeper, compose: tuple[Path, str], gk_settings: Any, gk_clock: Any
) -> None:
    from gatekeeper.service import Gatekeeper as Fresh

    other = Fresh(gk_settings, clock=gk_clock)  # another process's view: nothing cached
    for fmt in ("rpm-lockfile", "fcos"):
        first = app.lockfile(compose[1], fmt, with_sources=True)
        assert app.lockfile(compose[1], fmt, with_sources=True) == first
        assert other.lockfile(compose[1], fmt, with_sources=True) == first
    other.store.dispose()


def test_arch_and_variant_filters(app: Gatekeeper, compose: tuple[Path, str]) -> None:
    compose_id = compose[1]
    doc = _rpm_lock(app, compose_id, arches=["aarch64"], variants=["AppStream"])
    (arch,) = doc["arches"]
    assert arch["arch"] == "aarch64"
    names = {p["name"] for p in arch["packages"]}
    assert names == {"nginx", "nginx-filesystem", "broken"}
    assert {p["repoid"] for p in arch["packages"]} == {"AppStream-aarch64"}
    files = app.lockfile(compose_id, "fcos", arches=["aarch64"], variants=["BaseOS"])
    assert list(files) == ["manifest-lock.aarch64.json"]
    assert "nginx" not in json.loads(files["manifest-lock.aarch64.json"])["packages"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"arches": ["ppc64le"]}, "has no arch ppc64le (it has: aarch64, x86_64)"),
        ({"variants": ["CRB"]}, "has no variant CRB (it has: AppStream, BaseOS)"),
    ],
)
def test_an_unknown_arch_or_variant_is_refused_naming_what_there_is(
    app: Gatekeeper, compose: tuple[Path, str], options: dict[str, Any], message: str
) -> None:
    from gatekeeper.errors import InputError

    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        app.lockfile(compose[1], "rpm-lockfile", **options)


def test_url_and_repoid_follow_the_configured_templates(
    tmp_path: Path, gk_database_url: str
) -> None:
    from gatekeeper.config import Settings

    settings = Settings(
        var_dir=tmp_path / "var", database_url=gk_database_url, policies_dir=tmp_path / "policies",
        sections={"lockfile": {"base_url": "https://composes.example.org/{product}/{compose}",
                               "repoid": "cs9-{variant}-{arch}"}},
    )  # fmt: skip
    app = Gatekeeper(settings)
    app.start()
    top = tmp_path / "c"
    compose_id = write(top)
    app.import_compose(str(top))
    doc = _rpm_lock(app, compose_id, arches=["x86_64"], variants=["BaseOS"])
    bash = next(p for p in doc["arches"][0]["packages"] if p["name"] == "bash")
    assert bash["url"] == (
        f"https://composes.example.org/CentOS-Stream-9/{compose_id}/compose/"
        "BaseOS/x86_64/os/Packages/b/bash-5.1.8-9.el9.x86_64.rpm"
    )
    assert bash["repoid"] == "cs9-BaseOS-x86_64"
    app.store.dispose()


@given(st.text(min_size=1, max_size=40))
def test_every_string_is_written_so_that_yaml_reads_it_back_as_that_string(text: str) -> None:
    from gatekeeper.compose.yamltext import loose_scalar as _scalar

    assert yaml.safe_load(f"key: {_scalar(text)}\n") == {"key": text}
