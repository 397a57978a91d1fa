"""One small database interface over SQLite (the default) and PostgreSQL.

The store writes its SQL once, in the dialect both engines share (``?``
placeholders, ``INSERT ... ON CONFLICT``); this module opens the engine a
location names and smooths over the few places they differ: placeholders,
column types in the migrations, where the schema version lives, and how a
write transaction takes its lock.

- ``sqlite``: a file path. One connection per thread, WAL, and
  ``BEGIN IMMEDIATE`` so two writers queue instead of deadlocking.
- ``postgres``: a ``postgresql://`` URL. A psycopg 3 connection pool shared by
  the process's threads; each read or write borrows one connection.
"""

from __future__ import annotations

import atexit
import re
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Protocol

# Seconds a connection waits for another one's write lock before failing; a
# write here takes milliseconds, so this only matters under heavy contention.
BUSY_TIMEOUT_S = 15
# Pool bounds per process. Streamlit runs each browser session in its own
# thread, but a statement takes milliseconds, so a few connections serve
# dozens of sessions; Postgres's default max_connections (100) then allows
# about ten replicas.
POOL_MIN = 1
POOL_MAX = 8
POOL_TIMEOUT_S = 30
CONNECT_TIMEOUT_S = 10
# Key of the advisory lock that serialises migrations between replicas that
# start together (any fixed 64-bit number unique to this app).
MIGRATION_LOCK_KEY = 0x1D7E_2026_0001


class DatabaseError(RuntimeError):
    """The database could not be opened or reached (the message says which and why)."""


def is_postgres_url(location: str | Path | None) -> bool:
    """Whether a store location names a PostgreSQL server rather than a SQLite file."""
    return str(location or "").startswith(("postgresql://", "postgres://"))


def redact(url: str) -> str:
    """A database URL with its password replaced, safe for logs and error messages."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


class Transaction(Protocol):
    """What a write transaction offers the store."""

    def execute(self, sql: str, params: tuple = ()) -> Any: ...


class Database:
    """A database the store can read and write; see ``open_database``."""

    dialect: str

    def one(self, sql: str, params: tuple = ()) -> dict | None:
        """The first row of a query, as a dict (None when there is none)."""
        raise NotImplementedError

    def all(self, sql: str, params: tuple = ()) -> list[dict]:
        """Every row of a query, as dicts."""
        raise NotImplementedError

    @contextmanager
    def write(self) -> Iterator[Transaction]:
        """A write transaction: committed when the block ends, rolled back on error."""
        raise NotImplementedError
        yield  # pragma: no cover

    def schema_version(self, tx: Transaction) -> int:
        """The applied schema version, read inside a migration's transaction."""
        raise NotImplementedError

    def set_schema_version(self, tx: Transaction, version: int) -> None:
        """Record the applied schema version inside a migration's transaction."""
        raise NotImplementedError

    def ddl(self, statement: str) -> str:
        """A migration statement in this engine's dialect."""
        return statement

    def close(self) -> None:
        """Release connections."""

    def describe(self) -> str:
        """Where the data lives, without secrets."""
        raise NotImplementedError


class SQLiteDatabase(Database):
    """One SQLite file, safe to share between threads and processes.

    Each thread gets its own connection: a sqlite3 connection shared between
    threads lets one thread read another's uncommitted rows and, without a
    lock, corrupts results. WAL lets readers run beside one writer, and the
    busy timeout makes a second writer wait instead of failing.
    """

    dialect = "sqlite"

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        # WAL is a property of the file: set once, every later connection uses it.
        self._conn.execute("PRAGMA journal_mode=WAL")

    @property
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(str(self.path), isolation_level=None,
                                   timeout=BUSY_TIMEOUT_S)
            conn.row_factory = sqlite3.Row
            # FULL: a committed answer survives a power cut too, and writes are
            # one per answer, so the extra fsync costs nothing noticeable.
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
        return conn

    def one(self, sql: str, params: tuple = ()) -> dict | None:
        row = self._conn.execute(sql, params).fetchone()
        return dict(row) if row is not None else None

    def all(self, sql: str, params: tuple = ()) -> list[dict]:
        return [dict(r) for r in self._conn.execute(sql, params).fetchall()]

    @contextmanager
    def write(self) -> Iterator[Transaction]:
        conn = self._conn
        # IMMEDIATE takes the write lock up front, so two writers queue on the
        # busy timeout instead of deadlocking when both upgrade from a read.
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def schema_version(self, tx) -> int:
        return tx.execute("PRAGMA user_version").fetchone()[0]

    def set_schema_version(self, tx, version: int) -> None:
        tx.execute(f"PRAGMA user_version = {int(version)}")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def describe(self) -> str:
        return f"SQLite file {self.path}"


# Column types SQLite accepts loosely, spelled as PostgreSQL needs them. REAL
# is single precision there; scores and times keep double precision as in SQLite.
_PG_TYPES = [
    (re.compile(r"INTEGER PRIMARY KEY AUTOINCREMENT", re.I),
     "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
    (re.compile(r"\bBLOB\b", re.I), "BYTEA"),
    (re.compile(r"\bREAL\b", re.I), "DOUBLE PRECISION"),
]


class _PgTransaction:
    """A psycopg connection inside a transaction, taking ``?`` placeholders."""

    def __init__(self, conn):
        self.conn = conn

    def execute(self, sql: str, params: tuple = ()):
        return self.conn.execute(_pg_sql(sql), params)


def _pg_sql(sql: str) -> str:
    # The store's SQL has no literal '?' or '%', so a plain swap is exact.
    return sql.replace("?", "%s")


# Open pools, held until closed: a pool dropped unclosed is finalised by the
# garbage collector, possibly on one of its own worker threads, which cannot
# join itself. They are closed at exit, or by close_all.
_open_pools: list["PostgresDatabase"] = []


def close_all(url: str | None = None) -> None:
    """Close every open PostgreSQL pool of this process (of one URL when given)."""
    for db in list(_open_pools):
        if url is None or db.url == url:
            db.close()


atexit.register(close_all)


class PostgresDatabase(Database):
    """A PostgreSQL database through a psycopg 3 connection pool."""

    dialect = "postgres"

    def __init__(self, url: str, min_size: int = POOL_MIN, max_size: int = POOL_MAX):
        try:
            import psycopg
            from psycopg.rows import dict_row
            from psycopg_pool import ConnectionPool
        except ImportError as exc:  # pragma: no cover - both are dependencies
            raise DatabaseError("INTERVIEWER_DATABASE_URL names PostgreSQL, but psycopg "
                                "is not installed: pip install 'psycopg[binary]' "
                                "psycopg-pool") from exc
        self.url = url
        try:
            # One direct connection first: a wrong address or password fails in
            # seconds with its reason, where the pool would retry until its timeout.
            psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S).close()
        except psycopg.OperationalError as exc:
            raise DatabaseError(f"cannot connect to PostgreSQL at {redact(url)}: "
                                f"{_reason(exc, url)}") from None
        try:
            self.pool = ConnectionPool(url, min_size=min_size, max_size=max_size,
                                       timeout=POOL_TIMEOUT_S, open=False,
                                       kwargs={"row_factory": dict_row, "autocommit": False},
                                       name="interviewer")
            self.pool.open(wait=True, timeout=POOL_TIMEOUT_S)
            _open_pools.append(self)
        except Exception as exc:
            # psycopg's message can quote the connection string; say where, not how.
            raise DatabaseError(f"cannot connect to PostgreSQL at {redact(url)}: "
                                f"{type(exc).__name__}") from None

    def one(self, sql: str, params: tuple = ()) -> dict | None:
        with self.pool.connection() as conn:
            return conn.execute(_pg_sql(sql), params).fetchone()

    def all(self, sql: str, params: tuple = ()) -> list[dict]:
        with self.pool.connection() as conn:
            return conn.execute(_pg_sql(sql), params).fetchall()

    @contextmanager
    def write(self) -> Iterator[Transaction]:
        # The pool's context commits when the block ends and rolls back when it
        # raises. Row-level locks and ON CONFLICT keep concurrent writers apart;
        # no statement here reads and then writes what another writer could change.
        with self.pool.connection() as conn:
            yield _PgTransaction(conn)

    def schema_version(self, tx) -> int:
        # Migrations of replicas that start together run one at a time.
        tx.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK_KEY,))
        tx.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = tx.execute("SELECT max(version) AS v FROM schema_version").fetchone()
        return int(row["v"] or 0)

    def set_schema_version(self, tx, version: int) -> None:
        tx.execute("DELETE FROM schema_version")
        tx.execute("INSERT INTO schema_version (version) VALUES (?)", (int(version),))

    def ddl(self, statement: str) -> str:
        for pattern, replacement in _PG_TYPES:
            statement = pattern.sub(replacement, statement)
        # SQLite orders interviews by its implicit rowid (insertion order) when
        # two share a timestamp; PostgreSQL has none, so the table gets one.
        return re.sub(r"(CREATE TABLE interviews \()",
                      r"\1\n        rowid BIGINT GENERATED ALWAYS AS IDENTITY,", statement)

    def close(self) -> None:
        self.pool.close()
        if self in _open_pools:
            _open_pools.remove(self)

    def describe(self) -> str:
        return f"PostgreSQL {redact(self.url)}"


def _reason(exc: Exception, url: str) -> str:
    """The last line of a driver's error, with any secret of the URL taken out."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    text = lines[-1] if lines else type(exc).__name__
    password = re.search(r"://[^:/@]+:([^@]*)@", url)
    return text.replace(password.group(1), "***") if password and password.group(1) else text


def open_database(location: str | Path) -> Database:
    """The database a setting names: a ``postgresql://`` URL or a SQLite file path."""
    if is_postgres_url(location):
        return PostgresDatabase(str(location))
    return SQLiteDatabase(location)


__all__ = ["Database", "DatabaseError", "PostgresDatabase", "SQLiteDatabase",
           "is_postgres_url", "open_database", "redact"]
