"""Bearer tokens: who a write request acts as.

Reads are anonymous. A write needs ``Authorization: Bearer <token>``; the store finds
the token's identity by the token's hash (``app.actor_for_token``), and that identity
becomes the :class:`~gatekeeper.service.Actor`. What the actor may do is decided by the
service, exactly as for the reporter plugins (policy ``reporters``, ``can_waive``,
``is_admin``). A missing, unknown or revoked token is 401 with ``WWW-Authenticate``.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gatekeeper.errors import Unauthorized
from gatekeeper.service import Actor, Gatekeeper

bearer = HTTPBearer(auto_error=False, description="A token from `gatekeeper token create`")
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="gatekeeper"'}


def _refuse(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers=_CHALLENGE)


def actor_dependency(app: Gatekeeper) -> Callable[..., Actor]:
    """A FastAPI dependency giving the request's :class:`Actor` (401 without a valid token)."""

    def current_actor(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Depends(bearer),  # noqa: B008
    ) -> Actor:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise _refuse("this request needs a token: Authorization: Bearer <token>")
        actor = app.actor_for_token(credentials.credentials)
        if actor is None:
            raise _refuse("the token is not valid (unknown or revoked)")
        request.state.actor = actor.name
        return actor

    return current_actor


def require_admin(actor: Actor, what: str) -> None:
    if not actor.is_admin:
        raise Unauthorized(f"{actor.name} may not {what}: it needs an admin identity")
