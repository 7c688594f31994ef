"""The ``[resultsdb]`` section: typed, validated before use, errors located."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from gatekeeper_resultsdb.settings import ResultsDBSettings

from gatekeeper.config import load_settings
from gatekeeper.errors import ConfigError


def load(**section: Any) -> ResultsDBSettings | None:
    return ResultsDBSettings.from_mapping(section, source="gatekeeper.toml")


def test_without_a_url_the_plugin_is_idle() -> None:
    assert load() is None
    assert load(url="") is None


def test_defaults() -> None:
    settings = load(url="https://resultsdb.example.org/api/v2.0")
    assert settings == ResultsDBSettings(
        url="https://resultsdb.example.org/api/v2.0",
        timeout=30.0,
        interval=timedelta(minutes=15),
        page_size=100,
        retries=3,
        backoff=1.0,
        max_pages=1000,
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://rdb.example.org", "https://rdb.example.org/api/v2.0"),
        ("https://rdb.example.org/", "https://rdb.example.org/api/v2.0"),
        ("https://rdb.example.org/api/v2.0/", "https://rdb.example.org/api/v2.0"),
        ("http://rdb:5001/resultsdb_api/api/v2.0", "http://rdb:5001/resultsdb_api/api/v2.0"),
    ],
)
def test_the_url_is_the_api_v2_base(url: str, expected: str) -> None:
    settings = load(url=url)
    assert settings is not None and settings.url == expected


def test_interval_is_a_duration() -> None:
    settings = load(url="http://rdb", interval="1h")
    assert settings is not None and settings.interval == timedelta(hours=1)


@pytest.mark.parametrize(
    ("section", "error"),
    [
        ({"url": "rdb.example.org"}, "resultsdb.url: 'rdb.example.org' is not an http(s) URL"),
        ({"url": 5}, "resultsdb.url: expected a URL string, got 5"),
        ({"url": "http://rdb?x=1"}, "resultsdb.url: 'http://rdb?x=1': give the URL without"),
        ({"url": "http://rdb", "interval": "soon"}, "resultsdb.interval: 'soon' is not a dura"),
        ({"url": "http://rdb", "interval": "0m"}, "resultsdb.interval: must be longer than 0s"),
        ({"url": "http://rdb", "timeout": 0}, "resultsdb.timeout: must be more than 0"),
        ({"url": "http://rdb", "timeout": "30"}, "resultsdb.timeout: expected a number"),
        ({"url": "http://rdb", "page_size": 0}, "resultsdb.page_size: expected a whole number"),
        ({"url": "http://rdb", "page_size": True}, "resultsdb.page_size: expected a whole num"),
        ({"url": "http://rdb", "retries": -1}, "resultsdb.retries: expected a whole number"),
        ({"url": "http://rdb", "backoff": -1}, "resultsdb.backoff: must be at least 0"),
        ({"url": "http://rdb", "urll": "x"}, "resultsdb.urll: unknown setting; the [resultsd"),
    ],
)
def test_a_bad_setting_is_a_located_error(section: dict[str, Any], error: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(**section)
    assert str(caught.value).startswith(f"gatekeeper.toml: {error}")


def test_an_unknown_key_is_refused_even_without_a_url() -> None:
    with pytest.raises(ConfigError, match=r"resultsdb\.page-size: unknown setting"):
        load(**{"page-size": 10})


def test_the_section_is_read_from_gatekeeper_toml(tmp_path: Path) -> None:
    (tmp_path / "gatekeeper.toml").write_text(
        '[resultsdb]\nurl = "https://rdb.example.org"\npage_size = 50\ninterval = "5m"\n'
    )
    settings = ResultsDBSettings.from_settings(load_settings(env={}, cwd=tmp_path))
    assert settings is not None
    assert (settings.url, settings.page_size, settings.interval) == (
        "https://rdb.example.org/api/v2.0",
        50,
        timedelta(minutes=5),
    )


def test_an_error_in_gatekeeper_toml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "gatekeeper.toml").write_text('[resultsdb]\nurl = "ftp://rdb"\n')
    with pytest.raises(ConfigError) as caught:
        ResultsDBSettings.from_settings(load_settings(env={}, cwd=tmp_path))
    assert str(caught.value).startswith(f"{tmp_path / 'gatekeeper.toml'}: resultsdb.url: ")
