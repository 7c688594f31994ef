"""The `[junit]` section and the naming template, validated before first use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from gatekeeper_junit.naming import DEFAULT_NAME_FORMAT, check_format, render
from gatekeeper_junit.settings import JunitSettings

from gatekeeper.config import load_settings
from gatekeeper.errors import ConfigError


def test_defaults_without_a_section(tmp_path: Path) -> None:
    settings = JunitSettings.from_settings(load_settings(cwd=tmp_path, env={}))
    assert settings == JunitSettings(52_428_800, "{namespace}{classname}.{name}", "omit")


def test_the_section_is_read_from_gatekeeper_toml(tmp_path: Path) -> None:
    (tmp_path / "gatekeeper.toml").write_text(
        '[junit]\nmax_bytes = 1000\nname_format = "{namespace}{name}"\nskipped = "info"\n'
    )
    settings = JunitSettings.from_settings(load_settings(cwd=tmp_path, env={}))
    assert settings == JunitSettings(1000, "{namespace}{name}", "info")


@pytest.mark.parametrize(
    ("section", "key", "message"),
    [
        ({"max_byte": 1}, "junit.max_byte", "unknown setting; expected one of"),
        ({"max_bytes": "50MB"}, "junit.max_bytes", "expected a positive number of bytes"),
        ({"max_bytes": 0}, "junit.max_bytes", "expected a positive number of bytes"),
        ({"max_bytes": True}, "junit.max_bytes", "expected a positive number of bytes"),
        ({"name_format": 3}, "junit.name_format", "expected a string"),
        ({"name_format": "{namespace}{id}"}, "junit.name_format", "uses an unknown field {id}"),
        ({"name_format": "{namespace}"}, "junit.name_format", "must use {name}"),
        ({"skipped": "passed"}, "junit.skipped", "expected one of omit, info"),
    ],
)
def test_mistakes_name_their_key(section: dict[str, Any], key: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        JunitSettings.from_section(section, source="gatekeeper.toml")
    assert (caught.value.file, caught.value.key) == ("gatekeeper.toml", key)
    assert message in caught.value.message


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"namespace": "ci.", "classname": "a.B", "name": "t"}, "ci.a.B.t"),
        ({"namespace": "ci.", "classname": "", "name": "t"}, "ci.t"),
        ({"namespace": "", "classname": "a", "name": "t"}, "a.t"),
        ({"namespace": "", "classname": "", "name": "t"}, "t"),
    ],
)
def test_default_rule_drops_the_dot_of_an_empty_field(
    fields: dict[str, str], expected: str
) -> None:
    assert render(DEFAULT_NAME_FORMAT, fields) == expected


def test_an_empty_last_field_takes_the_dot_before_it() -> None:
    assert render("{namespace}{name}.{classname}", {"namespace": "ci.", "name": "t"}) == "ci.t"


def test_literal_text_stays() -> None:
    fields = {"namespace": "ci.", "suite": "", "name": "t"}
    assert render("{namespace}junit/{suite}.{name}", fields) == "ci.junit/t"


def test_the_default_rule_is_valid() -> None:
    check_format(DEFAULT_NAME_FORMAT)
