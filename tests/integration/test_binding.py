"""`interviewer run` listens on this computer only unless told otherwise; passphrases
are set from the command line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from interviewer import auth
from interviewer.store import Store

from ..e2e.test_browser import free_port


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket listening on `port`, read from /proc/net/tcp{,6}."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            addr, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(addr)
    return found


LOOPBACK = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1 and ::1


def run_app(data_dir, *args, env=None):
    """`interviewer run` as a user starts it; returns the process and its port once healthy.

    It runs from the data folder, away from the repository's .streamlit/config.toml,
    as the installed command does when started from any other folder.
    """
    port = free_port()
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-m", "interviewer.cli", "run", "--port", str(port), *args],
        env=dict(os.environ, INTERVIEWER_DATA_DIR=str(data_dir), PYTHONPATH=str(repo),
                 **(env or {})),
        cwd=data_dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)
    deadline = time.time() + 180
    while time.time() < deadline and proc.poll() is None:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                      timeout=2).read() == b"ok":
                return proc, port
        except OSError:
            time.sleep(0.5)
    stop(proc)
    pytest.fail("the app did not become healthy:\n" + proc.stdout.read())


def stop(proc):
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def test_run_listens_on_loopback_only_by_default(fresh_data_dir):
    proc, port = run_app(fresh_data_dir)
    try:
        addresses = listening_addresses(port)
    finally:
        stop(proc)
    assert addresses and addresses <= LOOPBACK, addresses


def test_run_listens_everywhere_only_when_asked(fresh_data_dir):
    proc, port = run_app(fresh_data_dir, env={"INTERVIEWER_HOST": "0.0.0.0"})
    try:
        addresses = listening_addresses(port)
    finally:
        stop(proc)
    output = proc.stdout.read()
    assert "00000000" in addresses, addresses
    assert "every profile needs a passphrase" in output


def test_passphrase_command_sets_a_hash_that_unlocks_the_profile(tmp_path):
    env = dict(os.environ, INTERVIEWER_DATA_DIR=str(tmp_path))
    cmd = [sys.executable, "-m", "interviewer.cli", "passphrase", "  ana ", "--stdin"]
    short = subprocess.run(cmd, input="short\n", capture_output=True, text=True, env=env,
                           timeout=120)
    assert short.returncode == 2 and "at least 8 characters" in short.stderr
    done = subprocess.run(cmd, input="ana's long passphrase\n", capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "long passphrase" not in done.stderr + done.stdout
    store = Store(tmp_path / "interviewer.db")
    assert auth.unlock(store, "ana", "ana's long passphrase")
    assert not auth.unlock(store, "ana", "wrong passphrase")
