"""A GitLab v4 REST API fake on loopback, for driving the real python-gitlab client in tests.

See ``plugins/gitlab/README.md`` for the endpoints, the Python API and fault injection.
"""

from .facade import Actor, FakeApiError, FakeUser, GitLabFake
from .faults import Fault, Faults, RequestRecord
from .model import DEVELOPER, GUEST, MAINTAINER, OWNER, REPORTER
from .webhooks import WebhookEvent, deliver

__all__ = [
    "DEVELOPER",
    "GUEST",
    "MAINTAINER",
    "OWNER",
    "REPORTER",
    "Actor",
    "FakeApiError",
    "FakeUser",
    "Fault",
    "Faults",
    "GitLabFake",
    "RequestRecord",
    "WebhookEvent",
    "deliver",
]
