"""Fixtures of the GitLab plugin's tests (defined in gitlab_helpers, a module name no other
test directory uses, so tests import its helpers by name)."""

from gitlab_helpers import fake, forge_world, impatient_app, world  # noqa: F401
