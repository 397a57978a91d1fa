"""Chunk the notes and keep them in a persistent Chroma collection.

Chunk ids are hashes of the chunk's text and metadata, so building the index
twice is a no-op and an edited note re-embeds only the chunks it changed.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .chroma_ef import PackagedMiniLM
from .embeddings import Embedder, shared_embedder
from .guide import Question
from .notes import AnswerKey, Note, NotesCollection

COLLECTION = "knowledge"
# Words, not tokens: MiniLM truncates at 256 word pieces, and a long note split
# near 180 words keeps each chunk whole inside that window.
NOTE_CHUNK_WORDS = 180


@dataclass(frozen=True)
class Chunk:
    """One embeddable, citable piece of the notes."""

    id: str
    text: str
    metadata: dict


@dataclass
class IndexReport:
    """What an index build did."""

    total: int
    added: int
    removed: int
    unchanged: int
    seconds: float
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Plain dict for JSON output."""
        return self.__dict__.copy()


def _chunk_id(text: str, metadata: dict) -> str:
    payload = text + "\x00" + json.dumps(metadata, sort_keys=True)
    return hashlib.sha1(payload.encode("utf-8")).hexdigest()[:24]


def _make(text: str, metadata: dict) -> Chunk:
    return Chunk(id=_chunk_id(text, metadata), text=text, metadata=metadata)


def key_chunks(key: AnswerKey, question_index: dict[str, Question]) -> list[Chunk]:
    """Split an answer key into its key-points, explanation and depth chunks."""
    first = question_index.get(key.question_ids[0])
    base = {
        "source": key.path,
        "heading": key.title,
        "key": key.question_ids[0],
        "question_ids": ",".join(key.question_ids),
        "section": first.section if first else -1,
        "subsection": first.subsection if first else "",
        "kind": key.kind or (first.kind if first else ""),
    }
    points = "\n".join(f"- {p}" for p in key.key_points)
    chunks = [
        _make(f"{key.title}\nKey points:\n{points}", {**base, "part": "key points"}),
        _make(f"{key.title}\n{key.explanation}", {**base, "part": "explanation"}),
    ]
    extra = []
    if key.depth_signals:
        extra.append("Depth signals:\n" + "\n".join(f"- {d}" for d in key.depth_signals))
    if key.mistakes:
        extra.append("Common mistakes:\n" + "\n".join(f"- {m}" for m in key.mistakes))
    if extra:
        chunks.append(_make(f"{key.title}\n" + "\n".join(extra), {**base, "part": "depth"}))
    return chunks


def note_chunks(note: Note) -> list[Chunk]:
    """Split a free note into paragraph groups of bounded length."""
    base = {"source": note.path, "heading": note.title, "key": "", "question_ids": "",
            "section": -1, "subsection": "", "kind": "", "part": "note"}
    paragraphs = [p.strip() for p in note.body.split("\n\n") if p.strip()]
    groups: list[list[str]] = [[]]
    for para in paragraphs:
        words = sum(len(p.split()) for p in groups[-1])
        if groups[-1] and words + len(para.split()) > NOTE_CHUNK_WORDS:
            groups.append([])
        groups[-1].append(para)
    return [_make(f"{note.title}\n" + "\n\n".join(g), {**base, "part": f"note {i + 1}"})
            for i, g in enumerate(groups) if g]


def all_chunks(notes: NotesCollection, questions: list[Question]) -> list[Chunk]:
    """Every chunk of the notes, deduplicated by id."""
    qindex = {q.id: q for q in questions}
    out: dict[str, Chunk] = {}
    for key in notes.keys:
        for chunk in key_chunks(key, qindex):
            out.setdefault(chunk.id, chunk)
    for note in notes.notes:
        for chunk in note_chunks(note):
            out.setdefault(chunk.id, chunk)
    return list(out.values())


def open_client(index_dir: str | Path):
    """A persistent Chroma client with telemetry off (no network here)."""
    import chromadb
    from chromadb.config import Settings

    Path(index_dir).mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(
        path=str(index_dir), settings=Settings(anonymized_telemetry=False, allow_reset=False)
    )


class ChromaIndex:
    """The notes collection: incremental build and similarity queries."""

    def __init__(self, index_dir: str | Path, embedder: Embedder | None = None):
        self.index_dir = Path(index_dir)
        self.embedder = embedder or shared_embedder()
        self.client = open_client(self.index_dir)
        self.collection = self.client.get_or_create_collection(
            COLLECTION,
            embedding_function=PackagedMiniLM(self.embedder),
            configuration={"hnsw": {"space": "cosine"}},
        )

    def count(self) -> int:
        """Number of chunks stored."""
        return self.collection.count()

    def existing_ids(self) -> set[str]:
        """Ids of every stored chunk."""
        return set(self.collection.get(include=[])["ids"])

    def sync(self, chunks: list[Chunk], batch_size: int = 64,
             progress: Callable[[int, int], None] | None = None) -> IndexReport:
        """Make the collection hold exactly these chunks, embedding only new ones."""
        start = time.perf_counter()
        wanted = {c.id: c for c in chunks}
        have = self.existing_ids()
        stale = sorted(have - wanted.keys())
        # Similar lengths batch together, as the model's own encode does, so
        # little of each batch is padding.
        new = sorted((c for cid, c in wanted.items() if cid not in have),
                     key=lambda c: len(c.text))
        if stale:
            self.collection.delete(ids=stale)
        done = 0
        for i in range(0, len(new), batch_size):
            batch = new[i:i + batch_size]
            vectors = self.embedder.encode([c.text for c in batch], batch_size=batch_size)
            self.collection.add(
                ids=[c.id for c in batch],
                documents=[c.text for c in batch],
                metadatas=[c.metadata for c in batch],
                embeddings=vectors,
            )
            done += len(batch)
            if progress:
                progress(done, len(new))
        return IndexReport(total=len(wanted), added=len(new), removed=len(stale),
                           unchanged=len(wanted) - len(new),
                           seconds=round(time.perf_counter() - start, 3))

    def query(self, text: str, k: int = 8, where: dict | None = None) -> list[dict]:
        """Nearest chunks to a text: dicts with id, text, metadata and similarity."""
        vector = self.embedder.encode_cached([text])
        n = min(k, max(self.count(), 1))
        res = self.collection.query(query_embeddings=vector, n_results=n, where=where,
                                    include=["documents", "metadatas", "distances"])
        return [
            {"id": cid, "text": doc, "metadata": meta, "similarity": 1.0 - float(dist)}
            for cid, doc, meta, dist in zip(res["ids"][0], res["documents"][0],
                                           res["metadatas"][0], res["distances"][0])
        ]

    def get_key_chunks(self, key_id: str) -> list[dict]:
        """Stored chunks of one answer key, in part order."""
        res = self.collection.get(where={"key": key_id}, include=["documents", "metadatas"])
        order = {"key points": 0, "explanation": 1, "depth": 2}
        rows = [{"id": cid, "text": doc, "metadata": meta, "similarity": 1.0}
                for cid, doc, meta in zip(res["ids"], res["documents"], res["metadatas"])]
        return sorted(rows, key=lambda r: order.get(r["metadata"].get("part"), 9))
