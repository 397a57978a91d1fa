"""Accounts on a shared deployment: sign-ins that outlive a replica, sign-out, the admin view."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from interviewer import auth
from interviewer.store import Store

from .test_access import seed_interview, start_button


@pytest.fixture()
def database(postgres):
    import uuid

    return postgres.create_database(f"acc_{uuid.uuid4().hex[:10]}")


@pytest.fixture()
def app(repo, fresh_data_dir, database, monkeypatch):
    """The app as a replica on a shared PostgreSQL store (listening on loopback)."""
    monkeypatch.setenv("INTERVIEWER_DATA_DIR", str(fresh_data_dir))
    monkeypatch.setenv("INTERVIEWER_DATABASE_URL", database)
    st.cache_resource.clear()
    yield lambda: AppTest.from_file(str(repo / "app.py"), default_timeout=240)
    st.cache_resource.clear()


@pytest.fixture()
def store(database):
    return Store(database)


def sign_in(at, who: str, passphrase: str):
    at.sidebar.text_input(key="profile").set_value(who).run()
    at.text_input(key="passphrase").set_value(passphrase)
    at.button(key="open_profile").click().run()
    assert not at.exception, at.exception
    return at


def test_on_a_shared_database_even_a_loopback_replica_asks_for_passphrases(app, store):
    # Replicas behind a proxy listen on 127.0.0.1; the address says nothing about who reaches them.
    seed_interview(store, "default")
    at = app().run()
    assert not start_button(at)
    assert any("interviewer passphrase default" in e.value for e in at.error)


def test_a_sign_in_token_reopens_the_profile_on_another_session(app, store):
    auth.set_passphrase(store, "ana", "ana's passphrase", "ana's passphrase")
    at = sign_in(app().run(), "ana", "ana's passphrase")
    assert start_button(at)
    token = at.query_params[auth.SESSION_PARAM]
    token = token[0] if isinstance(token, list) else token
    # A reload, perhaps on another replica: a new session with the same URL.
    again = app()
    again.query_params[auth.SESSION_PARAM] = token
    again.run()
    assert not again.exception, again.exception
    assert again.sidebar.text_input(key="profile").value == "ana" and start_button(again)
    # Signing out ends the token everywhere.
    again.sidebar.button(key="sign_out").click().run()
    assert not start_button(again)
    third = app()
    third.query_params[auth.SESSION_PARAM] = token
    third.run()
    assert any("expired" in i.value for i in third.info)
    assert third.sidebar.text_input(key="profile").value == "default"


def test_only_an_admin_sees_every_profile_and_can_export_anyones_report(app, store):
    for who in ("ana", "ben"):
        seed_interview(store, who)
        auth.set_passphrase(store, who, f"{who}'s passphrase", f"{who}'s passphrase")
    auth.set_passphrase(store, "root", "root's passphrase", "root's passphrase")
    store.set_role("root", "admin")

    ordinary = sign_in(app().run(), "ana", "ana's passphrase")
    assert "Admin" not in ordinary.segmented_control(key="view").options
    assert "ben" not in str(ordinary)

    at = sign_in(app().run(), "root", "root's passphrase")
    assert "Admin" in at.segmented_control(key="view").options
    at.segmented_control(key="view").set_value("Admin").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Admin"
    listed = at.dataframe[0].value
    assert set(listed["profile"]) == {"ana", "ben", "root"}
    assert at.selectbox(key="admin_profile").options == ["ana", "ben", "root"]


def test_the_service_refuses_anyone_elses_report_to_a_non_admin(store, settings, kb, grader):
    from interviewer.service import InterviewService

    for who in ("ana", "ben"):
        seed_interview(store, who)
    auth.set_passphrase(store, "root", "root's passphrase", "root's passphrase")
    store.set_role("root", "admin")
    service = InterviewService(settings, kb, store, grader)
    with pytest.raises(PermissionError):
        service.profiles_for("ana")
    with pytest.raises(PermissionError):
        service.report_for("ana", "ben")
    assert "ana" in service.report_for("ana", "ana")  # one's own report is always there
    assert [r["profile"] for r in service.profiles_for("root")] == ["ana", "ben", "root"]
    assert "ben" in service.report_for("root", "ben")
