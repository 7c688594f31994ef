"""gatekeeper: the Compose Gate of CentOS Stream as a merge request."""

from __future__ import annotations

import pluggy

from gatekeeper.errors import GatekeeperError

__all__ = ["GatekeeperError", "__version__", "hookimpl"]
__version__ = "0.1.0"

#: Decorator for plugin hook implementations: ``@hookimpl def gatekeeper_...``.
hookimpl = pluggy.HookimplMarker("gatekeeper")
