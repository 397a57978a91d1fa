"""The index on a real Chroma server (`chroma run`), with builds serialised by a database lease."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid

import pytest

from interviewer.config import load_settings
from interviewer.knowledge import KnowledgeBase
from interviewer.lease_lock import LeaseLock
from interviewer.store import Store


@pytest.fixture()
def database(postgres) -> str:
    return postgres.create_database(f"idx_{uuid.uuid4().hex[:10]}")


def server_kb(kb, chroma_url: str, database: str, tmp_path) -> KnowledgeBase:
    settings = load_settings(data_dir=tmp_path, knowledge_dir=kb.settings.knowledge_dir,
                             chroma_url=chroma_url, database_url=database)
    return KnowledgeBase(settings, kb.embedder)


def cli(repo, env: dict, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "interviewer.cli", *args], cwd=repo,
                          env=dict(os.environ, **env), capture_output=True, text=True,
                          timeout=timeout)


def test_the_server_index_answers_as_the_local_one_does(kb, server_index, database, tmp_path):
    remote = server_kb(kb, server_index, database, tmp_path)
    assert remote.is_index_current()
    for text in ("What is LoRA?", "How do you evaluate a RAG pipeline?",
                 "Explain the KV cache"):
        assert [h[0] for h in remote.index.nearest_ids(text, 5)] == \
            [h[0] for h in kb.index.nearest_ids(text, 5)]
    q = next(q for q in kb.questions if kb.key_for(q.id))
    assert remote.reference_for(q).key_points == kb.reference_for(q).key_points
    # Nothing about the server index lives in the local data folder.
    assert not (tmp_path / "index").exists()


def test_a_second_build_waits_for_the_lease_and_then_finds_nothing_to_do(
        repo, kb, server_index, database, tmp_path):
    env = {"INTERVIEWER_CHROMA_URL": server_index, "INTERVIEWER_DATABASE_URL": database,
           "INTERVIEWER_DATA_DIR": str(tmp_path)}
    holder = LeaseLock(Store(database), "index", wait_s=5)
    with holder.hold("building"):
        proc = subprocess.Popen([sys.executable, "-m", "interviewer.cli", "index", "--json"],
                                cwd=repo, env=dict(os.environ, **env), text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(8)  # the other build starts, finds the lease taken, and waits
        assert proc.poll() is None
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert "in use by" in err and holder.holder_id in err
    assert json.loads(out)["added"] == 0


def test_a_build_gives_up_with_a_reason_when_the_lease_stays_taken(repo, server_index,
                                                                    database, tmp_path):
    Store(database).take_lease("index", "replica-7:1234:abcd", "building", ttl_s=120)
    run = cli(repo, {"INTERVIEWER_CHROMA_URL": server_index,
                     "INTERVIEWER_DATABASE_URL": database, "INTERVIEWER_DATA_DIR": str(tmp_path),
                     "INTERVIEWER_INDEX_WAIT_S": "2"}, "index")
    assert run.returncode == 2
    assert "still in use by replica-7:1234:abcd" in run.stderr
    assert "INTERVIEWER_INDEX_WAIT_S" in run.stderr


def test_a_dead_builders_lease_runs_out_and_the_build_goes_on(kb, server_index, database,
                                                               tmp_path):
    Store(database).take_lease("index", "killed-replica", "building", ttl_s=3)
    remote = server_kb(kb, server_index, database, tmp_path)
    start = time.monotonic()
    report = remote.build_index()
    assert report.added == 0 and report.check["ok"]
    assert time.monotonic() - start >= 2  # it waited for the lease to run out


def test_seeding_a_new_server_from_a_local_index_embeds_nothing(repo, kb, database, tmp_path):
    from evals.services import start_chroma

    fresh = start_chroma(tempfile.mkdtemp(prefix="interviewer-chroma-seed-"))
    try:
        env = {"INTERVIEWER_CHROMA_URL": fresh.url, "INTERVIEWER_DATABASE_URL": database,
               "INTERVIEWER_DATA_DIR": str(tmp_path)}
        run = cli(repo, env, "index", "--json", "--seed-from", str(kb.settings.index_dir))
        assert run.returncode == 0, run.stderr
        report = json.loads(run.stdout)
        assert report["added"] == 0 and report["check"]["ok"]
        assert f"copied {report['total']} chunks" in run.stderr
    finally:
        fresh.stop()


def test_an_unreachable_server_is_named_in_a_one_line_error(repo, tmp_path):
    run = cli(repo, {"INTERVIEWER_CHROMA_URL": "http://127.0.0.1:9",
                     "INTERVIEWER_DATA_DIR": str(tmp_path)}, "index", timeout=120)
    assert run.returncode == 2
    assert "cannot reach the Chroma server at http://127.0.0.1:9" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_wrong_database_password_never_appears_in_the_error(repo, postgres, tmp_path):
    url = postgres.url_for("postgres").replace(postgres.password, "not-the-password-xyz")
    run = cli(repo, {"INTERVIEWER_DATABASE_URL": url, "INTERVIEWER_DATA_DIR": str(tmp_path)},
              "admin", "list", timeout=120)
    assert run.returncode == 2 and "cannot connect to PostgreSQL" in run.stderr
    assert "not-the-password-xyz" not in run.stderr and "***" in run.stderr
