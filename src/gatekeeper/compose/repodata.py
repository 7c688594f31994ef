"""A compose's repository metadata, read with createrepo_c: sizes and checksums of its RPMs.

A compose's repositories are the directories holding its RPMs' ``Packages/``:
``<variant>/<arch>/os`` for binary RPMs, ``<variant>/source/tree`` for SRPMs (productmd
paths, relative to the compose's ``compose/`` directory). Each one's ``repodata/repomd.xml``
names its primary metadata, whose packages give ``size`` and ``checksum`` per
``location_href``. :class:`RepodataCache` reads them from disk or over HTTP: remote files are
downloaded once into a cache directory per compose (a compose never changes), and parsed
repositories are kept in memory for the composes asked for most recently, and on disk
(``index.msgpack`` beside the downloads, keyed by the primary metadata's checksum in
repomd.xml) so that another process or a restart does not parse them again.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import msgspec

from gatekeeper.compose.fetch import Source
from gatekeeper.errors import FetchError, InputError, Unavailable

_CHECKSUM_NAMES = {"sha": "sha1"}  # createrepo's old spelling of sha1


class RepoPackage(NamedTuple):
    """What primary.xml says of one package file."""

    size: int
    checksum: str  # "sha256:<hex>"


class _Index(msgspec.Struct):
    """A repository's parsed primary metadata, kept on disk per compose."""

    primary: str  # the primary record's checksum in repomd.xml: a changed repo is read again
    generated: str | None
    packages: dict[str, RepoPackage]


@dataclass(frozen=True, slots=True)
class Repo:
    """One repository of a compose: its packages by ``location_href``."""

    path: str  # relative to compose/: BaseOS/x86_64/os
    generated: str | None  # newest repomd record timestamp, ISO 8601 UTC
    primary: Path  # the primary metadata file on this machine (for libsolv)
    packages: dict[str, RepoPackage]


def quiet_rpm() -> None:
    """Point librpm (loaded by createrepo_c and libsolv) at an empty configuration when the
    machine has none, so that it does not print an error on stderr for each process."""
    if "RPM_CONFIGDIR" not in os.environ and not Path("/usr/lib/rpm/rpmrc").exists():
        os.environ["RPM_CONFIGDIR"] = str(Path(__file__).with_name("rpmconfig"))


def repo_path_of(rpm_path: str) -> tuple[str, str]:
    """``BaseOS/x86_64/os/Packages/b/bash.rpm`` -> (``BaseOS/x86_64/os``, ``Packages/b/bash.rpm``):
    the repository an RPM path is in, and its path in the repository."""
    root, sep, rest = rpm_path.partition("/Packages/")
    if sep:
        return root, f"Packages/{rest}"
    root, _, name = rpm_path.rpartition("/")
    return root, name


def _iso(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class RepodataCache:
    """Parsed repositories of composes: ``repo(top, compose_id, path)``.

    ``cache_dir`` holds downloaded metadata (``<compose>/<repo>/repodata/...``); ``keep``
    composes' parsed repositories stay in memory. Thread-safe.
    """

    def __init__(self, cache_dir: Path, *, keep: int = 4) -> None:
        self.cache_dir = cache_dir
        self.keep = keep
        self._parsed: OrderedDict[str, dict[str, Repo | None]] = OrderedDict()
        self._lock = threading.Lock()

    def repo(self, top: Source, compose_id: str, path: str) -> Repo | None:
        """The repository at ``path`` of the compose at ``top``; None when it has no
        ``repodata/repomd.xml``. Unreadable or malformed metadata is an error."""
        with self._lock:
            known = self._parsed.get(compose_id)
            if known is not None and path in known:
                self._parsed.move_to_end(compose_id)
                return known[path]
        repo = self._read(top, compose_id, path)
        with self._lock:
            self._parsed.setdefault(compose_id, {})[path] = repo
            self._parsed.move_to_end(compose_id)
            while len(self._parsed) > self.keep:
                self._parsed.popitem(last=False)
        return repo

    def local_file(self, top: Source, compose_id: str, relpath: str) -> Path | None:
        """A file of the compose (``relpath`` from its top) as a file on this machine: a
        remote one is downloaded once into the cache. None when it does not exist."""
        if not top.is_remote:
            local = Path(top.location) / relpath
            return local if local.is_file() else None
        target = self.cache_dir / compose_id / relpath
        if target.is_file():
            return target
        try:
            data = top.read_bytes(relpath)
        except FileNotFoundError:
            return None
        except (FetchError, OSError) as exc:
            raise Unavailable(f"cannot be read now: {exc}", file=top.describe(relpath)) from None
        _write_atomically(target, data)
        return target

    def read_bytes(self, top: Source, compose_id: str, relpath: str) -> bytes | None:
        """:meth:`local_file`'s content (rpms.json of a remote compose is fetched once)."""
        local = self.local_file(top, compose_id, relpath)
        return None if local is None else local.read_bytes()

    def _read(self, top: Source, compose_id: str, path: str) -> Repo | None:
        quiet_rpm()
        import createrepo_c as cr

        repomd_rel = f"compose/{path}/repodata/repomd.xml"
        repomd_file = self.local_file(top, compose_id, repomd_rel)
        if repomd_file is None:
            return None
        where = top.describe(repomd_rel)
        repomd = cr.Repomd()
        try:
            cr.xml_parse_repomd(str(repomd_file), repomd)
        except Exception as exc:  # createrepo_c raises its own error type
            raise InputError(f"malformed repomd.xml: {exc}", file=where) from None
        records = {record.type: record for record in repomd.records}
        primary = records.get("primary")
        if primary is None or not primary.location_href:
            raise InputError("names no primary metadata", file=where, key="data[@type=primary]")
        primary_rel = f"compose/{path}/{primary.location_href}"
        primary_file = self.local_file(top, compose_id, primary_rel)
        if primary_file is None:
            raise InputError("does not exist (repomd.xml names it)", file=top.describe(primary_rel))
        stamps = [record.timestamp for record in repomd.records if record.timestamp]
        generated = _iso(max(stamps)) if stamps else None
        index_file = self.cache_dir / compose_id / "compose" / path / "repodata" / "index.msgpack"
        key = f"{primary.checksum_type}:{primary.checksum}"
        index = self._load_index(index_file)
        if index is not None and index.primary == key:
            return Repo(path, generated, primary_file, index.packages)
        packages: dict[str, RepoPackage] = {}

        def add(pkg: Any) -> None:
            kind = (pkg.checksum_type or "").lower()
            checksum = f"{_CHECKSUM_NAMES.get(kind, kind)}:{pkg.pkgId}"
            packages[pkg.location_href] = RepoPackage(pkg.size_package, checksum)

        try:
            cr.xml_parse_primary(str(primary_file), pkgcb=add, do_files=False)
        except Exception as exc:
            raise InputError(
                f"malformed primary metadata: {exc}", file=top.describe(primary_rel)
            ) from None
        _write_atomically(index_file, _ENCODER.encode(_Index(key, generated, packages)))
        return Repo(path, generated, primary_file, packages)

    @staticmethod
    def _load_index(index_file: Path) -> _Index | None:
        try:
            return msgspec.msgpack.decode(index_file.read_bytes(), type=_Index)
        except (OSError, msgspec.MsgspecError):
            return None  # none yet, or unusable: parse the primary metadata again


_ENCODER = msgspec.msgpack.Encoder()


def _write_atomically(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
