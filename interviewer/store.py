"""Persistence: interviews, every answered turn and its grade (SQLite or PostgreSQL, see db.py).

A turn and the interview's new state are written in one transaction before
the UI shows the grade, so a reload or a crash loses nothing that was shown.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path

from .db import Database, open_database
from .interview import Interview, InterviewError, Turn

SCHEMA_VERSION = 6

_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE interviews (
        id TEXT PRIMARY KEY,
        profile TEXT NOT NULL DEFAULT 'default',
        status TEXT NOT NULL CHECK (status IN ('open', 'done', 'abandoned')),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        config TEXT NOT NULL,
        state TEXT NOT NULL
    );
    CREATE INDEX interviews_open ON interviews (profile, status, updated_at);
    CREATE TABLE turns (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        interview_id TEXT NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        question_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        prompt TEXT NOT NULL,
        answer TEXT,
        skipped INTEGER NOT NULL DEFAULT 0,
        score REAL,
        grader TEXT,
        grade TEXT,
        created_at TEXT NOT NULL,
        UNIQUE (interview_id, seq)
    );
    """,
    # v2: the review schedule and history read turns by question and time.
    2: """
    CREATE INDEX turns_question ON turns (question_id, created_at);
    CREATE INDEX turns_interview ON turns (interview_id, seq);
    """,
    # v3: an answer is stored the moment it is submitted, before grading, and
    # removed in the transaction that stores its graded turn; profiles can
    # carry a passphrase hash (see auth.py for the format).
    3: """
    CREATE TABLE pending_answers (
        interview_id TEXT NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        answer TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (interview_id, seq)
    );
    CREATE TABLE profile_secrets (
        profile TEXT PRIMARY KEY,
        secret TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    """,
    # v4: spoken answers. The speaking feedback travels with the pending answer
    # and then the turn; a recording, when kept, has its own table so that
    # listing turns never reads audio.
    4: """
    ALTER TABLE pending_answers ADD COLUMN speech TEXT;
    ALTER TABLE turns ADD COLUMN speech TEXT;
    CREATE TABLE answer_audio (
        interview_id TEXT NOT NULL REFERENCES interviews (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        mime TEXT NOT NULL,
        audio BLOB NOT NULL,
        bytes INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (interview_id, seq)
    );
    """,
    # v5: timed practice. When an answer was submitted (epoch seconds, so the
    # time taken survives a crash between submitting and grading), and on each
    # turn the time taken and whether it ran over the interview's limit.
    5: """
    ALTER TABLE pending_answers ADD COLUMN submitted_at REAL;
    ALTER TABLE turns ADD COLUMN seconds REAL;
    ALTER TABLE turns ADD COLUMN late INTEGER NOT NULL DEFAULT 0;
    """,
    # v6: several replicas share one database. Leases let one process at a time
    # build the index; sign-in sessions outlive the replica that made them
    # (only a hash of the token is kept); profiles can be admins.
    6: """
    CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        purpose TEXT NOT NULL,
        since REAL NOT NULL,
        expires REAL NOT NULL
    );
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        profile TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires REAL NOT NULL
    );
    CREATE INDEX sessions_profile ON sessions (profile);
    CREATE TABLE profile_roles (
        profile TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('admin')),
        updated_at TEXT NOT NULL
    );
    """,
}

# A regraded turn replaces every column of the stored one (an upsert both
# engines accept; SQLite's INSERT OR REPLACE is not PostgreSQL).
_UPDATE_TURN = ", ".join(f"{c} = excluded.{c}" for c in (
    "question_id", "kind", "prompt", "answer", "skipped", "score", "grader", "grade",
    "created_at", "speech", "seconds", "late"))


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Store:
    """Interviews, turns and profiles in one database (``db.open_database``).

    Safe to share between threads (Streamlit sessions) and processes
    (replicas): every write is one transaction, and nothing is cached here.
    """

    def __init__(self, location: str | Path | Database):
        self.db = location if isinstance(location, Database) else open_database(location)
        self.migrate()

    def _write(self):
        return self.db.write()

    def migrate(self) -> int:
        """Apply pending schema migrations; returns the schema version."""
        with self._write() as tx:
            # Read inside the write lock: two processes starting together migrate once.
            version = self.db.schema_version(tx)
            for target in sorted(v for v in _MIGRATIONS if v > version):
                for statement in _MIGRATIONS[target].split(";"):
                    if statement.strip():
                        tx.execute(self.db.ddl(statement))
                self.db.set_schema_version(tx, target)
                version = target
            return version

    def close(self) -> None:
        """Release this store's connections (SQLite: this thread's)."""
        self.db.close()

    # -- writes ----------------------------------------------------------------

    def save_new(self, interview: Interview, profile: str = "default") -> None:
        """Record a freshly started interview."""
        now = _now()
        with self._write() as conn:
            conn.execute(
                "INSERT INTO interviews (id, profile, status, created_at, updated_at, config,"
                " state) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (interview.id, profile, _status(interview), now, now,
                 json.dumps(interview.to_dict()["config"]), json.dumps(interview.to_dict())),
            )

    def save_pending(self, interview: Interview, answer: str, speech: dict | None = None,
                     audio: tuple[bytes, str] | None = None,
                     submitted_at: float | None = None) -> None:
        """Store a submitted answer of the pending turn before it is graded.

        A spoken answer brings its speaking feedback and, when kept, its
        recording (bytes, MIME type), stored in the same transaction.
        """
        turn = interview.pending
        if turn is None:
            raise InterviewError("no question is waiting for an answer")
        seq = interview.turns.index(turn)
        with self._write() as conn:
            conn.execute("INSERT INTO pending_answers (interview_id, seq, answer,"
                         " created_at, speech, submitted_at) VALUES (?, ?, ?, ?, ?, ?)"
                         " ON CONFLICT (interview_id, seq) DO UPDATE SET answer = excluded.answer,"
                         " created_at = excluded.created_at, speech = excluded.speech,"
                         " submitted_at = excluded.submitted_at",
                         (interview.id, seq, answer, _now(),
                          json.dumps(speech) if speech else None, submitted_at))
            conn.execute("DELETE FROM answer_audio WHERE interview_id = ? AND seq = ?",
                         (interview.id, seq))
            if audio is not None:
                conn.execute("INSERT INTO answer_audio (interview_id, seq, mime, audio, bytes,"
                             " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                             (interview.id, seq, audio[1], audio[0], len(audio[0]), _now()))

    def pending_speech(self, interview: Interview) -> dict | None:
        """The speaking feedback stored with the pending turn's answer, if it was spoken."""
        row = self._pending_row(interview, "speech")
        return json.loads(row["speech"]) if row and row["speech"] else None

    def pending_submitted_at(self, interview: Interview) -> float | None:
        """When the pending turn's stored answer was submitted (epoch seconds)."""
        row = self._pending_row(interview, "submitted_at")
        return row["submitted_at"] if row else None

    def _pending_row(self, interview: Interview, column: str):
        turn = interview.pending
        if turn is None:
            return None
        return self.db.one(
            f"SELECT {column} FROM pending_answers WHERE interview_id = ? AND seq = ?",
            (interview.id, interview.turns.index(turn)))

    def audio(self, interview_id: str, seq: int) -> tuple[bytes, str] | None:
        """A kept recording of an answer: (bytes, MIME type)."""
        row = self.db.one("SELECT audio, mime FROM answer_audio WHERE interview_id = ?"
                                 " AND seq = ?", (interview_id, seq))
        return (bytes(row["audio"]), row["mime"]) if row else None

    def profile_of(self, interview_id: str) -> str:
        """The profile an interview belongs to."""
        row = self.db.one("SELECT profile FROM interviews WHERE id = ?",
                                 (interview_id,))
        return row["profile"] if row else "default"

    def audio_bytes(self, profile: str) -> int:
        """Bytes of recordings kept for a profile (for its size limit)."""
        row = self.db.one(
            "SELECT COALESCE(SUM(a.bytes), 0) AS total FROM answer_audio a JOIN interviews i "
            "ON i.id = a.interview_id WHERE i.profile = ?", (profile,))
        return int(row["total"])

    def discard_pending(self, interview_id: str, seq: int) -> None:
        """Forget a stored, ungraded answer (the user chose to drop it)."""
        with self._write() as conn:
            conn.execute("DELETE FROM pending_answers WHERE interview_id = ? AND seq = ?",
                         (interview_id, seq))
            conn.execute("DELETE FROM answer_audio WHERE interview_id = ? AND seq = ?",
                         (interview_id, seq))

    def save_turn(self, interview: Interview, turn: Turn) -> None:
        """Write a closed turn and the interview's new state atomically.

        The turn's stored pending answer, if any, goes in the same transaction,
        so at every moment the answer is either pending or graded.
        """
        seq = interview.turns.index(turn)
        grade = turn.grade or {}
        # "I don't know" has no grade but counts as 0 for the review schedule.
        score = 0.0 if turn.dont_know else grade.get("score")
        with self._write() as conn:
            conn.execute(
                "INSERT INTO turns (interview_id, seq, question_id, kind, prompt,"
                " answer, skipped, score, grader, grade, created_at, speech, seconds, late)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (interview_id, seq) DO UPDATE SET " + _UPDATE_TURN,
                (interview.id, seq, turn.question_id, turn.kind, turn.prompt, turn.answer,
                 int(turn.skipped), score, grade.get("grader"),
                 json.dumps(grade) if turn.grade else None, _now(),
                 json.dumps(turn.speech) if turn.speech else None, turn.seconds,
                 int(turn.late)),
            )
            conn.execute(
                "UPDATE interviews SET state = ?, status = ?, updated_at = ? WHERE id = ?",
                (json.dumps(interview.to_dict()), _status(interview), _now(), interview.id),
            )
            conn.execute("DELETE FROM pending_answers WHERE interview_id = ? AND seq = ?",
                         (interview.id, seq))

    def save_state(self, interview: Interview) -> None:
        """Write the interview's state alone (a request to the interviewer closes no turn)."""
        with self._write() as conn:
            conn.execute(
                "UPDATE interviews SET state = ?, status = ?, updated_at = ? WHERE id = ?",
                (json.dumps(interview.to_dict()), _status(interview), _now(), interview.id))

    def reopen(self, interview: Interview, seq: int) -> None:
        """Drop the stored turns from `seq` on and write the state, in one transaction
        (an answer taken back: it was a question to the interviewer)."""
        with self._write() as conn:
            conn.execute("DELETE FROM turns WHERE interview_id = ? AND seq >= ?",
                         (interview.id, seq))
            conn.execute("DELETE FROM answer_audio WHERE interview_id = ? AND seq >= ?",
                         (interview.id, seq))
            conn.execute(
                "UPDATE interviews SET state = ?, status = ?, updated_at = ? WHERE id = ?",
                (json.dumps(interview.to_dict()), _status(interview), _now(), interview.id))

    def abandon(self, interview_id: str) -> None:
        """Close an open interview without finishing it (the user started another)."""
        with self._write() as conn:
            conn.execute("UPDATE interviews SET status = 'abandoned', updated_at = ? "
                         "WHERE id = ? AND status = 'open'", (_now(), interview_id))

    def set_secret(self, profile: str, secret: str, replace: bool = True) -> bool:
        """Store a profile's passphrase hash (an encoded string from auth.py).

        With `replace=False` an existing hash is kept and False returned, so two
        people creating the same new profile at once cannot both own it.
        """
        action = ("DO UPDATE SET secret = excluded.secret, updated_at = excluded.updated_at"
                  if replace else "DO NOTHING")
        with self._write() as conn:
            cur = conn.execute("INSERT INTO profile_secrets (profile, secret, updated_at)"
                               f" VALUES (?, ?, ?) ON CONFLICT (profile) {action}",
                               (profile, secret, _now()))
            return cur.rowcount == 1

    # -- leases, sessions, roles -------------------------------------------------

    def take_lease(self, name: str, holder: str, purpose: str, ttl_s: float) -> bool:
        """Take (or renew) a named lease unless another holder has an unexpired one."""
        now = time.time()
        with self._write() as conn:
            # One statement, so two replicas racing for a free lease cannot both win.
            cur = conn.execute(
                "INSERT INTO leases (name, holder, purpose, since, expires) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
                " purpose = excluded.purpose, since = excluded.since, expires = excluded.expires"
                " WHERE leases.expires < ? OR leases.holder = excluded.holder",
                (name, holder, purpose, now, now + ttl_s, now))
            return cur.rowcount == 1

    def release_lease(self, name: str, holder: str) -> None:
        """Give a lease back (a no-op when another holder has it now)."""
        with self._write() as conn:
            conn.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))

    def lease(self, name: str) -> dict | None:
        """Who holds a lease, for what and until when (None when free or expired)."""
        row = self.db.one("SELECT holder, purpose, since, expires FROM leases WHERE name = ?",
                          (name,))
        return row if row and row["expires"] >= time.time() else None

    def save_session(self, token_hash: str, profile: str, ttl_s: float) -> None:
        """Remember a signed-in session by its token's hash."""
        with self._write() as conn:
            conn.execute("DELETE FROM sessions WHERE expires < ?", (time.time(),))
            conn.execute("INSERT INTO sessions (token_hash, profile, created_at, expires)"
                         " VALUES (?, ?, ?, ?)", (token_hash, profile, _now(),
                                                  time.time() + ttl_s))

    def session_profile(self, token_hash: str) -> str | None:
        """The profile a live session token opens (None when unknown or expired)."""
        row = self.db.one("SELECT profile FROM sessions WHERE token_hash = ? AND expires >= ?",
                          (token_hash, time.time()))
        return row["profile"] if row else None

    def end_session(self, token_hash: str) -> None:
        """Forget a session (signing out)."""
        with self._write() as conn:
            conn.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))

    def end_sessions(self, profile: str) -> None:
        """Forget every session of a profile (its passphrase changed)."""
        with self._write() as conn:
            conn.execute("DELETE FROM sessions WHERE profile = ?", (profile,))

    def set_role(self, profile: str, role: str | None) -> None:
        """Make a profile an admin (role 'admin') or an ordinary profile (None)."""
        with self._write() as conn:
            if role is None:
                conn.execute("DELETE FROM profile_roles WHERE profile = ?", (profile,))
            else:
                conn.execute("INSERT INTO profile_roles (profile, role, updated_at) VALUES"
                             " (?, ?, ?) ON CONFLICT (profile) DO UPDATE SET role = excluded.role,"
                             " updated_at = excluded.updated_at", (profile, role, _now()))

    def role(self, profile: str) -> str | None:
        """A profile's role ('admin'), or None."""
        row = self.db.one("SELECT role FROM profile_roles WHERE profile = ?", (profile,))
        return row["role"] if row else None

    def admins(self) -> list[str]:
        """Profiles with the admin role."""
        return [r["profile"] for r in self.db.all(
            "SELECT profile FROM profile_roles WHERE role = 'admin' ORDER BY profile")]

    def profile_summaries(self) -> list[dict]:
        """Every profile with its interview count and last activity (for admins)."""
        return self.db.all(
            "SELECT p.profile, COUNT(i.id) AS interviews, MAX(i.updated_at) AS last_active,"
            " MAX(CASE WHEN s.profile IS NULL THEN 0 ELSE 1 END) AS has_passphrase"
            " FROM (SELECT profile FROM interviews UNION SELECT profile FROM profile_secrets) p"
            " LEFT JOIN interviews i ON i.profile = p.profile"
            " LEFT JOIN profile_secrets s ON s.profile = p.profile"
            " GROUP BY p.profile ORDER BY p.profile")

    # -- reads -----------------------------------------------------------------

    def load(self, interview_id: str) -> Interview | None:
        """An interview by id."""
        row = self.db.one("SELECT state FROM interviews WHERE id = ?",
                                 (interview_id,))
        return Interview.from_dict(json.loads(row["state"])) if row else None

    def latest_open(self, profile: str = "default") -> Interview | None:
        """The most recent unfinished interview of a profile, to resume."""
        row = self.db.one(
            "SELECT state FROM interviews WHERE profile = ? AND status = 'open' "
            "ORDER BY updated_at DESC, rowid DESC LIMIT 1", (profile,))
        return Interview.from_dict(json.loads(row["state"])) if row else None

    def latest_done(self, profile: str = "default") -> Interview | None:
        """The profile's most recent interview when it is finished (not abandoned, and no
        newer one started): what the Interview view shows after a reload."""
        row = self.db.one(
            "SELECT state, status FROM interviews WHERE profile = ? "
            "ORDER BY updated_at DESC, rowid DESC LIMIT 1", (profile,))
        return Interview.from_dict(json.loads(row["state"])) \
            if row and row["status"] == "done" else None

    def turns(self, interview_id: str) -> list[dict]:
        """Stored turns of an interview, in order."""
        rows = self.db.all("SELECT * FROM turns WHERE interview_id = ? ORDER BY seq",
                                  (interview_id,))
        return [dict(r) | {"grade": json.loads(r["grade"]) if r["grade"] else None,
                           "speech": json.loads(r["speech"]) if r["speech"] else None}
                for r in rows]

    def interviews(self, profile: str = "default") -> list[dict]:
        """All interviews of a profile, newest first."""
        rows = self.db.all(
            "SELECT id, status, created_at, updated_at, config FROM interviews WHERE profile = ? "
            "ORDER BY created_at DESC, rowid DESC", (profile,))
        return [dict(r) | {"config": json.loads(r["config"])} for r in rows]

    def graded_events(self, profile: str = "default") -> list[dict]:
        """Main-question answers and skips of a profile, oldest first (for the schedule)."""
        rows = self.db.all(
            "SELECT t.question_id, t.score, t.skipped, t.created_at FROM turns t "
            "JOIN interviews i ON i.id = t.interview_id WHERE i.profile = ? AND t.kind = 'main' "
            "ORDER BY t.created_at, t.id", (profile,))
        return [dict(r) for r in rows]

    def profiles(self) -> list[str]:
        """Profile names with at least one interview."""
        return [r["profile"] for r in self.db.all(
            "SELECT DISTINCT profile FROM interviews ORDER BY profile")]

    def interviews_any(self) -> list[dict]:
        """Every interview of every profile, newest first."""
        rows = self.db.all(
            "SELECT id, profile, status, created_at, updated_at, config FROM interviews "
            "ORDER BY created_at DESC, rowid DESC")
        return [dict(r) | {"config": json.loads(r["config"])} for r in rows]

    def pending_answer(self, interview: Interview) -> str | None:
        """The stored, not yet graded answer to the interview's pending turn."""
        turn = interview.pending
        if turn is None:
            return None
        row = self.db.one(
            "SELECT answer FROM pending_answers WHERE interview_id = ? AND seq = ?",
            (interview.id, interview.turns.index(turn)))
        return row["answer"] if row else None

    def pending_answers(self, profile: str = "default") -> list[dict]:
        """Every stored answer of a profile still waiting for a grade, oldest first."""
        rows = self.db.all(
            "SELECT p.interview_id, p.seq, p.answer, p.created_at FROM pending_answers p "
            "JOIN interviews i ON i.id = p.interview_id WHERE i.profile = ? "
            "ORDER BY p.created_at, p.interview_id, p.seq", (profile,))
        return [dict(r) for r in rows]

    def secret(self, profile: str) -> str | None:
        """A profile's stored passphrase hash, if it has one."""
        row = self.db.one("SELECT secret FROM profile_secrets WHERE profile = ?",
                                 (profile,))
        return row["secret"] if row else None

    def profile_exists(self, profile: str) -> bool:
        """Whether a profile has any interview or a passphrase."""
        return self.db.one(
            "SELECT 1 FROM interviews WHERE profile = ? UNION ALL "
            "SELECT 1 FROM profile_secrets WHERE profile = ? LIMIT 1",
            (profile, profile)) is not None

    def answered_question_ids(self, profile: str = "default") -> set[str]:
        """Questions this profile has answered before (to avoid repeats)."""
        rows = self.db.all(
            "SELECT DISTINCT t.question_id FROM turns t JOIN interviews i ON i.id = t.interview_id"
            " WHERE i.profile = ? AND t.kind = 'main'", (profile,))
        return {r["question_id"] for r in rows}


def _status(interview: Interview) -> str:
    return "done" if interview.phase == "done" else "open"
