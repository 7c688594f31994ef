"""The plugin's own settings: the ``[junit]`` section of gatekeeper.toml, validated before use.

```toml
[junit]
max_bytes = 52428800                          # size cap of one file (default 50 MB)
name_format = "{namespace}{classname}.{name}" # the naming rule (see gatekeeper_junit.naming)
skipped = "omit"                              # omit | info: what a skipped testcase becomes
```
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gatekeeper.config import Settings
from gatekeeper.errors import ConfigError
from gatekeeper_junit.naming import DEFAULT_NAME_FORMAT, check_format
from gatekeeper_junit.xmlsafe import DEFAULT_MAX_BYTES

SECTION = "junit"
SKIPPED_MODES = ("omit", "info")


@dataclass(frozen=True)
class JunitSettings:
    max_bytes: int = DEFAULT_MAX_BYTES
    name_format: str = DEFAULT_NAME_FORMAT
    skipped: str = "omit"

    @classmethod
    def from_section(
        cls, section: Mapping[str, Any], *, source: str | None = None
    ) -> JunitSettings:
        """Validate ``[junit]``; every mistake is a ConfigError naming ``junit.<key>``."""

        def error(key: str, message: str) -> ConfigError:
            return ConfigError(message, file=source, key=f"{SECTION}.{key}")

        known = ("max_bytes", "name_format", "skipped")
        for key in section:
            if key not in known:
                raise error(key, f"unknown setting; expected one of: {', '.join(known)}")
        max_bytes = section.get("max_bytes", DEFAULT_MAX_BYTES)
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
            raise error("max_bytes", f"expected a positive number of bytes, got {max_bytes!r}")
        name_format = section.get("name_format", DEFAULT_NAME_FORMAT)
        if not isinstance(name_format, str):
            raise error("name_format", f"expected a string, got {name_format!r}")
        try:
            check_format(name_format)
        except ValueError as exc:
            raise error("name_format", str(exc)) from None
        skipped = section.get("skipped", "omit")
        if skipped not in SKIPPED_MODES:
            raise error("skipped", f"expected one of {', '.join(SKIPPED_MODES)}, got {skipped!r}")
        return cls(max_bytes=max_bytes, name_format=name_format, skipped=skipped)

    @classmethod
    def from_settings(cls, settings: Settings) -> JunitSettings:
        return cls.from_section(settings.section(SECTION), source=settings.source)
