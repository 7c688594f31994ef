"""The built-in plugin registering the ``local`` forge, through the same hook as any other.

The forge itself (:mod:`gatekeeper.forge.local`, and pygit2 under it) is imported when
the application first needs it, not when the plugin is registered.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from gatekeeper import hookimpl

if TYPE_CHECKING:
    from gatekeeper.hookspecs import ForgeFactory
    from gatekeeper.service import Gatekeeper


def _local(app: Gatekeeper) -> object:
    from gatekeeper.forge.local import LocalForge

    return LocalForge(Path(app.settings.var_dir) / "forge")


@hookimpl
def gatekeeper_register_forges() -> dict[str, ForgeFactory]:
    """The ``local`` forge: Compose Repos under ``<var_dir>/forge/``."""
    return {"local": _local}  # type: ignore[dict-item]  # LocalForge is a Forge
