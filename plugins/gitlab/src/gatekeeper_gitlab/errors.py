"""``GitLabError``: what the caller sees when GitLab refuses or cannot be reached."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import gitlab
import requests

from gatekeeper.errors import GatekeeperError, Unavailable

P = ParamSpec("P")
T = TypeVar("T")


class GitLabError(GatekeeperError):
    """GitLab refused or could not be reached (after python-gitlab's retries)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        self.status = status
        super().__init__(message, key="forge.gitlab")


class GitLabUnavailable(GitLabError, Unavailable):
    """GitLab could not be reached, timed out, or kept answering 429/5xx after
    python-gitlab's retries: try again later (nothing was refused)."""


def _error(message: str, status: int | None) -> GitLabError:
    transient = status is None or status == 429 or status >= 500
    return (GitLabUnavailable if transient else GitLabError)(message, status=status)


def api(what: str) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Turn python-gitlab's and requests' errors into a :class:`GitLabError` saying ``what``."""

    def wrap(method: Callable[P, T]) -> Callable[P, T]:
        @functools.wraps(method)
        def call(*args: P.args, **kwargs: P.kwargs) -> T:
            try:
                return method(*args, **kwargs)
            except gitlab.GitlabError as exc:
                raise _error(
                    f"{what}: GitLab answered {exc.response_code}: {exc.error_message}",
                    exc.response_code,
                ) from exc
            except requests.RequestException as exc:
                raise _error(f"{what}: {type(exc).__name__}: {exc}", None) from exc

        return call

    return wrap


def status_of(exc: BaseException) -> int | None:
    return exc.response_code if isinstance(exc, gitlab.GitlabError) else None
