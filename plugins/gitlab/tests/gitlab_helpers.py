"""Fixtures and helpers of the GitLab plugin's tests (a module name no other test directory
uses, so test modules import it by name)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import gitlab
import pytest
from gatekeeper_gitlab.fake import DEVELOPER, MAINTAINER, FakeUser, GitLabFake
from gatekeeper_gitlab.forge import GitLabForge
from gatekeeper_gitlab.settings import GitLabSettings
from gitlab.v4.objects import Project, ProjectMergeRequest

PROJECT = "CentOS/compose"


@dataclass
class World:
    """A fake with a bot (Maintainer), a team member, an outsider and the Compose Repo."""

    fake: GitLabFake
    bot: FakeUser
    alice: FakeUser  # member of CentOS/Integration/rdo (inherits nothing on the project)
    mallory: FakeUser  # nobody
    dev: FakeUser  # Developer on the project

    def client(self, user: FakeUser | None = None, **options: object) -> gitlab.Gitlab:
        return client(self.fake, user or self.bot, **options)

    def project(self, user: FakeUser | None = None) -> Project:
        return self.client(user).projects.get(PROJECT)


def client(fake: GitLabFake, user: FakeUser, **options: object) -> gitlab.Gitlab:
    """python-gitlab as the plugin will configure it: a timeout and its own retries.

    ``obey_rate_limit`` (default True) and ``max_retries`` (default 10) are per-request
    arguments in python-gitlab 8, not constructor ones.
    """
    settings: dict[str, object] = {
        "private_token": user.token,
        "retry_transient_errors": True,
        "timeout": 5,
    }
    settings.update(options)
    return gitlab.Gitlab(fake.url, **settings)  # type: ignore[arg-type]


@pytest.fixture
def fake() -> Iterator[GitLabFake]:
    with GitLabFake() as running:
        yield running


@pytest.fixture
def world(fake: GitLabFake) -> World:
    bot = fake.create_user("gatekeeper-bot", name="Gatekeeper", bot=True)
    alice = fake.create_user("alice")
    mallory = fake.create_user("mallory")
    dev = fake.create_user("dev")
    rdo = fake.create_group("CentOS/Integration/rdo")
    fake.add_member(rdo, alice, DEVELOPER)
    fake.create_project(
        PROJECT,
        files={
            "compose.yaml": "id: CentOS-Stream-9-20240101.0\n",
            "builds/b/bash.yaml": "nvr: bash-5.1-1\n",
        },
    )
    fake.add_member(PROJECT, bot, MAINTAINER)
    fake.add_member(PROJECT, dev, DEVELOPER)
    return World(fake, bot, alice, mallory, dev)


def open_mr(
    world: World,
    branch: str = "compose/CentOS-Stream-9-20240102.0",
    files: dict[str, str] | None = None,
    **extra: object,
) -> ProjectMergeRequest:
    """The bot's way: branch and commit in one request, then the MR."""
    project = world.project()
    actions = [
        {
            "action": "update" if path in world.fake.files(PROJECT, "main") else "create",
            "file_path": path,
            "content": content,
        }
        for path, content in (files or {"builds/b/bash.yaml": "nvr: bash-5.2-1\n"}).items()
    ]
    project.commits.create(
        {
            "branch": branch,
            "start_branch": "main",
            "commit_message": f"Compose {branch}",
            "actions": actions,
        }
    )
    return project.mergerequests.create(
        {"source_branch": branch, "target_branch": "main", "title": f"Compose {branch}", **extra}
    )


COMPOSE_PROJECT = "releng/CentOS-Stream-9"
PRODUCT = "CentOS-Stream-9"


@dataclass
class ForgeWorld:
    """A fake with the bot (Maintainer of ``releng/CentOS-Stream-9``) and a GitLabForge."""

    fake: GitLabFake
    bot: FakeUser
    dev: FakeUser
    forge: GitLabForge


def make_forge(fake: GitLabFake, bot: FakeUser, **section: object) -> GitLabForge:
    """A GitLabForge on the fake, the bot's token given to python-gitlab as the plugin does."""
    settings = GitLabSettings.from_mapping(
        {"url": fake.url, "project": "releng/{product}", "timeout": 5, **section}
    )
    gl = gitlab.Gitlab(
        fake.url,
        private_token=bot.token,
        retry_transient_errors=True,
        timeout=settings.timeout,
    )
    return GitLabForge(settings, client=gl)


@pytest.fixture
def forge_world(fake: GitLabFake) -> ForgeWorld:
    bot = fake.create_user("gatekeeper-bot", name="Gatekeeper", bot=True)
    dev = fake.create_user("dev")
    fake.create_project(COMPOSE_PROJECT, files={"README.md": "The Compose Repo\n"}, owner=bot)
    fake.add_member(COMPOSE_PROJECT, bot, MAINTAINER)
    fake.add_member(COMPOSE_PROJECT, dev, DEVELOPER)
    return ForgeWorld(fake, bot, dev, make_forge(fake, bot))
