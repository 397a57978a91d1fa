"""Grading in a worker thread, so the page stays responsive while a grader is slow.

Streamlit can stop a script run (to handle a click such as "Use the offline
grade now") only when the script sends something to the page. A grade that
blocks the script thread in an HTTP call would hold the user until it ends;
here the script thread waits on a queue and ticks, and the worker is told to
stop when the run is abandoned.
"""

from __future__ import annotations

import queue
import threading
import time
from typing import Callable, Iterable, Iterator

_DONE = object()


class _Failed:
    def __init__(self, exc: BaseException):
        self.exc = exc


class BackgroundStream:
    """Iterates a stream in a daemon thread; `items()` hands its items to the caller."""

    def __init__(self, stream: Iterable[str]):
        self._queue: queue.Queue = queue.Queue()
        self._cancel = threading.Event()
        self.thread = threading.Thread(target=self._work, args=(stream,), name="grading",
                                       daemon=True)
        self.thread.start()

    def _work(self, stream: Iterable[str]) -> None:
        try:
            for item in stream:
                if self._cancel.is_set():
                    return  # nobody is reading: stop before the next request or retry
                self._queue.put(item)
        except BaseException as exc:  # noqa: BLE001 - handed to the reading thread
            self._queue.put(_Failed(exc))
        finally:
            self._queue.put(_DONE)

    def cancel(self) -> None:
        """Stop the worker at its next item."""
        self._cancel.set()

    def items(self, tick_s: float = 0.5,
              on_tick: Callable[[float], None] | None = None) -> Iterator[str]:
        """The stream's items in order; `on_tick(seconds waited)` while none arrives.

        An exception in the worker is raised here. If the reader stops early
        (a rerun interrupts the page), the worker is cancelled.
        """
        start = time.monotonic()
        try:
            while True:
                try:
                    item = self._queue.get(timeout=tick_s)
                except queue.Empty:
                    if on_tick:
                        on_tick(time.monotonic() - start)
                    continue
                if item is _DONE:
                    return
                if isinstance(item, _Failed):
                    raise item.exc
                yield item
        finally:
            self.cancel()
