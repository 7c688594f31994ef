"""The plugin system: hookspecs, the manager, and the `gatekeeper plugins` listing."""

from __future__ import annotations

import inspect

import pluggy
import pytest

from gatekeeper import hookimpl, hookspecs
from gatekeeper.errors import ConfigError
from gatekeeper.plugins import collect_named, describe, make_plugin_manager

HOOKS = [
    name
    for name, _ in inspect.getmembers(hookspecs, inspect.isfunction)
    if name.startswith("gatekeeper_")
]


def test_the_hooks_later_work_needs_are_specified() -> None:
    assert set(HOOKS) >= {
        "gatekeeper_register_forges",
        "gatekeeper_register_result_formats",
        "gatekeeper_pull_results",
        "gatekeeper_forge_event",
        "gatekeeper_compose_proposed",
        "gatekeeper_decision_changed",
        "gatekeeper_promote_compose",
        "gatekeeper_promotion_revoked",
        "gatekeeper_compose_published",
        "gatekeeper_add_commands",
        "gatekeeper_extend_api",
    }


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_is_documented(name: str) -> None:
    doc = inspect.getdoc(getattr(hookspecs, name)) or ""
    assert len(doc.split()) >= 15, (
        f"{name} needs a docstring saying when it fires and what it returns"
    )


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_is_named_gatekeeper_verb_noun(name: str) -> None:
    assert name.count("_") >= 2


def test_a_misspelled_hook_fails_start_up() -> None:
    class Typo:
        @hookimpl
        def gatekeeper_promot(self) -> None: ...

    with pytest.raises(ConfigError, match="unknown hook"):
        make_plugin_manager(load_entrypoints=False, extra=[("typo", Typo())])


def test_plugins_can_be_disabled_by_name() -> None:
    class Forge:
        @hookimpl
        def gatekeeper_register_forges(self) -> dict[str, object]:
            return {"mine": object}

    pm = make_plugin_manager(load_entrypoints=False, extra=[("mine", Forge())], disabled=["mine"])
    assert pm.get_plugin("mine") is None
    assert pm.is_blocked("mine")


def test_disable_plugins_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEKEEPER_DISABLE_PLUGINS", "a, b")
    pm = make_plugin_manager(load_entrypoints=False)
    assert pm.is_blocked("a") and pm.is_blocked("b")


def test_each_manager_is_a_fresh_object() -> None:
    assert make_plugin_manager(load_entrypoints=False) is not make_plugin_manager(
        load_entrypoints=False
    )


def test_describe_lists_name_version_and_hooks() -> None:
    class Notifier:
        @hookimpl
        def gatekeeper_promote_compose(
            self, app: object, compose: object, decision: object
        ) -> None: ...

    pm = make_plugin_manager(load_entrypoints=False, extra=[("notifier", Notifier())])
    info = next(i for i in describe(pm) if i.name == "notifier")
    assert info.hooks == ("gatekeeper_promote_compose",)
    assert info.version


def test_a_name_registered_twice_is_an_error() -> None:
    with pytest.raises(ConfigError, match="two plugins register the forge 'local'"):
        collect_named([{"local": 1}, {"local": 2}], "forge")


def test_pluggy_project_name_is_gatekeeper() -> None:
    pm = make_plugin_manager(load_entrypoints=False)
    assert isinstance(pm, pluggy.PluginManager)
    assert pm.project_name == "gatekeeper"


def test_a_plugin_that_cannot_be_imported_is_one_located_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from importlib import metadata

    broken = metadata.EntryPoint(name="broken", value="no_such_module_xyz", group="gatekeeper")
    real = metadata.entry_points

    def entry_points(**kwargs: str) -> object:
        return [broken] if kwargs.get("group") == "gatekeeper" else real(**kwargs)

    monkeypatch.setattr(metadata, "entry_points", entry_points)
    with pytest.raises(ConfigError, match=r"plugin 'broken' .* cannot be loaded"):
        make_plugin_manager()
    pm = make_plugin_manager(disabled=["broken"])
    assert pm.get_plugin("broken") is None
