"""The knowledge base: question bank, answer keys and the Chroma index together.

It turns a guide question into the reference an answer is graded against:
the question's own answer key (by id) plus related chunks found by
similarity, each numbered so a grade can cite it.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable

from .config import Settings
from .embeddings import Embedder, shared_embedder
from .grading.models import Evidence, FollowUpProbe, ReferenceAnswer
from .guide import GuideError, Question, classify, load_guide, normalize_text
from .index import ASKED_AS, ChromaIndex, IndexReport, all_chunks
from .index_check import CheckReport, check_index, repair_index
from .claims import CLAIMS_FILE, claims_path, load_claims
from .notes import AnswerKey, NotesError, attach_claims, load_notes

# A key retrieved for a question it is not linked to is used only when the
# questions are near-duplicates (same topic asked in another section).
RETRIEVED_KEY_MIN_SIMILARITY = 0.80
# A related note is cited only this close to the question: at 0.35 (before),
# notes on neighbouring topics (a vector-DB tuning note for a filtering
# question) filled the sources; 0.50 keeps the same-topic ones. Shown in the UI.
RELATED_MIN_SIMILARITY = 0.50
# Chosen on the project's 250 paraphrases (evals/data/retrieval_paraphrases.json):
# 0 / 0.1 / 0.2 / 0.3 / 0.5 gave recall@1 0.812 / 0.828 / 0.832 / 0.820 / 0.804.
SECOND_CHUNK_WEIGHT = 0.2
# Chunks fetched per search: enough that a top entry's second chunk is among them.
SEARCH_MIN_CHUNKS = 120
# A free-text question is graded against the closest key only if it is this close.
TEXT_KEY_MIN_SIMILARITY = 0.55
# Sources are named under this label wherever the knowledge folder is, so
# chunk ids (hashes of text and metadata) survive moving or renaming it.
SOURCE_PREFIX = "knowledge/notes"
# How long a search waits for the app's background index check or build before
# saying so; a build without usable shipped vectors (edited notes, another
# model) takes minutes and is not waited out.
SEARCH_WAIT_S = 60.0


@dataclass
class IndexState:
    """Where the index stands while the app builds it in the background.

    ``unknown``: nobody checked (the CLI, tests): every use goes to the index,
    waiting for its lock if need be. ``checking`` and ``building``: the app's
    warm-up is on it; grading goes on without related notes meanwhile.
    """

    status: str = "unknown"  # unknown | checking | building | ready | failed
    done: int = 0
    total: int = 0
    error: str | None = None
    started: float | None = None

    @property
    def usable(self) -> bool:
        """Whether queries may go to the index now (without waiting for a build)."""
        return self.status in ("unknown", "ready")

    def wait_usable(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the background check or build to finish;
        whether the index is usable then (a failed build is not worth waiting for)."""
        deadline = time.monotonic() + timeout
        # Polled, not an Event: the app sets ``status`` directly before its thread starts.
        while self.status in ("checking", "building") and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.usable

    def describe(self) -> str:
        """One line for the UI."""
        if self.status == "building" and self.total:
            return (f"Building the notes index: {self.done:,} of {self.total:,} chunks embedded. "
                    "Questions and grades work now; related notes join the feedback when it "
                    "is done.")
        if self.status in ("checking", "building"):
            return "Checking the notes index. Questions and grades work now."
        if self.status == "failed":
            return f"The notes index could not be built ({self.error}); grades cite the answer " \
                   "keys only. Run `interviewer index` to see why."
        return "The notes index is ready."

    def unavailable(self) -> str:
        """Why a search cannot use the index now, as a clause for a message."""
        if self.status == "failed":
            return (f"the notes index could not be built ({self.error}); run "
                    "`interviewer index` to see why")
        if self.status == "building" and self.total:
            return (f"the notes index is still being built ({self.done:,} of {self.total:,} "
                    "chunks); try again in a minute")
        return "the notes index is still being checked; try again in a minute"


class IndexBuildingError(RuntimeError):
    """A search needs the index, and the app is still building it."""


class KnowledgeBase:
    """Questions, notes and index, loaded once and shared across sessions."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None,
                 on_wait: Callable[[str], None] | None = None):
        self.settings = settings
        self.embedder = embedder or shared_embedder()
        # Told when another process holds the index and this one waits for it.
        self.on_wait = on_wait or (lambda message: print(f"interviewer: {message}",
                                                         file=sys.stderr))
        self.guide_problems: list[GuideError] = []
        self.questions: list[Question] = load_guide(settings.guide_path, self.guide_problems)
        self.by_id = {q.id: q for q in self.questions}
        self.notes = load_notes(settings.notes_dir, prefix=SOURCE_PREFIX)
        claim_problems: list[str] = []
        attach_claims(self.notes.keys, load_claims(claims_path(settings.notes_dir),
                                                   claim_problems))
        self.notes.errors += [NotesError(message, f"knowledge/{CLAIMS_FILE}", 1)
                              for message in claim_problems]
        self._keys = self.notes.by_question()
        self._index: ChromaIndex | None = None
        self._meta: dict[str, dict] | None = None
        self._key_chunks: dict[str, list[str]] = {}
        self._lock = threading.Lock()
        self.index_state = IndexState()
        self.search_wait_s = SEARCH_WAIT_S
        self._chunk_rows: dict[str, dict] = {}

    @property
    def problems(self) -> list[GuideError | NotesError]:
        """Malformed guide lines and notes entries that were skipped, with file and line."""
        return [*self.guide_problems, *self.notes.errors]

    # -- questions and coverage -------------------------------------------

    def key_for(self, question_id: str) -> AnswerKey | None:
        """The answer key linked to a question id."""
        return self._keys.get(question_id)

    def sections(self) -> dict[int, dict]:
        """Per section: title, number of questions and how many have answer keys."""
        out: dict[int, dict] = {}
        for q in self.questions:
            s = out.setdefault(q.section, {"title": q.section_title, "questions": 0, "keys": 0})
            s["questions"] += 1
            s["keys"] += q.id in self._keys
        return out

    def covered_sections(self) -> list[int]:
        """Sections where every question has an answer key."""
        return [n for n, s in self.sections().items() if s["keys"] == s["questions"]]

    def questions_in(self, sections: list[int] | None = None) -> list[Question]:
        """Questions of the given sections (all when None)."""
        return [q for q in self.questions if not sections or q.section in sections]

    # -- index ---------------------------------------------------------------

    @property
    def index(self) -> ChromaIndex:
        """The Chroma index (opened on first use; one client per process)."""
        with self._lock:
            if self._index is None:
                lock = None
                if self.settings.chroma_url:
                    from .lease_lock import LeaseLock
                    from .store import Store

                    lock = LeaseLock(Store(self.settings.store_location), "index",
                                     self.settings.index_wait_s, self.on_wait)
                self._index = ChromaIndex(self.settings.index_dir, self.embedder, lock=lock,
                                          wait_s=self.settings.index_wait_s,
                                          on_wait=self.on_wait, url=self.settings.chroma_url)
            return self._index

    def chunks(self):
        """Every chunk the notes produce."""
        return all_chunks(self.notes, self.questions)

    def is_index_current(self) -> bool:
        """Whether the stored chunks are exactly the notes' chunks (no model needed)."""
        return self.index.existing_ids() == {c.id for c in self.chunks()}

    def build_index(self, progress: Callable[[int, int], None] | None = None) -> IndexReport:
        """Bring the index in line with the notes, embedding only new chunks,
        then check it and rebuild what the check finds broken."""
        chunks = self.chunks()
        # One hold for the whole build: nobody reads a half-built index, and a
        # second build waits, then finds nothing left to do.
        with self.index.using("building"):
            report = self.index.sync(chunks, progress=progress)
            check = check_index(self.index, chunks)
            if not check.ok:
                report.repaired = repair_index(self.index, chunks, check)
                check = check_index(self.index, chunks)
        report.check = check.to_dict()
        report.errors = [str(e) for e in self.problems]
        return report

    def ensure_index(self) -> IndexState:
        """Check the index and build what is missing, recording progress in ``index_state``
        (the app runs this in the background, so the first page does not wait for it)."""
        state = self.index_state
        state.status, state.started = "checking", time.monotonic()
        try:
            if not self.is_index_current():
                state.status = "building"

                def progress(done: int, total: int) -> None:
                    state.done, state.total = done, total

                self.build_index(progress=progress)
            state.status = "ready"
        except Exception as exc:  # noqa: BLE001 - said in the UI; grading goes on without it
            state.status, state.error = "failed", f"{type(exc).__name__}: {exc}"[:300]
        return state

    def _require_index(self) -> None:
        # Checking a current index takes seconds and building one from the shipped
        # vectors well under a minute, so a search that needs it (matching a job,
        # drafting a key) waits for it rather than sending the user away to retry.
        if not self.index_state.wait_usable(self.search_wait_s):
            raise IndexBuildingError(self.index_state.unavailable())

    def check_index(self, sample: int | None = None) -> CheckReport:
        """Verify the stored index against the notes without changing it."""
        return check_index(self.index, self.chunks(), sample=sample)

    # -- retrieval -------------------------------------------------------------

    def search(self, text: str, k: int = 5) -> list[dict]:
        """The k nearest entries to a text (best chunk of each note or key), best first.

        An entry ranks by its best chunk plus a share of its second best
        (``SECOND_CHUNK_WEIGHT``): a key whose question and content both match
        beats one that matches on a single short phrasing. Candidates are
        grouped by id (the notes name every chunk's entry), and only the
        winners' text is read from the index: reading text and metadata of
        every candidate was most of a query's time.
        """
        self._require_index()
        meta_of = self._chunk_metadata()
        best: dict[tuple, tuple[str, float]] = {}
        second: dict[tuple, float] = {}
        for cid, similarity in self.index.nearest_ids(text, max(SEARCH_MIN_CHUNKS, k * 8)):
            if cid not in meta_of:
                continue  # a chunk of notes that have changed since the build
            entry = (meta_of[cid]["source"], meta_of[cid]["heading"])
            if entry not in best:
                best[entry] = (cid, similarity)
            elif entry not in second:
                second[entry] = similarity
        ranked = sorted(best, key=lambda e: -(best[e][1]
                                              + SECOND_CHUNK_WEIGHT * second.get(e, 0.0)))
        return self._rows([best[e] for e in ranked[:k]])

    def _rows(self, hits: list[tuple[str, float]]) -> list[dict]:
        """Chunks (id, text, metadata) of (id, similarity) hits, in order.

        Read from the notes, not the index: the index holds the same text under
        the same id (ids are hashes of both), and a key's own chunks are then
        citable before the index is built.
        """
        self._chunk_metadata()
        return [{**self._chunk_rows[cid], "similarity": similarity} for cid, similarity in hits
                if cid in self._chunk_rows]

    def _chunk_metadata(self) -> dict[str, dict]:
        """Chunk id -> its metadata, from the notes (computed once): candidates are
        sorted without reading text or metadata from the index."""
        with self._lock:
            if self._meta is None:
                chunks = self.chunks()
                self._chunk_rows = {c.id: {"id": c.id, "text": c.text, "metadata": c.metadata}
                                    for c in chunks}
                self._meta = {c.id: c.metadata for c in chunks}
                # A key's citable chunks in part order, looked up on every grade.
                order = {"key points": 0, "explanation": 1, "depth": 2}
                by_key: dict[str, list[str]] = defaultdict(list)
                for cid, meta in sorted(self._meta.items(),
                                        key=lambda item: order.get(item[1].get("part"), 9)):
                    if meta.get("key") and meta.get("part") in order:
                        by_key[meta["key"]].append(cid)
                self._key_chunks = dict(by_key)
            return self._meta

    def _key_chunk_ids(self, key_id: str) -> list[str]:
        """Ids of a key's citable chunks (key points, explanation, depth), in that order."""
        self._chunk_metadata()
        return self._key_chunks.get(key_id, [])

    def reference_for(self, question: Question, related: int = 3) -> ReferenceAnswer:
        """The answer key for a question plus related chunks, numbered for citation."""
        key = self.key_for(question.id)
        match = "answer key"
        meta_of = self._chunk_metadata()
        # While the app builds the index, a guide question is still graded against
        # its own key (found by id); only the related notes wait for the index.
        pending = not self.index_state.usable
        hits = [] if pending else [(cid, sim) for cid, sim in
                                   self.index.nearest_ids(question.text, 32) if cid in meta_of]
        if key is None:
            best = next(((cid, sim) for cid, sim in hits if meta_of[cid].get("key")), None)
            if best and best[1] >= RETRIEVED_KEY_MIN_SIMILARITY:
                key = self.key_for(meta_of[best[0]]["key"])
                match = "retrieved key"
        own = self._key_chunk_ids(key.question_ids[0]) if key else []
        seen = {(meta_of[cid]["source"], meta_of[cid]["heading"]) for cid in own}
        chosen: list[tuple[str, float]] = []
        # Keys of the same question asked in another section come first: their
        # angle on it is the most related note there is.
        for sibling in key.see_also if key else []:
            ids = self._key_chunk_ids(sibling)
            near = [sim for cid, sim in hits if meta_of[cid].get("key") == sibling]
            if ids and near and len(chosen) < related:
                seen.add((meta_of[ids[0]]["source"], meta_of[ids[0]]["heading"]))
                chosen.append((ids[0], max(near)))
        for cid, sim in hits:
            meta = meta_of[cid]
            if len(chosen) >= related:
                break
            # A way of asking a question is no evidence; the key's content chunks are.
            if meta.get("part") == ASKED_AS or (meta["source"], meta["heading"]) in seen \
                    or sim < RELATED_MIN_SIMILARITY:
                continue
            seen.add((meta["source"], meta["heading"]))
            chosen.append((cid, sim))
        # One read for the key's chunks and the related ones.
        rows = self._rows([(cid, 1.0) for cid in own] + chosen)
        evidence = [_evidence(i + 1, row, is_key=row["id"] in own) for i, row in enumerate(rows)]
        if key is None:
            return ReferenceAnswer(question=question.text, kind=question.kind, key_points=[],
                                   evidence=evidence, question_id=question.id, match="answer key")
        return ReferenceAnswer(
            question=question.text, kind=key.kind or question.kind, key_points=key.key_points,
            explanation=key.explanation, depth_signals=key.depth_signals,
            mistakes=key.mistakes, evidence=evidence, question_id=question.id,
            key_title=key.title, match=match, probes=_probes(key), point_roles=_roles(key),
            point_claims=key.claims, related_pending=pending,
        )

    def reference_for_text(self, text: str, kind: str | None = None) -> ReferenceAnswer:
        """The reference for a free-text question: its guide question if it is one,
        else the answer key retrieval ranks first (no score when nothing matches)."""
        wanted = normalize_text(text)
        for q in self.questions:
            if normalize_text(q.text) == wanted:
                return self.reference_for(q)
        kind = kind or classify(text)
        hit = next((h for h in self.search(text, k=5) if h["metadata"].get("key")), None)
        # Grading against a key for another topic would be a made-up grade.
        close = hit is not None and hit["similarity"] >= TEXT_KEY_MIN_SIMILARITY
        key = self.key_for(hit["metadata"]["key"]) if close else None
        if key is None:
            return ReferenceAnswer(question=text, kind=kind, key_points=[])
        rows = self._rows([(cid, 1.0) for cid in self._key_chunk_ids(key.question_ids[0])])
        evidence = [_evidence(i + 1, row, is_key=True) for i, row in enumerate(rows)]
        return ReferenceAnswer(
            question=text, kind=key.kind or kind, key_points=key.key_points,
            explanation=key.explanation, depth_signals=key.depth_signals, mistakes=key.mistakes,
            evidence=evidence, key_title=key.title, match="retrieved key", probes=_probes(key),
            point_roles=_roles(key), point_claims=key.claims,
        )

    def follow_up_reference(self, base: ReferenceAnswer, follow_up: str,
                            target: str | None) -> ReferenceAnswer:
        """The reference for a follow-up: the authored probe's key when the follow-up is
        one, else the key point it probes; same evidence."""
        probe = next((p for p in base.probes if p.question == follow_up), None)
        points = [probe.key] if probe else [target] if target else base.key_points
        return base.model_copy(update={"question": follow_up, "key_points": points,
                                       "depth_signals": [], "point_roles": [],
                                       "point_claims": []})


def _roles(key: AnswerKey) -> list[str]:
    """The key points' roles, or none when any point is unmarked (weighted by order)."""
    return list(key.roles) if key.roles and all(key.roles) else []


def _probes(key: AnswerKey) -> list[FollowUpProbe]:
    return [FollowUpProbe(points=list(p.points), question=p.question, key=p.key)
            for p in key.probes]


def _evidence(n: int, row: dict, is_key: bool) -> Evidence:
    meta = row["metadata"]
    return Evidence(n=n, chunk_id=row["id"], source=meta["source"], heading=meta["heading"],
                    part=meta.get("part", ""), text=row["text"],
                    similarity=round(float(row["similarity"]), 3), is_answer_key=is_key)


def coverage_report(kb: KnowledgeBase) -> dict[int, list[str]]:
    """Question ids without an answer key, per section."""
    missing: dict[int, list[str]] = defaultdict(list)
    for q in kb.questions:
        if kb.key_for(q.id) is None:
            missing[q.section].append(q.id)
    return dict(missing)
