"""A rubric per question kind: named criteria, weights and level descriptions.

Both graders use these: the offline grader maps its measurements onto the
levels, the LLM grader receives them in its prompt.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..levels import DEFAULT_LEVEL, LEVELS as INTERVIEWER_LEVELS

LEVELS = ("missing", "weak", "partial", "good", "excellent")


@dataclass(frozen=True)
class Criterion:
    """A rubric criterion; `measure` names what the offline grader reads for it."""

    name: str
    weight: float
    measure: str  # "coverage", "depth", "clarity", "structure" or "specificity"
    levels: tuple[str, str, str, str, str]  # descriptions for LEVELS, worst to best


@dataclass(frozen=True)
class LevelBar:
    """How strict the rubric is for one interviewer level."""

    depth_power: float  # the offline depth measure (0..1) is raised to this power
    coverage_power: float  # and the key-point coverage (0..1) to this one
    text: str  # the bar in words, for the LLM grader and the UI


# Depth (trade-offs, mechanisms and examples beyond the key points) is where
# levels differ most in a real interview: a junior who explains the idea
# correctly with one example has done well, a senior is expected to reason
# about trade-offs and failure modes. Coverage matters at every level, so its
# curve moves less. Raising a 0..1 measure to a power below 1 lifts it (0.5 ->
# 0.66 at 0.6) and above 1 lowers it (0.5 -> 0.38 at 1.4), so the same answer
# never scores lower for a junior than for a mid-level interviewer, nor higher
# for a senior. Moving weight between criteria instead was tried and broke
# that: natural answers whose depth outscored their coverage came out lower at
# junior (7.06) than at mid (7.31). Mid is the rubric as calibrated.
LEVEL_BARS = {
    "junior": LevelBar(0.6, 0.85, (
        "Hold a junior bar: a correct explanation of the central points with one example is "
        "'good'; trade-offs and production detail are a bonus, not required.")),
    "mid": LevelBar(1.0, 1.0, (
        "Hold a mid-level bar: the central points correct, with at least one mechanism, "
        "example or trade-off.")),
    "senior": LevelBar(1.4, 1.15, (
        "Hold a senior bar: a correct textbook explanation without trade-offs, failure modes "
        "or production judgement is 'partial' at most; 'excellent' needs reasoning about "
        "when the approach breaks and what to do instead.")),
}


@dataclass(frozen=True)
class Rubric:
    """The criteria for one kind of question, at one interviewer level."""

    kind: str
    criteria: tuple[Criterion, ...]
    level: str = DEFAULT_LEVEL

    @property
    def bar(self) -> LevelBar:
        """The level's strictness."""
        return LEVEL_BARS[self.level]

    def describe(self) -> str:
        """Text form for prompts and the UI."""
        lines = [f"Rubric for {self.kind} questions ({self.level} interviewer):"]
        for c in self.criteria:
            lines.append(f"- {c.name} (weight {c.weight:.0%}):")
            for level, desc in zip(LEVELS, c.levels):
                lines.append(f"    {level}: {desc}")
        lines.append(self.bar.text)
        return "\n".join(lines)

    def depth_value(self, value: float) -> float:
        """The offline depth measure (0..1) as this level's bar scores it."""
        return max(0.0, min(1.0, value)) ** self.bar.depth_power

    def coverage_value(self, value: float) -> float:
        """The offline key-point coverage (0..1) as this level's bar scores it."""
        return max(0.0, min(1.0, value)) ** self.bar.coverage_power


def _coverage(name: str, what: str, weight: float) -> Criterion:
    return Criterion(name, weight, "coverage", (
        f"none of the {what} appear, or the answer is about something else",
        f"one {what[:-1]} is touched on, vaguely or with errors",
        f"about half of the {what} are explained correctly",
        f"most {what} are explained correctly",
        f"all important {what} are explained correctly and precisely",
    ))


def _clarity(weight: float) -> Criterion:
    return Criterion("Clarity", weight, "clarity", (
        "no explanation: empty, a bare list of terms, or unreadable",
        "fragments or a list with little connecting reasoning",
        "understandable but loosely organised or padded",
        "clear sentences that connect the ideas",
        "concise, well-organised, every sentence earns its place",
    ))


RUBRICS: dict[str, Rubric] = {
    "concept": Rubric("concept", (
        _coverage("Accuracy and coverage", "key points", 0.65),
        Criterion("Depth", 0.20, "depth", (
            "no trade-offs, mechanisms or examples",
            "a hint of why it matters, nothing concrete",
            "one mechanism, example or trade-off",
            "mechanism plus a trade-off or failure mode",
            "trade-offs, failure modes and when not to use it",
        )),
        _clarity(0.15),
    )),
    "quick-fire": Rubric("quick-fire", (
        _coverage("Correct definition", "key points", 0.75),
        Criterion("Precision", 0.25, "clarity", (
            "no definition",
            "a vague or partly wrong definition",
            "correct but imprecise",
            "crisp and correct",
            "crisp, correct, and names a nuance",
        )),
    )),
    "system-design": Rubric("system-design", (
        _coverage("Components and data flow", "design elements", 0.50),
        Criterion("Trade-offs and failure modes", 0.30, "depth", (
            "no trade-offs, scale or failure handling",
            "mentions scale or cost without reasoning",
            "one trade-off or failure mode reasoned through",
            "several trade-offs with latency, cost or safety in view",
            "clear requirements, quantified trade-offs, failure modes, evaluation and monitoring",
        )),
        _clarity(0.20),
    )),
    "coding": Rubric("coding", (
        _coverage("Solution steps", "solution steps", 0.55),
        Criterion("Edge cases and testing", 0.25, "depth", (
            "no edge cases or tests",
            "an edge case named in passing",
            "a few edge cases or a test idea",
            "edge cases, complexity and how to test",
            "edge cases, complexity, interfaces and a test plan",
        )),
        _clarity(0.20),
    )),
    "scenario": Rubric("scenario", (
        _coverage("Actions", "expected actions", 0.55),
        Criterion("Diagnosis and prevention", 0.25, "depth", (
            "no diagnosis or prevention",
            "generic steps with no diagnosis",
            "a diagnosis or a mitigation",
            "diagnosis, mitigation and communication",
            "diagnosis, mitigation, communication and prevention",
        )),
        _clarity(0.20),
    )),
    "behavioral": Rubric("behavioral", (
        _coverage("What interviewers listen for", "signals", 0.45),
        Criterion("STAR structure", 0.35, "structure", (
            "no situation, action or result",
            "a general statement with no concrete situation",
            "a situation and actions, no result",
            "situation, own actions and a result",
            "situation, own actions, measurable result and reflection",
        )),
        Criterion("Specificity", 0.20, "specificity", (
            "generic platitudes",
            "generic with one concrete detail",
            "some concrete detail",
            "concrete details and numbers",
            "concrete, measurable, clearly the candidate's own work",
        )),
    )),
}


def rubric_for(kind: str | None, level: str | None = None) -> Rubric:
    """The rubric for a kind (concept when unknown) at an interviewer level (mid default)."""
    rubric = RUBRICS.get(kind or "concept", RUBRICS["concept"])
    return replace(rubric, level=level if level in INTERVIEWER_LEVELS else DEFAULT_LEVEL)


def level_for(score: float) -> str:
    """Map a 0-10 criterion score onto a level name."""
    return LEVELS[min(4, max(0, int(round(score / 2.5))))]
