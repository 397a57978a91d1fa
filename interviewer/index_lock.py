"""One process at a time inside the Chroma index folder.

Chroma's local client keeps the vector index in memory and writes it back
on its own schedule, so two processes writing one folder interleave their
flushes: chunks end up in the database but not in the vector index. Every
use of the index (a build, and each read) therefore holds an exclusive
file lock on ``<index>/index.lock``; the lock file names its holder, so
whoever waits can say who it waits for. Reads hold it for milliseconds,
a build for as long as it embeds.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from filelock import FileLock, Timeout

LOCK_NAME = "index.lock"
WAIT_ENV = "INTERVIEWER_INDEX_WAIT_S"


class IndexServerError(RuntimeError):
    """The Chroma server named by INTERVIEWER_CHROMA_URL cannot be reached."""


class IndexUnavailableError(RuntimeError):
    """The index could not be used: another process held it for too long."""


_registry_lock = threading.Lock()
_filelocks: dict[str, FileLock] = {}
_purposes: dict[str, str] = {}


def _shared_filelock(path: Path) -> FileLock:
    """One FileLock per lock file in this process.

    Two objects of one process on one folder then share the hold instead of
    waiting on each other; per-thread holds (filelock's default) keep the
    app's warm-up build and a session's query apart, as processes are.
    """
    key = str(path.resolve())
    with _registry_lock:
        if key not in _filelocks:
            def write_holder(fd: int) -> None:
                record = {"pid": os.getpid(), "purpose": _purposes.get(key, "reading"),
                          "since": time.time()}
                os.ftruncate(fd, 0)
                os.pwrite(fd, json.dumps(record).encode("utf-8"), 0)

            _filelocks[key] = FileLock(key, on_acquired=write_holder)
        return _filelocks[key]


def _describe(holder: dict | None) -> str:
    if not holder:
        return "another process"
    since = time.strftime("%H:%M:%S", time.localtime(holder.get("since", 0)))
    return f"pid {holder.get('pid', '?')} ({holder.get('purpose', 'using it')} since {since})"


class IndexLock:
    """Exclusive, re-entrant lock on an index folder, with waiting messages."""

    def __init__(self, index_dir: str | Path, wait_s: float,
                 on_wait: Callable[[str], None] | None = None):
        self.index_dir = Path(index_dir)
        self.path = self.index_dir / LOCK_NAME
        self.wait_s = float(wait_s)
        self.on_wait = on_wait or (lambda message: print(message, file=sys.stderr))
        self.index_dir.mkdir(parents=True, exist_ok=True)
        self._lock = _shared_filelock(self.path)

    def holder(self) -> dict | None:
        """Who holds the lock now, as its lock file says (None if unknown)."""
        try:
            return json.loads(self.path.read_text(encoding="utf-8") or "null")
        except (OSError, ValueError):
            return None

    @property
    def held(self) -> bool:
        """Whether this thread holds the lock."""
        return self._lock.is_locked

    @contextmanager
    def hold(self, purpose: str = "reading") -> Iterator[None]:
        """Hold the lock; wait up to ``wait_s`` for another holder, saying so once."""
        if not self._lock.is_locked:
            _purposes[str(self.path.resolve())] = purpose
            try:
                self._lock.acquire(timeout=0)
            except Timeout:
                who = _describe(self.holder())
                self.on_wait(f"the index at {self.index_dir} is in use by {who}; waiting up "
                             f"to {self.wait_s:.0f} s ({WAIT_ENV})")
                try:
                    self._lock.acquire(timeout=self.wait_s)
                except Timeout:
                    raise IndexUnavailableError(
                        f"the index at {self.index_dir} is still in use by "
                        f"{_describe(self.holder())} after {self.wait_s:.0f} s; try again when "
                        f"it has finished, or wait longer with {WAIT_ENV}=SECONDS") from None
        else:
            self._lock.acquire()  # re-entry: counts, never waits
        try:
            yield
        finally:
            self._lock.release()
