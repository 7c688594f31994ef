"""The rooms of DESIGN.md's architecture, as the code has them: no import cycle, the
import-linter contracts kept, and README's layout naming what is there."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

import gatekeeper

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "gatekeeper"


def import_cycles(package: str) -> list[list[str]]:
    """The strongly connected groups of modules (more than one) of ``package``'s runtime
    imports (Tarjan's algorithm over grimp's graph; imports under TYPE_CHECKING never run)."""
    graph = grimp.build_graph(package, exclude_type_checking_imports=True)
    edges = {
        m: sorted(i for i in graph.find_modules_directly_imported_by(m) if i in graph.modules)
        for m in graph.modules
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in edges[module]:
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                other = stack.pop()
                group.append(other)
                if other == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        for module in sorted(edges):
            if module not in index:
                visit(module)
    finally:
        sys.setrecursionlimit(limit)
    return found


@pytest.mark.parametrize(
    "package",
    [
        "gatekeeper",
        "gatekeeper_gitlab",
        "gatekeeper_junit",
        "gatekeeper_messaging",
        "gatekeeper_resultsdb",
        "gatekeeper_tmt",
    ],
)
def test_no_package_has_an_import_cycle(package: str) -> None:
    assert import_cycles(package) == []


def test_the_cycle_finder_finds_a_cycle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "circle"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from circle import b\n")
    (package / "b.py").write_text("from circle import a\n")
    (package / "c.py").write_text("from circle import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_cycles("circle") == [["circle.a", "circle.b"]]


def test_the_import_linter_contracts_are_kept() -> None:
    lint = Path(sys.executable).parent / "lint-imports"
    run = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "0 broken" in run.stdout


def test_readme_layout_names_every_room_and_module_of_the_package() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    rooms = sorted(p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists())
    modules = sorted(p.name for p in SRC.glob("*.py") if p.name != "__init__.py")
    named = set(re.findall(r"[a-z_]+/|[a-z_]+\.py", layout))
    assert [f"{room}/" for room in rooms if f"{room}/" not in named] == []
    assert [module for module in modules if module not in named] == []


def test_the_core_keeps_about_ten_modules_at_its_top() -> None:
    assert len(list(SRC.glob("*.py"))) <= 11


@pytest.mark.parametrize("old", sorted(gatekeeper.RENAMED))
def test_a_moved_module_still_imports_by_its_old_name_with_a_warning(old: str) -> None:
    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=f"{old} is now {gatekeeper.RENAMED[old]}"):
        module = importlib.import_module(old)
    new = importlib.import_module(gatekeeper.RENAMED[old])
    public = [name for name in vars(new) if not name.startswith("_")]
    assert public and all(getattr(module, name) is getattr(new, name) for name in public)
