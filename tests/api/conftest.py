"""The HTTP API's fixtures: an application with two teams' policies and one compose,
tokens, and a client checking every answer against /openapi.json (see apihelpers)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from apihelpers import CID, IDM, RDO, CheckedClient, SchemaChecks, Tokens, issue_tokens

from gatekeeper.api import create_app
from gatekeeper.service import Gatekeeper


@pytest.fixture(autouse=True)
def _policies(gk_policies: Callable[..., Path]) -> None:
    gk_policies(rdo=RDO, idm=IDM)


@pytest.fixture
def app(gk_app: Gatekeeper) -> Gatekeeper:
    gk_app.announce(CID, at=gk_app.clock() - timedelta(hours=6))
    return gk_app


@pytest.fixture
def tokens(app: Gatekeeper) -> Tokens:
    return issue_tokens(app)


@pytest.fixture
def client(app: Gatekeeper) -> Iterator[CheckedClient]:
    with CheckedClient(create_app(app), raise_server_exceptions=False) as test_client:
        test_client.schema_checks = SchemaChecks(test_client.get("/openapi.json").json())
        yield test_client
