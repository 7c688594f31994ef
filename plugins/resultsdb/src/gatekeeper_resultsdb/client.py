"""Reading a compose's results from ResultsDB API v2.0 with the ``resultsdb-api`` client.

Two queries, one per keying style, each paged through by following ``next`` until it is
``null``:

- ``GET /results?productmd.compose.id=<id>&limit=N`` (resultsdb_conventions, CI messages,
  Greenwave's ``compose`` subject);
- ``GET /results?type=productmd-compose&item=<id>&limit=N`` (ResultsDB v3's compose results).

The answers are merged and de-duplicated by ResultsDB id (a result found by both, or seen
twice because new results shifted the pages, counts once). Every failure becomes one
:class:`~gatekeeper_resultsdb.mapping.ResultsDBError` line; nothing is returned partially.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from gatekeeper.errors import ConfigError
from gatekeeper.model import Result
from gatekeeper_resultsdb.mapping import (
    COMPOSE_KEY,
    COMPOSE_TYPE,
    ResultsDBError,
    belongs_to,
    to_result,
)
from gatekeeper_resultsdb.settings import ResultsDBSettings

log = logging.getLogger("gatekeeper_resultsdb")

#: The queries, one per keying style: ResultsDB filters on any extra-data key.
QUERIES: tuple[Mapping[str, str], ...] = (
    {COMPOSE_KEY: "{id}"},
    {"type": COMPOSE_TYPE, "item": "{id}"},
)
RETRY_STATUSES = (500, 502, 503, 504)  # as resultsdb-api retries them, waiting backoff * 2**n


class _Adapter(HTTPAdapter):
    """resultsdb-api's retrying adapter, plus a default timeout (the client sets none)."""

    def __init__(self, timeout: float, max_retries: Retry) -> None:
        self._timeout = timeout
        super().__init__(max_retries=max_retries)

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float | None, float | None] | None = None,
        verify: bool | str = True,
        cert: str | tuple[str, str] | None = None,
        proxies: dict[str, str] | None = None,
    ) -> requests.Response:
        return super().send(
            request,
            stream=stream,
            timeout=self._timeout if timeout is None else timeout,
            verify=verify,
            cert=cert,
            proxies=proxies,
        )


class ResultsDBClient:
    """One ResultsDB, read through ``resultsdb_api.ResultsDBapi`` and its session."""

    def __init__(self, settings: ResultsDBSettings) -> None:
        try:
            import resultsdb_api  # type: ignore[import-untyped]
        except ImportError:  # pragma: no cover - a dependency of this distribution
            raise ConfigError(
                "the resultsdb-api client is not installed: pip install 'resultsdb-api>=2.1'",
                key="resultsdb",
            ) from None
        self.settings = settings
        self._errors: tuple[type[Exception], ...] = (resultsdb_api.ResultsDBapiException,)
        self.api = resultsdb_api.ResultsDBapi(
            settings.url, max_retries=settings.retries, backoff_factor=settings.backoff
        )
        retry = Retry(
            total=settings.retries,
            backoff_factor=settings.backoff,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=frozenset({"GET", "HEAD"}),
            respect_retry_after_header=False,  # a 503's "Retry-After: 3600" must not stall
        )
        adapter = _Adapter(settings.timeout, retry)
        self.api.session.mount("http://", adapter)
        self.api.session.mount("https://", adapter)

    def close(self) -> None:
        self.api.session.close()

    def __enter__(self) -> ResultsDBClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ------------------------------------------------------------------------
    def raw_results(self, compose_id: str) -> list[Mapping[str, Any]]:
        """Every result naming ``compose_id`` in either keying style, once each, by id."""
        merged: dict[str, Mapping[str, Any]] = {}
        for query in QUERIES:
            params = {key: value.format(id=compose_id) for key, value in query.items()}
            for raw in self._pages(params):
                if not isinstance(raw, Mapping):
                    raise ResultsDBError(
                        f"ResultsDB at {self.settings.url}: a result is "
                        f"not a JSON object: {raw!r:.80}"
                    )
                if not belongs_to(raw, compose_id):  # a server ignoring the filter
                    log.debug("skipping ResultsDB result %s: not of %s", raw.get("id"), compose_id)
                    continue
                merged.setdefault(str(raw.get("id")), raw)
        return list(merged.values())

    def results(self, compose_id: str) -> list[Result]:
        """The compose's results as gatekeeper results (all of them, or an error)."""
        where = f"ResultsDB at {self.settings.url}"
        return [to_result(raw, compose_id, where=where) for raw in self.raw_results(compose_id)]

    def _pages(self, params: Mapping[str, str]) -> Iterator[Any]:
        """The ``data`` of every page of one query, following ``next`` links."""
        with self._translated(f"{self.settings.url}/results"):
            page = self.api.get_results(limit=self.settings.page_size, raw_params=dict(params))
        seen: set[str] = set()
        for number in range(1, self.settings.max_pages + 1):
            data, following = self._check_page(page, number)
            yield from data
            if following is None:
                return
            if following in seen:
                raise ResultsDBError(
                    f"ResultsDB at {self.settings.url}: page {number} links back to an "
                    f"earlier page ({following}); stopping"
                )
            seen.add(following)
            if number == self.settings.max_pages:
                break
            with self._translated(following):
                page = self.api.session.get(following).json()
        raise ResultsDBError(
            f"ResultsDB at {self.settings.url}: more than {self.settings.max_pages} pages "
            f"for {dict(params)}; raise resultsdb.max_pages or resultsdb.page_size"
        )

    def _check_page(self, page: object, number: int) -> tuple[list[Any], str | None]:
        if not isinstance(page, Mapping) or not isinstance(page.get("data"), list):
            raise ResultsDBError(
                f"ResultsDB at {self.settings.url}: page {number} is not a v2.0 results "
                f'page ({{"data": [...], "next": ...}}): {page!r:.120}'
            )
        following = page.get("next")
        if following is not None and not (isinstance(following, str) and following):
            raise ResultsDBError(
                f"ResultsDB at {self.settings.url}: page {number} has a bad next link: "
                f"{following!r}"
            )
        return page["data"], following

    @contextmanager
    def _translated(self, url: str) -> Iterator[None]:
        """The client's, requests' and JSON errors as one located ResultsDBError."""
        where = f"ResultsDB at {url}"
        try:
            yield
        except self._errors as exc:
            raise ResultsDBError(f"{where}: {self._client_message(exc)}") from None
        except requests.exceptions.RequestException as exc:
            if _timed_out(exc):
                raise ResultsDBError(
                    f"{where}: no answer within {self.settings.timeout:g}s "
                    f"({self.settings.retries} retries); raise resultsdb.timeout or try later"
                ) from None
            if isinstance(exc, requests.exceptions.ConnectionError):
                raise ResultsDBError(f"{where}: cannot connect: {_reason(exc)}") from None
            if not isinstance(exc, ValueError):
                raise ResultsDBError(f"{where}: {_reason(exc)}") from None
            raise ResultsDBError(f"{where}: the answer is not valid JSON: {exc}") from None
        except ValueError as exc:  # a 2xx answer that is not JSON
            raise ResultsDBError(f"{where}: the answer is not valid JSON: {exc}") from None

    def _client_message(self, exc: Exception) -> str:
        """resultsdb-api's message: ``<server message> (HTTP <status>)``, or a retry summary."""
        message = str(getattr(exc, "message", "") or exc)
        gave_up = re.search(r"too many (\d{3}) error responses", message)
        if gave_up:
            return (
                f"answered HTTP {gave_up.group(1)} {self.settings.retries + 1} times "
                f"(resultsdb.retries = {self.settings.retries}); try again later"
            )
        if message.startswith("Maximum number of retries exceeded"):
            return f"gave up after {self.settings.retries} retries: {message}"
        return message


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """An exception and the ones it wraps (``args[0]``, ``reason``, ``__context__``)."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        first = item.args[0] if item.args else None
        reason = getattr(item, "reason", None)
        for nxt in (first, reason, item.__context__):
            if isinstance(nxt, BaseException):
                todo.append(nxt)


def _timed_out(exc: BaseException) -> bool:
    """Whether a timeout is behind ``exc`` (urllib3's NewConnectionError, a refused or failed
    connection, is a ConnectTimeoutError by inheritance only)."""
    return any(
        isinstance(e, requests.exceptions.Timeout | urllib3.exceptions.TimeoutError | TimeoutError)
        and not isinstance(e, urllib3.exceptions.NewConnectionError)
        for e in _chain(exc)
    )


def _reason(exc: BaseException) -> str:
    """The innermost reason of a connection error, without urllib3's object reprs."""
    innermost = list(_chain(exc))[-1]
    text = str(innermost)
    return text.split(": ", 1)[-1] if "object at 0x" in text else text


def pull(settings: ResultsDBSettings, compose_id: str) -> list[Result]:
    """One pull: the compose's results from the configured ResultsDB."""
    with ResultsDBClient(settings) as client:
        results = client.results(compose_id)
    log.info("ResultsDB at %s: %d results for %s", settings.url, len(results), compose_id)
    return results
