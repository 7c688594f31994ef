"""The consumer's log: one ``message key=value ...`` line per message, on one logger."""

from __future__ import annotations

import json
import logging

log = logging.getLogger("gatekeeper_messaging.consumer")


def kv(**fields: object) -> str:
    """``key=value`` pairs; values with blanks or quotes are JSON strings."""
    parts = []
    for key, value in fields.items():
        text = "-" if value is None else str(value)
        if not text or any(c in text for c in ' "=\n\t'):
            text = json.dumps(text)
        parts.append(f"{key}={text}")
    return " ".join(parts)


def reason(exc: BaseException, limit: int = 300) -> str:
    """``Type: first line of the message``, cut to ``limit`` characters (a body's text can be
    long, and a log line should stay one line)."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    out = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return out if len(out) <= limit else out[: limit - 3] + "..."
