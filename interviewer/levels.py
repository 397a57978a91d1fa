"""The interviewer's level (junior, mid, senior): which questions come first and the bar.

A level changes three things, and nothing else:
- which questions come first: each guide question gets an estimated level
  from its kind, its wording and its section (`question_level`), and new
  questions nearest the chosen level are asked first (due reviews keep their
  place: the schedule decides those);
- which probe comes first after an answer (`probe_order`);
- how strict the rubric is (`grading.rubrics.rubric_for`): the bar the LLM
  grader is told to hold, and how much the offline grader expects of depth.
"""

from __future__ import annotations

import re

LEVELS = ("junior", "mid", "senior")
DEFAULT_LEVEL = "mid"
LEVEL_LABELS = {
    "junior": "Junior: fundamentals first, a gentler bar on depth",
    "mid": "Mid-level: the guide's own mix",
    "senior": "Senior: design and trade-offs first, depth expected",
}

# Wording that asks for recall of a definition: a junior interviewer's opener.
_JUNIOR_CUES = re.compile(
    r"^(what (is|are|does|do)\b(?!.*\b(trade-?offs?|at scale|in production)\b)|what's|define|"
    r"name|list|give an example|what is meant by)|\bdifference between\b|\bstand for\b", re.I)
# Wording that asks to design, decide or operate under constraints.
_SENIOR_CUES = re.compile(
    r"\b(design|architect|architecting|at scale|scal(e|ing) to|in production|productioni[sz]e|"
    r"trade-?offs?|"
    r"optimi[sz]\w*|debug\w*|troubleshoot\w*|mitigat\w*|how would you|how do you (handle|"
    r"decide|choose|ensure|evaluate|monitor|prevent|reduce)|strateg\w*|multi-?tenant|"
    r"distributed|failure modes?|when would you not|governance|cost-effective)\b", re.I)
# Sections whose questions lean one way whatever their wording.
_JUNIOR_SECTIONS = re.compile(r"\b(foundational|quick fire)\b", re.I)
_SENIOR_SECTIONS = re.compile(
    r"\b(system design|advanced|specialized|serving|performance|troubleshooting|scenario|"
    r"llmops)\b", re.I)
_KIND_LEVEL = {"quick-fire": 1, "concept": 2, "behavioral": 2, "coding": 2,
               "scenario": 3, "system-design": 3}


def question_level(text: str, kind: str, section_title: str = "") -> str:
    """A guide question's estimated level, from its kind, wording and section.

    A heuristic, not a label: the guide marks no levels. Kind sets the base
    (quick-fire 1, design and scenarios 3, the rest 2); recall wording pulls
    it down a step, design or operations wording pushes it up, and the
    foundational/advanced sections nudge it the rest of the way.
    """
    score = _KIND_LEVEL.get(kind, 2)
    if kind in ("concept", "coding"):
        if _SENIOR_CUES.search(text):
            score += 1
        elif _JUNIOR_CUES.search(text.strip()):
            score -= 1
        if _JUNIOR_SECTIONS.search(section_title) and score > 1:
            score -= 1
        elif _SENIOR_SECTIONS.search(section_title) and score < 3:
            score += 1
    return LEVELS[min(3, max(1, score)) - 1]


def distance(question: str, chosen: str) -> int:
    """How many steps a question's level is from the interviewer's (0, 1 or 2)."""
    return abs(LEVELS.index(question) - LEVELS.index(chosen))


def nearest_first(ids: list[str], levels: dict[str, str], chosen: str) -> list[str]:
    """Ids reordered so that questions at the chosen level come first.

    Stable: among equally near questions the incoming order (the schedule's
    shuffle) is kept. Questions one step off come next, easier ones before
    harder ones, so a junior session never opens on a senior design question.
    """
    def key(qid: str) -> tuple[int, int]:
        level = levels.get(qid, DEFAULT_LEVEL)
        return distance(level, chosen), LEVELS.index(level)
    return sorted(ids, key=key)


def probe_order(gaps: list[str], key_points: list[str], chosen: str) -> list[str]:
    """The gaps of an answer in the order a probe should take them at this level.

    Gaps arrive most important first (contradicted, missing, partly; each in
    the key's order, which puts the central points first). A junior interview
    probes the most central missing point before anything only partly said; a
    senior one takes the same order, since a wrong or missing central point
    matters at every level. The difference at senior is `depth_first`.
    """
    if chosen != "junior":
        return list(gaps)
    index = {p: i for i, p in enumerate(key_points)}
    return sorted(gaps, key=lambda p: index.get(p, len(key_points)))


def depth_first(chosen: str, gaps: list[str], key_points: list[str],
                roles: list[str] | None = None) -> bool:
    """Whether a senior probe should go deeper instead of asking for a peripheral gap.

    True at senior when none of the key's core points (its [core] ones, or its
    first half when unmarked) is among the gaps: a senior interviewer who has
    heard the core pushes on trade-offs and failure modes before details.
    """
    if chosen != "senior":
        return False
    if roles and len(roles) == len(key_points):
        core = {p for p, r in zip(key_points, roles) if r == "core"}
    else:
        core = set(key_points[:max(1, len(key_points) // 2)])
    return not core.intersection(gaps)
