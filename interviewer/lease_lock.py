"""One builder at a time across replicas: a lease held in the shared database.

With a Chroma server, the index is no longer a folder on this computer, so
a file lock cannot keep two replicas (perhaps on two hosts) from building it
at once. The lock is a row in the database the replicas already share
(``Store.take_lease``): taken in one statement, renewed by a background
thread while held, and given back at the end. A holder that dies stops
renewing, and its lease runs out after ``LEASE_TTL_S``, so a crash never
leaves the index locked for good.

It offers what ``IndexLock`` offers (``hold``, ``held``, ``holder``) so the
index uses either without knowing which.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from typing import Callable, Iterator

from .index_lock import WAIT_ENV, IndexUnavailableError

# A builder renews every third of this; one that stopped renewing (killed, or
# a stalled host) loses the lease after it. Long enough that a busy 2-core
# machine never misses a renewal, short enough that a crash costs a minute.
LEASE_TTL_S = 60.0
POLL_S = 0.5


class LeaseLock:
    """A re-entrant lock named `name` in a store's database, with waiting messages."""

    def __init__(self, store, name: str, wait_s: float,
                 on_wait: Callable[[str], None] | None = None, ttl_s: float = LEASE_TTL_S):
        self.store = store
        self.name = name
        self.wait_s = float(wait_s)
        self.ttl_s = float(ttl_s)
        self.on_wait = on_wait or (lambda message: print(message, file=sys.stderr))
        self.holder_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        # Threads of this process queue here first: the lease is per process.
        self._local_lock = threading.RLock()
        self._depth = 0
        self._stop: threading.Event | None = None

    def holder(self) -> dict | None:
        """Who holds the lease now (None when it is free)."""
        return self.store.lease(self.name)

    @property
    def held(self) -> bool:
        """Whether this process holds the lease."""
        return self._depth > 0

    def _describe(self, row: dict | None) -> str:
        if not row:
            return "another process"
        since = time.strftime("%H:%M:%S", time.localtime(row["since"]))
        return f"{row['holder']} ({row['purpose']} since {since})"

    def _acquire(self, purpose: str) -> None:
        deadline = time.monotonic() + self.wait_s
        told = False
        while not self.store.take_lease(self.name, self.holder_id, purpose, self.ttl_s):
            if not told:
                self.on_wait(f"the index is in use by {self._describe(self.holder())}; "
                             f"waiting up to {self.wait_s:.0f} s ({WAIT_ENV})")
                told = True
            if time.monotonic() >= deadline:
                raise IndexUnavailableError(
                    f"the index is still in use by {self._describe(self.holder())} after "
                    f"{self.wait_s:.0f} s; try again when it has finished, or wait longer "
                    f"with {WAIT_ENV}=SECONDS")
            time.sleep(POLL_S)
        self._stop = threading.Event()
        threading.Thread(target=self._renew, args=(purpose, self._stop), daemon=True,
                         name=f"lease-{self.name}").start()

    def _renew(self, purpose: str, stop: threading.Event) -> None:
        while not stop.wait(self.ttl_s / 3):
            try:
                self.store.take_lease(self.name, self.holder_id, purpose, self.ttl_s)
            except Exception as exc:  # the database blinked; the next renewal may work
                print(f"warning: could not renew the index lease: {type(exc).__name__}",
                      file=sys.stderr)

    @contextmanager
    def hold(self, purpose: str = "building") -> Iterator[None]:
        """Hold the lease; wait up to ``wait_s`` for another holder, saying so once."""
        with self._local_lock:
            if self._depth == 0:
                self._acquire(purpose)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    assert self._stop is not None
                    self._stop.set()
                    self.store.release_lease(self.name, self.holder_id)


__all__ = ["LeaseLock", "LEASE_TTL_S"]
