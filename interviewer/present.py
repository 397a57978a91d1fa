"""Text the UI shows, built from grades and summaries (pure, testable)."""

from __future__ import annotations

import re

from .grading.models import Evidence, Grade
from .interview import mmss


def score_text(grade: Grade) -> str:
    """'6.5 / 10' or why there is no score."""
    if grade.status == "empty":
        return "not graded (empty answer)"
    if grade.status == "unsupported_language":
        return "not scored (not English)"
    if grade.score is None:
        return "not scored (no answer key)"
    if grade.max_score is not None and grade.max_score < 10:
        return f"{grade.score:.1f} / 10 (max {grade.max_score:.1f})"
    return f"{grade.score:.1f} / 10"


def grader_caption(grade: Grade) -> str:
    """Which grader produced the grade, always shown beside the score."""
    if grade.grader == "llm":
        caption = f"Graded by the LLM grader ({grade.model})"
        if grade.prompt_version:
            caption += f", prompt {grade.prompt_version[:8]}"
        if grade.cross_check_score is not None:
            caption += f"; offline cross-check {grade.cross_check_score:.1f}"
        if grade.usage:
            u = grade.usage
            est = " est." if u.get("estimated") else ""
            cost = f", ${u['cost_usd']:.4f}" if u.get("cost_usd") is not None else ""
            caption += f"; {u['input_tokens'] + u['output_tokens']:,} tokens{est}{cost}"
        return caption + level_note(grade)
    if grade.grader == "embedding":
        caption = ("Graded by the offline embedding grader: key-point coverage with a local "
                   "embedding model, no LLM")
    elif grade.model == "claim judge":
        caption = ("Graded by the offline grader: a local claim judge (a cross-encoder that reads "
                   "each key point against your answer) and a local embedding model, no LLM")
    else:
        caption = ("Graded by the offline grader: key-point coverage with a local embedding "
                   "model, no LLM")
    if grade.fallback_reason:
        caption += " (fallback: the LLM grader failed)"
    return caption + level_note(grade)


def level_note(grade: Grade) -> str:
    """'; junior bar' when a grade was held to a level other than mid (the default)."""
    return "" if grade.level == "mid" else f"; held to the {grade.level} interviewer's bar"


def contradiction_lines(grade: Grade) -> list[str]:
    """'You said "…" — the key holds: …' for each contradicted key point."""
    out = []
    for item in grade.contradicted:
        quote = item.get("quote")
        said = f"You said: “{quote}”" if quote else "The answer states the opposite of"
        # The claim it contradicts when the key has claims, else the whole point.
        out.append(f"{said} — the key holds: {item.get('claim') or item['point']}")
    return out


# Points of each list shown on the feedback card itself; the rest are under Details.
# The card (score, verdict, points, follow-up) must fit a 1280x800 window for an
# answer that makes half its key's points (tests/e2e/test_browser.py). Three points a
# list fit for most keys, but a key of long points (choosing an embedding model: three
# covered and three missing took 13 lines) pushed the follow-up under the answer box.
# So the two lists share a budget of lines, missing points first (what to study):
# about 88 characters fill a line of the card at 1280 px, and 12 lines is six points
# of two lines each, what a typical key's card takes and fits.
SHOWN_PER_LIST = 3
CARD_LINE_CHARS = 88
CARD_POINT_LINES = 12


def card_lines(text: str) -> int:
    """Lines a point takes on the card at 1280 px wide (estimated from its length)."""
    return max(1, -(-(len(text) + 2) // CARD_LINE_CHARS))


def card_lists(grade: Grade) -> tuple[list[str], list[str], list[str], list[str]]:
    """(covered shown, missing shown, covered under Details, missing under Details):
    missing core points first in view; supporting details missed go under Details."""
    supporting = {r.point for r in grade.key_points if r.role == "supporting"}
    covered = grade.covered + [f"{p} _(in part)_" for p in grade.partly]
    core_missing = [p for p in grade.missing if p not in supporting]
    details_missing = [f"{p} _(supporting detail)_" for p in grade.missing if p in supporting]
    shown: dict[str, list[str]] = {"missing": [], "covered": []}
    full, used = set(), 0
    for i in range(SHOWN_PER_LIST):
        for name, points in (("missing", core_missing), ("covered", covered)):
            if i >= len(points) or name in full:
                continue
            need = card_lines(points[i])
            # Each list shows its first point whatever its length; after that a point
            # that would overrun the budget closes its list, so order is kept.
            if i and used + need > CARD_POINT_LINES:
                full.add(name)
                continue
            shown[name].append(points[i])
            used += need
    n_c, n_m = len(shown["covered"]), len(shown["missing"])
    return shown["covered"], shown["missing"], covered[n_c:], core_missing[n_m:] + details_missing


def criteria_rows(grade: Grade) -> list[dict]:
    """Rows for the per-criterion table."""
    return [{"criterion": c.name, "score": f"{c.score:.1f}", "weight": f"{c.weight:.0%}", "level": c.level}
            for c in grade.criteria]


def cited_numbers(text: str) -> set[int]:
    """Citation numbers like [2] that appear in a text."""
    return {int(n) for n in re.findall(r"\[(\d+)\]", text)}


def source_title(ev: Evidence) -> str:
    """Expander title for a cited source."""
    if ev.source.startswith("your notes/"):
        # The candidate's own file: named, since they may have many with like headings.
        name = ev.source.split("/", 1)[1]
        return f"[{ev.n}] {name} › {ev.heading} — {ev.part} (your notes, similarity " \
               f"{ev.similarity:.2f})"
    tag = "answer key" if ev.is_answer_key else f"related, similarity {ev.similarity:.2f}"
    return f"[{ev.n}] {ev.heading} — {ev.part} ({tag})"


def source_groups(citations: list[Evidence], cited: set[int]) -> list[dict]:
    """Citations grouped by note: a key's chunks (key points, explanation, depth) are one
    source, shown once, with the chunks the feedback cites marked."""
    groups: dict[tuple[str, str], dict] = {}
    for ev in citations:
        group = groups.setdefault((ev.source, ev.heading), {"source": ev.source, "chunks": [],
                                                            "first": ev})
        group["chunks"].append({"n": ev.n, "part": ev.part, "text": ev.text,
                                "cited": ev.n in cited})
    out = []
    for g in groups.values():
        numbers = [c["n"] for c in g["chunks"]]
        label = f"[{numbers[0]}]" if len(numbers) == 1 else \
            f"[{numbers[0]}–{numbers[-1]}]" if numbers == list(range(numbers[0],
                                                                        numbers[-1] + 1)) \
            else "[" + ", ".join(map(str, numbers)) + "]"
        # The title without its part: the group holds every part.
        title = source_title(g["first"]).split("] ", 1)[1]
        title = re.sub(rf" — {re.escape(g['first'].part)} ", " ", title, count=1)
        out.append({"label": label, "title": title, "source": g["source"],
                    "chunks": g["chunks"]})
    return out


def summary_rows(summary: dict) -> list[dict]:
    """Table rows for the end-of-interview summary."""
    rows = []
    for r in summary["questions"]:
        if r["skipped"]:
            score = "skipped"
        elif r.get("dont_know"):
            score = "0.0 (didn't know)"
        elif r["score"] is None:
            score = "not scored"
        else:
            score = f"{r['score']:.1f}"
            if r.get("hints"):
                score += f" ({r['hints']} hint{'s' if r['hints'] > 1 else ''})"
        follow = ", ".join(f"{s:.1f}" for s in r["follow_up_scores"]) or "—"
        final = "—" if r.get("final") is None else f"{r['final']:.1f}"
        rows.append({"question": r["question"], "topic": table_text(r["subsection"] or ""),
                     "score": score,
                     "follow-ups": follow, "final": final})
    return rows


def study_line(item: dict) -> str:
    """One 'what to study next' entry: the question, how it went, the note to read and
    the first points missed."""
    how = {"skipped": "skipped", "didn't know": "didn't know"}.get(
        item["status"], f"{item['score']:.1f}" if item["score"] is not None else "not scored")
    line = f"- **{item['question']}** ({how})"
    if item["note"]:
        line += f": read `{item['note']}`"
    if item["missed"]:
        shown = [m.rstrip(". ") for m in item["missed"][:2]]
        more = len(item["missed"]) - len(shown)
        line += "; missed: " + "; ".join(shown) + (f" (and {more} more)" if more else "")
    return line


def time_columns(turns: list[dict], limit: int | None) -> dict:
    """History's timing columns for one interview's stored turns: the mean time per
    answer and how many ran over the limit (dashes when it was untimed)."""
    times = [t["seconds"] for t in turns if t.get("seconds") is not None and not t["skipped"]]
    if not limit:
        return {"time limit": "—", "time per answer": "—", "late": "—"}
    return {"time limit": mmss(limit),
            "time per answer": mmss(sum(times) / len(times)) if times else "—",
            "late": sum(bool(t.get("late")) for t in turns)}


def material_rows(files) -> list[dict]:
    """Rows of the "Your material" table: file, kind, size, passages."""
    return [{"file": f.name, "kind": f.kind, "size": f"{f.bytes / 1024:.1f} KB",
             "passages": f.chunks} for f in files]


def upload_messages(reports) -> list[tuple[str, str]]:
    """(streamlit level, text) for each uploaded file's outcome."""
    out = []
    for r in reports:
        if r.status == "refused":
            out.append(("error", r.message))
        elif r.status == "unchanged":
            out.append(("info", f"{r.name}: unchanged, nothing re-indexed."))
        else:
            out.append(("success", f"{r.name}: {r.status}, {r.chunks} passages indexed."))
    return out


def material_limits() -> str:
    """The upload limits, in words (the same numbers the code enforces)."""
    from .material import MAX_FILE_BYTES, MAX_FILES, MAX_PROFILE_TEXT_CHARS

    return (f"Limits: {MAX_FILE_BYTES / 1e6:.0f} MB per file, {MAX_FILES} files and "
            f"{MAX_PROFILE_TEXT_CHARS / 1e6:.0f} million characters of text per profile.")


def requirement_table(rows: list[dict]) -> list[dict]:
    """Debrief rows for a job description's requirements: score, or why there is none."""
    return [{"requirement": table_text(r["requirement"]), "questions": r["questions"],
             "score": f"{r['score']:.1f}" if r["score"] is not None else r["status"]}
            for r in rows]


def table_text(text: str) -> str:
    """A table cell that starts like "4. RAG" is not turned into a numbered list (st.table
    renders cells as Markdown)."""
    return re.sub(r"^(\d+)\. ", r"\1\\. ", text)
