"""Reference notes: parse answer keys and free notes from markdown files.

The format is documented in ``knowledge/README.md``. In short, every ``##``
heading starts an entry; an entry with an ``- ids:`` line is an answer key with
``### Key points``, ``### Explanation`` and optional ``### Depth signals``,
``### Common mistakes``, ``### Sources``, ``### Asked as`` and ``### Probes``;
an entry without ids is a free note whose body is plain markdown.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .claims import claims_for, claims_path, claims_warnings, load_claims

ANSWER_KEY_PARTS = {
    "key points": "key_points",
    "explanation": "explanation",
    "depth signals": "depth_signals",
    "common mistakes": "mistakes",
    "sources": "sources",
    "asked as": "phrasings",
    "probes": "probes",
}
_LIST_PARTS = {"key_points", "depth_signals", "mistakes", "sources", "phrasings"}
# "[2] How would you tell ...? Key: what a good answer says." ([2, 3] for two points)
_PROBE_RE = re.compile(r"^\[\s*(\d+(?:\s*,\s*\d+)*)\s*\]\s*(.+?\?)\s*Key:\s*(.+)$", re.S)
_ID_RE = re.compile(r"^q\d{2}-[0-9a-f]{6}$")
# A key point opens with its role: "[core]" (what any good answer must say) or
# "[supporting]" (detail, numbers, time-sensitive facts: credited, never required).
_ROLE_RE = re.compile(r"^\[(core|supporting)\]\s*", re.I)
ROLES = ("core", "supporting")
_COMMENT_RE = re.compile(r"<!--.*?-->", re.S)


class NotesError(ValueError):
    """A notes file that does not follow the format, with file and line."""

    def __init__(self, message: str, path: str, line: int):
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line


@dataclass(frozen=True)
class Probe:
    """A follow-up question on some key points, and what a good answer to it says."""

    points: tuple[int, ...]  # 0-based indices of the key points it tests
    question: str
    key: str


@dataclass
class AnswerKey:
    """The reference answer for one or more guide questions."""

    title: str
    question_ids: list[str]
    key_points: list[str]
    explanation: str
    path: str
    line: int
    kind: str | None = None
    depth_signals: list[str] = field(default_factory=list)
    mistakes: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    # Other ways a person asks the same question; indexed so retrieval finds
    # the key when a question is worded differently (never shown as evidence).
    phrasings: list[str] = field(default_factory=list)
    # Keys of the same or a near-identical question asked in another section: each
    # names the other, so an edit to one is made knowing the other exists.
    see_also: list[str] = field(default_factory=list)
    # Follow-ups an interviewer asks when an answer misses these points.
    probes: list[Probe] = field(default_factory=list)
    # Each key point's role, "core" or "supporting" (None where unmarked).
    roles: list[str | None] = field(default_factory=list)
    # Each key point's atomic claims, from claims.json beside the notes (claims.py);
    # empty when the file has none for this key's current points.
    claims: list[list[str]] = field(default_factory=list)


@dataclass
class Note:
    """A free reference note (not tied to a question)."""

    title: str
    body: str
    path: str
    line: int


@dataclass
class NotesCollection:
    """Everything parsed from a notes directory, plus per-file errors."""

    keys: list[AnswerKey] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    errors: list[NotesError] = field(default_factory=list)

    def key_for(self, question_id: str) -> AnswerKey | None:
        """The answer key linked to a question id, if any."""
        return self.by_question().get(question_id)

    def by_question(self) -> dict[str, AnswerKey]:
        """Map every linked question id to its answer key."""
        out: dict[str, AnswerKey] = {}
        for key in self.keys:
            for qid in key.question_ids:
                out.setdefault(qid, key)
        return out


def _strip_comments(text: str) -> str:
    # Replace each comment by as many newlines as it spans so line numbers hold.
    return _COMMENT_RE.sub(lambda m: "\n" * m.group(0).count("\n"), text)


def _list_items(lines: list[tuple[int, str]]) -> list[str]:
    """Join list items (``-``, ``*`` or ``1.``) with their wrapped lines."""
    items: list[str] = []
    for _, line in lines:
        stripped = line.strip()
        if not stripped:
            continue
        m = re.match(r"^(?:[-*+]|\d+[.)])\s+(.*)$", stripped)
        if m:
            items.append(m.group(1).strip())
        elif items:
            items[-1] += " " + stripped
        else:
            items.append(stripped)
    return items


def parse_notes(text: str, path: str, problems: list[NotesError] | None = None
                ) -> tuple[list[AnswerKey], list[Note]]:
    """Parse one notes file.

    Without ``problems`` the first malformed entry raises NotesError. With a
    list, each malformed entry is appended to it and skipped, and the file's
    other entries are kept.
    """
    def fail(err: NotesError) -> None:
        if problems is None:
            raise err
        problems.append(err)

    lines = _strip_comments(text).splitlines()
    stray: int | None = None
    entries: list[tuple[int, str, list[tuple[int, str]]]] = []
    for lineno, line in enumerate(lines, start=1):
        if line.startswith("## "):
            entries.append((lineno, line[3:].strip(), []))
        elif line.startswith("# ") or (not entries and not line.strip()):
            continue
        elif entries:
            entries[-1][2].append((lineno, line))
        elif line.strip() and stray is None:
            stray = lineno
            fail(NotesError("text before the first '## ' entry heading", path, lineno))
    keys: list[AnswerKey] = []
    notes: list[Note] = []
    for lineno, title, body in entries:
        try:
            if not title:
                raise NotesError("entry heading has no title", path, lineno)
            entry = _parse_entry(title, body, path, lineno)
        except NotesError as err:
            fail(err)
            continue
        (keys if isinstance(entry, AnswerKey) else notes).append(entry)
    return keys, notes


def _parse_entry(title: str, body: list[tuple[int, str]], path: str, lineno: int):
    meta: dict[str, str] = {}
    rest = list(body)
    # Metadata bullets come right after the heading, before any '###' part.
    while rest:
        n, line = rest[0]
        m = re.match(r"^\s*[-*]\s*(ids|kind|see also)\s*:\s*(.*)$", line, re.I)
        if m:
            meta[m.group(1).lower()] = m.group(2).strip()
            rest.pop(0)
        elif not line.strip():
            rest.pop(0)
        else:
            break
    if "ids" not in meta:
        text = "\n".join(line for _, line in rest).strip()
        if not text:
            raise NotesError(f"note {title!r} is empty", path, lineno)
        return Note(title=title, body=text, path=path, line=lineno)

    ids = [i.strip() for i in re.split(r"[,\s]+", meta["ids"]) if i.strip()]
    if not ids:
        raise NotesError(f"answer key {title!r} has an empty 'ids:' line", path, lineno)
    see_also = [i.strip() for i in re.split(r"[,\s]+", meta.get("see also", "")) if i.strip()]
    for qid in ids + see_also:
        if not _ID_RE.match(qid):
            raise NotesError(f"{qid!r} is not a question id like 'q04-528ca2'", path, lineno)
    parts: dict[str, list[tuple[int, str]]] = {}
    current: str | None = None
    for n, line in rest:
        if line.startswith("### "):
            name = line[4:].strip().lower()
            if name not in ANSWER_KEY_PARTS:
                known = ", ".join(repr(p.title()) for p in ANSWER_KEY_PARTS)
                raise NotesError(f"unknown part {line[4:].strip()!r} (known: {known})", path, n)
            current = ANSWER_KEY_PARTS[name]
            if current in parts:
                raise NotesError(f"part {line[4:].strip()!r} appears twice", path, n)
            parts[current] = []
        elif current is None:
            if line.strip():
                raise NotesError("text before the first '### ' part", path, n)
        else:
            parts[current].append((n, line))
    values: dict = {}
    for name, part_lines in parts.items():
        if name == "probes":
            continue  # read below, once the key points are known
        if name in _LIST_PARTS:
            values[name] = _list_items(part_lines)
        else:
            values[name] = re.sub(r"\s+", " ", " ".join(line for _, line in part_lines)).strip()
    marked = [_ROLE_RE.match(p) for p in values.get("key_points", [])]
    values["roles"] = [m.group(1).lower() if m else None for m in marked]
    values["key_points"] = [_ROLE_RE.sub("", p, count=1) for p in values.get("key_points", [])]
    if len(values.get("key_points", [])) < 2:
        raise NotesError(f"answer key {title!r} needs at least 2 key points", path, lineno)
    if not values.get("explanation"):
        raise NotesError(f"answer key {title!r} has no explanation", path, lineno)
    if "probes" in parts:
        values["probes"] = _probes(parts["probes"], len(values["key_points"]), path)
    return AnswerKey(title=title, question_ids=ids, kind=meta.get("kind"), see_also=see_also,
                     path=path, line=lineno, **values)


def _probes(lines: list[tuple[int, str]], n_points: int, path: str) -> list[Probe]:
    """The ``### Probes`` items: ``[points] question? Key: answer``."""
    starts = [n for n, line in lines
              if re.match(r"^\s*(?:[-*+]|\d+[.)])\s+", line) and line.strip()]
    out = []
    for item, lineno in zip(_list_items(lines), starts or [lines[0][0] if lines else 0]):
        m = _PROBE_RE.match(item)
        if not m:
            raise NotesError("a probe reads '[point numbers] question? Key: what a good answer "
                             f"says', got {item[:60]!r}", path, lineno)
        points = tuple(int(p) - 1 for p in m.group(1).split(","))
        if any(not 0 <= p < n_points for p in points):
            raise NotesError(f"probe names key point {m.group(1)}; the key has {n_points}",
                             path, lineno)
        out.append(Probe(points=points, question=m.group(2).strip(), key=m.group(3).strip()))
    return out


PROBE_KEY_MIN_WORDS = 6


def key_warnings(key: AnswerKey) -> list[str]:
    """What a key still lacks as a rubric: probes, probes that keep their answer to
    themselves, other ways of asking its question."""
    from .grading.text import gives_away

    out = []
    unmarked = [i + 1 for i, role in enumerate(key.roles) if role not in ROLES]
    if unmarked:
        out.append(f"key point(s) {', '.join(map(str, unmarked))} not marked [core] or "
                   "[supporting]")
    elif "core" not in key.roles:
        out.append("has no [core] point")
    if key.kind != "quick-fire" and len(key.key_points) < 3:
        out.append(f"has {len(key.key_points)} key points; a {key.kind or 'concept'} key needs "
                   "3 or more")
    if key.kind in (None, "concept") and len(key.key_points) > 6:
        out.append(f"has {len(key.key_points)} key points; a concept key has at most 6 "
                   "(move details to depth signals)")
    if not 1 <= len(key.probes) <= 3:
        out.append(f"has {len(key.probes)} probes; a key needs 1 to 3 (### Probes)")
    for probe in key.probes:
        for target in [probe.key, *(key.key_points[i] for i in probe.points)]:
            if gives_away(probe.question, target, context=key.title):
                out.append(f"probe {probe.question!r} gives away {target[:60]!r}")
        if len(probe.key.split()) < PROBE_KEY_MIN_WORDS:
            out.append(f"probe {probe.question!r} has a key too short to grade against")
    own = re.sub(r"\W+", " ", key.title.lower()).strip()
    phrasings = {re.sub(r"\W+", " ", p.lower()).strip() for p in key.phrasings} - {own}
    if len(phrasings) < 2:
        out.append("needs 2 or more other ways of asking its question (### Asked as)")
    return out


def attach_claims(keys: list[AnswerKey], table: dict[str, list[dict]]) -> None:
    """Give each key the claims recorded for its current points (claims.py)."""
    for key in keys:
        key.claims = claims_for(key.key_points, table.get(key.question_ids[0]))


def load_notes(root: str | Path, relative_to: str | Path | None = None,
               prefix: str | None = None) -> NotesCollection:
    """Parse every ``*.md`` under root except READMEs; skip and collect malformed entries.

    Files are named by their path under ``relative_to`` (default: root),
    after ``prefix``. The knowledge base names them under a fixed prefix,
    never by where the folder is, so moving the folder changes no chunk.
    """
    root = Path(root)
    base = Path(relative_to) if relative_to else root
    out = NotesCollection()
    for file in sorted(root.rglob("*.md")):
        if file.name.lower() == "readme.md":
            continue
        try:
            rel = file.relative_to(base).as_posix()
        except ValueError:
            rel = file.as_posix()
        if prefix:
            rel = f"{prefix.rstrip('/')}/{rel}"
        try:
            keys, notes = parse_notes(file.read_text(encoding="utf-8"), rel, out.errors)
        except UnicodeDecodeError:
            out.errors.append(NotesError("file is not UTF-8 text", rel, 1))
            continue
        out.keys.extend(keys)
        out.notes.extend(notes)
    return out


def main(argv: list[str] | None = None) -> int:
    """Check notes files: ``python -m interviewer.notes FILE_OR_DIR ...``."""
    args = argv if argv is not None else sys.argv[1:]
    status = 0
    for arg in args or ["knowledge/notes"]:
        p = Path(arg)
        if p.is_dir():
            col = load_notes(p)
        else:
            col = NotesCollection()
            col.keys, col.notes = parse_notes(p.read_text(encoding="utf-8"), str(p), col.errors)
        for err in col.errors:
            print(f"error: {err}")
            status = 1
        # The claims file sits beside a notes folder; a single file is checked alone.
        problems: list[str] = []
        table = load_claims(claims_path(p), problems) if p.is_dir() else {}
        for problem in problems:
            print(f"error: {claims_path(p)}: {problem}")
            status = 1
        for key in col.keys:
            warnings = key_warnings(key)
            if table:
                warnings += claims_warnings(key.key_points, table.get(key.question_ids[0]))
            for warning in warnings:
                print(f"warning: {key.path}:{key.line}: {warning}")
                status = 1
        print(f"{arg}: {len(col.keys)} answer keys, {len(col.notes)} notes")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
