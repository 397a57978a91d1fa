"""SQLite persistence: interviews, every answered turn and its grade.

A turn and the interview's new state are written in one transaction before
the UI shows the grade, so a reload or a crash loses nothing that was shown.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path

from .interview import Interview, Turn

SCHEMA_VERSION = 2

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
}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Store:
    """One SQLite file; safe to share between Streamlit sessions of one process."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(self.path), check_same_thread=False,
                                     isolation_level=None, timeout=10)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self.migrate()

    def migrate(self) -> int:
        """Apply pending schema migrations; returns the schema version."""
        with self._lock:
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
            for target in sorted(v for v in _MIGRATIONS if v > version):
                self._conn.execute("BEGIN")
                try:
                    for statement in _MIGRATIONS[target].split(";"):
                        if statement.strip():
                            self._conn.execute(statement)
                    self._conn.execute(f"PRAGMA user_version = {target}")
                    self._conn.execute("COMMIT")
                except Exception:
                    self._conn.execute("ROLLBACK")
                    raise
                version = target
            return version

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    # -- writes ----------------------------------------------------------------

    def save_new(self, interview: Interview, profile: str = "default") -> None:
        """Record a freshly started interview."""
        now = _now()
        with self._lock:
            self._conn.execute(
                "INSERT INTO interviews (id, profile, status, created_at, updated_at, config, state)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (interview.id, profile, _status(interview), now, now,
                 json.dumps(interview.to_dict()["config"]), json.dumps(interview.to_dict())),
            )

    def save_turn(self, interview: Interview, turn: Turn) -> None:
        """Write a closed turn and the interview's new state atomically."""
        seq = interview.turns.index(turn)
        grade = turn.grade or {}
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.execute(
                    "INSERT OR REPLACE INTO turns (interview_id, seq, question_id, kind, prompt,"
                    " answer, skipped, score, grader, grade, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (interview.id, seq, turn.question_id, turn.kind, turn.prompt, turn.answer,
                     int(turn.skipped), grade.get("score"), grade.get("grader"),
                     json.dumps(grade) if turn.grade else None, _now()),
                )
                self._conn.execute(
                    "UPDATE interviews SET state = ?, status = ?, updated_at = ? WHERE id = ?",
                    (json.dumps(interview.to_dict()), _status(interview), _now(), interview.id),
                )
                self._conn.execute("COMMIT")
            except Exception:
                self._conn.execute("ROLLBACK")
                raise

    def abandon(self, interview_id: str) -> None:
        """Close an open interview without finishing it (the user started another)."""
        with self._lock:
            self._conn.execute("UPDATE interviews SET status = 'abandoned', updated_at = ? "
                               "WHERE id = ? AND status = 'open'", (_now(), interview_id))

    # -- reads -----------------------------------------------------------------

    def load(self, interview_id: str) -> Interview | None:
        """An interview by id."""
        row = self._conn.execute("SELECT state FROM interviews WHERE id = ?",
                                 (interview_id,)).fetchone()
        return Interview.from_dict(json.loads(row["state"])) if row else None

    def latest_open(self, profile: str = "default") -> Interview | None:
        """The most recent unfinished interview of a profile, to resume."""
        row = self._conn.execute(
            "SELECT state FROM interviews WHERE profile = ? AND status = 'open' "
            "ORDER BY updated_at DESC, rowid DESC LIMIT 1", (profile,)).fetchone()
        return Interview.from_dict(json.loads(row["state"])) if row else None

    def turns(self, interview_id: str) -> list[dict]:
        """Stored turns of an interview, in order."""
        rows = self._conn.execute("SELECT * FROM turns WHERE interview_id = ? ORDER BY seq",
                                  (interview_id,)).fetchall()
        return [dict(r) | {"grade": json.loads(r["grade"]) if r["grade"] else None} for r in rows]

    def interviews(self, profile: str = "default") -> list[dict]:
        """All interviews of a profile, newest first."""
        rows = self._conn.execute(
            "SELECT id, status, created_at, updated_at, config FROM interviews WHERE profile = ? "
            "ORDER BY created_at DESC, rowid DESC", (profile,)).fetchall()
        return [dict(r) | {"config": json.loads(r["config"])} for r in rows]

    def graded_events(self, profile: str = "default") -> list[dict]:
        """Main-question answers and skips of a profile, oldest first (for the schedule)."""
        rows = self._conn.execute(
            "SELECT t.question_id, t.score, t.skipped, t.created_at FROM turns t "
            "JOIN interviews i ON i.id = t.interview_id WHERE i.profile = ? AND t.kind = 'main' "
            "ORDER BY t.created_at, t.id", (profile,)).fetchall()
        return [dict(r) for r in rows]

    def profiles(self) -> list[str]:
        """Profile names with at least one interview."""
        return [r[0] for r in self._conn.execute(
            "SELECT DISTINCT profile FROM interviews ORDER BY profile").fetchall()]

    def interviews_any(self) -> list[dict]:
        """Every interview of every profile, newest first."""
        rows = self._conn.execute(
            "SELECT id, profile, status, created_at, updated_at, config FROM interviews "
            "ORDER BY created_at DESC, rowid DESC").fetchall()
        return [dict(r) | {"config": json.loads(r["config"])} for r in rows]

    def answered_question_ids(self, profile: str = "default") -> set[str]:
        """Questions this profile has answered before (to avoid repeats)."""
        rows = self._conn.execute(
            "SELECT DISTINCT t.question_id FROM turns t JOIN interviews i ON i.id = t.interview_id"
            " WHERE i.profile = ? AND t.kind = 'main'", (profile,)).fetchall()
        return {r[0] for r in rows}


def _status(interview: Interview) -> str:
    return "done" if interview.phase == "done" else "open"
