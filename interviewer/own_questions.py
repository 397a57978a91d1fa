"""Your own questions: a guide in our Markdown shape, or a plain list, kept per profile.

Uploaded questions live beside the profile's notes (``material/<profile hash>/
questions.json``) in section 0, "Your questions". A question that has an answer
key of ours (the same words, or retrieval finds a key for it at the
near-duplicate bar) is graded against that key. One with no key is graded
against the best passages of the profile's notes and ours when retrieval is
confident, and the feedback says so; otherwise it is not scored, and the
candidate is told why. Nothing is made up.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path, PurePosixPath

from .guide import GuideError, Question, classify, parse_guide
from .material import MaterialError, file_chunks, profile_slug

SECTION = 0
SECTION_TITLE = "Your questions"
MAX_QUESTIONS = 500
MAX_QUESTION_CHARS = 500
MIN_QUESTION_WORDS = 3
_BULLET = re.compile(r"^\s*(?:[-*•·–]|\d+[.)]|Q\d*[.:)]?)\s*", re.I)


def own_id(text: str) -> str:
    """A stable id for an uploaded question (never one of the guide's 'qNN-' ids)."""
    return "u-" + hashlib.sha256(" ".join(text.lower().split()).encode()).hexdigest()[:10]


def parse_questions(name: str, data: bytes) -> list[Question]:
    """Questions of an uploaded file: a guide in our shape, else one question per line."""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in (".md", ".markdown", ".txt"):
        raise MaterialError(f"{name}: upload questions as Markdown (.md) or text (.txt)")
    file_chunks(name, data)  # the same checks as notes: empty, binary, not UTF-8, too big
    text = data.decode("utf-8-sig")
    guide: list[Question] = []
    if suffix != ".txt" and re.search(r"^##\s", text, re.M):
        problems: list[GuideError] = []
        try:
            guide = parse_guide(text, name, problems)
        except GuideError:
            guide = []  # not in our shape after all: read it as a list
    lines = [q.text for q in guide] if guide else [
        _BULLET.sub("", ln).strip() for ln in text.splitlines()
        if ln.strip() and not ln.lstrip().startswith("#")]
    subsection = {q.text: q.subsection for q in guide}
    out: list[Question] = []
    seen: set[str] = set()
    for line in lines:
        if len(line.split()) < MIN_QUESTION_WORDS or len(line) > MAX_QUESTION_CHARS:
            continue
        qid = own_id(line)
        if qid in seen:
            continue
        seen.add(qid)
        out.append(Question(id=qid, section=SECTION, section_title=SECTION_TITLE,
                            subsection=subsection.get(line) or PurePosixPath(name).stem,
                            subsection_index=0, text=line, kind=classify(line), line=0))
    if not out:
        raise MaterialError(f"{name}: no questions found; put one question on each line, "
                            "or use the guide's shape (## section, ### subsection, numbered "
                            "questions)")
    return out[:MAX_QUESTIONS]


class OwnQuestions:
    """One profile's uploaded questions."""

    def __init__(self, data_dir: str | Path, profile: str):
        self.path = Path(data_dir) / "material" / profile_slug(profile) / "questions.json"

    def all(self) -> list[Question]:
        """Every uploaded question, in upload order."""
        try:
            rows = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        return [Question(**row) for row in rows]

    def by_id(self) -> dict[str, Question]:
        """Uploaded questions by id."""
        return {q.id: q for q in self.all()}

    def add(self, name: str, data: bytes) -> tuple[int, int]:
        """Add a file's questions: (added, already there). Raises MaterialError."""
        found = parse_questions(name, data)
        have = self.all()
        known = {q.id for q in have}
        fresh = [q for q in found if q.id not in known]
        if len(have) + len(fresh) > MAX_QUESTIONS:
            raise MaterialError(f"{name}: this profile would have more than {MAX_QUESTIONS} "
                                "questions; remove some first")
        self._save(have + fresh)
        return len(fresh), len(found) - len(fresh)

    def remove(self, question_id: str) -> bool:
        """Remove one question; False when it is not there."""
        have = self.all()
        kept = [q for q in have if q.id != question_id]
        if len(kept) == len(have):
            return False
        self._save(kept)
        return True

    # -- generated questions and accepted draft keys ---------------------------------

    def add_generated(self, pairs: list[tuple[str, str]], model: str) -> list[Question]:
        """Questions an LLM wrote for a job's requirements, labelled as generated."""
        have = self.all()
        known = {q.id for q in have}
        fresh = []
        for text, requirement in pairs:
            qid = own_id(text)
            if qid in known:
                continue
            known.add(qid)
            fresh.append(Question(id=qid, section=SECTION, section_title=SECTION_TITLE,
                                  subsection=f"generated by {model}", subsection_index=0,
                                  text=text, kind=classify(text), line=0))
        self._save(have + fresh)
        by_id = {q.id: q for q in have + fresh}
        return [by_id[own_id(text)] for text, _ in pairs if own_id(text) in by_id]

    @property
    def keys_path(self) -> Path:
        return self.path.with_name("keys.json")

    def keys(self) -> dict[str, dict]:
        """Accepted draft keys by question id."""
        try:
            return json.loads(self.keys_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def accept(self, draft) -> None:
        """Save a reviewed draft key (a drafting.DraftKey) for one of these questions."""
        if draft.question_id not in self.by_id():
            raise MaterialError("a draft key can be saved only for one of your own questions")
        keys = self.keys()
        keys[draft.question_id] = {"key_points": draft.key_points,
                                   "explanation": draft.explanation, "model": draft.model,
                                   "sources": draft.sources,
                                   "prompt_version": draft.prompt_version}
        self.keys_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.keys_path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(keys, indent=1), encoding="utf-8")
        os.replace(tmp, self.keys_path)

    def _save(self, questions: list[Question]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps([q.to_dict() for q in questions], indent=1), encoding="utf-8")
        os.replace(tmp, self.path)


__all__ = ["OwnQuestions", "parse_questions", "own_id", "SECTION", "SECTION_TITLE"]
