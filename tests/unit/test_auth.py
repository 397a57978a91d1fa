"""Passphrases (scrypt hashes in a real SQLite store) and profile access rules."""

from __future__ import annotations

import sqlite3

import pytest

from interviewer import auth
from interviewer.interview import Interview, InterviewConfig
from interviewer.store import Store

from .test_interview import BANK


@pytest.fixture()
def store(tmp_path):
    return Store(tmp_path / "i.db")


def test_a_passphrase_is_stored_only_as_a_salted_scrypt_hash(store, tmp_path):
    auth.set_passphrase(store, "ana", "correct horse", "correct horse")
    auth.set_passphrase(store, "ben", "correct horse", "correct horse")
    raw = (tmp_path / "i.db").read_bytes() + b"".join(
        p.read_bytes() for p in tmp_path.glob("i.db-wal"))
    assert b"correct horse" not in raw
    rows = dict(sqlite3.connect(tmp_path / "i.db").execute(
        "SELECT profile, secret FROM profile_secrets").fetchall())
    assert rows["ana"].startswith("scrypt$32768$8$1$")
    assert rows["ana"] != rows["ben"]  # per-profile salt
    assert auth.unlock(store, "ana", "correct horse")
    assert not auth.unlock(store, "ana", "correct horse ")
    assert not auth.unlock(store, "cy", "correct horse")  # no passphrase: nothing unlocks


def test_new_passphrases_must_be_long_enough_and_typed_twice(store):
    with pytest.raises(auth.PassphraseError, match="at least 8"):
        auth.set_passphrase(store, "ana", "short", "short")
    with pytest.raises(auth.PassphraseError, match="differ"):
        auth.set_passphrase(store, "ana", "long enough", "long enougH")
    assert store.secret("ana") is None


def test_malformed_hashes_never_verify():
    assert not auth.verify_passphrase("x", "")
    assert not auth.verify_passphrase("x", "md5$abc")
    assert not auth.verify_passphrase("x", "scrypt$a$b$c$d$e")
    assert auth.verify_passphrase("open sesame", auth.hash_passphrase("open sesame"))


@pytest.mark.parametrize("host,loopback", [
    ("127.0.0.1", True), ("127.0.1.1", True), ("::1", True), ("[::1]", True),
    ("localhost", True), (None, False), ("", False), ("0.0.0.0", False), ("::", False),
    ("192.168.1.20", False), ("example.org", False)])
def test_loopback_addresses(host, loopback):
    assert auth.is_loopback(host) is loopback


def test_profile_names_are_trimmed():
    assert auth.clean_profile("  ana ") == "ana"
    assert auth.clean_profile("   ") == auth.clean_profile(None) == "default"


def test_local_profiles_open_unless_they_have_a_passphrase(store):
    store.save_new(Interview.start(InterviewConfig(sections=[1]), BANK), profile="ana")
    assert auth.access(store, "ana", remote=False, unlocked=False).allowed
    assert auth.access(store, "new", remote=False, unlocked=False).allowed
    auth.set_passphrase(store, "ana", "ana's secret", "ana's secret")
    assert auth.access(store, "ana", remote=False, unlocked=False).state == "locked"
    assert auth.access(store, "ana", remote=False, unlocked=True).allowed


def test_beyond_localhost_every_profile_needs_a_passphrase(store):
    store.save_new(Interview.start(InterviewConfig(sections=[1]), BANK), profile="ana")
    refused = auth.access(store, "ana", remote=True, unlocked=False)
    assert refused.state == "refused" and "interviewer passphrase ana" in refused.message
    assert auth.access(store, "new", remote=True, unlocked=False).state == "claim"
    auth.set_passphrase(store, "ana", "ana's secret", "ana's secret")
    assert auth.access(store, "ana", remote=True, unlocked=False).state == "locked"
    assert auth.access(store, "ana", remote=True, unlocked=True).allowed


def test_creating_a_profile_never_replaces_someone_elses_passphrase(store):
    assert auth.set_passphrase(store, "ana", "first claim", "first claim", replace=False)
    assert not auth.set_passphrase(store, "ana", "second claim", "second claim", replace=False)
    assert auth.unlock(store, "ana", "first claim")
    assert auth.set_passphrase(store, "ana", "changed by ana", "changed by ana")
    assert auth.unlock(store, "ana", "changed by ana")
