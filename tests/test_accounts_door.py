"""Identities and tokens take names and texts within the limits, on SQLite and PostgreSQL:
a refused one is a located error that creates nothing; a token that is not ASCII text is no
token (not a crash of the hashing)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gatekeeper.errors import InputError
from gatekeeper.service import Gatekeeper


@pytest.fixture(autouse=True)
def _policies(gk_policies: Callable[..., Path]) -> None:
    gk_policies(rdo="team: rdo\nreporters: {groups: [CentOS/rdo]}\ngates: []\n")


@pytest.fixture
def app(gk_app: Gatekeeper) -> Gatekeeper:
    return gk_app


@pytest.mark.parametrize(
    ("fields", "error"),
    [({"name": "x" * 257}, "name: is 257 characters long; at most 256 are taken"),
     ({"name": "bot\ud800"}, "name: holds a lone surrogate (U+D800) at character 3"),
     ({"name": "bot\x00"}, "name: holds a NUL character (at character 3)"),
     ({"name": "  "}, "name: an identity needs a name"),
     ({"groups": ["CentOS/rdo", "g" * 10_000]}, "group: is 10,000 characters long"),
     ({"groups": ["g\x00"]}, "group: holds a NUL character"),
     ({"description": "d" * 100_000}, "description: is 100,000 characters long")],
    ids=["long-name", "surrogate-name", "nul-name", "blank-name", "long-group", "nul-group",
         "long-description"],
)  # fmt: skip
def test_a_token_for_a_name_or_text_past_the_limits_is_refused_and_creates_nothing(
    app: Gatekeeper, fields: dict[str, Any], error: str
) -> None:
    with pytest.raises(InputError) as caught:
        app.issue_token(**{"name": "rdo-ci", **fields})
    assert str(caught.value).startswith(error)
    assert app.tokens() == []


def test_the_longest_name_and_groups_are_taken(app: Gatekeeper) -> None:
    name, group = "n" * 256, "\U00020000" * 256
    issued = app.issue_token(name, groups=[group], description="d" * 65_536)
    actor = app.actor_for_token(issued.token)
    assert actor is not None and (actor.name, actor.groups) == (name, (group,))


@pytest.mark.parametrize("token", ["gk_\ud800", "gk_\u00e9", "\x00"])
def test_a_token_that_is_not_ascii_text_is_no_token(app: Gatekeeper, token: str) -> None:
    assert app.actor_for_token(token) is None
