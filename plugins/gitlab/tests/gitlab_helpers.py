"""Fixtures and helpers of the GitLab plugin's tests (a module name no other test directory
uses, so test modules import it by name)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gitlab
import pytest
from gatekeeper_gitlab.forge import GitLabForge
from gatekeeper_gitlab.settings import GitLabSettings
from gatekeeper_gitlab_fake import DEVELOPER, MAINTAINER, FakeUser, GitLabFake
from gitlab.v4.objects import Project, ProjectMergeRequest

from gatekeeper.model import Outcome, Result
from gatekeeper.service import Gatekeeper
from gatekeeper.store import scratch

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


# -- the outbound side: the real application on the fake (tests/test_gitlab_outbound_*.py) --
OUTBOUND_POLICY = (
    "team: tf\nowns: ['tf.*']\nreporters: {users: [tf-bot]}\n"
    "applies_to: {products: ['CentOS-Stream-*']}\n"
    "gates:\n  - testcase: tf.smoke\n"
)


def gitlab_app(
    fake: GitLabFake,
    bot: FakeUser,
    var: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    **section: object,
) -> Gatekeeper:
    """A started Gatekeeper with ``forge = "gitlab"`` on the fake (the gitlab and
    gitlab-outbound plugins, the bot's token in the env), policies in ``var/policies``."""
    from gatekeeper_gitlab import outbound, plugin

    from gatekeeper.config import Settings
    from gatekeeper.plugins import make_plugin_manager
    from gatekeeper.testing import Clock

    policies = var / "policies"
    policies.mkdir(parents=True, exist_ok=True)
    (policies / "tf.yaml").write_text(OUTBOUND_POLICY, encoding="utf-8")
    monkeypatch.setenv("GATEKEEPER_GITLAB_TOKEN", bot.token)
    settings = Settings(
        var_dir=var / "var",
        database_url=database_url,
        policies_dir=policies,
        forge="gitlab",
        sections={
            "forge": {
                "gitlab": {
                    "url": fake.url,
                    "project": "releng/{product}",
                    "timeout": 5,
                    **section,
                }
            }
        },
    )
    pm = make_plugin_manager(
        load_entrypoints=False, extra=[("gitlab", plugin), ("gitlab-outbound", outbound)]
    )
    app = Gatekeeper(settings, pm=pm, clock=Clock(datetime(2026, 11, 24, 6, tzinfo=UTC)))
    scratch.migrate(app.store)
    app.start()
    return app


@pytest.fixture
def impatient_app(
    forge_world: ForgeWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Gatekeeper]:
    """:func:`gitlab_app` on SQLite that gives GitLab one retry and half a second: for
    tests that make GitLab fail."""
    url = f"sqlite:///{tmp_path / 'gatekeeper.db'}"
    started = gitlab_app(
        forge_world.fake, forge_world.bot, tmp_path, url, monkeypatch, max_retries=1, timeout=0.5
    )
    yield started
    started.store.dispose()


def tf_result(compose: str, outcome: str, minute: int, testcase: str = "tf.smoke") -> Result:
    """One result of the tf team, submitted ``minute`` minutes after 06:00 (later wins)."""
    return Result(
        compose=compose,
        testcase=testcase,
        outcome=Outcome(outcome),
        submit_time=datetime(2026, 11, 24, 6, minute, tzinfo=UTC),
        ref_url=f"https://ci.example.org/{minute}",
    )


def outbox_pending(app: Gatekeeper) -> list[dict[str, Any]]:
    """The outbox entries not delivered yet, oldest first."""
    import sqlalchemy as sa

    from gatekeeper.store import tables as t

    with app.store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(t.outbox).where(t.outbox.c.delivered_at.is_(None)).order_by(t.outbox.c.id)
        ).mappings()
        return [dict(row) for row in rows]


def outbox_due_now(app: Gatekeeper) -> None:
    """Backoff elapsed: every pending entry is due now."""
    import sqlalchemy as sa

    from gatekeeper.store import tables as t

    with app.store.engine.begin() as conn:
        conn.execute(
            sa.update(t.outbox).where(t.outbox.c.delivered_at.is_(None)).values(not_before=None)
        )


def bot_summary_notes(fake: GitLabFake, iid: int = 1) -> list[str]:
    """The bodies of the bot's summary notes on the MR (there must be one)."""
    mr = fake.project(COMPOSE_PROJECT).merge_requests[iid]
    return [
        n.body
        for n in mr.notes
        if n.author.username == "gatekeeper-bot" and "<!-- gatekeeper:summary -->" in n.body
    ]


def gate_labels(fake: GitLabFake, iid: int = 1) -> list[str]:
    mr = fake.project(COMPOSE_PROJECT).merge_requests[iid]
    return sorted(label for label in mr.labels if label.startswith("gate::"))


def gate_statuses(fake: GitLabFake, sha: str) -> list[str]:
    """Every ``gatekeeper`` status on ``sha``, oldest first."""
    return [
        s.status
        for s in fake.project(COMPOSE_PROJECT).statuses
        if s.name == "gatekeeper" and s.sha == sha
    ]


# -- the inbound side: results from the MR --------------------------------------------------

INBOUND_POLICY = """\
team: tf
owns: ['tf.*']
reporters:
  users: [carol]
  groups: [CentOS/Integration/tf]
applies_to: {products: ['CentOS-Stream-*']}
gates:
  - testcase: tf.smoke
  - testcase: tf.label
  - testcase: tf.vote
"""
WEBHOOK_SECRET = "s3cret-webhook-token"


@dataclass
class InboundWorld:
    """A started app with ``forge = "gitlab"`` (inbound hooks loaded), its compose's MR open
    on the fake, and users: alice (member of the tf group), carol (a listed reporter),
    wendy (member of the waivers group), mallory (nobody)."""

    fake: GitLabFake
    app: Any
    compose: str
    iid: int
    bot: FakeUser
    alice: FakeUser
    carol: FakeUser
    wendy: FakeUser
    mallory: FakeUser

    def as_user(self, user: FakeUser) -> Any:
        return self.fake.as_user(user)

    def note(self, user: FakeUser, body: str) -> dict[str, Any]:
        found: dict[str, Any] = self.fake.as_user(user).post_note(COMPOSE_PROJECT, self.iid, body)
        return found

    @property
    def head(self) -> str:
        state = self.fake.project(COMPOSE_PROJECT)
        return str(state.branches[f"compose/{self.compose}"])

    def results(self) -> set[tuple[Any, ...]]:
        return {
            (r.testcase, r.outcome.value, r.arch, r.scenario, r.variant, r.reporter)
            for r in self.app.results(self.compose)
        }

    def dispatch(self) -> None:
        for _ in range(20):
            if not self.app.dispatcher.run_once():
                return

    def bot_notes(self) -> list[Any]:
        mr = self.fake.project(COMPOSE_PROJECT).merge_requests[self.iid]
        return [n for n in mr.notes if n.author.id == self.bot.id]


def make_inbound_world(
    fake: GitLabFake,
    tmp_path: Any,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    *,
    outbound: bool = False,
    plugins: tuple[tuple[str, Any], ...] = (),
    sections: dict[str, Any] | None = None,
    **section: object,
) -> InboundWorld:
    """The :class:`InboundWorld` (``section``: more ``[forge.gitlab]`` keys; ``outbound``:
    the gitlab-outbound plugin too, so the MR follows the decision; ``plugins`` and
    ``sections``: more plugins, and their settings sections)."""
    from datetime import UTC, datetime

    from gatekeeper_gitlab import outbound as outbound_plugin
    from gatekeeper_gitlab import plugin
    from gatekeeper_gitlab.inbound import hooks

    from gatekeeper.config import Settings
    from gatekeeper.plugins import make_plugin_manager
    from gatekeeper.service import Gatekeeper
    from gatekeeper.testing.composes import synthetic_builds, write_compose

    bot = fake.create_user("gatekeeper-bot", name="Gatekeeper", bot=True)
    monkeypatch.setenv("GATEKEEPER_GITLAB_TOKEN", bot.token)
    monkeypatch.setenv("GATEKEEPER_GITLAB_WEBHOOK_SECRET", WEBHOOK_SECRET)
    users = [fake.create_user(name) for name in ("alice", "carol", "wendy", "mallory")]
    fake.create_project(COMPOSE_PROJECT, files={"README.md": "The Compose Repo\n"}, owner=bot)
    fake.add_member(COMPOSE_PROJECT, bot, MAINTAINER)
    for user in users[:3]:
        fake.add_member(COMPOSE_PROJECT, user, DEVELOPER)  # may set statuses
    fake.add_member(COMPOSE_PROJECT, users[3], DEVELOPER)  # so may mallory: not a reporter
    fake.add_member(fake.create_group("CentOS/Integration/tf"), users[0], DEVELOPER)
    fake.add_member(fake.create_group("CentOS/releng-waivers"), users[2], DEVELOPER)
    policies = tmp_path / "policies"
    policies.mkdir(exist_ok=True)
    (policies / "tf.yaml").write_text(INBOUND_POLICY, encoding="utf-8")
    section = {"url": fake.url, "project": "releng/{product}", "timeout": 5, **section}
    settings = Settings(
        var_dir=tmp_path / "var",
        database_url=database_url,
        policies_dir=policies,
        forge="gitlab",
        sections={"forge": {"gitlab": section}, **(sections or {})},
    )
    extra: list[tuple[str, Any]] = [("gitlab", plugin), ("gitlab-inbound", hooks), *plugins]
    if outbound:
        extra.append(("gitlab-outbound", outbound_plugin))
    pm = make_plugin_manager(load_entrypoints=False, extra=extra)
    # the service's clock is the fake GitLab's (the wall clock): the times of notes, labels,
    # votes and statuses are then never ahead of it ([results] max_clock_skew)
    app = Gatekeeper(settings, pm=pm, clock=lambda: datetime.now(UTC))
    scratch.migrate(app.store)
    app.start()
    cid = write_compose(tmp_path / "compose", builds=synthetic_builds(3, seed=1))
    report = app.import_compose(str(tmp_path / "compose"))
    iid = int(report.merge_request["number"])
    return InboundWorld(fake, app, cid, iid, bot, *users)


@pytest.fixture(name="inbound")
def inbound_world(
    fake: GitLabFake, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[InboundWorld]:
    """The ``inbound`` fixture (import ``inbound_world`` to use it)."""
    url = f"sqlite:///{tmp_path / 'gatekeeper.db'}"
    world = make_inbound_world(fake, tmp_path, url, monkeypatch)
    yield world
    world.app.store.dispose()
