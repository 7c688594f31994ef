"""What the lockfile tests share: a small compose written with productmd, its repodata
written with createrepo_c (requires and provides, so resolution has work to do), and the
shapes of the shared sample lockfiles."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gatekeeper.testing.composes import SpecBuild, SpecRpm, write_compose
from gatekeeper.testing.repodata import write_repodata

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples" / "lockfiles"


def sample_file(name: str) -> Path:
    """A shared sample lockfile; skips the test where the shared samples are not beside the
    checkout (as every test of the shared samples does)."""
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"the shared samples are not at {SAMPLES}")
    return path


VARIANTS = {"BaseOS": ("x86_64", "aarch64"), "AppStream": ("x86_64", "aarch64")}
POLICY = """\
team: tf
owns: ["tf.*"]
reporters:
  users: [tf-bot]
gates:
  - testcase: tf.smoke
"""
BUILDS = [
    SpecBuild(
        "bash", "5.1.8", "9.el9",
        rpms=(SpecRpm("bash", requires=("glibc", "libtinfo.so.6()(64bit)")),),
    ),
    SpecBuild("glibc", "2.34", "100.el9",
              rpms=(SpecRpm("glibc", multilib=True), SpecRpm("glibc-common"))),
    SpecBuild(
        "ncurses", "6.2", "10.el9",
        rpms=(SpecRpm("ncurses-libs", provides=("libtinfo.so.6()(64bit)",), requires=("glibc",)),),
    ),
    SpecBuild(
        "nginx", "1.20.1", "20.el9", epoch=1, variants=("AppStream",),
        rpms=(SpecRpm("nginx", requires=("nginx-filesystem", "bash")),
              SpecRpm("nginx-filesystem", noarch=True)),
    ),
    SpecBuild("broken", "1.0", "1.el9", variants=("AppStream",),
              rpms=(SpecRpm("broken", requires=("missing-thing",)),)),
]  # fmt: skip


def write(top: Path, *, omit: tuple[str, ...] = (), repodata: bool = True) -> str:
    """The test compose under ``top``; returns its id."""
    compose_id = write_compose(top, builds=BUILDS, variants=VARIANTS, date="20261201")
    if repodata:
        write_repodata(top, builds=BUILDS, variants=VARIANTS, omit=omit)
    return compose_id


def rpms_json(top: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((top / "compose/metadata/rpms.json").read_text())
    return doc


def binary_paths(
    top: Path, arch: str, variants: tuple[str, ...] = ("BaseOS", "AppStream")
) -> set[str]:
    """Every binary RPM path rpms.json lists in ``arch``'s trees of ``variants``."""
    tree = rpms_json(top)["payload"]["rpms"]
    return {
        entry["path"]
        for variant in variants
        for srpm in tree[variant].get(arch, {}).values()
        for entry in srpm.values()
        if entry["category"] == "binary"
    }


def shape(value: Any) -> Any:
    """The keys and types of a document, recursively (a list: its items' shapes, merged)."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        shapes = []
        for item in value:
            if shape(item) not in shapes:
                shapes.append(shape(item))
        return shapes
    return type(value).__name__
