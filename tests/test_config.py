"""Configuration: the embedded default, gatekeeper.toml, and environment overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from gatekeeper.config import load_settings
from gatekeeper.errors import ConfigError


def test_without_a_file_state_lives_under_var(tmp_path: Path) -> None:
    settings = load_settings(env={}, cwd=tmp_path)
    assert settings.database_url == f"sqlite:///{tmp_path / 'var' / 'gatekeeper.db'}"
    assert settings.policies_dir == tmp_path / "policies"
    assert (settings.forge, settings.source) == ("local", None)


def test_the_file_in_the_working_directory_is_read(tmp_path: Path) -> None:
    (tmp_path / "gatekeeper.toml").write_text(
        'policies_dir = "gates"\n[forge]\nname = "gitlab"\n[forge.gitlab]\nurl = "https://gitlab.example"\n'
    )
    settings = load_settings(env={}, cwd=tmp_path)
    assert settings.policies_dir == tmp_path / "gates"
    assert settings.forge == "gitlab"
    assert settings.section("forge.gitlab") == {"url": "https://gitlab.example"}
    assert settings.section("resultsdb") == {}


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    (tmp_path / "gatekeeper.toml").write_text('database_url = "sqlite:///a.db"\n')
    settings = load_settings(
        env={"GATEKEEPER_DATABASE_URL": "postgresql+psycopg://db/x"}, cwd=tmp_path
    )
    assert settings.database_url == "postgresql+psycopg://db/x"


def test_gatekeeper_config_names_the_file(tmp_path: Path) -> None:
    other = tmp_path / "other.toml"
    other.write_text('var_dir = "state"\n')
    settings = load_settings(env={"GATEKEEPER_CONFIG": str(other)}, cwd=tmp_path)
    assert settings.var_dir == tmp_path / "state"
    assert settings.source == str(other)


def test_malformed_toml_is_a_located_error(tmp_path: Path) -> None:
    (tmp_path / "gatekeeper.toml").write_text("forge = \n")
    with pytest.raises(ConfigError, match=r"gatekeeper.toml: malformed TOML"):
        load_settings(env={}, cwd=tmp_path)


def test_an_unknown_top_level_setting_is_refused(tmp_path: Path) -> None:
    (tmp_path / "gatekeeper.toml").write_text('databse_url = "x"\n')
    with pytest.raises(ConfigError, match="databse_url: unknown setting"):
        load_settings(env={}, cwd=tmp_path)


def test_a_missing_named_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_settings(tmp_path / "nope.toml", env={}, cwd=tmp_path)
