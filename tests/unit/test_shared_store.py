"""What replicas share through the store: leases, sign-in sessions, roles (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import time

from interviewer import auth
from interviewer.store import Store


def test_a_lease_has_one_holder_until_it_is_released_or_runs_out(store_location):
    store = Store(store_location)
    assert store.take_lease("index", "a", "building", ttl_s=30)
    assert not store.take_lease("index", "b", "building", ttl_s=30)
    assert store.lease("index")["holder"] == "a"
    assert store.take_lease("index", "a", "building", ttl_s=30)  # renewal by its holder
    store.release_lease("index", "b")  # not b's to give back
    assert store.lease("index")["holder"] == "a"
    store.release_lease("index", "a")
    assert store.lease("index") is None
    assert store.take_lease("index", "b", "building", ttl_s=0.2)
    time.sleep(0.4)
    # b stopped renewing (killed): its lease ran out, and a may take it.
    assert store.lease("index") is None
    assert store.take_lease("index", "a", "building", ttl_s=30)


def test_threads_racing_for_a_free_lease_produce_exactly_one_winner(store_location):
    store = Store(store_location)
    wins, start = [], threading.Barrier(8)

    def race(name: str) -> None:
        start.wait()
        if store.take_lease("index", name, "building", ttl_s=30):
            wins.append(name)

    threads = [threading.Thread(target=race, args=(f"h{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(wins) == 1 and store.lease("index")["holder"] == wins[0]


def test_a_sign_in_opens_its_profile_until_it_ends_or_the_passphrase_changes(store_location):
    store = Store(store_location)
    auth.set_passphrase(store, "ana", "first passphrase", "first passphrase")
    token = auth.start_session(store, "ana")
    other = auth.start_session(store, "ana")
    reopened = Store(store_location)  # another replica, or this one restarted
    assert auth.session_profile(reopened, token) == "ana"
    assert auth.session_profile(reopened, "made-up-token") is None
    assert auth.session_profile(reopened, None) is None
    auth.end_session(reopened, token)
    assert auth.session_profile(store, token) is None
    assert auth.session_profile(store, other) == "ana"
    auth.set_passphrase(store, "ana", "second passphrase", "second passphrase")
    assert auth.session_profile(store, other) is None
    # Only a hash of the token is stored.
    rows = store.db.all("SELECT token_hash FROM sessions")
    assert all(token not in r["token_hash"] and other not in r["token_hash"] for r in rows)


def test_an_expired_sign_in_opens_nothing(store_location):
    store = Store(store_location)
    store.save_session("h", "ana", ttl_s=-1)
    assert store.session_profile("h") is None


def test_admin_needs_the_role_and_a_passphrase(store_location):
    store = Store(store_location)
    store.set_role("root", "admin")
    assert not auth.is_admin(store, "root")  # a role without a passphrase opens nothing
    auth.set_passphrase(store, "root", "admin passphrase", "admin passphrase")
    assert auth.is_admin(store, "root") and store.admins() == ["root"]
    store.set_role("root", None)
    assert not auth.is_admin(store, "root")


def test_profile_summaries_count_each_profiles_interviews(store_location):
    from .test_store import new_interview

    store = Store(store_location)
    store.save_new(new_interview(), "ana")
    store.save_new(new_interview(), "ana")
    store.save_new(new_interview(), "ben")
    auth.set_passphrase(store, "cy", "cy's passphrase", "cy's passphrase")
    rows = {r["profile"]: r for r in store.profile_summaries()}
    assert {p: rows[p]["interviews"] for p in rows} == {"ana": 2, "ben": 1, "cy": 0}
    assert rows["cy"]["has_passphrase"] and not rows["ana"]["has_passphrase"]
