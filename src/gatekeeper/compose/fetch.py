"""Where a compose's files come from: a local directory (a path or ``file://`` URL) or HTTP(S).

A :class:`Source` reads files by path relative to its root. :func:`open_source` roots one at a
location as given; :func:`compose_top` moves it to the compose's top directory (the one holding
``STATUS``), whether the location named the top or its ``compose/`` directory.

HTTP reads time out (30 s by default) and are retried with exponential backoff on connection
errors, timeouts, 5xx and 429 answers (3 retries by default); a 404 or 410 is
:class:`FileNotFoundError`, and anything else that fails is :class:`FetchError`.

Metadata files are JSON (:func:`load_json`, :func:`load_rpms`) with located errors."""

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

import msgspec

from gatekeeper.compose.located import kind_of
from gatekeeper.errors import FetchError as FetchError  # where readers look for it
from gatekeeper.errors import InputError

DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRIES = 3
DEFAULT_BACKOFF = 1.0  # seconds before the first retry; doubled for each next one
MAX_RETRY_AFTER = 60.0  # a server's Retry-After is obeyed up to this many seconds

COMPOSEINFO = "compose/metadata/composeinfo.json"
RPMS = "compose/metadata/rpms.json"
RPMS_LEGACY = "compose/metadata/rpm-manifest.json"  # its name in old composes
_USER_AGENT = "gatekeeper (productmd reader)"
_T = TypeVar("_T")


class Source(Protocol):
    """Files of one directory tree, read by relative path (``/``-separated)."""

    @property
    def location(self) -> str:
        """The root, as a user would write it (a path or a URL)."""

    @property
    def is_remote(self) -> bool: ...

    def read_bytes(self, relpath: str) -> bytes:
        """The file's content. Raises FileNotFoundError when it does not exist."""

    def exists(self, relpath: str) -> bool: ...

    def describe(self, relpath: str) -> str:
        """How errors name the file: the relative path, or the full URL when remote."""

    def parent(self) -> Source:
        """The same kind of source, rooted one directory up."""


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
        self.timeout, self.retries, self.backoff, self.sleep = timeout, retries, backoff, sleep

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
                return response.read()

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
                status, delay = None, None
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
        self.code, self.reason, self.retry_after = code, reason, retry_after


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
    """A source rooted at ``location``: an ``http(s)://`` URL, or a local directory (a path,
    or a ``file://`` URL: :func:`file_url_path`). A local location that is not a directory,
    or another URL, is an :class:`InputError`; a URL is not contacted until it is read."""
    if not location.strip():
        raise InputError("no compose location given: a path, a file:// or an http(s):// URL")
    parts = _split(location)
    scheme = parts.scheme.lower()
    web = scheme in ("http", "https")
    if web and parts.hostname:
        return HttpSource(location, timeout=timeout, retries=retries, backoff=backoff)
    if scheme != "file" and "://" in location:
        what = "a URL without a host" if web else f"unsupported URL scheme {scheme!r}"
        raise InputError(f"{what}: use a local path, file://, http:// or https://", file=location)
    path = file_url_path(location) if scheme == "file" else Path(location)
    try:
        what = "" if path.is_dir() else "is not a directory" if path.exists() else "does not exist"
    except OSError as exc:  # a name too long for the system, a loop of links...
        raise InputError(f"cannot be looked up: {exc.strerror or exc}", file=location) from None
    if what:
        raise InputError(f"{location} {what}: give a compose's top directory or its compose/")
    return LocalSource(path)


def file_url_path(url: str) -> Path:
    """The path ``file:///abs/path`` names (also ``file:/abs/path``, ``file://localhost/...``),
    percent-decoded; another host, a relative path, a query or a fragment is refused."""
    parts = _split(url)
    try:
        path = urllib.parse.unquote(parts.path, errors="strict")
    except UnicodeDecodeError:
        path = ""  # not UTF-8: refused below
    if parts.netloc.lower() not in ("", "localhost"):
        why = f"names host {parts.netloc!r}: file:// reads this machine's files only"
    elif "?" in url or "#" in url:
        why = "a file:// URL has no query or fragment (in a path, write %3F for ?, %23 for #)"
    elif not path.startswith("/"):
        why = "expected an absolute path, percent-encoded UTF-8"
    else:
        return Path(path)
    raise InputError(f"{why}: give file:///absolute/path", file=url)


def _split(location: str) -> urllib.parse.SplitResult:
    try:
        return urllib.parse.urlsplit(location)
    except ValueError as exc:  # a "[" opening no IPv6 address
        raise InputError(f"not a URL: {exc}", file=location) from None


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


def read_file(top: Source, relpath: str) -> bytes:
    """One metadata file's bytes; a missing or unreadable file is a located InputError."""
    file = top.describe(relpath)
    try:
        return top.read_bytes(relpath)
    except FileNotFoundError as exc:
        raise InputError("does not exist", file=file) from exc
    except (FetchError, OSError) as exc:
        raise InputError(f"cannot be read: {exc}", file=file) from None


def parse_json(data: bytes, *, file: str) -> dict[str, Any]:
    """A metadata file's bytes as a JSON object (:mod:`json`: errors name the line)."""
    try:
        doc = json.loads(data)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON: {exc.msg} (column {exc.colno})", file=file, line=exc.lineno
        ) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text: {exc.reason} at byte {exc.start}", file=file) from None
    except ValueError as exc:  # an integer of more digits than Python converts
        number = str(exc).split(";")[0]
        raise InputError(f"not valid JSON: a number JSON readers cannot hold ({number})",
                         file=file) from None  # fmt: skip
    except RecursionError:
        raise InputError("not valid JSON: arrays and objects nested too deep to read",
                         file=file) from None  # fmt: skip
    if not isinstance(doc, dict):
        raise InputError(f"expected a JSON object, found {kind_of(doc)}", file=file)
    return doc


def load_json(top: Source, relpath: str) -> dict[str, Any]:
    """One metadata file as a JSON object. The raw bytes are dropped as soon as parsed."""
    return parse_json(read_file(top, relpath), file=top.describe(relpath))


class RpmEntry(msgspec.Struct):
    """An rpms.json entry decoded into types: its category (``type`` in a 0.3 manifest)."""

    category: Any = None
    type: Any = None


_Tree = dict[str, dict[str, dict[str, dict[str, RpmEntry]]]]  # variant, arch, SRPM, RPM


class _RpmsPayload(msgspec.Struct):
    compose: dict[str, Any]
    rpms: _Tree | msgspec.UnsetType = msgspec.UNSET
    manifest: _Tree | msgspec.UnsetType = msgspec.UNSET  # 0.3


class _Rpms(msgspec.Struct):
    header: dict[str, Any]
    payload: _RpmsPayload


def load_rpms(top: Source) -> tuple[dict[str, Any], str]:
    """rpms.json (rpm-manifest.json when it is absent) as a document, and how errors name it.

    Entries are :class:`RpmEntry` when msgspec decodes the file as :class:`_Rpms` (a CentOS
    Stream compose's ~115,000 in a third of the time and memory: no objects for their paths
    and sigkeys), else dicts from :func:`parse_json`, which names what is wrong in a bad file.
    """

    def load(relpath: str) -> dict[str, Any]:
        data = read_file(top, relpath)
        try:
            typed = msgspec.json.decode(data, type=_Rpms)
        except msgspec.MsgspecError:  # msgspec accepts no JSON that json refuses
            return parse_json(data, file=top.describe(relpath))  # json reads it or says why
        fields = {name: getattr(typed.payload, name) for name in ("compose", "rpms", "manifest")}
        payload = {name: value for name, value in fields.items() if value is not msgspec.UNSET}
        return {"header": typed.header, "payload": payload}

    try:
        return load(RPMS), top.describe(RPMS)
    except InputError as missing:
        if not isinstance(missing.__cause__, FileNotFoundError):
            raise
        try:
            return load(RPMS_LEGACY), top.describe(RPMS_LEGACY)
        except InputError:
            raise missing from None
