"""BackgroundStream: items in order, errors re-raised, a stopped reader stops the worker."""

from __future__ import annotations

import time

import pytest

from interviewer.waiting import BackgroundStream


def test_items_arrive_in_order_and_ticks_are_called_while_waiting():
    def slow():
        yield "a"
        time.sleep(0.35)
        yield "b"

    ticks = []
    assert list(BackgroundStream(slow()).items(tick_s=0.1, on_tick=ticks.append)) == ["a", "b"]
    assert ticks and ticks == sorted(ticks)


def test_an_error_in_the_worker_is_raised_to_the_reader():
    def broken():
        yield "a"
        raise RuntimeError("model missing")

    with pytest.raises(RuntimeError, match="model missing"):
        list(BackgroundStream(broken()).items(tick_s=0.05))


def test_a_reader_that_stops_early_stops_the_worker():
    produced = []

    def endless():
        for i in range(1000):
            time.sleep(0.01)  # like a grader between requests: 10 s in all
            produced.append(i)
            yield str(i)

    bg = BackgroundStream(endless())
    reader = bg.items(tick_s=0.05)
    assert next(reader) == "0"
    reader.close()  # what a Streamlit rerun does to the generator
    bg.thread.join(timeout=5)
    assert not bg.thread.is_alive() and len(produced) < 1000
