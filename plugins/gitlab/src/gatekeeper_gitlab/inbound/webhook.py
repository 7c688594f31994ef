"""``POST /webhooks/gitlab``: GitLab's Merge Request, Note and Emoji hooks, accepted at once.

The ``X-Gitlab-Token`` header is compared in constant time with the secret held by the
environment variable ``[forge.gitlab] webhook_secret_env`` names (no secret: 503; a bad or
missing token: 401). Other events are refused (400), so are projects that are not a Compose
Repo (403: its ``path_with_namespace``, or its id when ``project`` is an id), bodies over
:data:`MAX_BODY` (413, not read on), bodies that are not a JSON object (400) and ids
or texts read of the wrong type, out of range or not storable text (400, naming the key). A
delivery's key is its ``Idempotency-Key`` header, else the SHA-256 of its body: a key seen
before answers 200 "already accepted" and queues nothing. Otherwise the event is
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
from .handle import HOOKS, BadPayload, event_from_hook, project_of

log = logging.getLogger("gatekeeper_gitlab.webhook")
PATH = "/webhooks/gitlab"
#: the largest body accepted (GitLab's notes and descriptions stay under 1 MB each)
MAX_BODY = 8 * 1024 * 1024
MAX_KEY = 128


def delivery_key(header: str | None, body: bytes) -> str:
    """The delivery's key: its ``Idempotency-Key`` (hashed when long, so any header fits
    the store's key), else the SHA-256 of its body."""
    if not header:
        return hashlib.sha256(body).hexdigest()
    if len(header) > MAX_KEY:
        return "key-sha256:" + hashlib.sha256(header.encode("utf-8", "replace")).hexdigest()
    return header


async def _body(request: Request) -> bytes | None:
    """The request's body, or None once it is larger than :data:`MAX_BODY` (not read on)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


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
        body = await _body(request)
        if body is None:
            return error_response(413, "too_large", f"the body is over {MAX_BODY} bytes")
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            return error_response(400, "bad_request", f"the body is not JSON: {exc}")
        if not isinstance(payload, Mapping):
            return error_response(400, "bad_request", "the body is not a JSON object")
        try:
            path, project_id = project_of(payload)
            if not is_compose_repo(path, project_id):
                log.warning("GitLab webhook refused: project %r is not a Compose Repo", path)
                return error_response(403, "forbidden", f"project {path!r} is not a Compose Repo")
            event = event_from_hook(name, payload)
        except BadPayload as exc:
            log.warning("GitLab webhook refused: %s", exc)
            return error_response(400, "bad_request", str(exc))
        if event is None:
            return JSONResponse({"status": "ignored", "detail": "not a compose merge request"})
        key = delivery_key(request.headers.get("idempotency-key"), body)
        accepted = await run_in_threadpool(app.accept_forge_event, "gitlab", key, event)
        if not accepted:
            return JSONResponse({"status": "duplicate", "detail": "already accepted"})
        return JSONResponse({"status": "accepted"}, status_code=202)
