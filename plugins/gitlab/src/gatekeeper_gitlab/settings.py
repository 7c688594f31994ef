"""The ``[forge.gitlab]`` section of gatekeeper.toml: a typed settings class, validated before use.

```toml
[forge]
name = "gitlab"                        # or GATEKEEPER_FORGE=gitlab

[forge.gitlab]
url = "https://gitlab.com"             # required: the GitLab instance
project = "centos/releng/{product}"    # required: the Compose Repo project (path or numeric id)
token_env = "GATEKEEPER_GITLAB_TOKEN"  # the environment variable holding the bot's token
webhook_secret_env = "GATEKEEPER_GITLAB_WEBHOOK_SECRET"  # the webhook secret's variable
timeout = 30                           # seconds for one HTTP request
max_retries = 5                        # python-gitlab's retries of a 429 or 5xx answer
poll_interval = "5m"                   # the polling mode's interval
bot_username = "gatekeeper-bot"        # optional: checked against GET /user on first use
```

``project`` names one project for every product (``"centos/compose"``, or its numeric id), or
one project per product when it contains ``{product}`` (``"centos/releng/{product}"`` ->
``centos/releng/CentOS-Stream-9``): each product needs its own ``main``, so a deployment that
gates several products should use the template. Every error names the file and the key
(``gatekeeper.toml: forge.gitlab.url: ...``).
"""

from __future__ import annotations

import os
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from gatekeeper.config import Settings
from gatekeeper.errors import ConfigError
from gatekeeper.settings_fields import duration, whole

SECTION = "forge.gitlab"
DEFAULT_TOKEN_ENV = "GATEKEEPER_GITLAB_TOKEN"
DEFAULT_WEBHOOK_SECRET_ENV = "GATEKEEPER_GITLAB_WEBHOOK_SECRET"

#: The keys of ``[forge.gitlab]``, with their meaning (also the plugin's settings schema).
KEYS: Mapping[str, str] = {
    "url": "the GitLab instance, an http(s) URL (https://gitlab.com)",
    "project": "the Compose Repo project: a path, a numeric id, or a path with {product}",
    "token_env": "the environment variable holding the bot's access token",
    "webhook_secret_env": "the environment variable holding the webhook secret",
    "timeout": "seconds to wait for one answer (a number > 0)",
    "max_retries": "retries of a 429 or 5xx answer by python-gitlab (a whole number 0-100)",
    "poll_interval": "how often the polling mode reads the MRs (a duration: 1m, 5m)",
    "bot_username": "the bot's GitLab username, checked against GET /user",
    "waivers_group": "the GitLab group whose members may waive by comment (inbound side)",
}


@dataclass(frozen=True, slots=True)
class GitLabSettings:
    """What the GitLab forge needs: where, which project, which token, how patient."""

    url: str
    project: str
    token_env: str = DEFAULT_TOKEN_ENV
    webhook_secret_env: str = DEFAULT_WEBHOOK_SECRET_ENV
    timeout: float = 30.0
    max_retries: int = 5
    poll_interval: timedelta = timedelta(minutes=5)
    bot_username: str | None = None
    source: str | None = None

    @classmethod
    def from_mapping(
        cls, section: Mapping[str, Any], *, source: str | None = None
    ) -> GitLabSettings:
        """Validate a ``[forge.gitlab]`` table (``url`` and ``project`` are required)."""
        unknown = sorted(set(section) - set(KEYS))
        if unknown:
            raise ConfigError(
                f"unknown setting; the [{SECTION}] keys are: {', '.join(KEYS)}",
                file=source,
                key=f"{SECTION}.{unknown[0]}",
            )
        return cls(
            url=check_url(section.get("url"), file=source),
            project=_project(section.get("project"), source),
            token_env=_env_name(section, "token_env", DEFAULT_TOKEN_ENV, source),
            webhook_secret_env=_env_name(
                section, "webhook_secret_env", DEFAULT_WEBHOOK_SECRET_ENV, source
            ),
            timeout=_timeout(section.get("timeout", 30.0), source),
            max_retries=whole(
                section, "max_retries", 5, low=0, high=100, source=source, prefix=SECTION
            ),
            poll_interval=duration(section, "poll_interval", "5m", source=source, prefix=SECTION),
            bot_username=_optional_name(section.get("bot_username"), source),
            source=source,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> GitLabSettings:
        """The application's ``[forge.gitlab]`` section, validated."""
        return cls.from_mapping(settings.section(SECTION), source=settings.source)

    def project_for(self, product: str) -> str:
        """The project (path or id) holding ``product``'s Compose Repo."""
        return self.project.replace("{product}", product)

    def token(self, env: Mapping[str, str] | None = None) -> str:
        """The bot's token from ``token_env``; a ConfigError naming the variable when unset."""
        value = (os.environ if env is None else env).get(self.token_env, "").strip()
        if not value:
            raise ConfigError(
                f"the environment variable {self.token_env} is not set: put the gatekeeper "
                "bot's GitLab access token (scope api) there",
                file=self.source,
                key=f"{SECTION}.token_env",
            )
        return value


def check_url(value: object, *, file: str | None = None) -> str:
    """An http(s) URL with a host and no query, without a trailing slash."""
    key = f"{SECTION}.url"
    if value is None or value == "":
        raise ConfigError(
            "missing: name the GitLab instance, like https://gitlab.com", file=file, key=key
        )
    if not isinstance(value, str):
        raise ConfigError(f"expected a URL string, got {value!r}", file=file, key=key)
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"{value!r} is not an http(s) URL: use the GitLab instance's address, "
            "like https://gitlab.com",
            file=file,
            key=key,
        )
    if parts.query or parts.fragment:
        raise ConfigError(
            f"{value!r}: give the URL without a query or fragment", file=file, key=key
        )
    path = parts.path.rstrip("/")
    if path.endswith("/api/v4"):
        path = path[: -len("/api/v4")]
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _project(value: object, source: str | None) -> str:
    key = f"{SECTION}.project"
    if isinstance(value, bool) or value is None or value == "":
        raise ConfigError(
            'missing: name the Compose Repo project, like "centos/releng/{product}" or its id',
            file=source,
            key=key,
        )
    if isinstance(value, int):
        if value <= 0:
            raise ConfigError(f"a project id is > 0, got {value}", file=source, key=key)
        return str(value)
    if not isinstance(value, str):
        raise ConfigError(f"expected a project path or id, got {value!r}", file=source, key=key)
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
    except ValueError as exc:
        raise ConfigError(f"{value!r}: {exc}", file=source, key=key) from None
    if fields - {"product"}:
        raise ConfigError(
            f"{value!r}: the only placeholder is {{product}}, found "
            + ", ".join(f"{{{f}}}" for f in sorted(fields - {"product"})),
            file=source,
            key=key,
        )
    path = value.strip().strip("/")
    if not path.isdigit() and "/" not in path:
        raise ConfigError(
            f"{value!r}: a project path has its namespace, like group/name",
            file=source,
            key=key,
        )
    return path


def _env_name(section: Mapping[str, Any], name: str, default: str, source: str | None) -> str:
    value = section.get(name, default)
    if not isinstance(value, str) or not value or not value.replace("_", "a").isalnum():
        raise ConfigError(
            f"expected an environment variable name (letters, digits, _), got {value!r}",
            file=source,
            key=f"{SECTION}.{name}",
        )
    return value


def _timeout(value: object, source: str | None) -> float:
    key = f"{SECTION}.timeout"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"expected a number of seconds, got {value!r}", file=source, key=key)
    if value <= 0:
        raise ConfigError(f"must be more than 0, got {value!r}", file=source, key=key)
    return float(value)


def _optional_name(value: object, source: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ConfigError(
            f"expected a GitLab username, got {value!r}", file=source, key=f"{SECTION}.bot_username"
        )
    return value.strip().lstrip("@")
