"""Generated compose trees: productmd reads them, and package sets evolve like nightlies."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import productmd.compose
import pytest

from gatekeeper.compose.reader import read_compose
from gatekeeper.testing.composes import (
    CENTOS_VARIANTS,
    SpecBuild,
    SpecRpm,
    next_nightly,
    rpm_entries,
    synthetic_builds,
    write_compose,
)

ZLIB = SpecBuild(
    "zlib",
    "1.2.11",
    "41.el9",
    rpms=(SpecRpm("zlib", multilib=True), SpecRpm("zlib-doc", noarch=True)),
    debuginfo=True,
)


def test_written_compose_is_read_by_productmd(tmp_path: Path) -> None:
    compose_id = write_compose(tmp_path, builds=[ZLIB])
    compose = productmd.compose.Compose(str(tmp_path))
    assert compose.info.compose.id == compose_id
    assert sorted(compose.rpms.rpms) == ["BaseOS"]
    assert (
        "zlib-0:1.2.11-41.el9.i686"
        in compose.rpms.rpms["BaseOS"]["x86_64"]["zlib-0:1.2.11-41.el9.src"]
    )


def test_compose_id_is_productmds(tmp_path: Path) -> None:
    assert write_compose(tmp_path, builds=[ZLIB]) == "CentOS-Stream-9-20261124.n.0"
    production = write_compose(tmp_path, builds=[ZLIB], compose_type="production", respin=2)
    assert production == "CentOS-Stream-9-20261124.2"


def test_status_is_written_unless_none(tmp_path: Path) -> None:
    write_compose(tmp_path / "a", builds=[ZLIB], status="DOOMED")
    write_compose(tmp_path / "b", builds=[ZLIB], status=None)
    assert (tmp_path / "a" / "STATUS").read_text() == "DOOMED\n"
    assert not (tmp_path / "b" / "STATUS").exists()


def test_entries_follow_pungi(tmp_path: Path) -> None:
    entries = list(rpm_entries([ZLIB], {"BaseOS": ["x86_64", "s390x"]}))
    per_arch = Counter((e.arch, e.category) for e in entries)
    assert per_arch == {
        ("x86_64", "source"): 1,
        ("x86_64", "binary"): 3,  # zlib.x86_64, zlib.i686, zlib-doc.noarch
        ("x86_64", "debug"): 3,  # zlib-debuginfo x86_64 and i686, zlib-debugsource
        ("s390x", "source"): 1,
        ("s390x", "binary"): 2,
        ("s390x", "debug"): 2,
    }


def test_build_in_an_unknown_variant_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'Extras'"):
        write_compose(tmp_path, builds=[SpecBuild("a", "1", "1", variants=("Extras",))])


def test_synthetic_builds_are_the_same_for_the_same_seed() -> None:
    assert synthetic_builds(50, 7) == synthetic_builds(50, 7)
    assert synthetic_builds(50, 7) != synthetic_builds(50, 8)


def test_synthetic_builds_have_distinct_names_sorted() -> None:
    names = [b.name for b in synthetic_builds(500, 1)]
    assert names == sorted(set(names)) and len(names) == 500


def test_synthetic_builds_mix_noarch_multilib_debuginfo_and_epochs() -> None:
    builds = synthetic_builds(300, 2)
    rpms = [rpm for b in builds for rpm in b.binary_rpms]
    assert any(r.noarch for r in rpms) and any(r.multilib for r in rpms)
    assert any(b.debuginfo for b in builds) and any(b.epoch for b in builds)
    assert {v for b in builds for v in b.variants} == {"AppStream", "BaseOS"}


def test_next_nightly_changes_adds_and_removes() -> None:
    before = synthetic_builds(100, 3)
    after = next_nightly(before, changed=5, added=4, removed=3, seed=9)
    old, new = {b.name: b for b in before}, {b.name: b for b in after}
    assert len(set(old) - set(new)) == 3 and len(set(new) - set(old)) == 4
    changed = [n for n in set(old) & set(new) if old[n] != new[n]]
    assert len(changed) == 5
    assert all(new[n].release != old[n].release for n in changed)
    assert sum(new[n].epoch == old[n].epoch + 1 for n in changed) == 1


def test_next_nightly_read_back_shows_the_bumped_releases(tmp_path: Path) -> None:
    before = synthetic_builds(20, 4)
    after = next_nightly(before, changed=2, added=0, removed=0, seed=1)
    write_compose(tmp_path / "a", builds=before)
    write_compose(tmp_path / "b", builds=after, date="20261125")
    nvrs_a = {b.nvr for b in read_compose(str(tmp_path / "a")).builds}
    nvrs_b = {b.nvr for b in read_compose(str(tmp_path / "b")).builds}
    assert len(nvrs_a - nvrs_b) == 2 and len(nvrs_b - nvrs_a) == 2


def test_centos_sized_set_has_centos_stream_figures() -> None:
    builds = synthetic_builds(3300, 0, variants=CENTOS_VARIANTS)
    entries = sum(1 for _ in rpm_entries(builds, CENTOS_VARIANTS))
    assert 105_000 <= entries <= 125_000
    assert {v for b in builds for v in b.variants} == set(CENTOS_VARIANTS)
