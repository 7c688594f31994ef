"""The lockfile through the real console script and the HTTP API; lockfiles of a compose
imported over HTTP; ``gatekeeper compose diff``; the MR's links to its lockfiles."""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from lockhelpers import BUILDS, POLICY, VARIANTS, write

from gatekeeper.service import Gatekeeper
from gatekeeper.testing.composes import SpecBuild, SpecRpm, write_compose

SCRIPT = shutil.which("gatekeeper", path=str(Path(sys.executable).parent)) or "gatekeeper"


def gk(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEKEEPER_")}
    return subprocess.run([SCRIPT, *args], cwd=cwd, env=env, capture_output=True, timeout=120)


@pytest.fixture(autouse=True)
def _policy(gk_policies: Any) -> None:
    gk_policies(**{"tf.yaml": POLICY})


@pytest.fixture
def workdir(tmp_path: Path) -> tuple[Path, str]:
    """A working directory on the embedded default with the compose imported."""
    compose_id = write(tmp_path / "c")
    assert gk("compose", "import", "c", cwd=tmp_path).returncode == 0
    return tmp_path, compose_id


def test_the_command_prints_the_lockfile_and_writes_fcos_files(workdir: tuple[Path, str]) -> None:
    cwd, compose_id = workdir
    shown = gk("compose", "lockfile", compose_id, "--format", "rpm-lockfile", cwd=cwd)
    assert shown.returncode == 0 and shown.stderr == b""
    assert yaml.safe_load(shown.stdout)["lockfileVendor"] == "redhat"
    again = gk(
        "compose",
        "lockfile",
        compose_id,
        "--format",
        "rpm-lockfile",
        "-o",
        "rpms.lock.yaml",
        cwd=cwd,
    )
    assert again.returncode == 0 and (cwd / "rpms.lock.yaml").read_bytes() == shown.stdout
    out = gk("compose", "lockfile", compose_id, "--format", "fcos", "-o", "locks", cwd=cwd)
    assert out.returncode == 0, out.stderr
    assert sorted(p.name for p in (cwd / "locks").iterdir()) == [
        "manifest-lock.aarch64.json", "manifest-lock.x86_64.json"]  # fmt: skip
    one = gk("compose", "lockfile", compose_id, "--format", "fcos", "--arch", "x86_64", cwd=cwd)
    assert one.stdout == (cwd / "locks/manifest-lock.x86_64.json").read_bytes()


def test_the_command_resolves_a_package_list_and_reports_errors_in_one_line(
    workdir: tuple[Path, str],
) -> None:
    cwd, compose_id = workdir
    (cwd / "rpms.in.yaml").write_text("packages:\n  - nginx\n  - broken\n")
    failed = gk("compose", "lockfile", compose_id, "--format", "rpm-lockfile", "--packages",
                "rpms.in.yaml", "--arch", "x86_64", cwd=cwd)  # fmt: skip
    assert failed.returncode == 2 and failed.stdout == b""
    message = failed.stderr.decode()
    assert message.startswith(
        "error: rpms.in.yaml:3: broken on x86_64: nothing provides missing-thing"
    )
    assert "Traceback" not in message and message.count("\n") == 1
    (cwd / "rpms.in.yaml").write_text("packages:\n  - nginx\n")
    done = gk("compose", "lockfile", compose_id, "--format", "rpm-lockfile", "--packages",
              "rpms.in.yaml", "--arch", "x86_64", cwd=cwd)  # fmt: skip
    names = [p["name"] for p in yaml.safe_load(done.stdout)["arches"][0]["packages"]]
    assert names == ["bash", "glibc", "ncurses-libs", "nginx", "nginx-filesystem"]
    unknown = gk("compose", "lockfile", "CentOS-Stream-9-20990101.0", "--format", "fcos", cwd=cwd)
    assert unknown.returncode == 2
    assert b"compose 'CentOS-Stream-9-20990101.0' is not known" in unknown.stderr
    not_an_id = gk("compose", "lockfile", "nope", "--format", "fcos", cwd=cwd)
    assert not_an_id.returncode == 2 and b"'nope' is not a compose id" in not_an_id.stderr


def test_compose_diff_prints_the_packages_whose_version_changed_per_arch(
    workdir: tuple[Path, str],
) -> None:
    cwd, old_id = workdir
    newer = [
        SpecBuild("bash", "5.2.15", "1.el9", rpms=BUILDS[0].rpms),
        *BUILDS[1:3],
        SpecBuild(
            "nginx", "1.22.1", "1.el9", epoch=1, variants=("AppStream",), rpms=BUILDS[3].rpms
        ),
        SpecBuild("zsh", "5.8", "9.el9", rpms=(SpecRpm("zsh"),)),
    ]
    new_id = write_compose(cwd / "n", builds=newer, variants=VARIANTS, date="20261202")
    assert gk("compose", "import", "n", cwd=cwd).returncode == 0
    text = gk("compose", "diff", old_id, new_id, cwd=cwd)
    assert text.returncode == 0
    lines = text.stdout.decode().splitlines()
    assert lines[0] == "aarch64: 5 packages changed"
    assert "  bash.aarch64  5.1.8-9.el9 -> 5.2.15-1.el9" in lines
    assert "  nginx-filesystem.noarch  1:1.20.1-20.el9 -> 1:1.22.1-1.el9" in lines
    assert "  broken.aarch64  1.0-1.el9 -> (none)" in lines
    assert "  zsh.aarch64  (none) -> 5.8-9.el9" in lines
    doc = json.loads(gk("compose", "diff", old_id, new_id, "--json", cwd=cwd).stdout)
    assert doc["old"] == old_id and doc["new"] == new_id
    assert sorted(doc["arches"]) == ["aarch64", "x86_64"]
    assert {"name": "bash", "arch": "x86_64", "old": "5.1.8-9.el9", "new": "5.2.15-1.el9",
            "build": "bash"} in doc["arches"]["x86_64"]  # fmt: skip
    assert not any(c["name"].startswith("glibc") for c in doc["arches"]["x86_64"])
    same = gk("compose", "diff", old_id, old_id, cwd=cwd)
    assert same.stdout.decode() == f"{old_id} -> {old_id}: no package changed\n"


def test_the_api_serves_both_formats(gk_app: Gatekeeper, tmp_path: Path) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from gatekeeper.api import create_app

    compose_id = write(tmp_path / "c")
    gk_app.import_compose(str(tmp_path / "c"))
    client = TestClient(create_app(gk_app))
    route = f"/api/v1/composes/{compose_id}/lockfile"
    yaml_answer = client.get(route, params={"format": "rpm-lockfile", "with_sources": "true"})
    assert yaml_answer.status_code == 200
    assert yaml_answer.headers["content-type"].startswith("application/yaml")
    assert (
        yaml_answer.content
        == gk_app.lockfile(compose_id, "rpm-lockfile", with_sources=True)["rpms.lock.yaml"]
    )
    fcos = client.get(route, params={"format": "fcos", "arch": "aarch64", "variant": "BaseOS"})
    assert fcos.status_code == 200 and fcos.headers["content-type"] == "application/json"
    assert 'filename="manifest-lock.aarch64.json"' in fcos.headers["content-disposition"]
    assert set(fcos.json()["packages"]) == {"bash", "glibc", "glibc-common", "ncurses-libs"}
    two = client.get(route, params=[("format", "fcos"), ("arch", "x86_64"), ("arch", "aarch64")])
    assert two.status_code == 422
    assert two.json()["detail"] == "arch: fcos is one file per arch: give exactly one arch="
    bad = client.get(route, params={"format": "rpm-lockfile", "arch": "s390x"})
    assert bad.status_code == 422 and "has no arch s390x" in bad.json()["detail"]
    assert client.get(route, params={"format": "spdx"}).status_code == 422
    missing = client.get("/api/v1/composes/nope/lockfile")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


class _Files(http.server.SimpleHTTPRequestHandler):
    requests: list[str]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_head(self) -> Any:
        self.requests.append(self.path)
        return super().send_head()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    requests: list[str] = []
    handler = type("Handler", (_Files,), {"requests": requests})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(tmp_path / "www"))
    )
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requests
    server.shutdown()
    server.server_close()


def test_a_compose_imported_over_http_is_locked_from_its_url_and_its_repodata_cached(
    gk_app: Gatekeeper, tmp_path: Path, served: tuple[str, list[str]]
) -> None:
    url, requests = served
    compose_id = write(tmp_path / "www" / "c")
    gk_app.import_compose(f"{url}/c/")
    first = gk_app.lockfile(compose_id, "rpm-lockfile", arches=["x86_64"], variants=["BaseOS"])
    doc = yaml.safe_load(first["rpms.lock.yaml"])
    assert all(p["url"].startswith(f"{url}/c/compose/BaseOS/x86_64/os/Packages/")
               for p in doc["arches"][0]["packages"])  # fmt: skip
    fetched = [r for r in requests if "/repodata/" in r]
    assert sorted(fetched) == ["/c/compose/BaseOS/x86_64/os/repodata/primary.xml.gz",
                               "/c/compose/BaseOS/x86_64/os/repodata/repomd.xml"]  # fmt: skip
    cached = list((gk_app.settings.var_dir / "cache/repodata" / compose_id).rglob("*.xml*"))
    assert len(cached) == 2
    from gatekeeper.service import Gatekeeper as Fresh

    other = Fresh(gk_app.settings)  # a restarted process finds the files on disk
    assert (
        other.lockfile(compose_id, "rpm-lockfile", arches=["x86_64"], variants=["BaseOS"]) == first
    )
    assert [r for r in requests if "/repodata/" in r] == fetched
    assert requests.count("/c/compose/metadata/rpms.json") == 2  # the import's, then the cache's
    other.store.dispose()


def test_the_merge_request_links_its_lockfiles(tmp_path: Path, gk_database_url: str) -> None:
    from gatekeeper.config import Settings

    settings = Settings(var_dir=tmp_path / "var", database_url=gk_database_url,
                        policies_dir=tmp_path / "policies",
                        sections={"api": {"public_url": "https://gate.example.org/"}})  # fmt: skip
    app = Gatekeeper(settings)
    app.start()
    compose_id = write(tmp_path / "c")
    app.import_compose(str(tmp_path / "c"))
    with app.store.transaction(readonly=True) as tx:
        description = tx.merge_request_for(compose_id)["description"]
    route = f"https://gate.example.org/api/v1/composes/{compose_id}/lockfile"
    assert f"[rpms.lock.yaml]({route}?format=rpm-lockfile)" in description
    assert f"[x86_64]({route}?format=fcos&arch=x86_64)" in description
    assert f"[aarch64]({route}?format=fcos&arch=aarch64)" in description
    app.store.dispose()
