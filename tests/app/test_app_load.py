"""Per-run costs that every session pays, measured in the app's own process."""

from __future__ import annotations

import gc
import time

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest


@pytest.fixture()
def app(repo, fresh_data_dir, monkeypatch):
    monkeypatch.setenv("INTERVIEWER_DATA_DIR", str(fresh_data_dir))
    st.cache_resource.clear()
    yield lambda: AppTest.from_file(str(repo / "app.py"), default_timeout=240)
    st.cache_resource.clear()
    gc.unfreeze()  # give this test process its collector back


def test_long_lived_objects_are_frozen_after_warm_up_so_post_run_gc_is_cheap(app):
    """Streamlit collects garbage after every script run of every session: the model,
    libraries and question bank must not be scanned each time."""
    gc.unfreeze()
    at = app().run()
    assert not at.exception
    deadline = time.monotonic() + 240  # the warm-up thread loads the model meanwhile
    while gc.get_freeze_count() == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert gc.get_freeze_count() > 50_000
