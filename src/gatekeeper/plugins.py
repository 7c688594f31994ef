"""The plugin manager: built-ins and entry points, one door for both.

``make_plugin_manager()`` builds a fresh manager each call (tests build their own);
the application holds it. Entry points are read from the ``gatekeeper`` group;
``GATEKEEPER_DISABLE_PLUGINS`` (comma-separated names) blocks plugins by name.

:class:`Hooks` is the core's typed door to ``pm.hook``: every call the core makes
directly goes through it, so a type checker sees each hook's arguments and answers (the
hooks the outbox sends are rebuilt from their specs, :mod:`gatekeeper.outbox.codec`).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import TYPE_CHECKING, Any, cast

import pluggy

from gatekeeper import hookspecs
from gatekeeper.errors import ConfigError

if TYPE_CHECKING:
    import click
    from fastapi import FastAPI

    from gatekeeper.hookspecs import ForgeFactory, ResultParser
    from gatekeeper.model import Compose, Result
    from gatekeeper.service import Gatekeeper

PROJECT = "gatekeeper"

# Built-in plugins, registered exactly as outside ones: (name, module path).
DEFAULT_PLUGINS: tuple[tuple[str, str], ...] = (("local-forge", "gatekeeper.forge.plugin"),)


@dataclass(frozen=True)
class PluginInfo:
    name: str
    version: str
    hooks: tuple[str, ...]
    builtin: bool


class PluginManager(pluggy.PluginManager):
    """pluggy's manager, remembering the version of each entry-point plugin it loaded."""

    def __init__(self, project_name: str) -> None:
        super().__init__(project_name)
        self.versions: dict[str, str] = {}


def disabled_names(env: str | None = None) -> set[str]:
    raw = os.environ.get("GATEKEEPER_DISABLE_PLUGINS", "") if env is None else env
    return {name.strip() for name in raw.split(",") if name.strip()}


# The installed plugins and their versions, per entry-point finder: reading every installed
# distribution's metadata costs ~0.1 s, and a process may build many managers (the tests do).
_FOUND: dict[object, tuple[tuple[metadata.EntryPoint, str], ...]] = {}


def _installed() -> tuple[tuple[metadata.EntryPoint, str], ...]:
    finder = metadata.entry_points
    if finder not in _FOUND:
        entries = sorted(finder(group=PROJECT), key=lambda e: e.name)
        _FOUND[finder] = tuple((e, e.dist.version if e.dist else "unknown") for e in entries)
    return _FOUND[finder]


def make_plugin_manager(
    *,
    load_entrypoints: bool = True,
    extra: Iterable[tuple[str, object]] = (),
    disabled: Iterable[str] | None = None,
) -> pluggy.PluginManager:
    """A new manager with the hookspecs, built-ins, entry-point plugins and ``extra``."""
    pm = PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    blocked = disabled_names() if disabled is None else set(disabled)
    for name in blocked:
        pm.set_blocked(name)
    for name, module in DEFAULT_PLUGINS:
        if name not in blocked:
            pm.register(importlib.import_module(module), name=name)
    if load_entrypoints:
        for entry, version in _installed():
            if entry.name in blocked or pm.get_plugin(entry.name) is not None:
                continue
            try:
                plugin = entry.load()
            except Exception as exc:
                raise ConfigError(
                    f"plugin {entry.name!r} ({entry.value}) cannot be loaded: "
                    f"{type(exc).__name__}: {exc}; reinstall it, or set "
                    f"GATEKEEPER_DISABLE_PLUGINS={entry.name} to run without it"
                ) from None
            pm.register(plugin, name=entry.name)
            pm.versions[entry.name] = version
    for name, plugin in extra:
        if name not in blocked:
            pm.register(plugin, name=name)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise ConfigError(f"plugin {exc.plugin!r} implements an unknown hook: {exc}") from None
    return pm


def _version_of(pm: pluggy.PluginManager, name: str) -> tuple[str, bool]:
    versions = pm.versions if isinstance(pm, PluginManager) else {}
    if name in versions:
        return versions[name], False
    try:
        return metadata.version(PROJECT), True
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown", True


def describe(pm: pluggy.PluginManager) -> list[PluginInfo]:
    """Name, version and implemented hooks of every registered plugin, sorted by name."""
    infos = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        hooks = tuple(sorted(caller.name for caller in pm.get_hookcallers(plugin) or ()))
        version, builtin = _version_of(pm, name)
        infos.append(PluginInfo(name=name, version=version, hooks=hooks, builtin=builtin))
    return sorted(infos, key=lambda i: i.name)


def collect_named(answers: Sequence[Any], what: str) -> dict[str, Any]:
    """Merge name -> value mappings from a registration hook; a name claimed twice is an error."""
    merged: dict[str, Any] = {}
    for answer in reversed(answers):  # pluggy calls newest first; report in registration order
        for name, value in (answer or {}).items():
            if name in merged:
                raise ConfigError(f"two plugins register the {what} {name!r}")
            merged[name] = value
    return merged


class Hooks:
    """Typed calls of the hooks the core calls directly (the others go through the outbox)."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm

    def register_forges(self) -> list[Mapping[str, ForgeFactory]]:
        answers: list[Mapping[str, ForgeFactory]] = self.pm.hook.gatekeeper_register_forges()
        return answers

    def register_result_formats(self) -> list[Mapping[str, ResultParser]]:
        hook = self.pm.hook.gatekeeper_register_result_formats
        answers: list[Mapping[str, ResultParser]] = hook()
        return answers

    def pull_results(
        self, app: Gatekeeper, compose: Compose
    ) -> tuple[list[Sequence[Result]], list[tuple[str, Exception]]]:
        """Every plugin's answer, each called on its own: one plugin's failure does not stop
        the others. Returns the answers and the failures (plugin name, error)."""
        answers: list[Sequence[Result]] = []
        failures: list[tuple[str, Exception]] = []
        args: dict[str, object] = {"app": app, "compose": compose}
        for impl in self.pm.hook.gatekeeper_pull_results.get_hookimpls():
            try:
                found = cast(
                    "Sequence[Result] | None",
                    impl.function(**{name: args[name] for name in impl.argnames}),
                )
            except Exception as exc:
                failures.append((impl.plugin_name, exc))
                continue
            if found is not None:
                answers.append(found)
        return answers, failures

    def add_commands(self, cli: click.Group) -> None:
        self.pm.hook.gatekeeper_add_commands(cli=cli)

    def extend_api(self, app: Gatekeeper, api: FastAPI) -> None:
        self.pm.hook.gatekeeper_extend_api(app=app, api=api)
