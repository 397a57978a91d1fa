"""Profile passphrases, and who may open a profile.

A passphrase is kept only as an scrypt hash (`hashlib.scrypt`, OpenSSL's
implementation) with a random per-profile salt, encoded as
`scrypt$<n>$<r>$<p>$<salt, base64>$<key, base64>`. The cost parameters are
stored with each hash, so raising them later leaves older hashes verifiable.

When the app listens only on the loopback interface, everyone who can reach it
is already on this computer, and profiles without a passphrase open freely.
When it listens beyond it, every profile needs a passphrase.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass
from typing import Literal

# scrypt cost: N=2^15, r=8, p=1 takes 32 MiB and ~0.1-0.3 s per guess on a
# laptop core, which makes guessing slow without making a login feel slow.
SCRYPT_N = 2 ** 15
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
KEY_BYTES = 32
MIN_PASSPHRASE_CHARS = 8
_SCHEME = "scrypt"


class PassphraseError(ValueError):
    """A passphrase that cannot be set (too short, or the two entries differ)."""


def _scrypt(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    # maxmem above the 128*n*r bytes scrypt needs; OpenSSL's default is 32 MiB.
    return hashlib.scrypt(passphrase.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                          maxmem=256 * n * r + 1024 * 1024, dklen=KEY_BYTES)


def hash_passphrase(passphrase: str) -> str:
    """An encoded scrypt hash of a passphrase with a fresh random salt."""
    salt = secrets.token_bytes(SALT_BYTES)
    key = _scrypt(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    b64 = base64.b64encode
    return "$".join([_SCHEME, str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P),
                     b64(salt).decode(), b64(key).decode()])


def verify_passphrase(passphrase: str, encoded: str) -> bool:
    """Whether a passphrase matches an encoded hash (compared in constant time)."""
    try:
        scheme, n, r, p, salt, key = encoded.split("$")
        if scheme != _SCHEME:
            return False
        expected = base64.b64decode(key)
        actual = _scrypt(passphrase, base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False  # a malformed stored hash never opens a profile
    return hmac.compare_digest(actual, expected)


def check_new_passphrase(passphrase: str, confirm: str) -> None:
    """Refuse a passphrase that is too short or was not typed the same twice."""
    if len(passphrase) < MIN_PASSPHRASE_CHARS:
        raise PassphraseError(f"A passphrase needs at least {MIN_PASSPHRASE_CHARS} characters.")
    if passphrase != confirm:
        raise PassphraseError("The two passphrases differ; type the same one twice.")


def is_loopback(host: str | None) -> bool:
    """Whether a listening address reaches only this computer.

    None or an empty address means every interface (Streamlit's default).
    """
    if not host:
        return False
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False  # a host name may resolve anywhere: treat it as reachable


def clean_profile(name: str | None) -> str:
    """A profile name as stored: surrounding spaces trimmed, empty means 'default'."""
    return (name or "").strip() or "default"


State = Literal["open", "locked", "claim", "refused"]


@dataclass(frozen=True)
class Access:
    """Whether a session may open a profile, and what to tell the user if not."""

    state: State
    message: str = ""

    @property
    def allowed(self) -> bool:
        """The session may read and write the profile."""
        return self.state == "open"


def access(store, profile: str, *, remote: bool, unlocked: bool) -> Access:
    """Decide if a session may open `profile`.

    `remote`: the app listens beyond localhost. `unlocked`: this session has
    already given the profile's passphrase (or set it).
    """
    if unlocked:
        return Access("open")
    if store.secret(profile) is not None:
        return Access("locked", "This profile is protected: enter its passphrase.")
    if not remote:
        return Access("open")
    if store.profile_exists(profile):
        # Letting the first remote visitor set a passphrase would hand them
        # someone else's history, so an existing profile is claimed locally.
        return Access("refused", "This app is reachable from other computers, and this profile "
                      "has no passphrase yet. Set one on the computer running the app: "
                      f"`interviewer passphrase {profile}`, or open the app there on "
                      "localhost.")
    return Access("claim", "This app is reachable from other computers, so a new profile needs "
                  "a passphrase. Choose one to create this profile.")


def unlock(store, profile: str, passphrase: str) -> bool:
    """Whether `passphrase` opens `profile` (False for a profile without one)."""
    stored = store.secret(profile)
    return stored is not None and verify_passphrase(passphrase, stored)


# A signed-in session lasts a working day; the token lives in the page's URL
# (Streamlit offers no server-set cookies), so a reload on any replica finds it.
SESSION_TTL_S = 12 * 3600
SESSION_PARAM = "s"


def _token_hash(token: str) -> str:
    # Only the hash is stored: a copy of the database opens no session.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(store, profile: str) -> str:
    """A new session token for a profile that has just been opened with its passphrase."""
    token = secrets.token_urlsafe(24)
    store.save_session(_token_hash(token), profile, SESSION_TTL_S)
    return token


def session_profile(store, token: str | None) -> str | None:
    """The profile a session token opens (None when missing, unknown or expired)."""
    if not token or len(token) > 100:
        return None
    return store.session_profile(_token_hash(token))


def end_session(store, token: str | None) -> None:
    """Sign a session out."""
    if token:
        store.end_session(_token_hash(token))


def is_admin(store, profile: str) -> bool:
    """Whether a profile may list every profile and read anyone's report."""
    return store.role(profile) == "admin" and store.secret(profile) is not None


def set_passphrase(store, profile: str, passphrase: str, confirm: str,
                   replace: bool = True) -> bool:
    """Check and store a new passphrase for a profile.

    With `replace=False` (creating a profile) an existing passphrase wins and
    False is returned.
    """
    check_new_passphrase(passphrase, confirm)
    changed = store.set_secret(profile, hash_passphrase(passphrase), replace=replace)
    if changed and replace:
        # A new passphrase signs out every session opened with the old one.
        store.end_sessions(profile)
    return changed
