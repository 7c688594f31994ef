"""Lockfiles of a package list's dependency closure (libsolv against the compose's
repodata), and RPMs whose checksum cannot be found."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from lockhelpers import POLICY, write

from gatekeeper.compose.packagelist import read_package_list
from gatekeeper.errors import InputError
from gatekeeper.service import Gatekeeper

ARCHES = frozenset({"x86_64", "aarch64"})


@pytest.fixture(autouse=True)
def _policy(gk_policies: Any) -> None:
    gk_policies(**{"tf.yaml": POLICY})


def _imported(app: Gatekeeper, top: Path, **kwargs: Any) -> str:
    compose_id = write(top, **kwargs)
    app.import_compose(str(top))
    return compose_id


def _names(files: dict[str, bytes]) -> dict[str, list[str]]:
    doc = yaml.safe_load(files["rpms.lock.yaml"])
    return {a["arch"]: [f"{p['name']}.{p['url'].rsplit('.', 2)[-2]}" for p in a["packages"]]
            for a in doc["arches"]}  # fmt: skip


def test_a_package_list_locks_its_closure_on_each_arch(gk_app: Gatekeeper, tmp_path: Path) -> None:
    compose_id = _imported(gk_app, tmp_path / "c")
    (tmp_path / "list.txt").write_text("# what the image installs\nnginx\n")
    packages = read_package_list(tmp_path / "list.txt", known_arches=ARCHES)
    files = gk_app.lockfile(compose_id, "rpm-lockfile", packages=packages)
    closure = ["bash.{a}", "glibc.{a}", "ncurses-libs.{a}", "nginx.{a}", "nginx-filesystem.noarch"]
    assert _names(files) == {a: [n.format(a=a) for n in closure] for a in ("aarch64", "x86_64")}


def test_rpms_in_yaml_packages_can_be_narrowed_to_arches(
    gk_app: Gatekeeper, tmp_path: Path
) -> None:
    compose_id = _imported(gk_app, tmp_path / "c")
    (tmp_path / "rpms.in.yaml").write_text(
        "contentOrigin:\n  repofiles: []\npackages:\n  - glibc\n"
        "  - name: bash\n    arches:\n      only: [x86_64]\n"
    )
    packages = read_package_list(tmp_path / "rpms.in.yaml", known_arches=ARCHES)
    names = _names(gk_app.lockfile(compose_id, "rpm-lockfile", packages=packages))
    assert names == {"aarch64": ["glibc.aarch64"],
                     "x86_64": ["bash.x86_64", "glibc.x86_64", "ncurses-libs.x86_64"]}  # fmt: skip


def test_an_unknown_package_is_a_located_error(gk_app: Gatekeeper, tmp_path: Path) -> None:
    compose_id = _imported(gk_app, tmp_path / "c")
    listed = tmp_path / "list.txt"
    listed.write_text("bash\nno-such-package\n")
    packages = read_package_list(listed, known_arches=ARCHES)
    with pytest.raises(InputError) as caught:
        gk_app.lockfile(compose_id, "rpm-lockfile", packages=packages)
    assert str(caught.value).startswith(f"{listed}:2: no package 'no-such-package' for aarch64")
    assert compose_id in str(caught.value)


def test_an_unsatisfiable_dependency_names_the_package_and_what_is_missing(
    gk_app: Gatekeeper, tmp_path: Path
) -> None:
    compose_id = _imported(gk_app, tmp_path / "c")
    listed = tmp_path / "rpms.in.yaml"
    listed.write_text("packages:\n  - bash\n  - broken\n")
    packages = read_package_list(listed, known_arches=ARCHES)
    with pytest.raises(InputError) as caught:
        gk_app.lockfile(compose_id, "rpm-lockfile", arches=["x86_64"], packages=packages)
    text = str(caught.value)
    assert text.startswith(f"{listed}:3: broken on x86_64: ")
    assert "nothing provides missing-thing needed by broken-1.0-1.el9.x86_64" in text
    assert "bash" not in text.split(": ", 1)[1]  # only the request that cannot be met


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("packages: bash\n", ":1: packages: expected a list of packages"),
        ("packages:\n  - {name: 3}\n", ":2: packages[0].name: expected a package name"),
        ("packages:\n  - {name: a, arch: [x]}\n", ":2: packages[0].arch: unknown key"),
        ("packages: [\n", ": YAML syntax error"),
        ("two words\n", ":1: 'two words' is not a package name"),
        ("# nothing\n", ": names no package"),
    ],
)
def test_a_malformed_package_list_is_a_located_error(
    tmp_path: Path, text: str, message: str
) -> None:
    listed = tmp_path / "rpms.in.yaml"
    listed.write_text(text)
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("(", r"\(")):
        read_package_list(listed, known_arches=ARCHES)


def test_a_missing_checksum_is_an_error_listing_the_rpms(
    gk_app: Gatekeeper, tmp_path: Path
) -> None:
    gone = "BaseOS/x86_64/os/Packages/b/bash-5.1.8-9.el9.x86_64.rpm"
    compose_id = _imported(gk_app, tmp_path / "c", omit=(gone,))
    with pytest.raises(InputError) as caught:
        gk_app.lockfile(compose_id, "rpm-lockfile")
    assert (
        "1 RPM(s) have no size and checksum in the compose's metadata: "
        f"{gone} (not in its repodata)" in str(caught.value)
    )
    assert "--allow-missing-checksums" in str(caught.value)
    doc = yaml.safe_load(
        gk_app.lockfile(compose_id, "rpm-lockfile", allow_missing_checksums=True)["rpms.lock.yaml"]
    )
    x86 = {p["url"].rsplit("/", 1)[1]: p for p in doc["arches"][1]["packages"]}
    assert list(x86["bash-5.1.8-9.el9.x86_64.rpm"]) == ["url", "repoid", "name", "evr", "sourcerpm"]
    assert "checksum" in x86["glibc-2.34-100.el9.x86_64.rpm"]


def test_a_compose_without_repodata_cannot_be_locked_or_resolved(
    gk_app: Gatekeeper, tmp_path: Path
) -> None:
    compose_id = _imported(gk_app, tmp_path / "c", repodata=False)
    with pytest.raises(InputError, match=r"have no size and checksum .*\(no repodata/repomd.xml\)"):
        gk_app.lockfile(compose_id, "fcos")
    (tmp_path / "l.txt").write_text("bash\n")
    packages = read_package_list(tmp_path / "l.txt", known_arches=ARCHES)
    with pytest.raises(InputError, match=r"repodata/repomd\.xml does not exist: resolving"):
        gk_app.lockfile(compose_id, "fcos", packages=packages)


def test_rpms_2_0_locations_give_url_size_and_checksum_without_repodata(
    gk_app: Gatekeeper, tmp_path: Path
) -> None:
    import json

    top = tmp_path / "c"
    compose_id = write(top, repodata=False)
    rpms = top / "compose/metadata/rpms.json"
    doc = json.loads(rpms.read_text())
    doc["header"]["version"] = "2.0"
    for by_arch in doc["payload"]["rpms"].values():
        for by_srpm in by_arch.values():
            for by_rpm in by_srpm.values():
                for nevra, entry in by_rpm.items():
                    path = entry.pop("path")
                    url = f"https://cdn.example.org/{path}"
                    checksum = f"sha256:{'ab' * 32}"
                    entry["location"] = {"url": url, "size": len(nevra), "checksum": checksum,
                                         "local_path": path}  # fmt: skip
    rpms.write_text(json.dumps(doc))
    gk_app.import_compose(str(top))
    lock = yaml.safe_load(
        gk_app.lockfile(compose_id, "rpm-lockfile", arches=["x86_64"])["rpms.lock.yaml"]
    )
    bash = next(p for p in lock["arches"][0]["packages"] if p["name"] == "bash")
    assert (
        bash["url"]
        == "https://cdn.example.org/BaseOS/x86_64/os/Packages/b/bash-5.1.8-9.el9.x86_64.rpm"
    )
    assert bash["size"] == len("bash-0:5.1.8-9.el9.x86_64")
    assert bash["checksum"] == f"sha256:{'ab' * 32}"


def test_parsed_repodata_is_kept_on_disk_and_read_again_when_the_repository_changes(
    gk_app: Gatekeeper, gk_settings: Any, tmp_path: Path
) -> None:
    from lockhelpers import BUILDS, VARIANTS

    from gatekeeper.testing.repodata import write_repodata

    top = tmp_path / "c"
    compose_id = _imported(gk_app, top)
    first = gk_app.lockfile(compose_id, "rpm-lockfile")
    indexes = sorted((gk_settings.var_dir / "cache/repodata" / compose_id).rglob("index.msgpack"))
    assert len(indexes) == 4  # the binary repositories of 2 variants x 2 arches
    indexes[0].write_bytes(b"not msgpack")  # an unusable index is parsed again, not trusted
    fresh = Gatekeeper(gk_settings)
    assert fresh.lockfile(compose_id, "rpm-lockfile") == first
    gone = "BaseOS/x86_64/os/Packages/b/bash-5.1.8-9.el9.x86_64.rpm"
    write_repodata(top, builds=BUILDS, variants=VARIANTS, omit=(gone,))  # the repo changed
    with pytest.raises(
        InputError, match=r"bash-5\.1\.8-9\.el9\.x86_64\.rpm \(not in its repodata\)"
    ):
        Gatekeeper(gk_settings).lockfile(compose_id, "rpm-lockfile")
    fresh.store.dispose()
