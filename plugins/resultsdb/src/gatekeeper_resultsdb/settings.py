"""The ``[resultsdb]`` section of gatekeeper.toml: a typed settings class, validated before use.

```toml
[resultsdb]
url = "https://resultsdb.example.org/api/v2.0"   # required to pull; none: the plugin is idle
timeout = 30         # seconds to wait for one answer
interval = "15m"     # the pull schedule (gatekeeper resultsdb pull --every)
page_size = 100      # results per page (ResultsDB's `limit`)
retries = 3          # retries of a refused connection or a 500/502/503/504 answer
backoff = 1.0        # seconds; the retries wait backoff * 2**(n-1)
max_pages = 1000     # safety limit of one query's pages
```

Every error names the file and the key (``gatekeeper.toml: resultsdb.url: ...``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from gatekeeper.config import Settings
from gatekeeper.errors import ConfigError
from gatekeeper.settings_fields import duration, whole
from gatekeeper.timeutil import format_duration

SECTION = "resultsdb"
API_PATH = "/api/v2.0"

#: The keys of ``[resultsdb]``, with their meaning (also the plugin's settings schema).
KEYS: Mapping[str, str] = {
    "url": "the ResultsDB server or its API v2.0 base URL (http or https)",
    "timeout": "seconds to wait for one answer (a number > 0)",
    "interval": "how often `gatekeeper resultsdb pull --every` pulls (a duration: 15m, 1h)",
    "page_size": "results per page (a whole number from 1 to 1000)",
    "retries": "retries of a refused connection or a 5xx answer (a whole number >= 0)",
    "backoff": "seconds; retry n waits backoff * 2**(n-1) (a number >= 0)",
    "max_pages": "the most pages one query may take (a whole number >= 1)",
}


@dataclass(frozen=True, slots=True)
class ResultsDBSettings:
    """What the plugin needs to talk to one ResultsDB."""

    url: str
    timeout: float = 30.0
    interval: timedelta = timedelta(minutes=15)
    page_size: int = 100
    retries: int = 3
    backoff: float = 1.0
    max_pages: int = 1000

    @classmethod
    def from_mapping(
        cls, section: Mapping[str, Any], *, source: str | None = None
    ) -> ResultsDBSettings | None:
        """Validate a ``[resultsdb]`` table; ``None`` when it names no ``url`` (plugin idle)."""
        unknown = sorted(set(section) - set(KEYS))
        if unknown:
            raise ConfigError(
                f"unknown setting; the [resultsdb] keys are: {', '.join(KEYS)}",
                file=source,
                key=f"{SECTION}.{unknown[0]}",
            )
        url = section.get("url")
        if url is None or url == "":
            return None
        return cls(
            url=check_url(url, file=source, key=f"{SECTION}.url"),
            timeout=_number(section, "timeout", 30.0, source, minimum=0.0, exclusive=True),
            interval=duration(section, "interval", "15m", source=source, prefix=SECTION),
            page_size=whole(
                section, "page_size", 100, low=1, high=1000, source=source, prefix=SECTION
            ),
            retries=whole(section, "retries", 3, low=0, high=100, source=source, prefix=SECTION),
            backoff=_number(section, "backoff", 1.0, source, minimum=0.0),
            max_pages=whole(
                section, "max_pages", 1000, low=1, high=1_000_000, source=source, prefix=SECTION
            ),
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> ResultsDBSettings | None:
        """The application's ``[resultsdb]`` section, validated (``None``: no url, idle)."""
        return cls.from_mapping(settings.section(SECTION), source=settings.source)

    def describe(self) -> str:
        return f"{self.url} (every {format_duration(self.interval)})"


def check_url(value: object, *, file: str | None = None, key: str = f"{SECTION}.url") -> str:
    """An http(s) URL with a host, normalised to the API v2.0 base (``/api/v2.0`` appended
    when the path does not end with it)."""
    if not isinstance(value, str):
        raise ConfigError(f"expected a URL string, got {value!r}", file=file, key=key)
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"{value!r} is not an http(s) URL: use the ResultsDB server's address, "
            "like https://resultsdb.example.org/api/v2.0",
            file=file,
            key=key,
        )
    if parts.query or parts.fragment:
        raise ConfigError(
            f"{value!r}: give the URL without a query or fragment", file=file, key=key
        )
    path = parts.path.rstrip("/")
    if not path.endswith(API_PATH):
        path += API_PATH
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _number(
    section: Mapping[str, Any],
    name: str,
    default: float,
    source: str | None,
    *,
    minimum: float,
    exclusive: bool = False,
) -> float:
    value = section.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"expected a number, got {value!r}", file=source, key=f"{SECTION}.{name}")
    if value < minimum or (exclusive and value == minimum):
        bound = f"more than {minimum:g}" if exclusive else f"at least {minimum:g}"
        raise ConfigError(f"must be {bound}, got {value!r}", file=source, key=f"{SECTION}.{name}")
    return float(value)
