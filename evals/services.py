"""Throwaway servers for the tests and load runs: PostgreSQL and a Chroma server.

Both listen on 127.0.0.1 only, keep their data in a temporary folder, and stop
when the caller is done. Nothing is installed or downloaded here: PostgreSQL
is Debian's ``postgresql`` package (``make test`` installs it when missing) and
the Chroma server is ``chroma run`` from the chromadb package in this venv.
When one cannot start, ``ServiceError`` says why; callers fail rather than skip.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

# Seconds to wait for a server to accept connections. PostgreSQL starts in
# about a second, the Chroma server in two; a loaded 2-core machine is slower.
START_TIMEOUT_S = 60


class ServiceError(RuntimeError):
    """A throwaway server could not be started (the message says why)."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bin(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if not found:
        raise ServiceError(f"PostgreSQL's {name} is not installed: sudo apt-get install "
                           "postgresql (Debian), or run `make test`, which installs it")
    return found


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class Postgres:
    """A running throwaway PostgreSQL cluster."""

    root: Path
    port: int
    password: str
    _as: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The superuser URL of the cluster's default database."""
        return self.url_for("postgres")

    def url_for(self, database: str) -> str:
        """The URL of one database of the cluster."""
        return f"postgresql://interviewer:{self.password}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create an empty database; returns its URL."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url_for(name)

    def stop(self) -> None:
        """Stop the cluster and remove its files."""
        subprocess.run([*self._as, _pg_bin("pg_ctl"), "-D", str(self.root / "data"), "-m",
                        "immediate", "-w", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)


def start_postgres(root: str | Path) -> Postgres:
    """initdb and start a cluster under `root` on a free loopback port, password-protected."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(12)
    run_as: list[str] = []
    if os.geteuid() == 0:
        # initdb refuses to run as root; Debian's package brings a postgres user.
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            raise ServiceError("running as root and there is no 'postgres' user to run "
                               "PostgreSQL as (install Debian's postgresql package)") from None
        run_as = ["runuser", "-u", "postgres", "--"]
        os.chown(root, pw.pw_uid, pw.pw_gid)
    pwfile = root / "pw"
    pwfile.write_text(password)
    if run_as:
        os.chown(pwfile, pw.pw_uid, pw.pw_gid)
    init = subprocess.run([*run_as, _pg_bin("initdb"), "-D", str(root / "data"), "-U",
                           "interviewer", "--auth=scram-sha-256", f"--pwfile={pwfile}",
                           "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
                          capture_output=True, text=True, timeout=120)
    pwfile.unlink()
    if init.returncode != 0:
        raise ServiceError(f"initdb failed: {init.stderr.strip()[-600:]}")
    port = free_port()
    log = root / "postgres.log"
    # fsync off: a throwaway test cluster needs no durability, and it halves
    # the time of every commit on a slow disk.
    opts = (f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={root}"
            " -c fsync=off -c max_connections=200")
    start = subprocess.run([*run_as, _pg_bin("pg_ctl"), "-D", str(root / "data"), "-l",
                            str(log), "-o", opts, "-w", "-t", str(START_TIMEOUT_S), "start"],
                           capture_output=True, text=True, timeout=START_TIMEOUT_S + 30)
    if start.returncode != 0:
        raise ServiceError(f"PostgreSQL did not start on 127.0.0.1:{port}: "
                           f"{start.stderr.strip()[-300:]}\n{_tail(log)}")
    return Postgres(root, port, password, run_as)


@dataclass
class ChromaServer:
    """A running ``chroma run`` process."""

    process: subprocess.Popen
    port: int
    root: Path

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop the server and remove its files."""
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.root, ignore_errors=True)


def _chroma_exe() -> str:
    here = Path(sys.executable).with_name("chroma")
    found = str(here) if here.exists() else shutil.which("chroma")
    if not found:
        raise ServiceError("the `chroma` command (from the chromadb package) is not on PATH; "
                           "install the project first: pip install -e .")
    return found


def start_chroma(root: str | Path) -> ChromaServer:
    """`chroma run` with its data under `root`, on a free loopback port."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = open(root / "chroma.log", "wb")
    env = dict(os.environ, ANONYMIZED_TELEMETRY="False")
    proc = subprocess.Popen([_chroma_exe(), "run", "--path", str(root / "data"), "--host",
                             "127.0.0.1", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServiceError(f"chroma run exited with {proc.returncode}:\n"
                               f"{_tail(root / 'chroma.log')}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat",
                                        timeout=2) as r:
                if r.status == 200:
                    return ChromaServer(proc, port, root)
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise ServiceError(f"the Chroma server did not answer on 127.0.0.1:{port} within "
                       f"{START_TIMEOUT_S} s:\n{_tail(root / 'chroma.log')}")


__all__ = ["ChromaServer", "Postgres", "ServiceError", "free_port", "start_chroma",
           "start_postgres"]
