"""Vectors of the notes' chunks, shipped so a first build embeds nothing.

Every checkout turns the same notes into the same chunks and every machine's
copy of the packaged MiniLM gives them the same vectors, so embedding all
~7,700 chunks on each first run (about three minutes on 2 cores) repeats work
someone already did. ``knowledge/index-vectors.npz`` holds those vectors,
keyed by the SHA-256 of each chunk's text and stored as float16 (cosine to the
float32 vector above 0.99999, half the size). A build takes a chunk's vector
from it when the text and the model match, and embeds the rest, so a note
edited after the file was written costs only its own chunks.

Rebuilt from a current local index (its stored vectors, nothing re-embedded) by
``python -m interviewer.index_vectors``; a test checks a sample against fresh
encodings and that the file covers the notes as they are.
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
import zipfile
from pathlib import Path

import numpy as np

FILE = Path(__file__).resolve().parent.parent / "knowledge" / "index-vectors.npz"

_lock = threading.Lock()
_loaded: dict[Path, "ShippedVectors"] = {}


def text_key(text: str) -> bytes:
    """The lookup key of a chunk text: its SHA-256 digest."""
    return hashlib.sha256(text.encode("utf-8")).digest()


def model_id() -> str:
    """The embedding model the vectors belong to: package and version."""
    from importlib.metadata import PackageNotFoundError, version

    from .embeddings import MODEL_PACKAGE

    try:
        return f"{MODEL_PACKAGE}=={version(MODEL_PACKAGE)}"
    except PackageNotFoundError:
        return f"{MODEL_PACKAGE}==unknown"


class ShippedVectors:
    """The shipped vectors of one file, looked up by chunk text."""

    def __init__(self, keys: np.ndarray, vectors: np.ndarray, meta: dict):
        self.meta = meta
        self._rows = {bytes(k): i for i, k in enumerate(keys)}
        self._vectors = vectors

    def __len__(self) -> int:
        return len(self._rows)

    @classmethod
    def empty(cls) -> "ShippedVectors":
        """No vectors: every chunk is embedded."""
        return cls(np.zeros((0, 32), dtype=np.uint8), np.zeros((0, 0), dtype=np.float16), {})

    def lookup(self, texts: list[str]) -> dict[str, np.ndarray]:
        """Unit float32 vectors of the texts the file holds (the others left out)."""
        out = {}
        for text in texts:
            row = self._rows.get(text_key(text))
            if row is not None:
                v = self._vectors[row].astype(np.float32)
                out[text] = v / max(float(np.linalg.norm(v)), 1e-12)
        return out


def load(path: Path = FILE) -> ShippedVectors:
    """The shipped vectors, or none when the file is missing, unreadable or for another model.

    A wrong vector would be worse than a slow build, so any doubt means
    embedding afresh.
    """
    path = Path(path)
    with _lock:
        if path in _loaded:
            return _loaded[path]
        shipped = ShippedVectors.empty()
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                if meta.get("model") == model_id() and data["vectors"].shape[0] == \
                        data["keys"].shape[0]:
                    shipped = ShippedVectors(data["keys"], data["vectors"], meta)
        except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):
            pass
        _loaded[path] = shipped
        return shipped


def write(pairs: dict[str, np.ndarray], path: Path = FILE) -> dict:
    """Write text → vector pairs as the shipped file; returns its metadata."""
    texts = sorted(pairs)
    keys = np.frombuffer(b"".join(text_key(t) for t in texts), dtype=np.uint8).reshape(-1, 32)
    vectors = np.vstack([np.asarray(pairs[t], dtype=np.float32) for t in texts]) \
        .astype(np.float16) if texts else np.zeros((0, 384), dtype=np.float16)
    meta = {"model": model_id(), "chunks": len(texts), "dtype": "float16",
            "command": "python -m interviewer.index_vectors"}
    path = Path(path)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, keys=keys, vectors=vectors, meta=np.array(json.dumps(meta)))
    tmp.replace(path)
    with _lock:
        _loaded.pop(path, None)
    return meta


def main(argv: list[str] | None = None) -> int:
    """Write the shipped vectors from the configured local index (built first if needed)."""
    from .config import load_settings
    from .knowledge import KnowledgeBase

    args = argv if argv is not None else sys.argv[1:]
    path = Path(args[0]) if args else FILE
    kb = KnowledgeBase(load_settings())
    if not kb.is_index_current():
        kb.build_index()
    chunks = kb.chunks()
    stored = kb.index.vectors_by_id([c.id for c in chunks])
    pairs = {c.text: stored[c.id] for c in chunks if c.id in stored}
    meta = write(pairs, path)
    print(f"wrote {meta['chunks']} chunk vectors ({meta['model']}) to {path}", file=sys.stderr)
    return 0 if len(pairs) == len({c.text for c in chunks}) else 1


if __name__ == "__main__":
    sys.exit(main())
