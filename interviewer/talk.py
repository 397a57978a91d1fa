"""What the interviewer says back when the candidate talks to it instead of answering.

Offline and deterministic, built from the question's answer key:
- a clarification restates the question in other words (the key's first
  "asked as" phrasing) and says what scope of answer is expected for its kind;
- a repeat gives the question again, word for word;
- a hint is one of the key's authored probes (written and checked not to state
  its answer; see `notes.key_warnings`), the most important point first, and
  each hint lowers the question's maximum score by `HINT_COST`;
- "I don't know" gets a narrower probe as a follow-up, or a move on.
"""

from __future__ import annotations

from .grading.models import FollowUpProbe, ReferenceAnswer
from .grading.text import gives_away

# Points off a question's maximum per hint. A hint points at one key point, and
# a key has 3 to 7 of them (about 6 on average): one point of 6 is worth ~1.5
# of 10. Two hints leave a 7, still a "good" answer in the review schedule.
HINT_COST = 1.5
MAX_HINTS = 2

SCOPE = {
    "concept": "I'm after the idea itself: what it is, how it works, and when you would or "
               "wouldn't use it. A few sentences with one concrete example is the right size.",
    "quick-fire": "A crisp definition in a sentence or two, plus one nuance, is all I need.",
    "system-design": "Walk me through it as you would at a whiteboard: requirements and scale, "
                     "the main components and how data flows, and the trade-offs you'd make "
                     "on latency, cost, failure modes and evaluation.",
    "coding": "Describe your approach and its key steps: the interface, complexity, edge "
              "cases, and how you would test it. Exact code isn't needed.",
    "scenario": "Tell me what you'd do first, how you'd find the cause, how you'd contain or "
                "fix it, and how you'd keep it from happening again.",
    "behavioral": "Pick one real situation: what was at stake, what you did yourself, what "
                  "came of it (a number if you have one), and what you'd do differently.",
}


def repeat_reply(question: str) -> str:
    """The question again, as asked."""
    return f"Of course. The question is: {question}"


def clarify_reply(question: str, kind: str, phrasing: str | None = None,
                  topic: str | None = None) -> str:
    """The question restated in other words, with its context and the scope expected."""
    parts = ["Sure, let me put it another way."]
    if phrasing and phrasing.strip().rstrip("?").lower() != question.strip().rstrip("?").lower():
        parts.append(phrasing.strip())
    else:
        parts.append(f"The question is: {question}")
    if topic:
        parts.append(f"It's from {topic}.")
    parts.append(SCOPE.get(kind, SCOPE["concept"]))
    return " ".join(parts)


def next_probe(ref: ReferenceAnswer, used: list[str]) -> FollowUpProbe | None:
    """The key's next authored probe, most important point first, leaving out probes
    whose question appears in `used` (hints and questions already given) and any
    that would state its answer."""
    for probe in sorted(ref.probes, key=lambda p: min(p.points, default=99)):
        targets = [ref.key_points[i] for i in probe.points if 0 <= i < len(ref.key_points)]
        if any(probe.question in u for u in used) \
                or any(gives_away(probe.question, t, ref.question) for t in targets):
            continue
        return probe
    return None


def next_hint(ref: ReferenceAnswer, given: list[str]) -> str | None:
    """The next hint for a question (None when none is left): a probe, as a nudge."""
    if len(given) >= MAX_HINTS:
        return None
    probe = next_probe(ref, given)
    return hint_text(probe.question) if probe else None


def hint_text(probe_question: str) -> str:
    """A probe worded as a nudge."""
    return f"Here's a nudge: think about this. {probe_question}"


def no_hint_reply(given: int) -> str:
    """Why no (further) hint comes."""
    if given:
        return ("That's all the hints I'll give on this one. Answer with what you have, "
                "or say \"I don't know\" and we'll move on.")
    return ("I don't have a hint for this one that wouldn't give the answer away. "
            "Start from what you do know, or say \"I don't know\" and we'll move on.")


def hint_cap(hints: int) -> float:
    """The most a question can score after this many hints."""
    return max(0.0, 10.0 - HINT_COST * hints)


def dont_know_reply(narrower: bool) -> str:
    """The acknowledgement of "I don't know" (a narrower question follows, or the next one)."""
    if narrower:
        return "That's fine; it's better to say so than to guess. Let's try a narrower angle."
    return "That's fine; it's better to say so than to guess. Let's move on."


__all__ = ["HINT_COST", "MAX_HINTS", "SCOPE", "clarify_reply", "dont_know_reply", "hint_cap",
           "hint_text", "next_hint", "next_probe", "no_hint_reply", "repeat_reply"]
