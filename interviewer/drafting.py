"""What an LLM may write for you: a draft key for your own question, questions for a job.

Both are optional (an LLM must be configured) and both are labelled: a draft
key is shown for review and saved only when accepted, with the model that
drafted it; a generated question says it was generated and which requirement
it tests. Neither ever replaces anything of ours.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .llm.errors import LLMBadOutput
from .prompts import load_prompt, version

DRAFT_SCHEMA = {
    "type": "object",
    "properties": {
        "key_points": {"type": "array", "items": {"type": "string"}, "minItems": 3,
                       "maxItems": 6},
        "explanation": {"type": "string"},
        "sources": {"type": "array", "items": {"type": "integer"}},
    },
    "required": ["key_points", "explanation", "sources"],
    "additionalProperties": False,
}
QUESTIONS_SCHEMA = {
    "type": "object",
    "properties": {
        "questions": {"type": "array", "items": {
            "type": "object",
            "properties": {"question": {"type": "string"}, "requirement": {"type": "string"}},
            "required": ["question", "requirement"], "additionalProperties": False}},
    },
    "required": ["questions"],
    "additionalProperties": False,
}
MAX_POINT_CHARS = 400


@dataclass
class DraftKey:
    """A key an LLM drafted for one of your questions, awaiting your review."""

    question_id: str
    question: str
    key_points: list[str]
    explanation: str
    model: str  # "openai · gpt-4o-mini": who drafted it, shown wherever it is used
    sources: list[str] = field(default_factory=list)  # "your notes/x.md › Heading (page 2)"
    prompt_version: str = ""


def draft_key(chat, question_id: str, question: str, passages: list[dict]) -> DraftKey:
    """Ask the model for a key built only from these passages (dicts with text, metadata)."""
    system, user = load_prompt("draft_key_system"), load_prompt("draft_key_user")
    numbered = "\n\n".join(f"[{i + 1}] {p['text']}" for i, p in enumerate(passages))
    result = chat.structured(system.text, user.render(question=question, passages=numbered),
                             "draft_key", DRAFT_SCHEMA)
    data = result.data or {}
    points = [p.strip() for p in data.get("key_points", []) if isinstance(p, str) and p.strip()]
    if not 3 <= len(points) <= 6 or any(len(p) > MAX_POINT_CHARS for p in points):
        raise LLMBadOutput("the model's draft key did not have 3 to 6 short key points")
    used = [n for n in data.get("sources", []) if isinstance(n, int) and 1 <= n <= len(passages)]
    sources = [_label(passages[n - 1]) for n in dict.fromkeys(used)]
    return DraftKey(question_id=question_id, question=question, key_points=points,
                    explanation=str(data.get("explanation", "")).strip(), model=chat.label,
                    sources=sources, prompt_version=version(system, user))


def generate_questions(chat, requirements: list[str], count: int) -> list[tuple[str, str]]:
    """(question, requirement) pairs the model wrote for a job's requirements; pairs that
    name a requirement not in the list, or are not questions, are dropped."""
    system, user = load_prompt("jd_questions_system"), load_prompt("jd_questions_user")
    listed = "\n".join(f"- {r}" for r in requirements)
    result = chat.structured(system.text, user.render(requirements=listed, count=str(count)),
                             "jd_questions", QUESTIONS_SCHEMA)
    known = {r.lower(): r for r in requirements}
    out: list[tuple[str, str]] = []
    for item in (result.data or {}).get("questions", []):
        q = str(item.get("question", "")).strip()
        req = known.get(str(item.get("requirement", "")).strip().lower())
        if req and q.endswith("?") and 3 <= len(q.split()) <= 60 and \
                q.lower() not in {x.lower() for x, _ in out}:
            out.append((q, req))
    return out[:count]


def _label(passage: dict) -> str:
    meta = passage.get("metadata", {})
    return f"{meta.get('source', '?')} › {meta.get('heading', '?')} ({meta.get('part', '?')})"


__all__ = ["DraftKey", "draft_key", "generate_questions", "DRAFT_SCHEMA", "QUESTIONS_SCHEMA"]
