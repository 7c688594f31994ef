"""Configuration: one ``gatekeeper.toml``, every key overridable from the environment.

The file is ``--config``/``GATEKEEPER_CONFIG``, else ``./gatekeeper.toml`` when it
exists. With no file, gatekeeper runs on the embedded default: state under
``./var/`` (SQLite database, the local forge's Compose Repo), policies from
``./policies/``. Top-level keys are overridden by ``GATEKEEPER_<KEY>`` (e.g.
``GATEKEEPER_DATABASE_URL``). The forge is ``forge = "local"``, or a ``[forge]`` table with
``name = "gitlab"`` beside its plugin's ``[forge.gitlab]`` settings. Plugin sections
(``[forge.gitlab]``, ``[resultsdb]``) are handed to their plugins, which validate them
before first use.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gatekeeper.errors import ConfigError

TOP_LEVEL = {
    "var_dir": "var",
    "database_url": None,
    "policies_dir": "policies",
    "forge": "local",
}


@dataclass(frozen=True)
class Settings:
    var_dir: Path
    database_url: str
    policies_dir: Path
    forge: str = "local"
    sections: Mapping[str, Any] = field(default_factory=dict)
    source: str | None = None

    def section(self, name: str) -> Mapping[str, Any]:
        """A plugin's own section (dotted names reach nested tables: ``forge.gitlab``)."""
        node: Any = self.sections
        for part in name.split("."):
            node = node.get(part, {}) if isinstance(node, Mapping) else {}
        return node if isinstance(node, Mapping) else {}


def load_settings(
    config: str | Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Read the file (if any), apply environment overrides, resolve paths against ``cwd``."""
    env = os.environ if env is None else env
    cwd = Path.cwd() if cwd is None else cwd
    path = config or env.get("GATEKEEPER_CONFIG")
    data: dict[str, Any] = {}
    source = None
    if path is None and (cwd / "gatekeeper.toml").is_file():
        path = cwd / "gatekeeper.toml"
    if path is not None:
        source = str(path)
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError("no such configuration file", file=source) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"malformed TOML: {exc}", file=source) from None
        except UnicodeDecodeError as exc:
            why = f"not UTF-8 text: {exc.reason} at byte {exc.start}; save the file as UTF-8"
            raise ConfigError(why, file=source) from None
        except ValueError as exc:  # an integer of more digits than Python converts
            number = str(exc).split(";")[0]
            raise ConfigError(
                f"malformed TOML: a number too long ({number})", file=source
            ) from None
        except RecursionError:
            raise ConfigError("malformed TOML: arrays nested too deep", file=source) from None
        except OSError as exc:
            raise ConfigError(f"cannot read: {exc.strerror or exc}", file=source) from None
    values: dict[str, Any] = {}
    if isinstance(data.get("forge"), dict):  # [forge] name = "gitlab", with [forge.gitlab]
        data = {**data, "forge": data["forge"].get("name", "local"), "_forge": data["forge"]}
    for key, default in TOP_LEVEL.items():
        value = env.get(f"GATEKEEPER_{key.upper()}", data.get(key, default))
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"expected a string, got {value!r}", file=source, key=key)
        values[key] = value
    sections = {k: v for k, v in data.items() if k not in TOP_LEVEL and k != "_forge"}
    if "_forge" in data:
        sections["forge"] = data["_forge"]
    for key, value in sections.items():
        if not isinstance(value, dict):
            raise ConfigError(
                f"unknown setting; expected one of: {', '.join(TOP_LEVEL)} or a [section] table",
                file=source,
                key=key,
            )
    var_dir = cwd / values["var_dir"]
    database_url = values["database_url"] or f"sqlite:///{var_dir / 'gatekeeper.db'}"
    return Settings(
        var_dir=var_dir,
        database_url=database_url,
        policies_dir=cwd / values["policies_dir"],
        forge=values["forge"],
        sections=sections,
        source=source,
    )
