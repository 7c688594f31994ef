"""The options of one JUnit upload: command line and ``[junit]`` settings, validated."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gatekeeper.errors import InputError
from gatekeeper_junit import CALLER_OPTIONS
from gatekeeper_junit.naming import DEFAULT_NAME_FORMAT, check_format
from gatekeeper_junit.settings import SKIPPED_MODES
from gatekeeper_junit.xmlsafe import DEFAULT_MAX_BYTES

#: What the site decides (``[junit]`` settings; the command's flags for a local upload).
SETTINGS = frozenset({"name_format", "skipped", "max_bytes"})
#: What the code that calls the parser gives: the file's name, the time of receipt.
INTERNAL = frozenset({"filename", "now", "submit_time"})


@dataclass(frozen=True)
class Options:
    """What shapes one upload's results (the hook's ``options``, the command's flags)."""

    compose: str
    namespace: str
    arch: str | None = None
    scenario: str | None = None
    variant: str | None = None
    name_format: str = DEFAULT_NAME_FORMAT
    skipped: str = "omit"
    max_bytes: int = DEFAULT_MAX_BYTES
    run_id: str | None = None
    ref_url: str | None = None
    submit_time: datetime | None = None

    @classmethod
    def from_mapping(cls, compose: str, options: Mapping[str, Any]) -> tuple[Options, str]:
        """Validated options and the upload's file name (``filename``, for error places)."""
        unknown = sorted(set(options) - CALLER_OPTIONS - SETTINGS - INTERNAL)
        if unknown:
            raise InputError(
                f"the junit format takes no option {unknown[0]!r}; it takes "
                f"{', '.join(sorted(CALLER_OPTIONS))}, and the settings "
                f"{', '.join(sorted(SETTINGS))} ([junit] in gatekeeper.toml)",
                key=unknown[0],
            )
        values = dict(options)
        now = values.pop("now", None)  # the service's time of receipt
        if values.get("submit_time") is None and now is not None:
            values["submit_time"] = now
        for key in ("arch", "scenario", "variant", "run_id", "ref_url", "filename"):
            value = values.get(key)
            if value is not None and not isinstance(value, str):
                raise InputError(f"expected text, got {value!r}", key=key)
            values[key] = (value or "").strip() or None
        namespace = values.get("namespace")
        if not isinstance(namespace, str) or not namespace.strip().strip("."):
            raise InputError(
                "a namespace is required (the prefix of every testcase name, e.g. ci)",
                key="namespace",
            )
        name_format = values.get("name_format", DEFAULT_NAME_FORMAT)
        if not isinstance(name_format, str):
            raise InputError(f"expected text, got {name_format!r}", key="name_format")
        try:
            check_format(name_format)
        except ValueError as exc:
            raise InputError(str(exc), key="name_format") from None
        if values.get("skipped", "omit") not in SKIPPED_MODES:
            raise InputError(f"expected one of {', '.join(SKIPPED_MODES)}", key="skipped")
        max_bytes = values.get("max_bytes", DEFAULT_MAX_BYTES)
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
            raise InputError(
                f"expected a positive number of bytes, got {max_bytes!r}", key="max_bytes"
            )
        when = values.get("submit_time")
        if when is not None and not (isinstance(when, datetime) and when.tzinfo is not None):
            raise InputError("expected a timezone-aware datetime", key="submit_time")
        filename = values.pop("filename", None) or "<junit upload>"
        return cls(compose=compose, **values), filename
