"""Profiles in the app: no name list, passphrases, and refusal beyond localhost."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from interviewer import auth
from interviewer.interview import InterviewConfig
from interviewer.store import Store


@pytest.fixture()
def app(repo, fresh_data_dir, monkeypatch):
    monkeypatch.setenv("INTERVIEWER_DATA_DIR", str(fresh_data_dir))
    st.cache_resource.clear()
    yield lambda: AppTest.from_file(str(repo / "app.py"), default_timeout=240)
    st.cache_resource.clear()


@pytest.fixture()
def store(fresh_data_dir):
    return Store(fresh_data_dir / "interviewer.db")


@pytest.fixture()
def listening_everywhere():
    """The app as `interviewer run --host 0.0.0.0` starts it."""
    before = st_config.get_option("server.address")
    st_config.set_option("server.address", "0.0.0.0")
    yield
    st_config.set_option("server.address", before)


def seed_interview(store, who: str) -> None:
    from interviewer.interview import Interview
    from tests.unit.test_interview import BANK

    store.save_new(Interview.start(InterviewConfig(sections=[1]), BANK), profile=who)


def start_button(at):
    return [b for b in at.sidebar.button if b.label == "Start new interview"]


def test_the_profile_box_lists_no_other_profiles(app, store):
    seed_interview(store, "alice-private")
    seed_interview(store, "bob-private")
    at = app().run()
    help_text = at.sidebar.text_input(key="profile").help or ""
    assert "alice-private" not in help_text and "bob-private" not in help_text
    assert "alice-private" not in str(at) and "bob-private" not in str(at)


def test_a_protected_profile_asks_for_its_passphrase_locally(app, store):
    seed_interview(store, "ana")
    auth.set_passphrase(store, "ana", "ana's passphrase", "ana's passphrase")
    at = app().run()
    assert start_button(at)  # 'default' has no passphrase and the app is local
    at.sidebar.text_input(key="profile").set_value("  ana ").run()
    assert not start_button(at)
    assert any("protected" in i.value for i in at.info)
    at.text_input(key="passphrase").set_value("wrong one")
    at.button(key="open_profile").click().run()
    assert any(e.value == "Wrong passphrase." for e in at.error) and not start_button(at)
    at.text_input(key="passphrase").set_value("ana's passphrase")
    at.button(key="open_profile").click().run()
    assert not at.exception, at.exception
    assert start_button(at)
    # The history view of the same session stays open; another session must ask again.
    at.segmented_control(key="view").set_value("History").run()
    assert at.title[0].value == "Practice history"
    other = app().run()
    other.sidebar.text_input(key="profile").set_value("ana").run()
    other.segmented_control(key="view").set_value("History").run()
    assert not [t for t in other.title if t.value == "Practice history"]


def test_beyond_localhost_an_existing_profile_without_passphrase_is_refused(
        app, store, listening_everywhere):
    seed_interview(store, "default")
    at = app().run()
    assert not start_button(at)
    assert any("interviewer passphrase default" in e.value for e in at.error)
    at.segmented_control(key="view").set_value("History").run()
    assert not [t for t in at.title if t.value == "Practice history"]


def test_beyond_localhost_a_new_profile_is_created_with_a_passphrase(
        app, store, listening_everywhere):
    at = app().run()
    assert not start_button(at)
    at.text_input(key="passphrase").set_value("short")
    at.text_input(key="passphrase_again").set_value("short")
    at.button(key="open_profile").click().run()
    assert any("at least 8" in e.value for e in at.error) and not start_button(at)
    at.text_input(key="passphrase").set_value("my new passphrase")
    at.text_input(key="passphrase_again").set_value("my new passphrase")
    at.button(key="open_profile").click().run()
    assert not at.exception, at.exception
    assert start_button(at)
    assert auth.unlock(store, "default", "my new passphrase")
