"""Where a compose's files come from: a local directory or an HTTP(S) URL.

A :class:`Source` reads files by path relative to its root. :func:`open_source` roots
one at a location as given; :func:`compose_top` moves it to the compose's top
directory (the one holding ``STATUS``), whether the location named the top or its
``compose/`` directory.

HTTP reads time out (30 s by default) and are retried with exponential backoff on
connection errors, timeouts, 5xx and 429 answers (3 retries by default); a 404 or 410
is :class:`FileNotFoundError`, and anything else that fails is :class:`FetchError`.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

from gatekeeper.errors import InputError

DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRIES = 3
DEFAULT_BACKOFF = 1.0  # seconds before the first retry; doubled for each next one
MAX_RETRY_AFTER = 60.0  # a server's Retry-After is obeyed up to this many seconds

COMPOSEINFO = "compose/metadata/composeinfo.json"
_USER_AGENT = "gatekeeper (productmd reader)"
_T = TypeVar("_T")


class FetchError(OSError):
    """A file could not be read over HTTP (after the retries, when retrying made sense)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the last HTTP status, None for a connection error or timeout


class Source(Protocol):
    """Files of one directory tree, read by relative path (``/``-separated)."""

    @property
    def location(self) -> str:
        """The root, as a user would write it (a path or a URL)."""
        ...

    @property
    def is_remote(self) -> bool: ...

    def read_bytes(self, relpath: str) -> bytes:
        """The file's content. Raises FileNotFoundError when it does not exist."""
        ...

    def exists(self, relpath: str) -> bool: ...

    def describe(self, relpath: str) -> str:
        """How errors name the file: the relative path, or the full URL when remote."""
        ...

    def parent(self) -> Source:
        """The same kind of source, rooted one directory up."""
        ...


class LocalSource:
    """A directory on this machine."""

    is_remote = False

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    @property
    def location(self) -> str:
        return str(self.root)

    def read_bytes(self, relpath: str) -> bytes:
        return (self.root / relpath).read_bytes()

    def exists(self, relpath: str) -> bool:
        return (self.root / relpath).exists()

    def describe(self, relpath: str) -> str:
        return relpath

    def parent(self) -> LocalSource:
        return LocalSource(self.root.resolve().parent)

    def __repr__(self) -> str:
        return f"LocalSource({self.location!r})"


class HttpSource:
    """A directory served over HTTP(S), read with the standard library's urllib."""

    is_remote = True

    def __init__(
        self,
        url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base = url if url.endswith("/") else url + "/"
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep

    @property
    def location(self) -> str:
        return self.base.rstrip("/")

    def url(self, relpath: str) -> str:
        return self.base + urllib.parse.quote(relpath.lstrip("/"), safe="/")

    def describe(self, relpath: str) -> str:
        return self.url(relpath)

    def parent(self) -> HttpSource:
        parts = urllib.parse.urlsplit(self.base)
        path = parts.path.rstrip("/")
        up = path.rsplit("/", 1)[0] + "/" if path else "/"
        return HttpSource(
            urllib.parse.urlunsplit(parts._replace(path=up, query="", fragment="")),
            timeout=self.timeout,
            retries=self.retries,
            backoff=self.backoff,
            sleep=self.sleep,
        )

    def read_bytes(self, relpath: str) -> bytes:
        url = self.url(relpath)

        def get() -> bytes:
            with self._open(url, "GET") as response:
                data: bytes = response.read()
                return data

        return self._retrying(url, get)

    def exists(self, relpath: str) -> bool:
        url = self.url(relpath)

        def probe(method: str) -> bool:
            try:
                with self._open(url, method):
                    return True
            except FileNotFoundError:
                return False

        try:
            return self._retrying(url, lambda: probe("HEAD"))
        except FetchError as exc:
            if exc.status in (405, 501):  # the server does not do HEAD: ask with GET
                return self._retrying(url, lambda: probe("GET"))
            raise

    def _open(self, url: str, method: str) -> http.client.HTTPResponse:
        request = urllib.request.Request(
            url, method=method, headers={"User-Agent": _USER_AGENT, "Accept": "*/*"}
        )
        try:
            response: http.client.HTTPResponse = urllib.request.urlopen(
                request, timeout=self.timeout
            )
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code in (404, 410):
                raise FileNotFoundError(f"{url}: HTTP {exc.code} {exc.reason}") from None
            raise _HttpStatus(exc.code, str(exc.reason), exc.headers.get("Retry-After")) from None
        return response

    def _retrying(self, url: str, attempt: Callable[[], _T]) -> _T:
        for number in range(self.retries + 1):
            try:
                return attempt()
            except _HttpStatus as exc:
                retry = (exc.code >= 500 and exc.code != 501) or exc.code == 429
                problem = f"HTTP {exc.code} {exc.reason}"
                status: int | None = exc.code
                delay = _retry_after(exc.retry_after)
            except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
                if isinstance(exc, FileNotFoundError):
                    raise
                retry = True
                reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
                problem = str(reason) or type(reason).__name__
                status = None
                delay = None
            if not retry:
                raise FetchError(f"{url}: {problem}", status)
            if number == self.retries:
                tries = self.retries + 1
                raise FetchError(f"{url}: {problem} (gave up after {tries} attempts)", status)
            self.sleep(delay if delay is not None else self.backoff * 2**number)
        raise AssertionError("unreachable")

    def __repr__(self) -> str:
        return f"HttpSource({self.location!r})"


class _HttpStatus(Exception):
    def __init__(self, code: int, reason: str, retry_after: str | None) -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason
        self.retry_after = retry_after


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (the date form is ignored), capped."""
    if value is None or not value.strip().isdigit():
        return None
    return min(float(value.strip()), MAX_RETRY_AFTER)


def open_source(
    location: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
    backoff: float = DEFAULT_BACKOFF,
) -> Source:
    """A source rooted at ``location``: an ``http(s)://`` URL or a local directory.

    A local location that is not a directory is an :class:`InputError`; a URL is not
    contacted until something is read.
    """
    scheme = urllib.parse.urlsplit(location).scheme.lower()
    if scheme in ("http", "https"):
        return HttpSource(location, timeout=timeout, retries=retries, backoff=backoff)
    if "://" in location:
        raise InputError(
            f"{location}: unsupported URL scheme {scheme!r}: use a local path, http:// or https://"
        )
    path = Path(location)
    if not path.is_dir():
        what = "is not a directory" if path.exists() else "does not exist"
        raise InputError(f"{location} {what}: give a compose's top directory or its compose/")
    return LocalSource(path)


def compose_top(source: Source) -> Source:
    """The source rooted at the compose's top directory.

    ``source`` may be the top (it holds ``STATUS`` or ``compose/metadata/composeinfo.json``)
    or its ``compose/`` directory (it holds ``metadata/composeinfo.json``; ``STATUS`` is
    one level up). When it is neither, it is returned as it is, and reading then reports
    which file is missing.
    """
    if source.exists(COMPOSEINFO) or source.exists("STATUS"):
        return source
    if source.exists("metadata/composeinfo.json"):
        return source.parent()
    return source


def load_json(top: Source, relpath: str) -> dict[str, Any]:
    """One metadata file as a JSON object. The raw bytes are dropped as soon as parsed."""
    file = top.describe(relpath)
    try:
        data = top.read_bytes(relpath)
    except FileNotFoundError as exc:
        raise InputError("does not exist", file=file) from exc
    except (FetchError, OSError) as exc:
        raise InputError(f"cannot be read: {exc}", file=file) from None
    try:
        doc = json.loads(data)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON: {exc.msg} (column {exc.colno})", file=file, line=exc.lineno
        ) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text: {exc.reason} at byte {exc.start}", file=file) from None
    del data
    if not isinstance(doc, dict):
        raise InputError(f"expected a JSON object, found {kind_of(doc)}", file=file)
    return doc


def kind_of(value: object) -> str:
    """What a JSON value is, for error messages: "an object", "a list", "null"..."""
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    names.update({int: "a number", float: "a number", type(None): "null"})
    return names.get(type(value), type(value).__name__)
