"""Shared fixtures: one real embedding model and one real index per test session."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# Sections whose every question must have an answer key: all 38 of the guide.
COVERED_SECTIONS = list(range(1, 39))


@pytest.fixture(scope="session")
def repo() -> Path:
    """The repository root."""
    return REPO


@pytest.fixture(scope="session")
def session_data_dir(tmp_path_factory) -> Path:
    """A data dir (index + database) shared by the session's integration tests."""
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def settings(session_data_dir):
    """Settings on the shipped knowledge and a temporary data dir."""
    from interviewer.config import load_settings

    return load_settings(data_dir=session_data_dir, knowledge_dir=REPO / "knowledge")


@pytest.fixture(scope="session")
def kb(settings):
    """The real knowledge base with a real Chroma index built by the packaged model."""
    from interviewer.knowledge import KnowledgeBase

    base = KnowledgeBase(settings)
    # A developer's own index (from `make run`) seeds the test index, and the
    # incremental sync brings it to the notes; a clean clone builds it whole.
    own = REPO / ".interviewer" / "index"
    if own.exists() and not settings.index_dir.exists():
        shutil.copytree(own, settings.index_dir)
    base.build_index()
    return base


@pytest.fixture(scope="session")
def grader(kb):
    """The real offline grader."""
    from interviewer.grading.judged import JudgeGrader

    return JudgeGrader(kb.embedder)


@pytest.fixture()
def fresh_data_dir(tmp_path, kb) -> Path:
    """A private data dir holding a copy of the built index (for other processes)."""
    target = tmp_path / "data"
    shutil.copytree(kb.settings.index_dir, target / "index")
    return target


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL cluster on a loopback port, for the whole run.

    When it cannot start, every test that needs it errors with the reason:
    the Postgres backend is part of the product, so its tests never skip.
    """
    from evals.services import start_postgres

    # Not under pytest's tmp_path: as root the cluster runs as the postgres
    # user, which cannot enter pytest's private temporary folders.
    server = start_postgres(tempfile.mkdtemp(prefix="interviewer-pg-"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def chroma_server():
    """A throwaway `chroma run` server on a loopback port, for the whole run."""
    from evals.services import start_chroma

    server = start_chroma(tempfile.mkdtemp(prefix="interviewer-chroma-"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def server_index(kb, chroma_server, postgres) -> str:
    """The Chroma server holding the notes' index (copied from the session's local index,
    vectors included, so nothing is embedded twice); returns the server's URL."""
    from interviewer.index import ChromaIndex
    from interviewer.lease_lock import LeaseLock
    from interviewer.store import Store

    lease_db = postgres.create_database("seed_lease")
    target = ChromaIndex(kb.settings.index_dir, kb.embedder, url=chroma_server.url,
                         lock=LeaseLock(Store(lease_db), "index", wait_s=60))
    kb.index.copy_to(target)
    return chroma_server.url


@pytest.fixture(params=["sqlite", "postgres"])
def store_location(request, tmp_path):
    """Where a test's store lives: a SQLite file, then an empty PostgreSQL database."""
    if request.param == "sqlite":
        yield tmp_path / "i.db"
        return
    from interviewer.db import close_all

    url = request.getfixturevalue("postgres").create_database(f"t_{uuid.uuid4().hex[:12]}")
    yield url
    close_all(url)


@pytest.fixture(autouse=True)
def _no_network_models(monkeypatch):
    """Fail loudly if anything tries to reach a model hub."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    yield


def pytest_report_header(config):
    return f"data: temporary; knowledge: {REPO / 'knowledge'}; CI={os.environ.get('CI', '')}"
