"""[forge.gitlab] settings: defaults, templates and located errors."""

from datetime import timedelta
from typing import Any

import pytest
from gatekeeper_gitlab.forge import GitLabForge
from gatekeeper_gitlab.settings import GitLabSettings
from gitlab_helpers import ForgeWorld, make_forge

from gatekeeper.errors import ConfigError

BASE = {"url": "https://gitlab.example.org/", "project": "centos/releng/{product}"}


def settings(**section: Any) -> GitLabSettings:
    return GitLabSettings.from_mapping({**BASE, **section}, source="gatekeeper.toml")


def test_defaults_and_the_product_template() -> None:
    s = settings()
    assert (s.url, s.token_env, s.timeout, s.max_retries) == (
        "https://gitlab.example.org", "GATEKEEPER_GITLAB_TOKEN", 30.0, 5,
    )  # fmt: skip
    assert s.poll_interval == timedelta(minutes=5) and s.bot_username is None
    assert s.project_for("CentOS-Stream-9") == "centos/releng/CentOS-Stream-9"
    assert settings(project=42).project_for("x") == "42"


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"url": None}, "gatekeeper.toml: forge.gitlab.url: missing"),
        ({"url": "gitlab.example.org"}, "gatekeeper.toml: forge.gitlab.url: 'gitlab.example.org'"),
        ({"project": None}, "gatekeeper.toml: forge.gitlab.project: missing"),
        ({"project": "compose"}, "gatekeeper.toml: forge.gitlab.project: 'compose': a project"),
        ({"project": "a/{team}"}, "gatekeeper.toml: forge.gitlab.project: 'a/{team}': the only"),
        ({"timeout": 0}, "gatekeeper.toml: forge.gitlab.timeout: must be more than 0"),
        ({"timeout": "1s"}, "gatekeeper.toml: forge.gitlab.timeout: expected a number"),
        ({"max_retries": -1}, "gatekeeper.toml: forge.gitlab.max_retries: expected a whole"),
        ({"token_env": "MY TOKEN"}, "gatekeeper.toml: forge.gitlab.token_env: expected an env"),
        ({"poll_interval": "soon"}, "gatekeeper.toml: forge.gitlab.poll_interval:"),
        ({"bot_username": 3}, "gatekeeper.toml: forge.gitlab.bot_username: expected"),
        ({"tokn_env": "X"}, "gatekeeper.toml: forge.gitlab.tokn_env: unknown setting"),
    ],
)
def test_a_bad_setting_is_a_located_error(section: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings(**section)
    assert str(caught.value).startswith(message)


def test_a_missing_token_is_a_config_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GATEKEEPER_GITLAB_TOKEN", raising=False)
    with pytest.raises(ConfigError) as caught:
        GitLabForge(settings())
    assert str(caught.value).startswith(
        "gatekeeper.toml: forge.gitlab.token_env: the environment variable "
        "GATEKEEPER_GITLAB_TOKEN is not set"
    )
    monkeypatch.setenv("GATEKEEPER_GITLAB_TOKEN", "glpat-x")
    assert GitLabForge(settings()).gl.private_token == "glpat-x"


def test_the_bot_username_is_checked_against_get_user(forge_world: ForgeWorld) -> None:
    w = forge_world
    assert make_forge(w.fake, w.bot, bot_username="gatekeeper-bot").bot()["id"] == w.bot.id
    with pytest.raises(ConfigError) as caught:
        make_forge(w.fake, w.bot, bot_username="someone-else").bot()
    assert "forge.gitlab.bot_username: the token in GATEKEEPER_GITLAB_TOKEN belongs to" in str(
        caught.value
    )


def test_the_documented_configuration_loads_and_names_every_key(tmp_path: Any) -> None:
    import re
    from pathlib import Path

    from gatekeeper_gitlab.inbound.access import INBOUND_KEYS
    from gatekeeper_gitlab.settings import KEYS

    from gatekeeper.config import load_settings

    doc = Path(__file__).parents[3] / "docs" / "gitlab.md"
    [block] = [b for b in re.findall(r"```toml\n(.*?)```", doc.read_text(), re.S)
               if "[forge.gitlab]" in b]  # fmt: skip
    (tmp_path / "gatekeeper.toml").write_text(block, encoding="utf-8")
    loaded = load_settings(cwd=tmp_path, env={})
    assert loaded.forge == "gitlab"
    section = loaded.section("forge.gitlab")
    assert sorted(section) == sorted(KEYS)  # every key documented, none made up
    assert set(INBOUND_KEYS) <= set(section)
    parsed = GitLabSettings.from_settings(loaded)
    assert parsed.poll_interval == timedelta(minutes=5) and parsed.timeout == 30
