"""The compose and merge request commands, through the real console script."""

from __future__ import annotations

import getpass
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = shutil.which("gatekeeper", path=str(Path(sys.executable).parent)) or "gatekeeper"
COMPOSES = ROOT / "examples" / "composes"
BASE, N1 = "CentOS-Stream-9-20261124.0", "CentOS-Stream-9-20261125.n.0"


def gk(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEKEEPER_")}
    return subprocess.run([SCRIPT, *args], cwd=cwd, env={**env, "COLUMNS": "200"},
                          capture_output=True, text=True, timeout=120)  # fmt: skip


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    return tmp_path


def test_import_prints_the_merge_request_and_the_repo(workdir: Path) -> None:
    run = gk("compose", "import", str(COMPOSES / BASE), cwd=workdir)
    assert run.returncode == 0, run.stderr
    assert f"{BASE}: imported, 10 builds" in run.stdout
    assert "merge request !1 (open)" in run.stdout
    assert "CentOS-Stream-9.git" in run.stdout
    again = gk("compose", "import", str(COMPOSES / BASE / "compose"), cwd=workdir)
    assert f"{BASE}: already imported" in again.stdout
    repo = workdir / "var" / "forge" / "CentOS-Stream-9.git"
    log = subprocess.run(["git", "-C", str(repo), "log", "--oneline", f"compose/{BASE}"],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert f"{BASE}: 10 added" in log


def test_a_bad_location_is_a_located_error(workdir: Path) -> None:
    run = gk("compose", "import", str(workdir / "nowhere"), cwd=workdir)
    assert run.returncode == 2
    assert run.stderr.startswith("error: ")
    assert "nowhere" in run.stderr


def test_import_takes_a_file_url(workdir: Path) -> None:
    run = gk("compose", "import", (COMPOSES / BASE).as_uri(), cwd=workdir)
    assert run.returncode == 0, run.stderr
    assert f"{BASE}: imported, 10 builds" in run.stdout
    again = gk("compose", "import", str(COMPOSES / BASE), cwd=workdir)
    assert f"{BASE}: already imported" in again.stdout


def test_another_url_scheme_is_a_located_error(workdir: Path) -> None:
    run = gk("compose", "import", "ftp://composes.example.org/c", cwd=workdir)
    assert run.returncode == 2
    assert run.stderr == (
        "error: ftp://composes.example.org/c: unsupported URL scheme 'ftp': use a local path, "
        "file://, http:// or https://\n"
    )


def test_publish_and_the_mr_commands(workdir: Path) -> None:
    watched = gk("watch", str(COMPOSES), "--once", cwd=workdir)
    assert watched.returncode == 0, watched.stderr
    assert watched.stdout.count("imported: ") == 3
    published = gk("compose", "published", BASE, "--force", cwd=workdir)  # no results here
    assert published.returncode == 0, published.stderr
    assert f"re-rendered {N1} onto the new main" in published.stdout
    listed = gk("mr", "list", cwd=workdir).stdout
    assert "merged" in listed and "open" in listed
    shown = gk("mr", "show", N1, cwd=workdir)
    assert shown.returncode == 0, shown.stderr
    assert f"base: {BASE}" in shown.stdout
    assert "openssl-1:3.2.2-6.el9" in shown.stdout and "openssl-2:3.2.2-7.el9" in shown.stdout
    assert gk("mr", "show", "!2", cwd=workdir).stdout == shown.stdout
    assert gk("mr", "show", "99", cwd=workdir).returncode == 2
    assert "superseded" not in gk("compose", "list", cwd=workdir).stdout


def test_publishing_a_compose_never_promoted_asks_for_force(workdir: Path) -> None:
    imported = gk("compose", "import", str(COMPOSES / BASE), cwd=workdir)
    assert imported.returncode == 0, imported.stderr
    refused = gk("compose", "published", BASE, cwd=workdir)
    assert refused.returncode == 2
    assert refused.stdout == ""
    assert refused.stderr == (
        f"error: compose {BASE} is not promoted (its gate has not passed): to publish it "
        "anyway, use --force (force=true in the API); its merge request will say so\n"
    )
    assert "[open]" in gk("mr", "show", BASE, cwd=workdir).stdout  # nothing merged
    forced = gk("compose", "published", BASE, "--force", cwd=workdir)
    assert forced.returncode == 0, forced.stderr
    assert f"{BASE}: published; main is now " in forced.stdout
    shown = gk("mr", "show", BASE, cwd=workdir).stdout
    assert "[merged]" in shown
    assert f"**Published without promotion (forced by {getpass.getuser()}).**" in shown
