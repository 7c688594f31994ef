"""gatekeeper: the Compose Gate of CentOS Stream as a merge request."""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
import warnings
from types import ModuleType

import pluggy

from gatekeeper.errors import GatekeeperError

__all__ = ["GatekeeperError", "__version__", "hookimpl"]
__version__ = "0.1.0"

#: Decorator for plugin hook implementations: ``@hookimpl def gatekeeper_...``.
hookimpl = pluggy.HookimplMarker("gatekeeper")

#: Modules that moved in the redesign (README, "Changelog"): the old name still imports,
#: with a DeprecationWarning naming the new one.
RENAMED = {
    "gatekeeper.cli_common": "gatekeeper.cli.common",
    "gatekeeper.render": "gatekeeper.cli.output",
    "gatekeeper.policy_schema": "gatekeeper.policy.schema",
    "gatekeeper.globs": "gatekeeper.policy.globs",
    "gatekeeper.yamlsafe": "gatekeeper.policy.yamlsafe",
    "gatekeeper.compose.render": "gatekeeper.compose.repo_files",
    "gatekeeper.compose.lockfile": "gatekeeper.compose.lockfile_formats",
    "gatekeeper.compose.generate": "gatekeeper.testing.composes",
    "gatekeeper.compose.generate_repodata": "gatekeeper.testing.repodata",
    "gatekeeper.compose.watch": "gatekeeper.service.watch",
    "gatekeeper.store.repo": "gatekeeper.store.tx",
}


class _Renamed:
    """Imports a module's old name as a copy of its new module's names (a meta path finder
    and its loader; importlib.abc is not imported for it: it costs the CLI 20 ms)."""

    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in RENAMED:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)  # type: ignore[arg-type]

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        new = RENAMED[module.__name__]
        warnings.warn(f"{module.__name__} is now {new}", DeprecationWarning, stacklevel=2)
        found = importlib.import_module(new)
        module.__dict__.update({k: v for k, v in vars(found).items() if not k.startswith("__")})


if not any(isinstance(finder, _Renamed) for finder in sys.meta_path):
    sys.meta_path.append(_Renamed())
