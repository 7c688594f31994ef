"""Authentication, the current user, projects, groups and members."""

import gitlab
import pytest
import requests
from gatekeeper_gitlab_fake import DEVELOPER, MAINTAINER, GitLabFake
from gitlab_helpers import PROJECT, World, client


def test_the_token_authenticates_as_its_user(world: World) -> None:
    gl = world.client(world.alice)
    gl.auth()
    assert gl.user is not None
    assert (gl.user.username, gl.user.id, gl.user.state) == ("alice", world.alice.id, "active")
    assert gl.user.web_url.endswith("/alice")


def test_a_bearer_token_authenticates_too(world: World) -> None:
    answer = requests.get(
        f"{world.fake.url}/api/v4/user",
        timeout=5,
        headers={"Authorization": f"Bearer {world.bot.token}"},
    )
    assert answer.status_code == 200
    assert answer.json()["bot"] is True


@pytest.mark.parametrize("headers", [{}, {"PRIVATE-TOKEN": "glpat-unknown"}])
def test_a_missing_or_unknown_token_is_401(world: World, headers: dict[str, str]) -> None:
    answer = requests.get(f"{world.fake.url}/api/v4/user", headers=headers, timeout=5)
    assert answer.status_code == 401
    assert answer.json() == {"message": "401 Unauthorized"}


def test_python_gitlab_raises_its_authentication_error_on_401(fake: GitLabFake) -> None:
    user = fake.create_user("gone")
    fake.revoke_token(user.token)
    with pytest.raises(gitlab.GitlabAuthenticationError):
        client(fake, user).auth()


def test_a_project_is_found_by_id_or_by_path(world: World) -> None:
    gl = world.client()
    by_path = gl.projects.get(PROJECT)
    by_id = gl.projects.get(by_path.id)
    assert by_id.path_with_namespace == PROJECT
    assert by_id.default_branch == "main"
    assert by_path.namespace["full_path"] == "CentOS"


def test_an_unknown_project_is_404(world: World) -> None:
    with pytest.raises(gitlab.GitlabGetError) as caught:
        world.client().projects.get("CentOS/nothing")
    assert caught.value.response_code == 404
    assert caught.value.error_message == "404 Project Not Found"


def test_a_private_project_is_404_to_non_members(world: World) -> None:
    world.fake.create_project("CentOS/secret", files={"a": "b"}, visibility="private")
    with pytest.raises(gitlab.GitlabGetError) as caught:
        world.client(world.mallory).projects.get("CentOS/secret")
    assert caught.value.response_code == 404


def test_group_members_all_includes_parent_groups(world: World) -> None:
    boss = world.fake.create_user("boss")
    world.fake.add_member("CentOS", boss, MAINTAINER)
    group = world.client().groups.get("CentOS/Integration/rdo")
    assert group.full_path == "CentOS/Integration/rdo"
    members = {m.username: m.access_level for m in group.members_all.list(get_all=True)}
    assert members == {"alice": DEVELOPER, "boss": MAINTAINER}
    assert [m.username for m in group.members.list(get_all=True)] == ["alice"]


def test_project_members_all_includes_the_groups_above(world: World) -> None:
    boss = world.fake.create_user("boss")
    world.fake.add_member("CentOS", boss, MAINTAINER)
    project = world.project()
    members = {m.username: m.access_level for m in project.members_all.list(get_all=True)}
    assert members == {"gatekeeper-bot": MAINTAINER, "dev": DEVELOPER, "boss": MAINTAINER}
    assert project.members_all.get(boss.id).access_level == MAINTAINER
    with pytest.raises(gitlab.GitlabGetError):
        project.members_all.get(world.mallory.id)


def test_an_unknown_group_is_404(world: World) -> None:
    with pytest.raises(gitlab.GitlabGetError) as caught:
        world.client().groups.get("Nope")
    assert caught.value.error_message == "404 Group Not Found"


def test_users_are_found_by_username(world: World) -> None:
    [found] = world.client().users.list(username="alice")
    assert found.id == world.alice.id
