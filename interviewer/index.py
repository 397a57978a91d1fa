"""Chunk the notes and keep them in a persistent Chroma collection.

Chunk ids are hashes of the chunk's text and metadata, so building the index
twice is a no-op and an edited note re-embeds only the chunks it changed.
Neither depends on where the knowledge folder is: sources are named
relative to it. Every use of the collection holds the folder's lock
(``index_lock.py``), and each stored chunk carries a fingerprint of its
vector so ``index_check.py`` can tell a stored embedding is still its own.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import urlsplit

import numpy as np

from .chroma_ef import PackagedMiniLM
from .embeddings import Embedder, shared_embedder
from .config import DEFAULT_INDEX_WAIT_S
from .guide import Question
from .index_lock import IndexLock, IndexServerError
from .index_vectors import ShippedVectors
from .index_vectors import load as load_shipped
from .notes import AnswerKey, Note, NotesCollection

COLLECTION = "knowledge"
# The part name of chunks that hold a way of asking a key's question.
ASKED_AS = "asked as"
# Words, not tokens: MiniLM truncates at 256 word pieces, and a long note split
# near 180 words keeps each chunk whole inside that window.
NOTE_CHUNK_WORDS = 180
# Written by every build that changed the collection; a process whose client
# predates it reopens, since Chroma's local client caches the vector index.
GENERATION_FILE = "index.generation"
# Stored fingerprints are rounded to 5 decimals; float32 storage moves them
# far less than this, a different vector far more.
FINGERPRINT_TOLERANCE = 1e-3


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
    # Chunks whose vector was copied from a stored chunk with the same text
    # (a renamed file, an index from before sources were folder-relative).
    reused: int = 0
    # Of the added chunks, those whose vector came from the shipped file
    # (index_vectors.py) instead of the model.
    shipped: int = 0
    repaired: int = 0
    check: dict | None = None

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
    # The question alone and each other way of asking it, one short chunk each:
    # a question worded differently is nearer another question than a long
    # chunk of answer text. These find the key; they are never cited.
    for phrasing in dict.fromkeys([key.title, *key.phrasings]):
        chunks.append(_make(phrasing, {**base, "part": ASKED_AS}))
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


def fingerprint(vector) -> float:
    """A cheap checksum of a vector, stored with its chunk.

    Weighted by position, so a vector of another chunk (same numbers in
    another order, or another chunk's numbers) does not match.
    """
    v = np.asarray(vector, dtype=np.float64).ravel()
    return round(float(v @ np.linspace(1.0, 2.0, v.size)), 5)


def open_client(index_dir: str | Path, url: str | None = None):
    """A Chroma client with telemetry off: persistent in a folder, or a server's HttpClient."""
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False, allow_reset=False)
    if url:
        parts = urlsplit(url)
        try:
            client = chromadb.HttpClient(host=parts.hostname or "127.0.0.1",
                                         port=parts.port or (443 if parts.scheme == "https"
                                                             else 8000),
                                         ssl=parts.scheme == "https", settings=settings)
            client.heartbeat()
        except Exception as exc:
            raise IndexServerError(f"cannot reach the Chroma server at {url} "
                                   f"(INTERVIEWER_CHROMA_URL): {type(exc).__name__}; is "
                                   "`chroma run` running there?") from None
        return client
    Path(index_dir).mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(index_dir), settings=settings)



class ChromaIndex:
    """The notes collection: incremental build and similarity queries.

    Every method holds the folder's lock while it talks to Chroma, so it
    waits (with a message, up to the lock's limit) for a build in another
    process instead of hanging inside Chroma or reading half a build.
    """

    def __init__(self, index_dir: str | Path, embedder: Embedder | None = None,
                 lock=None, wait_s: float | None = None,
                 on_wait: Callable[[str], None] | None = None, url: str | None = None,
                 shipped: ShippedVectors | None = None):
        self.index_dir = Path(index_dir)
        self.embedder = embedder or shared_embedder()
        # Vectors a build may take instead of embedding (index_vectors.py); the
        # shipped file is read only when a build has chunks to add, not by readers.
        self._shipped = shipped
        # With a Chroma server the server keeps readers and writers consistent;
        # only builds need the lock, and it must live where every replica can
        # see it (a LeaseLock in the shared database), not in a local folder.
        self.url = url
        if url and lock is None:
            raise ValueError("an index on a Chroma server needs a shared lock (LeaseLock)")
        self.lock = lock or IndexLock(self.index_dir,
                                      DEFAULT_INDEX_WAIT_S if wait_s is None else wait_s, on_wait)
        self.client = None
        self._collection = None
        self._generation: str | None = None
        if url:
            self._open()
        else:
            with self.lock.hold():
                self._open()

    @property
    def shipped(self) -> ShippedVectors:
        """The shipped vectors this index's builds may use (read on first use)."""
        if self._shipped is None:
            self._shipped = load_shipped()
        return self._shipped

    # -- the client and the lock ------------------------------------------------

    def _read_generation(self) -> str | None:
        if self.url:
            return None  # the server's collection is always current; nothing is cached here
        try:
            return (self.index_dir / GENERATION_FILE).read_text(encoding="utf-8").strip()
        except OSError:
            return None

    def mark_changed(self) -> None:
        """Tell other processes' clients that the collection changed (they reopen)."""
        if self.url:
            return
        self._generation = uuid.uuid4().hex
        tmp = self.index_dir / f"{GENERATION_FILE}.{os.getpid()}.tmp"
        tmp.write_text(self._generation, encoding="utf-8")
        os.replace(tmp, self.index_dir / GENERATION_FILE)

    def _open(self) -> None:
        if self.client is not None:
            self.client.close()
        self._generation = self._read_generation()
        self.client = open_client(self.index_dir, self.url)
        self._collection = self.client.get_or_create_collection(
            COLLECTION,
            embedding_function=PackagedMiniLM(self.embedder),
            configuration={"hnsw": {"space": "cosine"}},
        )

    @contextmanager
    def using(self, purpose: str = "reading") -> Iterator:
        """Hold the lock and yield the collection, reopened if another process rebuilt it."""
        if self.url and purpose == "reading":
            yield self._collection
            return
        with self.lock.hold(purpose):
            if self._read_generation() != self._generation:
                self._open()
            yield self._collection

    @property
    def collection(self):
        """The Chroma collection (callers that use it directly should hold ``using``)."""
        return self._collection

    def recreate(self) -> None:
        """Drop the collection and start an empty one."""
        with self.using("rebuilding"):
            self.client.delete_collection(COLLECTION)
            self._collection = self.client.get_or_create_collection(
                COLLECTION,
                embedding_function=PackagedMiniLM(self.embedder),
                configuration={"hnsw": {"space": "cosine"}},
            )
            self.mark_changed()

    # -- reads -------------------------------------------------------------------

    def count(self) -> int:
        """Number of chunks stored."""
        with self.using() as col:
            return col.count()

    def existing_ids(self) -> set[str]:
        """Ids of every stored chunk."""
        with self.using() as col:
            return set(col.get(include=[])["ids"])

    def query(self, text: str, k: int = 8, where: dict | None = None) -> list[dict]:
        """Nearest chunks to a text: dicts with id, text, metadata and similarity."""
        vector = self.embedder.encode_cached([text])
        with self.using() as col:
            n = min(k, max(col.count(), 1))
            res = col.query(query_embeddings=vector, n_results=n, where=where,
                            include=["documents", "metadatas", "distances"])
        return [
            {"id": cid, "text": doc, "metadata": meta, "similarity": 1.0 - float(dist)}
            for cid, doc, meta, dist in zip(res["ids"][0], res["documents"][0],
                                           res["metadatas"][0], res["distances"][0])
        ]

    def nearest_ids(self, text: str, k: int) -> list[tuple[str, float]]:
        """Ids and similarities of the k nearest chunks (no text or metadata: fast)."""
        vector = self.embedder.encode_cached([text])
        with self.using() as col:
            n = min(k, max(col.count(), 1))
            res = col.query(query_embeddings=vector, n_results=n, include=["distances"])
        return [(cid, 1.0 - float(dist)) for cid, dist in zip(res["ids"][0], res["distances"][0])]

    def get_chunks(self, ids: list[str]) -> dict[str, dict]:
        """Stored chunks by id: dicts with id, text and metadata (missing ids left out)."""
        if not ids:
            return {}
        with self.using() as col:
            res = col.get(ids=list(ids), include=["documents", "metadatas"])
        return {cid: {"id": cid, "text": doc, "metadata": meta}
                for cid, doc, meta in zip(res["ids"], res["documents"], res["metadatas"])}

    # -- writes ------------------------------------------------------------------

    def add(self, chunks: list[Chunk], vectors) -> None:
        """Store chunks with their vectors and the vectors' fingerprints."""
        with self.using("building") as col:
            col.add(
                ids=[c.id for c in chunks],
                documents=[c.text for c in chunks],
                metadatas=[{**c.metadata, "fp": fingerprint(v)} for c, v in zip(chunks, vectors)],
                embeddings=[np.asarray(v, dtype=np.float32) for v in vectors],
            )

    def _vectors_by_text(self, ids: list[str], batch_size: int = 256) -> dict[str, np.ndarray]:
        """Stored vectors of these chunks by their text; unreadable ones are left out."""
        return {doc: vec for _, doc, vec in self._sound_vectors(ids, batch_size)}

    def vectors_by_id(self, ids: list[str], batch_size: int = 256) -> dict[str, np.ndarray]:
        """Stored vectors of these chunks by id; unreadable or damaged ones are left out."""
        return {cid: vec for cid, _, vec in self._sound_vectors(ids, batch_size)}

    def _sound_vectors(self, ids: list[str], batch_size: int):
        """(id, text, vector) of stored chunks whose vector still matches its fingerprint."""
        out = []
        with self.using("building") as col:
            for i in range(0, len(ids), batch_size):
                try:
                    got = col.get(ids=ids[i:i + batch_size],
                                  include=["documents", "embeddings", "metadatas"])
                except Exception:  # a damaged index: those chunks are embedded afresh
                    continue
                for cid, doc, vec, meta in zip(got["ids"], got["documents"], got["embeddings"],
                                               got["metadatas"]):
                    if vec is None or doc is None:
                        continue
                    stored = (meta or {}).get("fp")
                    # A vector whose fingerprint no longer matches is not copied.
                    if stored is None or abs(fingerprint(vec) - stored) <= FINGERPRINT_TOLERANCE:
                        out.append((cid, doc, np.asarray(vec, dtype=np.float32)))
        return out

    def copy_to(self, target: "ChromaIndex", batch_size: int = 256) -> int:
        """Copy every chunk this index holds, vectors included, into `target` that lacks it.

        Moving a laptop's index to a Chroma server this way embeds nothing:
        chunk ids are hashes of their content, so the later sync finds the
        copied chunks current. Returns the number of chunks copied.
        """
        have = target.existing_ids()
        ids = sorted(self.existing_ids() - have)
        copied = 0
        with self.using() as col:
            for i in range(0, len(ids), batch_size):
                got = col.get(ids=ids[i:i + batch_size],
                              include=["documents", "embeddings", "metadatas"])
                chunks = [Chunk(cid, doc, {k: v for k, v in meta.items() if k != "fp"})
                          for cid, doc, meta in zip(got["ids"], got["documents"],
                                                   got["metadatas"])]
                target.add(chunks, list(got["embeddings"]))
                copied += len(chunks)
        if copied:
            target.mark_changed()
        return copied

    def sync(self, chunks: list[Chunk], batch_size: int = 64,
             progress: Callable[[int, int], None] | None = None) -> IndexReport:
        """Make the collection hold exactly these chunks, embedding only new ones."""
        start = time.perf_counter()
        with self.using("building") as col:
            wanted = {c.id: c for c in chunks}
            have = set(col.get(include=[])["ids"])
            stale = sorted(have - wanted.keys())
            # Similar lengths batch together, as the model's own encode does, so
            # little of each batch is padding.
            new = sorted((c for cid, c in wanted.items() if cid not in have),
                         key=lambda c: len(c.text))
            known = self._vectors_by_text(stale) if stale and new else {}
            reuse = [c for c in new if c.text in known]
            pending = [c.text for c in new if c.text not in known]
            shipped = self.shipped.lookup(pending) if pending else {}
            from_file = [c for c in new if c.text in shipped and c.text not in known]
            embed = [c for c in new if c.text not in known and c.text not in shipped]
            if stale:
                col.delete(ids=stale)
            for group, source in ((reuse, known), (from_file, shipped)):
                for i in range(0, len(group), 256):
                    batch = group[i:i + 256]
                    self.add(batch, [source[c.text] for c in batch])
            done = 0
            for i in range(0, len(embed), batch_size):
                batch = embed[i:i + batch_size]
                self.add(batch, self.embedder.encode([c.text for c in batch],
                                                     batch_size=batch_size))
                done += len(batch)
                if progress:
                    progress(done, len(embed))
            if stale or new:
                self.mark_changed()
        return IndexReport(total=len(wanted), added=len(embed) + len(from_file),
                           removed=len(stale), unchanged=len(wanted) - len(new),
                           reused=len(reuse), shipped=len(from_file),
                           seconds=round(time.perf_counter() - start, 3))
