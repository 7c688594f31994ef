"""Times and durations as gatekeeper reads and writes them.

All datetimes inside gatekeeper are timezone-aware UTC. Input times are ISO 8601
(a missing zone means UTC) or epoch milliseconds; durations are ``90m``, ``12h``,
``2d`` (also ``s`` and ``w``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_DURATION = re.compile(r"^\s*([0-9]+)\s*([smhdw])\s*$")  # ASCII digits only
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def utcnow() -> datetime:
    return datetime.now(UTC)


def parse_duration(text: str) -> timedelta:
    """``90m`` -> 90 minutes. Raises ValueError with the reason."""
    match = _DURATION.match(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(
            f"{text!r} is not a duration: use a whole number and a unit, like 90m, 12h or 2d"
        )
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def parse_expiry(value: object, now: datetime, *, limit: timedelta | None = None) -> datetime:
    """When something given ``expires`` stops counting: a duration from ``now`` (``3d``) or
    a time (ISO 8601 or epoch milliseconds). It must be after ``now`` and, when ``limit``
    is given, no further ahead than it. Raises ValueError with the reason."""
    if isinstance(value, str) and _DURATION.match(value):
        try:
            when = now + parse_duration(value)
        except OverflowError:
            raise ValueError(f"expires {value!r} is too far ahead") from None
    else:
        try:
            when = parse_time(value)
        except (OverflowError, OSError):
            raise ValueError(f"expires {value!r} is too far ahead") from None
        except ValueError:
            raise ValueError(
                f"expires {value!r} is neither a duration (like 3d or 12h) nor a time "
                "(ISO 8601, like 2026-12-24T00:00:00Z)"
            ) from None
    if when <= now:
        raise ValueError(f"expires {value!r} is not in the future")
    if limit is not None and when - now > limit:
        raise ValueError(f"expires {value!r} is further ahead than {format_duration(limit)}")
    return when


def format_duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0 and seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def parse_time(value: object) -> datetime:
    """ISO 8601 text, or epoch milliseconds (int or digit string), to aware UTC."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a time")
    if isinstance(value, int | float):
        return _from_millis(value)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a time: use ISO 8601 or epoch milliseconds")
    text = value.strip()
    if re.fullmatch(r"-?[0-9]{10,}", text):
        return _from_millis(int(text))
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{value!r} is not a time: use ISO 8601 (2026-11-24T12:00:00Z) or epoch milliseconds"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is in no year of the calendar in UTC
        raise ValueError(f"{value!r} is not a time any clock shows (in UTC)") from None


def format_time(value: datetime) -> str:
    """Aware datetime -> ``2026-11-24T12:00:00.123456Z`` (microseconds only when non-zero)."""
    value = value.astimezone(UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}"
    return text + "Z"


def _from_millis(value: float) -> datetime:
    """Epoch milliseconds as a UTC time; one no clock can show is a ValueError."""
    try:
        return datetime.fromtimestamp(value / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"{value!r} is not a time any clock shows (epoch milliseconds)") from None
