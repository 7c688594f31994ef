"""Rendering the dashboard's pages: one Jinja2 environment over the package's templates.

Autoescape is on for every template, so text from reporters, waivers and forges (notes,
comments, MR descriptions) is always shown as text. The environment compiles each
template once and keeps it (``auto_reload`` off: templates ship inside the package).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any
from urllib.parse import urlencode, urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined

from gatekeeper.service.views import state_word


def stamps(value: datetime) -> tuple[str, str]:
    """``("2026-11-24T06:00:00Z", "2026-11-24 06:00 UTC")``: the machine-readable time of
    ``<time datetime>`` and the time as a person reads it (one formatting for both)."""
    if value.tzinfo is not UTC:
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    text = value.isoformat(timespec="seconds")  # 2026-11-24T06:00:00+00:00
    return f"{text[:19]}Z", f"{text[:10]} {text[11:16]} UTC"


def iso(value: datetime | None) -> str:
    """``2026-11-24T06:00:00Z``."""
    return "" if value is None else stamps(value)[0]


def when(value: datetime | None) -> str:
    """``2026-11-24 06:00 UTC``."""
    return "" if value is None else stamps(value)[1]


def span(delta: timedelta) -> str:
    """A duration in its two largest units: ``3d 4h``, ``2h 5m``, ``40s``."""
    seconds = int(abs(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    shown = [f"{n}{unit}" for n, unit in parts if n][:2]
    return " ".join(shown) or "0s"


def is_web_url(value: str) -> bool:
    """Whether ``value`` is an http(s) URL or a path on this server: what a page may link
    (a ``javascript:`` or ``data:`` link from a report is never made clickable)."""
    if value[:8].lower().startswith(("http://", "https://")):
        return True
    return value.startswith("/") and not value.startswith("//")


def safe_url(value: str | None) -> str:
    """``value`` when a page may link it (:func:`is_web_url`), else ''."""
    return value if value and is_web_url(value) else ""


BUG_LABEL_CHARS = 40


def bug_label(url: str) -> str:
    """A short name of a bug's URL: its last path segment and query
    (``https://issues.redhat.com/browse/RHEL-4242`` -> ``RHEL-4242``), else its host."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url[:BUG_LABEL_CHARS]
    tail = next((p for p in reversed(parts.path.split("/")) if p), "")
    label = f"{tail}?{parts.query}" if tail and parts.query else tail or parts.netloc or url
    if len(label) > BUG_LABEL_CHARS:
        label = label[: BUG_LABEL_CHARS - 1] + "\u2026"
    return label


def basename(path: str) -> str:
    """A file's name without its directories (a page never shows the server's paths)."""
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def state_label(answer_type: str | None, absent: str = "none") -> str:
    """An answer type's state word (``absent`` when there was no answer)."""
    return absent if answer_type is None else state_word(answer_type)


def query(params: dict[str, Any]) -> str:
    """``?a=1&b=2`` from the parameters that have a value ('' when none has)."""
    kept = {k: v for k, v in params.items() if v not in (None, "")}
    return "?" + urlencode(kept) if kept else ""


@cache
def environment() -> Environment:
    """The pages' environment, built once per process."""
    env = Environment(
        loader=PackageLoader("gatekeeper.api.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        cache_size=-1,
    )
    env.filters.update(iso=iso, when=when, span=span, safe_url=safe_url, basename=basename,
                       state_label=state_label, bug_label=bug_label)  # fmt: skip
    env.globals.update(query=query)
    return env


def render(template: str, **context: Any) -> str:
    """The page ``template`` rendered with ``context`` (every value escaped)."""
    return environment().get_template(template).render(**context)


__all__ = [
    "bug_label",
    "environment",
    "is_web_url",
    "iso",
    "query",
    "render",
    "safe_url",
    "span",
    "stamps",
    "when",
]
