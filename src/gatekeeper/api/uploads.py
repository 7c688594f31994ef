"""An upload's bytes: the request body as it is, or the one file part of a
``multipart/form-data`` body (what ``curl -F file=@results.xml URL`` sends).

A form must hold exactly one file part (any field name; ``file`` by convention) and
nothing else: the upload's options stay in the query string, as for a raw body. A form is
read (python-multipart, through Starlette) under the same ``[api] max_body_bytes`` cap as
any body: the cap counts the bytes received (:mod:`gatekeeper.api.middleware`), so a form
over it is 413 however it is sent. A form of more than :data:`MAX_FORM_PARTS` file parts
(or as many other fields) is refused as it is read. A file part declared as a type no
results file is (an image, an archive: :func:`readable_type`) is 415.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from gatekeeper.api.errors import BODY, Unparseable, UnsupportedMedia
from gatekeeper.errors import InputError

FORM = "multipart/form-data"
MAX_FORM_PARTS = 16
_HOW = "e.g. curl -F file=@results.xml URL"
TEXT_TYPES = frozenset({"application/octet-stream", "application/json", "application/jsonl",
                        "application/x-ndjson", "application/xml", "application/yaml",
                        "application/x-yaml"})  # fmt: skip
"""What a file part may be declared as, besides ``text/*`` and ``*+json``, ``*+xml``,
``*+yaml`` (curl declares ``application/octet-stream`` or a type by the file's extension)."""


def is_form(request: Request) -> bool:
    """Whether the request's body is ``multipart/form-data``."""
    media = request.headers.get("content-type", "").split(";", 1)[0]
    return media.strip().lower() == FORM


async def upload_bytes(request: Request) -> bytes:
    """The upload: the body, or the bytes of the form's one file part.

    A form with no file part, several, or a field beside the file is an
    :class:`InputError` (422) saying what to send; a form that cannot be read (no
    boundary, malformed, too many parts) is :class:`Unparseable` (400).
    """
    if not is_form(request):
        return await request.body()
    try:
        form = await request.form(max_files=MAX_FORM_PARTS, max_fields=MAX_FORM_PARTS)
    except HTTPException as exc:
        if exc.status_code != 400:  # 413: the body is over the cap
            raise
        raise Unparseable(f"cannot read the {FORM} body: {exc.detail}", file=BODY) from None
    try:
        return await _one_file(form.multi_items())
    finally:
        await form.close()


async def _one_file(items: list[tuple[str, Any]]) -> bytes:
    files = [(name, value) for name, value in items if isinstance(value, UploadFile)]
    if not files:
        raise InputError(
            f"expected exactly one file part, found none: send the file as a file part, {_HOW}",
            file=BODY,
        )
    if len(files) > 1:
        names = ", ".join(name for name, _ in files)
        raise InputError(
            f"expected exactly one file part, found {len(files)} ({names}): send one file "
            f"per request, {_HOW}",
            file=BODY,
        )
    for name, value in items:
        if not isinstance(value, UploadFile):
            raise InputError(
                f"a form field; options go in the query string (URL?{name}=...), the file "
                "in one file part",
                file=BODY,
                key=name,
            )
    name, part = files[0]
    if not readable_type(part.content_type):
        raise UnsupportedMedia(
            f"the file part is declared {part.content_type}, which no results file is: send "
            "its text as text/*, application/octet-stream, JSON, XML or YAML (or undeclared)",
            file=BODY,
            key=name,
        )
    data: bytes = await part.read()
    return data


def readable_type(declared: str | None) -> bool:
    """Whether a file part declared as ``declared`` may hold a results file's text."""
    media = (declared or "").split(";", 1)[0].strip().lower()
    return (not media or media.startswith("text/") or media in TEXT_TYPES
            or media.endswith(("+json", "+xml", "+yaml")))  # fmt: skip


FORM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "file": {
            "type": "string",
            "format": "binary",
            "description": "The file (the one file part; its name may be any)",
        }
    },
    "required": ["file"],
    "additionalProperties": False,
}
"""The OpenAPI schema of a form upload."""
FORM_ENCODING: dict[str, Any] = {
    "file": {"contentType": ", ".join(["text/*", *sorted(TEXT_TYPES)])}
}
"""The OpenAPI ``encoding`` of a form upload: the types its file part may be declared as."""
