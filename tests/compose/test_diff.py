"""The compose diff and the merge request's title and description."""

from __future__ import annotations

from typing import Any

from gatekeeper.compose import ComposeInfo
from gatekeeper.compose.diff import BuildChange, ComposeDiff, diff_builds, mr_description, mr_title
from gatekeeper.model import Build

INFO = ComposeInfo(
    id="CentOS-Stream-9-20261125.n.0",
    product="CentOS-Stream-9",
    date="20261125",
    type="nightly",
    respin=0,
    status="FINISHED",
)


def build(name: str, version: str = "1.0", release: str = "1.el9", **kw: Any) -> Build:
    kw.setdefault("arches", ("x86_64",))
    kw.setdefault("rpms", {name: ("x86_64",)})
    return Build(name=name, version=version, release=release, **kw)


def test_identical_composes_have_an_empty_diff() -> None:
    builds = [build("bash"), build("zlib")]
    diff = diff_builds(builds, list(reversed(builds)))
    assert diff.is_empty
    assert diff.counts == {"updated": 0, "added": 0, "removed": 0}


def test_a_new_name_is_added() -> None:
    diff = diff_builds([], [build("bash", "5.2", "1.el9")])
    assert diff.added == (BuildChange("bash", (), ("bash-5.2-1.el9",)),)
    assert not diff.removed and not diff.updated


def test_a_missing_name_is_removed() -> None:
    diff = diff_builds([build("bash", "5.2", "1.el9")], [])
    assert diff.removed == (BuildChange("bash", ("bash-5.2-1.el9",), ()),)


def test_a_new_version_is_an_update_from_old_to_new_nvr() -> None:
    diff = diff_builds([build("bash", "5.1.8", "9.el9")], [build("bash", "5.2", "1.el9")])
    assert diff.updated == (BuildChange("bash", ("bash-5.1.8-9.el9",), ("bash-5.2-1.el9",)),)


def test_unchanged_builds_are_not_listed() -> None:
    diff = diff_builds([build("bash"), build("zlib")], [build("bash", "2.0"), build("zlib")])
    assert [change.name for change in diff.updated] == ["bash"]


def test_an_epoch_change_shows_both_epochs() -> None:
    diff = diff_builds([build("foo", "2.0", epoch=1)], [build("foo", "2.0", epoch=2)])
    assert diff.updated == (BuildChange("foo", ("foo-1:2.0-1.el9",), ("foo-2:2.0-1.el9",)),)


def test_an_epoch_added_shows_the_zero_epoch_too() -> None:
    diff = diff_builds([build("foo", "2.0")], [build("foo", "2.0", epoch=1)])
    assert diff.updated[0].old == ("foo-0:2.0-1.el9",)
    assert diff.updated[0].new == ("foo-1:2.0-1.el9",)


def test_same_nvr_with_other_rpms_is_changed_content() -> None:
    old = build("bash", rpms={"bash": ("x86_64",), "bash-devel": ("x86_64",)})
    new = build("bash", rpms={"bash": ("x86_64",), "bash-doc": ("noarch",)})
    (change,) = diff_builds([old], [new]).updated
    assert change.old == change.new == ("bash-1.0-1.el9",)
    assert change.note == "same NVR, content changed: rpms +bash-doc -bash-devel"


def test_same_nvr_with_another_arch_is_changed_content() -> None:
    old = build("bash")
    new = build("bash", arches=("x86_64", "s390x"), rpms={"bash": ("s390x", "x86_64")})
    (change,) = diff_builds([old], [new]).updated
    assert change.note == "same NVR, content changed: arches +s390x; arches of bash"


def test_arch_order_alone_is_no_change() -> None:
    old = build("bash", arches=("x86_64", "s390x"), rpms={"bash": ("x86_64", "s390x")})
    new = build("bash", arches=("s390x", "x86_64"), rpms={"bash": ("s390x", "x86_64")})
    assert diff_builds([old], [new]).is_empty


def test_several_builds_of_a_name_compare_as_sets() -> None:
    old = [build("nodejs", "18.1", "1"), build("nodejs", "20.1", "1"), build("nodejs", "22.1", "1")]
    new = [build("nodejs", "22.1", "1"), build("nodejs", "20.2", "1"), build("nodejs", "18.1", "1")]
    assert diff_builds(old, new).updated == (
        BuildChange("nodejs", ("nodejs-20.1-1",), ("nodejs-20.2-1",), "2 other builds unchanged"),
    )


def test_a_stream_added_next_to_kept_ones_is_an_update_with_nothing_old() -> None:
    old = [build("nodejs", "18.1", "1")]
    new = [build("nodejs", "18.1", "1"), build("nodejs", "22.1", "1")]
    assert diff_builds(old, new).updated == (
        BuildChange("nodejs", (), ("nodejs-22.1-1",), "1 other build unchanged"),
    )


def test_changes_are_sorted_by_name() -> None:
    diff = diff_builds([], [build("zlib"), build("bash"), build("acl")])
    assert [change.name for change in diff.added] == ["acl", "bash", "zlib"]


def test_title_counts_updated_added_removed() -> None:
    diff = ComposeDiff(
        added=(BuildChange("a", (), ("a-1-1",)),) * 3,
        removed=(BuildChange("r", ("r-1-1",), ()),),
        updated=(BuildChange("u", ("u-1-1",), ("u-2-1",)),) * 12,
    )
    assert mr_title(INFO, diff) == "CentOS-Stream-9-20261125.n.0: 12 updated, 3 added, 1 removed"


def test_title_leaves_out_zero_counts() -> None:
    diff = diff_builds([build("a")], [build("a", "2")])
    assert mr_title(INFO, diff) == "CentOS-Stream-9-20261125.n.0: 1 updated"


def test_title_of_an_empty_diff_says_so() -> None:
    assert mr_title(INFO, ComposeDiff()) == "CentOS-Stream-9-20261125.n.0: no build changes"


def test_description_names_the_published_base() -> None:
    text = mr_description(INFO, ComposeDiff(), base_id="CentOS-Stream-9-20261120.0")
    assert "the last published compose, **CentOS-Stream-9-20261120.0**" in text


def test_description_without_a_base_says_nothing_is_published_yet() -> None:
    text = mr_description(INFO, diff_builds([], [build("bash")]), base_id=None)
    assert "nothing published yet" in text


def test_description_has_counts_and_a_table_row_per_change() -> None:
    diff = diff_builds([build("bash", "5.1"), build("old")], [build("bash", "5.2"), build("new")])
    text = mr_description(INFO, diff, base_id="B")
    assert "**1 updated, 1 added, 1 removed**" in text
    assert "| updated | 1 |" in text
    assert "| package | old | new |" in text
    assert "| bash | `bash-5.1-1.el9` | `bash-5.2-1.el9` |" in text
    assert "| new | — | `new-1.0-1.el9` |" in text
    assert "| old | `old-1.0-1.el9` | — |" in text


def test_description_adds_a_note_column_when_a_change_has_a_note() -> None:
    old, new = build("bash"), build("bash", rpms={"bash": ("x86_64",), "b2": ("x86_64",)})
    text = mr_description(INFO, diff_builds([old], [new]), base_id="B")
    assert "| package | old | new | note |" in text
    assert "same NVR, content changed: rpms +b2 |" in text


def test_description_folds_changes_beyond_fold_after() -> None:
    diff = diff_builds([], [build(f"pkg{i:02}") for i in range(35)])
    text = mr_description(INFO, diff, base_id=None, fold_after=30)
    visible, folded = text.split("<details>")
    assert visible.count("| pkg") == 30
    assert "<summary>5 more added</summary>" in folded
    assert folded.count("| pkg") == 5
    assert "</details>" in folded


def test_description_does_not_fold_a_short_section() -> None:
    diff = diff_builds([], [build(f"pkg{i}") for i in range(30)])
    assert "<details>" not in mr_description(INFO, diff, base_id=None, fold_after=30)


def test_description_escapes_pipes_in_table_cells() -> None:
    diff = diff_builds([], [build("a|b")])
    assert "| a\\|b | — | `a\\|b-1.0-1.el9` |" in mr_description(INFO, diff, base_id=None)
