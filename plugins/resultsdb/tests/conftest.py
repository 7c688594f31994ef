"""Fixtures: a loopback ResultsDB (see ``resultsdb_fake``) and the apps that read it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from resultsdb_fake import CID, IDM, RDO, FakeResultsDB, configure

from gatekeeper.service import Gatekeeper


@pytest.fixture
def resultsdb() -> Iterator[FakeResultsDB]:
    """A running loopback ResultsDB, empty."""
    fake = FakeResultsDB().start()
    yield fake
    fake.stop()


@pytest.fixture
def policies(gk_policies: Callable[..., Path]) -> Path:
    """Two teams: rdo (owns rdo.*) and idm (owns idm.*)."""
    return gk_policies(rdo=RDO, idm=IDM)


@pytest.fixture
def app(policies: Path, resultsdb: FakeResultsDB, gk_app: Gatekeeper) -> Gatekeeper:
    """The started gatekeeper (SQLite and PostgreSQL) reading the fake ResultsDB, with the
    compose ``CID`` announced."""
    configure(gk_app, resultsdb.url, page_size=3)
    gk_app.announce(CID)
    return gk_app
