"""One long-running process per SQLite file: a lock file held for the process's life.

SQLite lets one connection write at a time, and a second server process on the same file
would make each wait for the other's writes (up to the busy timeout) with nothing gained.
So the long-running processes (``serve``, a dispatcher loop) take an exclusive
``flock`` on ``<database>.lock`` (``var/gatekeeper.db.lock``) and write their pid in it;
another process finding it taken is refused with that pid. The kernel frees the lock when
the process ends, however it ends; a stale pid left in the file means nothing.

One-shot commands never take it: they are short, and the busy timeout covers them.
Within one process every claim of one file shares the one lock (counted, so the last
:func:`release` frees it).
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

from gatekeeper.errors import ConfigError

_held: dict[str, tuple[int, int, int]] = {}  # lock file -> (pid, fd, claims)
_guard = threading.Lock()


def lock_file(database: str) -> Path:
    """The lock file of the SQLite database at ``database``."""
    return Path(f"{database}.lock")


def claim(database: str) -> None:
    """Hold the lock of ``database`` for this process, or raise ConfigError naming the
    process holding it."""
    path = lock_file(database)
    key = str(path.resolve())
    with _guard:
        held = _held.get(key)
        if held is not None and held[0] == os.getpid():
            _held[key] = (held[0], held[1], held[2] + 1)
            return
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _pid_in(fd)
            os.close(fd)
            raise ConfigError(
                f"{database} is in use by gatekeeper process {holder} (it holds {path}): "
                "SQLite serves one process; stop that one, or use PostgreSQL "
                "(database_url = postgresql+psycopg://...) to run several",
                key="database_url",
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        _held[key] = (os.getpid(), fd, 1)


def release(database: str) -> None:
    """Give one claim of ``database``'s lock back; the last one frees it."""
    key = str(lock_file(database).resolve())
    with _guard:
        held = _held.get(key)
        if held is None or held[0] != os.getpid():
            return
        pid, fd, claims = held
        if claims > 1:
            _held[key] = (pid, fd, claims - 1)
            return
        del _held[key]
        os.ftruncate(fd, 0)
        os.close(fd)


def _pid_in(fd: int) -> str:
    """The pid the holder wrote ("unknown" while it has not written it yet)."""
    text = os.pread(fd, 32, 0).decode(errors="replace").strip()
    return text if text.isdigit() else "unknown"
