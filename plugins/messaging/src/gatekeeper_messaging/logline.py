"""The consumer's log: one ``message key=value ...`` line per message, on one logger."""

from __future__ import annotations

import json
import logging

log = logging.getLogger("gatekeeper_messaging.consumer")
#: Characters of one value a line shows; a longer one (a body's text) is cut.
VALUE_LIMIT = 1000


def _text(value: object) -> str:
    """``str(value)``, whatever the value: one a message's body made can be too deep to print."""
    try:
        return str(value)
    except Exception as exc:
        return f"<{type(value).__name__} that cannot be shown: {type(exc).__name__}>"


def kv(**fields: object) -> str:
    """``key=value`` pairs; values with blanks, quotes or unprintable characters are JSON
    strings, and values longer than :data:`VALUE_LIMIT` are cut."""
    parts = []
    for key, value in fields.items():
        text = "-" if value is None else _text(value)
        if len(text) > VALUE_LIMIT:
            text = text[: VALUE_LIMIT - 3] + "..."
        if not text or not text.isprintable() or any(c in text for c in ' "='):
            text = json.dumps(text)
        parts.append(f"{key}={text}")
    return " ".join(parts)


def reason(exc: BaseException, limit: int = 300) -> str:
    """``Type: first line of the message``, cut to ``limit`` characters (a body's text can be
    long, and a log line should stay one line)."""
    text = _text(exc)
    text = text.splitlines()[0] if text else ""
    out = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return out if len(out) <= limit else out[: limit - 3] + "..."
