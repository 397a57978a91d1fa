"""A job description -> an interview weighted to what it asks for (offline).

The description is split into requirement lines (bullets, and the sentences of
its requirements and responsibilities), each requirement is matched to guide
questions by retrieval over our answer keys (every key indexes its own question
and other ways of asking it), and questions are drawn in turn from the
requirements, best match first, so a long description does not crowd out the
requirements listed last. Every chosen question remembers the requirement it
was chosen for; the debrief reports how the candidate did on each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Below this similarity a guide question is not a match for a requirement:
# the floor free-text questions use to pick a key (knowledge.TEXT_KEY_MIN_SIMILARITY)
# is 0.55 for "the same question"; a requirement names a skill, not a question,
# so a looser floor, with the similarity shown beside each choice.
MATCH_MIN_SIMILARITY = 0.40
MAX_REQUIREMENTS = 40
MAX_JD_CHARS = 30_000
MIN_REQUIREMENT_WORDS = 3
# Lines about the employer rather than the work: never requirements.
_BOILERPLATE = re.compile(
    r"\b(equal opportunity|benefits?|salary|compensation|pto|paid time off|401k|"
    r"visa sponsorship|we are an? |about us|our mission|apply now|health insurance|"
    r"parental leave|diversity|remote-first|perks?)\b", re.I)
_BULLET = re.compile(r"^\s*(?:[-*•·–]|\d+[.)])\s+")
_SECTION = re.compile(r"^\s*#*\s*(requirements?|qualifications?|responsibilities|what you.ll do|"
                      r"what we.re looking for|you have|you will|skills|must have|nice to have|"
                      r"preferred|about the role|the role)\b", re.I)


class JobDescriptionError(ValueError):
    """A job description that cannot tailor an interview; the message says why."""


@dataclass
class Choice:
    """A question chosen for a requirement."""

    question_id: str
    requirement: str
    similarity: float


@dataclass
class Tailoring:
    """What a job description asked for and which questions answer it."""

    requirements: list[str]
    choices: list[Choice] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)

    def chosen_for(self) -> dict[str, str]:
        """Question id -> the requirement it was chosen for."""
        return {c.question_id: c.requirement for c in self.choices}


def requirements(text: str) -> list[str]:
    """The requirement lines of a job description, in order, without duplicates."""
    if not text or not text.strip():
        raise JobDescriptionError("the job description is empty")
    if len(text) > MAX_JD_CHARS:
        raise JobDescriptionError(f"the job description is {len(text):,} characters; the "
                                  f"limit is {MAX_JD_CHARS:,}")
    from .grading.guards import language_problem

    language = language_problem(text)
    if language:
        raise JobDescriptionError(
            f"the job description looks like it is in {language}; requirements are matched to "
            "the guide's English questions, so paste an English version")
    out: list[str] = []
    bullets = [ln for ln in text.splitlines() if _BULLET.match(ln)]
    lines = bullets if len(bullets) >= 3 else _sentences_in_sections(text)
    for line in lines:
        req = _BULLET.sub("", line).strip().rstrip(".;:")
        if len(req.split()) < MIN_REQUIREMENT_WORDS or _BOILERPLATE.search(req):
            continue
        if req.lower() not in {r.lower() for r in out}:
            out.append(req)
    if not out:
        raise JobDescriptionError("no requirements found: list them as lines or bullets "
                                  "(\"- Experience with retrieval-augmented generation\")")
    return out[:MAX_REQUIREMENTS]


def _sentences_in_sections(text: str) -> list[str]:
    """Sentences of a description written as prose (no bullets)."""
    sentences = []
    for para in re.split(r"\n\s*\n|\n", text):
        if _SECTION.match(para) and len(para.split()) <= 6:
            continue  # a heading such as "Requirements:"
        sentences += [s for s in re.split(r"(?<=[.!?;])\s+", para) if s.strip()]
    return sentences


def tailor(kb, text: str, count: int, sections: list[int] | None = None) -> Tailoring:
    """Requirements of a description and `count` guide questions drawn in turn from them."""
    reqs = requirements(text)
    allowed = {q.id for q in kb.questions_in(sections)} if sections else set(kb.by_id)
    ranked: dict[str, list[tuple[str, float]]] = {}
    for req in reqs:
        hits = []
        for hit in kb.search(req, k=8):
            key = hit["metadata"].get("key")
            if not key or hit["similarity"] < MATCH_MIN_SIMILARITY:
                continue
            key_obj = kb.key_for(key)
            for qid in (key_obj.question_ids if key_obj else [key]):
                if qid in allowed:
                    hits.append((qid, hit["similarity"]))
        ranked[req] = hits
    out = Tailoring(requirements=reqs, unmatched=[r for r in reqs if not ranked[r]])
    taken: set[str] = set()
    # Round robin over requirements in the description's order: each gets its
    # best question not yet taken, until enough are chosen or none is left.
    while len(out.choices) < count:
        progressed = False
        for req in reqs:
            nxt = next(((q, s) for q, s in ranked[req] if q not in taken), None)
            if nxt is None:
                continue
            taken.add(nxt[0])
            out.choices.append(Choice(nxt[0], req, round(nxt[1], 3)))
            progressed = True
            if len(out.choices) >= count:
                break
        if not progressed:
            break
    return out


__all__ = ["Choice", "JobDescriptionError", "Tailoring", "requirements", "tailor",
           "MATCH_MIN_SIMILARITY"]
