"""The real lifecycle with forge = "gitlab": importing a compose opens its MR on the fake."""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from gatekeeper_gitlab import plugin
from gatekeeper_gitlab_fake import GitLabFake
from gitlab_helpers import COMPOSE_PROJECT, ForgeWorld

from gatekeeper.config import Settings
from gatekeeper.plugins import make_plugin_manager
from gatekeeper.service import Gatekeeper
from gatekeeper.testing.composes import synthetic_builds, write_compose

POLICY = (
    "team: tf\nowns: ['tf.*']\napplies_to: {products: ['CentOS-Stream-*']}\n"
    "gates:\n  - testcase: tf.smoke\n"
)


@pytest.fixture
def app(
    forge_world: ForgeWorld,
    tmp_path: Path,
    gk_policies: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Gatekeeper]:
    gk_policies(tf=POLICY)
    monkeypatch.setenv("GATEKEEPER_GITLAB_TOKEN", forge_world.bot.token)
    fake: GitLabFake = forge_world.fake
    settings = Settings(
        var_dir=tmp_path / "var",
        database_url=f"sqlite:///{tmp_path / 'gatekeeper.db'}",
        policies_dir=tmp_path / "policies",
        forge="gitlab",
        sections={"forge": {"gitlab": {"url": fake.url, "project": "releng/{product}"}}},
    )
    pm = make_plugin_manager(load_entrypoints=False, extra=[("gitlab", plugin)])
    started = Gatekeeper(settings, pm=pm, clock=lambda: datetime(2026, 11, 24, 6, tzinfo=UTC))
    started.start()
    yield started
    started.store.dispose()


def test_importing_a_compose_opens_its_merge_request_on_gitlab(
    app: Gatekeeper, forge_world: ForgeWorld, tmp_path: Path
) -> None:
    cid = write_compose(tmp_path / "compose", builds=synthetic_builds(30, seed=1))
    report = app.import_compose(str(tmp_path / "compose"))
    assert app.forge.name == "gitlab"
    state = forge_world.fake.project(COMPOSE_PROJECT)
    [mr] = state.merge_requests.values()
    assert (mr.source_branch, mr.state, mr.author.username) == (
        f"compose/{cid}", "opened", "gatekeeper-bot",
    )  # fmt: skip
    assert report.merge_request["number"] == mr.iid
    assert report.merge_request["head_commit"] == state.branches[f"compose/{cid}"]
    files = forge_world.fake.files(COMPOSE_PROJECT, f"compose/{cid}")
    assert "compose.yaml" in files and len([f for f in files if f.startswith("builds/")]) == 30
    again = app.import_compose(str(tmp_path / "compose"))
    assert again.created is False and len(state.merge_requests) == 1
