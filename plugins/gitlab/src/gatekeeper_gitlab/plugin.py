"""The gatekeeper plugin of gatekeeper-gitlab: registers the ``gitlab`` forge.

Importing this module needs no configuration and no network: ``[forge.gitlab]`` is read and
validated (and the token looked up) only when ``forge = "gitlab"`` is used, by
:meth:`GitLabForge.from_app`; python-gitlab is imported then too.
"""

from __future__ import annotations

from typing import Any

from gatekeeper import hookimpl


def _make_forge(app: Any) -> Any:
    from .forge import GitLabForge

    return GitLabForge.from_app(app)


@hookimpl
def gatekeeper_register_forges() -> dict[str, Any]:
    """The ``gitlab`` forge: compose MRs on GitLab (settings in ``[forge.gitlab]``)."""
    return {"gitlab": _make_forge}
