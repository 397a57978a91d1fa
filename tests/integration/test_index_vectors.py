"""The shipped chunk vectors: they match the model, cover the notes, and are refused when wrong."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from interviewer import index_vectors
from interviewer.index import ChromaIndex
from interviewer.index_vectors import ShippedVectors


@pytest.fixture(scope="module")
def shipped() -> ShippedVectors:
    data = index_vectors.load()
    assert len(data), f"{index_vectors.FILE} is missing or for another model"
    return data


def test_the_shipped_file_covers_every_chunk_of_the_notes(kb, shipped):
    texts = {c.text for c in kb.chunks()}
    missing = texts - set(shipped.lookup(sorted(texts)))
    assert not missing, (f"{len(missing)} chunks have no shipped vector; after editing notes "
                         "run `python -m interviewer.index_vectors` and commit the file")


def test_shipped_vectors_are_what_the_model_gives(kb, shipped):
    texts = random.Random(5).sample(sorted({c.text for c in kb.chunks()}), 24)
    fresh = kb.embedder.encode(texts)
    stored = shipped.lookup(texts)
    cosines = [float(stored[t] @ fresh[i]) for i, t in enumerate(texts)]
    # float16 storage: anything below this is another model or another text.
    assert min(cosines) > 0.9999, min(cosines)


def test_a_build_takes_shipped_vectors_and_finds_the_same_neighbours(tmp_path, kb, shipped):
    chunks = [c for c in kb.chunks() if c.metadata.get("key", "").startswith("q04-")][:120]
    fast = ChromaIndex(tmp_path / "fast", kb.embedder, shipped=shipped)
    slow = ChromaIndex(tmp_path / "slow", kb.embedder, shipped=ShippedVectors.empty())
    report = fast.sync(chunks)
    assert (report.added, report.shipped) == (len(chunks), len(chunks))
    baseline = slow.sync(chunks)
    assert (baseline.added, baseline.shipped) == (len(chunks), 0)
    for query in ("How does retrieval-augmented generation reduce hallucinations?",
                  "chunk size trade-offs", "hybrid search with BM25"):
        assert [c for c, _ in fast.nearest_ids(query, 5)] == \
            [c for c, _ in slow.nearest_ids(query, 5)]


def test_a_file_for_another_model_or_a_damaged_one_is_ignored(tmp_path, kb):
    texts = [c.text for c in kb.chunks()[:3]]
    path = tmp_path / "vectors.npz"
    index_vectors.write(dict(zip(texts, kb.embedder.encode(texts))), path)
    assert len(index_vectors.load(path).lookup(texts)) == 3

    other = tmp_path / "other.npz"
    with np.load(path) as data:
        meta = {**json.loads(str(data["meta"])), "model": "another-model==1.0"}
        np.savez(other, keys=data["keys"], vectors=data["vectors"],
                 meta=np.array(json.dumps(meta)))
    assert index_vectors.load(other).lookup(texts) == {}

    damaged = tmp_path / "damaged.npz"
    damaged.write_bytes(path.read_bytes()[:200])
    assert index_vectors.load(damaged).lookup(texts) == {}
    assert index_vectors.load(tmp_path / "absent.npz").lookup(texts) == {}
