"""Readers of plugin settings' fields, with located errors (for plugins' settings classes).

Each reads ``section[name]`` (or the default) and raises
:class:`~gatekeeper.errors.ConfigError` at ``file: <prefix>.<name>`` when it is not what
the field needs, so every plugin says a bad value the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from gatekeeper.errors import ConfigError
from gatekeeper.timeutil import parse_duration


def whole(
    section: Mapping[str, Any], name: str, default: int, *, low: int, high: int,
    source: str | None, prefix: str,
) -> int:  # fmt: skip
    """A whole number from ``low`` to ``high`` (a bool is not one)."""
    value = section.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(
            f"expected a whole number from {low} to {high}, got {value!r}",
            file=source,
            key=f"{prefix}.{name}",
        )
    return value


def duration(
    section: Mapping[str, Any], name: str, default: str, *, source: str | None, prefix: str
) -> timedelta:
    """A positive duration (``90s``, ``15m``, ``12h``, ``1d``)."""
    value = section.get(name, default)
    try:
        delta = parse_duration(value)
    except ValueError as exc:
        raise ConfigError(str(exc), file=source, key=f"{prefix}.{name}") from None
    if delta <= timedelta(0):
        raise ConfigError("must be longer than 0s", file=source, key=f"{prefix}.{name}")
    return delta
