"""Verify a built index, and repair what the check finds broken.

A damaged Chroma folder still answers `count()` and `get(ids)` happily: the
damage shows only when a stored vector cannot be read back, or when a chunk
cannot be found by its own vector (it is in the database but not in the
vector index). So the check reads every vector, compares it with the
fingerprint stored beside it, and asks the vector index for each chunk.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np

from .index import FINGERPRINT_TOLERANCE, Chunk, ChromaIndex, fingerprint

# Chunks with the very same text share a vector, so a chunk counts as found
# when it is among this many nearest neighbours of its own vector.
SELF_QUERY_K = 5
READ_BATCH = 256


@dataclass
class CheckReport:
    """What a check of the index found."""

    expected: int
    stored: int
    checked: int = 0
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def broken(self) -> list[str]:
        """Stored chunks whose vector is unreadable, wrong or missing from the vector index."""
        return sorted(set(self.unreadable) | set(self.not_found) | set(self.mismatched))

    @property
    def ok(self) -> bool:
        """Whether the index holds exactly the notes' chunks, all intact."""
        return not (self.broken or self.missing or self.extra)

    def summary(self) -> str:
        """One line for people."""
        if self.ok:
            return f"check: ok ({self.checked} of {self.stored} chunks verified)"
        parts = [f"{len(v)} {name.replace('_', ' ')}" for name, v in
                 (("missing", self.missing), ("extra", self.extra),
                  ("unreadable", self.unreadable), ("not_found", self.not_found),
                  ("mismatched", self.mismatched)) if v]
        return (f"check: BROKEN ({', '.join(parts)}; {self.checked} of {self.stored} "
                "chunks verified); `interviewer index` repairs it")

    def to_dict(self) -> dict:
        """Plain dict for JSON output (id lists cut to a readable length)."""
        out = asdict(self)
        for name in ("missing", "extra", "unreadable", "not_found", "mismatched"):
            out[name] = out[name][:20]
            out[f"{name}_count"] = len(getattr(self, name))
        out["ok"] = self.ok
        return out


def _read(col, ids: list[str]) -> tuple[dict[str, np.ndarray], dict[str, dict], list[str]]:
    """Vectors and metadata of these ids; ids whose vector cannot be read."""
    try:
        got = col.get(ids=ids, include=["embeddings", "metadatas"])
    except Exception:
        if len(ids) == 1:
            return {}, {}, list(ids)
        # One bad chunk fails the whole batch: halve until it is found.
        mid = len(ids) // 2
        a, b = _read(col, ids[:mid]), _read(col, ids[mid:])
        return {**a[0], **b[0]}, {**a[1], **b[1]}, a[2] + b[2]
    vectors, metas = {}, {}
    for cid, vec, meta in zip(got["ids"], got["embeddings"], got["metadatas"]):
        if vec is not None and len(vec):
            vectors[cid] = np.asarray(vec, dtype=np.float32)
            metas[cid] = meta or {}
    return vectors, metas, [cid for cid in ids if cid not in vectors]


def _found_by_own_vector(col, vectors: dict[str, np.ndarray], k: int) -> list[str]:
    """Ids that are not among the nearest neighbours of their own vector."""
    ids = list(vectors)
    try:
        res = col.query(query_embeddings=[vectors[i] for i in ids], n_results=k, include=[])
        return [cid for cid, hits in zip(ids, res["ids"]) if cid not in hits]
    except Exception:
        if len(ids) == 1:
            return ids
        mid = len(ids) // 2
        return (_found_by_own_vector(col, {i: vectors[i] for i in ids[:mid]}, k)
                + _found_by_own_vector(col, {i: vectors[i] for i in ids[mid:]}, k))


def check_index(index: ChromaIndex, chunks: list[Chunk], sample: int | None = None,
                seed: int = 0) -> CheckReport:
    """Check count, readable vectors, fingerprints and self-retrieval.

    ``sample`` limits the vector checks to that many chunks (chosen with
    ``seed``); None checks them all (a few seconds for the shipped notes).
    """
    start = time.perf_counter()
    wanted = {c.id for c in chunks}
    with index.using("checking") as col:
        have = set(col.get(include=[])["ids"])
        report = CheckReport(expected=len(wanted), stored=col.count(),
                             missing=sorted(wanted - have), extra=sorted(have - wanted))
        ids = sorted(have)
        if sample is not None and sample < len(ids):
            ids = sorted(np.random.default_rng(seed).choice(ids, size=sample, replace=False))
        k = min(SELF_QUERY_K, max(len(have), 1))
        for i in range(0, len(ids), READ_BATCH):
            vectors, metas, unreadable = _read(col, ids[i:i + READ_BATCH])
            report.unreadable += unreadable
            for cid, vec in vectors.items():
                stored = metas[cid].get("fp")
                if stored is not None and abs(fingerprint(vec) - stored) > FINGERPRINT_TOLERANCE:
                    report.mismatched.append(cid)
            if vectors:
                report.not_found += _found_by_own_vector(col, vectors, k)
            report.checked += len(ids[i:i + READ_BATCH])
    report.seconds = round(time.perf_counter() - start, 3)
    return report


def repair_index(index: ChromaIndex, chunks: list[Chunk], report: CheckReport) -> int:
    """Re-embed the broken chunks; rebuild the collection if that does not cure it.

    Returns how many chunks were written again.
    """
    by_id = {c.id: c for c in chunks}
    with index.using("repairing") as col:
        broken = [cid for cid in report.broken if cid in by_id]
        try:
            if report.broken:
                col.delete(ids=report.broken)
            todo = [by_id[cid] for cid in broken]
            for i in range(0, len(todo), 64):
                batch = todo[i:i + 64]
                index.add(batch, index.embedder.encode([c.text for c in batch]))
            index.mark_changed()
            again = check_index(index, [by_id[cid] for cid in broken] if broken else [])
            if not again.broken:
                return len(broken)
        except Exception:  # a vector index too damaged to edit: start it over
            pass
        return _rebuild(index, chunks)


def _rebuild(index: ChromaIndex, chunks: list[Chunk]) -> int:
    """A new collection from the chunks, copying every vector that is still sound."""
    with index.using("rebuilding") as col:
        sound: dict[str, np.ndarray] = {}
        ids = sorted(set(col.get(include=[])["ids"]) & {c.id for c in chunks})
        for i in range(0, len(ids), READ_BATCH):
            vectors, metas, _ = _read(col, ids[i:i + READ_BATCH])
            for cid, vec in vectors.items():
                stored = metas[cid].get("fp")
                if stored is None or abs(fingerprint(vec) - stored) <= FINGERPRINT_TOLERANCE:
                    sound[cid] = vec
        index.recreate()
        keep = [c for c in chunks if c.id in sound]
        for i in range(0, len(keep), READ_BATCH):
            batch = keep[i:i + READ_BATCH]
            index.add(batch, [sound[c.id] for c in batch])
        fresh = [c for c in chunks if c.id not in sound]
        for i in range(0, len(fresh), 64):
            batch = fresh[i:i + 64]
            index.add(batch, index.embedder.encode([c.text for c in batch]))
        return len(chunks)
