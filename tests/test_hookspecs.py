"""The plugin contract: every hook is typed, documented in its spec and in docs/plugins.md."""

from __future__ import annotations

import ast
import inspect
import re
import subprocess
import sys
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gatekeeper import hookspecs
from gatekeeper.plugins import make_plugin_manager

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_DOCS = ROOT / "docs" / "plugins.md"


def hook_specs() -> dict[str, tuple[Callable[..., Any], tuple[str, ...], bool]]:
    """Each hook of a fresh plugin manager: its spec function, argument names, firstresult."""
    pm = make_plugin_manager(load_entrypoints=False)
    specs = {}
    for name, caller in vars(pm.hook).items():
        spec = caller.spec
        assert spec is not None, f"{name} is implemented but has no spec"
        specs[name] = (spec.function, tuple(spec.argnames), bool(spec.opts.get("firstresult")))
    return specs


SPECS = hook_specs()
HOOKS = sorted(SPECS)


def doc_sections() -> dict[str, str]:
    """The ``### <name>`` sections of docs/plugins.md, each up to the next heading."""
    sections: dict[str, str] = {}
    current: str | None = None
    for line in PLUGIN_DOCS.read_text(encoding="utf-8").splitlines():
        if line.startswith(("## ", "### ")):
            current = line[4:].strip() if line.startswith("### ") else None
            if current is not None:
                sections[current] = ""
        elif current is not None:
            sections[current] += line + "\n"
    return sections


def documented_signature(section: str) -> str:
    """The section's first ``python`` block, on one line, without layout."""
    block = re.search(r"```python\n(.*?)```", section, flags=re.S)
    assert block is not None, "no signature block"
    flat = re.sub(r"\s+", " ", block.group(1)).strip()
    return flat.replace("( ", "(").replace(", )", ")").replace(" )", ")")


def type_checker_namespace() -> dict[str, Any]:
    """hookspecs' globals plus the names it imports under ``if TYPE_CHECKING:``."""
    tree = ast.parse(inspect.getsource(hookspecs))
    (block,) = [
        node
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
    ]
    namespace = dict(vars(hookspecs))
    code = compile(ast.Module(body=block.body, type_ignores=[]), "<type checking imports>", "exec")
    exec(code, namespace)
    return namespace


def test_the_plugin_manager_has_hooks() -> None:
    assert "gatekeeper_register_forges" in SPECS
    assert len(SPECS) >= 10


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_section_in_the_plugin_docs(hook: str) -> None:
    assert hook in doc_sections()


def test_every_section_of_the_plugin_docs_names_a_hook() -> None:
    assert sorted(set(doc_sections()) - set(SPECS)) == []


def test_the_plugin_docs_list_the_hooks_in_the_order_of_hookspecs() -> None:
    in_source = sorted(SPECS, key=lambda name: inspect.getsourcelines(SPECS[name][0])[1])
    assert [name for name in doc_sections() if name in SPECS] == in_source


@pytest.mark.parametrize("hook", HOOKS)
def test_every_argument_of_a_hook_is_a_bullet_of_its_section(hook: str) -> None:
    section = doc_sections().get(hook, "")
    _, argnames, _ = SPECS[hook]
    missing = [arg for arg in argnames if not re.search(rf"^- `{arg}`", section, flags=re.M)]
    assert missing == []


@pytest.mark.parametrize("hook", HOOKS)
def test_the_documented_signature_is_the_hookspec_signature(hook: str) -> None:
    function, _, _ = SPECS[hook]
    signature = str(inspect.signature(function)).replace("'", "")
    assert documented_signature(doc_sections().get(hook, "")) == f"def {hook}{signature}"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_argument_of_a_hook_has_a_param_line_in_its_docstring(hook: str) -> None:
    function, argnames, _ = SPECS[hook]
    doc = inspect.getdoc(function) or ""
    missing = [arg for arg in argnames if not re.search(rf"^:param {arg}:", doc, flags=re.M)]
    assert missing == []


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_docstring_says_whether_the_first_answer_wins(hook: str) -> None:
    function, _, firstresult = SPECS[hook]
    doc = " ".join((inspect.getdoc(function) or "").split())
    if firstresult:
        assert "First answer wins" in doc
    else:
        assert "Every implementation is called" in doc


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_docstring_says_what_it_returns(hook: str) -> None:
    function, _, _ = SPECS[hook]
    assert re.search(r"^:returns: ", inspect.getdoc(function) or "", flags=re.M)


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_parameter_and_return_is_annotated_with_a_resolvable_type(hook: str) -> None:
    function, argnames, _ = SPECS[hook]
    hints = typing.get_type_hints(function, globalns=type_checker_namespace())
    assert sorted(hints) == sorted([*argnames, "return"])


def test_the_forge_factory_type_resolves() -> None:
    namespace = type_checker_namespace()
    hints = typing.get_type_hints(hookspecs.gatekeeper_register_forges, globalns=namespace)
    mapping = typing.get_args(hints["return"])[0]
    factory = typing.get_args(mapping)[1]
    assert typing.get_args(factory) == ([namespace["Gatekeeper"]], namespace["Forge"])


def test_importing_hookspecs_imports_none_of_the_annotated_types() -> None:
    heavy = ("click", "fastapi", "gatekeeper.forge", "gatekeeper.model", "gatekeeper.service")
    probe = (
        "import sys, gatekeeper.hookspecs; "
        f"print(','.join(m for m in {heavy!r} if m in sys.modules))"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert run.stdout.strip() == ""
