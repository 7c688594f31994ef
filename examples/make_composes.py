"""Write the bundled example composes with productmd's own classes.

    .venv/bin/python examples/make_composes.py

A production baseline and two newer nightlies of CentOS Stream 9, a few builds each, with
updates (one with an epoch bump), additions and removals between them. The output is
committed under examples/composes/ with each repository's repodata (written with
createrepo_c, no RPM files: sizes and checksums are derived), so that lockfiles can be made
of them; `make run` imports them.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from gatekeeper.testing.composes import SpecBuild, SpecRpm, write_compose
from gatekeeper.testing.repodata import write_repodata

VARIANTS = {
    "BaseOS": ["aarch64", "ppc64le", "s390x", "x86_64"],
    "AppStream": ["aarch64", "ppc64le", "s390x", "x86_64"],
}


def rpm(name: str, *, noarch: bool = False, multilib: bool = False) -> SpecRpm:
    return SpecRpm(name=name, noarch=noarch, multilib=multilib)


BASELINE = [
    SpecBuild("bash", "5.1.8", "9.el9", rpms=(rpm("bash"), rpm("bash-devel")), debuginfo=True),
    SpecBuild(
        "glibc",
        "2.34",
        "125.el9",
        rpms=(rpm("glibc", multilib=True), rpm("glibc-common"), rpm("glibc-devel", multilib=True)),
        debuginfo=True,
    ),
    SpecBuild(
        "kernel",
        "5.14.0",
        "540.el9",
        rpms=(
            rpm("kernel"),
            rpm("kernel-core"),
            rpm("kernel-modules"),
            rpm("kernel-abi-stablelists", noarch=True),
        ),
    ),
    SpecBuild(
        "openssl",
        "3.2.2",
        "6.el9",
        epoch=1,
        rpms=(rpm("openssl"), rpm("openssl-libs", multilib=True)),
    ),
    SpecBuild(
        "systemd",
        "252",
        "48.el9",
        rpms=(
            rpm("systemd"),
            rpm("systemd-libs", multilib=True),
            rpm("systemd-rpm-macros", noarch=True),
        ),
    ),
    SpecBuild("python3.9", "3.9.21", "1.el9", rpms=(rpm("python3"), rpm("python3-libs"))),
    SpecBuild("sendmail", "8.16.1", "11.el9", variants=("AppStream",)),
    SpecBuild(
        "nginx",
        "1.20.1",
        "20.el9",
        variants=("AppStream",),
        rpms=(rpm("nginx"), rpm("nginx-filesystem", noarch=True)),
    ),
    SpecBuild("tzdata", "2024b", "2.el9", rpms=(rpm("tzdata", noarch=True),)),
    SpecBuild(
        "dnf", "4.14.0", "17.el9", rpms=(rpm("dnf", noarch=True), rpm("python3-dnf", noarch=True))
    ),
]


def bump(builds: list[SpecBuild], name: str, **changes: object) -> list[SpecBuild]:
    return [replace(b, **changes) if b.name == name else b for b in builds]  # type: ignore[arg-type]


NIGHTLY_1 = bump(
    bump(bump(BASELINE, "kernel", release="545.el9"), "glibc", release="127.el9"),
    "openssl",
    epoch=2,
    version="3.2.2",
    release="7.el9",
)
NIGHTLY_1 = [b for b in NIGHTLY_1 if b.name != "sendmail"] + [
    SpecBuild("postfix", "3.5.25", "1.el9", variants=("AppStream",)),
]
NIGHTLY_2 = bump(
    bump(NIGHTLY_1, "kernel", release="546.el9"), "tzdata", version="2024c", release="1.el9"
)
NIGHTLY_2 = [
    *NIGHTLY_2,
    SpecBuild("python3-pyyaml", "5.4.1", "6.el9", rpms=(rpm("python3-pyyaml"),)),
]


def main() -> None:
    root = Path(__file__).parent / "composes"
    shutil.rmtree(root, ignore_errors=True)
    for date, kind, builds in (
        ("20261124", "production", BASELINE),
        ("20261125", "nightly", NIGHTLY_1),
        ("20261126", "nightly", NIGHTLY_2),
    ):
        tmp = root / "_new"
        compose_id = write_compose(
            tmp, builds=builds, date=date, compose_type=kind, variants=VARIANTS
        )
        write_repodata(tmp, builds=builds, variants=VARIANTS)  # what lockfiles read
        tmp.rename(root / compose_id)
        print(compose_id)
    (root / "latest-CentOS-Stream-9").symlink_to(compose_id)  # as on the mirrors


if __name__ == "__main__":
    main()
