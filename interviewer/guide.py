"""Parse an interview guide in markdown into questions.

The shape is: ``## N. SECTION TITLE``, ``### Subsection``, ``- question``.
Anything else that is not blank, a horizontal rule or the ``#`` title is
reported as malformed with its line number, so a typo in a user's own guide
is caught instead of silently dropping questions.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from pathlib import Path

KINDS = ("concept", "quick-fire", "system-design", "coding", "scenario", "behavioral")

_SECTION_RE = re.compile(r"^##\s+(\d+)\.\s+(.+?)\s*$")
_SUBSECTION_RE = re.compile(r"^###\s+(.+?)\s*$")
_QUESTION_RE = re.compile(r"^[-*]\s+(.+?)\s*$")


class GuideError(ValueError):
    """A guide that does not follow the expected markdown shape."""

    def __init__(self, message: str, line: int, path: str | None = None):
        where = f"{path}:{line}" if path else f"line {line}"
        super().__init__(f"{where}: {message}")
        self.line = line
        self.path = path


@dataclass(frozen=True)
class Question:
    """One guide question with a content-derived id."""

    id: str
    section: int
    section_title: str
    subsection: str
    subsection_index: int
    text: str
    kind: str
    line: int

    def to_dict(self) -> dict:
        """Plain dict for JSON output."""
        return asdict(self)


def normalize_text(text: str) -> str:
    """Lower-case, collapse whitespace and drop trailing punctuation."""
    return re.sub(r"\s+", " ", text).strip().rstrip("?.!").strip().lower()


def question_id(section: int, text: str) -> str:
    """Stable id from the section number and the question's own words.

    Content-derived rather than positional: inserting a question into a guide
    must not silently re-link every answer key that follows it.
    """
    digest = hashlib.sha1(normalize_text(text).encode("utf-8")).hexdigest()[:6]
    return f"q{section:02d}-{digest}"


# Ordered: the first matching rule wins. Patterns look at how the question is
# phrased; section titles only decide when the phrasing is neutral.
_KIND_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("behavioral", re.compile(
        r"^(describe a time|tell me about|what was (your|a time|a difficult)|how did you|"
        r"how have you|what project|what new technology|what skills|what certifications|"
        r"describe your most|describe working with|describe (adapting|contributing)|"
        r"what was your)", re.I)),
    ("scenario", re.compile(r"^(what if|how would you handle|what about\b)", re.I)),
    ("system-design", re.compile(
        r"^(design|architect|plan a|how would you (build|design|architect)|"
        r"explain architecture for|how do you design)", re.I)),
    ("coding", re.compile(
        r"^(implement|write|build a|create a|review|identify|optimize a|code)\b", re.I)),
    ("quick-fire", re.compile(r"^define\b", re.I)),
]

_SECTION_KIND_HINTS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"quick\s*fire|rapid", re.I), "quick-fire"),
    (re.compile(r"behavioral|soft skills", re.I), "behavioral"),
    (re.compile(r"scenario", re.I), "scenario"),
    (re.compile(r"coding|practical exercise", re.I), "coding"),
]

# Personal phrasing ("your approach", "how do you handle feedback") in a
# soft-skills section asks about the candidate, not about a technology.
_PERSONAL_RE = re.compile(r"\byour\b|\bhow do you (handle|approach|balance|plan|learn|share|"
                          r"collaborate|communicate|document|estimate|explain technical)\b", re.I)


def classify(text: str, section_title: str = "", subsection: str = "") -> str:
    """Return the question kind from its phrasing, then its section."""
    context = f"{section_title} {subsection}"
    for pattern, kind in _SECTION_KIND_HINTS:
        if kind == "quick-fire" and pattern.search(context):
            return "quick-fire"
    for kind, pattern in _KIND_PATTERNS:
        if pattern.search(text):
            return kind
    for pattern, kind in _SECTION_KIND_HINTS:
        if pattern.search(context):
            if kind == "behavioral" and not _PERSONAL_RE.search(text) and text.lower().startswith(
                ("what is", "what are", "explain", "describe the")
            ):
                return "concept"
            return kind
    if _PERSONAL_RE.search(text) and re.search(r"\byour\b", text, re.I):
        return "behavioral"
    return "concept"


def parse_guide(markdown: str, path: str | None = None,
                problems: list[GuideError] | None = None) -> list[Question]:
    """Parse guide markdown into questions.

    Without ``problems`` the first malformed line raises GuideError. With a
    list, each malformed line is appended to it and skipped, and the rest of
    the guide is kept: a broken heading skips the questions under it, since
    a question's id depends on its section number.
    """
    def fail(message: str, lineno: int) -> None:
        err = GuideError(message, lineno, path)
        if problems is None:
            raise err
        problems.append(err)

    questions: list[Question] = []
    seen: dict[str, int] = {}
    section: tuple[int, str] | None = None
    last_number = 0
    subsection: str | None = None
    subsection_index = 0
    # Set after a malformed heading: its questions are skipped (reported once).
    skipping = False
    skipped = "; its questions are skipped" if problems is not None else ""
    for lineno, raw in enumerate(markdown.splitlines(), start=1):
        line = raw.strip()
        if not line or re.fullmatch(r"-{3,}|\*{3,}|_{3,}", line):
            continue
        if line.startswith("# ") and not line.startswith("##"):
            continue
        if line.startswith("###"):
            m = _SUBSECTION_RE.match(line)
            if m and section is not None:
                subsection, skipping = m.group(1), False
                subsection_index += 1
                continue
            if not (skipping and section is None):  # a broken section was reported already
                fail("subsection heading has no title" + skipped if not m else
                     "subsection before any '## N. Section' heading" + skipped, lineno)
            subsection, skipping = None, True
            continue
        if line.startswith("##"):
            m = _SECTION_RE.match(line)
            if not m:
                fail(f"section heading must look like '## 4. TITLE', got {line!r}{skipped}",
                     lineno)
            elif int(m.group(1)) <= last_number:
                fail(f"section {m.group(1)} follows section {last_number}: numbers must "
                     f"increase{skipped}", lineno)
            else:
                section, last_number = (int(m.group(1)), m.group(2)), int(m.group(1))
                subsection, subsection_index, skipping = None, 0, False
                continue
            section, subsection, skipping = None, None, True
            continue
        m = _QUESTION_RE.match(line)
        if m:
            if skipping:
                continue
            if section is None or subsection is None:
                fail("question outside a '###' subsection", lineno)
                continue
            text = m.group(1)
            qid = question_id(section[0], text)
            if qid in seen:
                fail(f"question repeats line {seen[qid]} in the same section", lineno)
                continue
            seen[qid] = lineno
            questions.append(Question(
                id=qid, section=section[0], section_title=_title_case(section[1]),
                subsection=subsection, subsection_index=subsection_index, text=text,
                kind=classify(text, section[1], subsection), line=lineno,
            ))
            continue
        fail(f"unexpected line {line[:60]!r} (expected '##', '###' or '- ')", lineno)
    if not questions:
        raise GuideError("no questions found", 1, path)
    return questions


_SPECIAL_WORDS = {"LLMOPS": "LLMOps", "GEN-AI": "Gen-AI", "LLMS": "LLMs", "(LLMS)": "(LLMs)"}
_ACRONYMS = {"AI", "ML", "RAG", "(RAG)", "NLP", "(NLP)", "LLM", "QA", "API"}
_SMALL_WORDS = {"AND", "FOR", "THE", "WITH", "OF", "TO", "&"}


def _title_case(title: str) -> str:
    """Turn 'LLMOPS & PRODUCTION DEPLOYMENT' into 'LLMOps & Production Deployment'."""
    words = []
    for i, word in enumerate(title.split()):
        upper = word.upper()
        if upper in _SPECIAL_WORDS:
            words.append(_SPECIAL_WORDS[upper])
        elif upper in _ACRONYMS:
            words.append(upper)
        elif i and upper in _SMALL_WORDS:
            words.append(word.lower())
        else:
            words.append("-".join(part[:1].upper() + part[1:].lower() for part in word.split("-")))
    return " ".join(words)


def load_guide(path: str | Path, problems: list[GuideError] | None = None) -> list[Question]:
    """Read and parse a guide file (malformed lines go to ``problems`` when given)."""
    p = Path(path)
    return parse_guide(p.read_text(encoding="utf-8"), str(p), problems)


def sections(questions: list[Question]) -> dict[int, str]:
    """Section number to title, in guide order."""
    out: dict[int, str] = {}
    for q in questions:
        out.setdefault(q.section, q.section_title)
    return out
