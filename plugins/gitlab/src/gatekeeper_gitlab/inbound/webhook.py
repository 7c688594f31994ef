"""``POST /webhooks/gitlab``: GitLab's Merge Request, Note and Emoji hooks, accepted at once.

The ``X-Gitlab-Token`` header is compared in constant time with the secret held by the
environment variable ``[forge.gitlab] webhook_secret_env`` names (no secret: 503; a bad or
missing token: 401). Other events are refused (400), so are projects that are not a Compose
Repo (403). A delivery's key is its ``Idempotency-Key`` header, else the SHA-256 of its body:
a key seen before answers 200 "already accepted" and queues nothing. Otherwise the event is
queued in the outbox (``app.accept_forge_event``) and answered 202; the dispatcher handles it
later through ``gatekeeper_forge_event``, reading who did what from the API.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from gatekeeper.api.errors import error_response

from ..settings import GitLabSettings
from .handle import HOOKS, event_from_hook

log = logging.getLogger("gatekeeper_gitlab.webhook")
PATH = "/webhooks/gitlab"


def project_matcher(settings: GitLabSettings) -> Any:
    """Whether a payload's project is a Compose Repo: its id (``project = 123``) or its path
    matching ``project`` (``{product}`` standing for one path segment)."""
    template = settings.project
    if template.isdigit():
        return lambda path, pid: pid is not None and str(pid) == template
    pattern = re.escape(template).replace(re.escape("{product}"), "[^/]+")
    regex = re.compile(pattern, re.IGNORECASE)
    return lambda path, pid: isinstance(path, str) and regex.fullmatch(path) is not None


def add_route(app: Any, api: FastAPI) -> None:
    settings = GitLabSettings.from_settings(app.settings)
    is_compose_repo = project_matcher(settings)

    @api.post(PATH, include_in_schema=True, summary="GitLab webhook receiver", status_code=202)
    async def gitlab_webhook(request: Request) -> JSONResponse:
        secret = os.environ.get(settings.webhook_secret_env, "")
        if not secret:
            log.error("GitLab webhook refused: %s (webhook_secret_env) is not set",
                      settings.webhook_secret_env)  # fmt: skip
            return error_response(503, "unavailable", "the webhook secret is not configured")
        token = request.headers.get("x-gitlab-token", "")
        if not hmac.compare_digest(token.encode(), secret.encode()):
            log.warning("GitLab webhook refused: bad or missing X-Gitlab-Token")
            return error_response(401, "unauthenticated", "bad or missing X-Gitlab-Token")
        name = request.headers.get("x-gitlab-event", "")
        if name not in HOOKS:
            log.warning("GitLab webhook refused: event %r is not handled", name)
            return error_response(
                400, "bad_request", f"event {name!r} is not handled; send: {', '.join(HOOKS)}"
            )
        body = await request.body()
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return error_response(400, "bad_request", f"the body is not JSON: {exc}")
        if not isinstance(payload, Mapping):
            return error_response(400, "bad_request", "the body is not a JSON object")
        project = payload.get("project") or {}
        path = project.get("path_with_namespace") if isinstance(project, Mapping) else None
        if not is_compose_repo(path, payload.get("project_id")):
            log.warning("GitLab webhook refused: project %r is not a Compose Repo", path)
            return error_response(403, "forbidden", f"project {path!r} is not a Compose Repo")
        event = event_from_hook(name, payload)
        if event is None:
            return JSONResponse({"status": "ignored", "detail": "not a compose merge request"})
        key = request.headers.get("idempotency-key") or hashlib.sha256(body).hexdigest()
        accepted = await run_in_threadpool(app.accept_forge_event, "gitlab", key, event)
        if not accepted:
            return JSONResponse({"status": "duplicate", "detail": "already accepted"})
        return JSONResponse({"status": "accepted"}, status_code=202)
