"""Reports of interviews: Markdown, and PDF rendered from the same content."""

from __future__ import annotations

import io
import os
from datetime import datetime

from .store import Store


def interview_section(store: Store, interview_id: str, questions: dict) -> list[str]:
    """Markdown lines for one interview: every turn, score, feedback, outline, sources.

    `questions` maps question id to the guide question (for section and subsection).
    """
    meta = next((i for i in store.interviews_any() if i["id"] == interview_id), None)
    lines = [f"## Interview {interview_id}"]
    if meta:
        lines.append(f"Started {meta['created_at']} · status {meta['status']} · sections "
                     f"{', '.join(map(str, meta['config']['sections']))}")
    for turn in store.turns(interview_id):
        q = questions.get(turn["question_id"])
        label = "Question" if turn["kind"] == "main" else "Follow-up"
        topic = f" ({q.section}. {q.section_title} › {q.subsection})" if q and \
            turn["kind"] == "main" else ""
        lines += ["", f"### {label}: {turn['prompt']}{topic}"]
        if turn["skipped"]:
            lines.append("_Skipped._")
            continue
        lines += ["", "**Answer:** " + (turn["answer"] or "").strip()]
        grade = turn["grade"] or {}
        if grade.get("score") is not None:
            who = grade.get("grader", "?") + (f" ({grade['model']})" if grade.get("model") else "")
            lines.append(f"\n**Score: {grade['score']:.1f} / 10** — {who} grader")
        elif grade:
            lines.append("\n**Not scored** — " + (grade.get("feedback") or ""))
        for c in grade.get("criteria", []):
            lines.append(f"- {c['name']}: {c['score']:.1f} ({c['level']})")
        if grade.get("feedback") and grade.get("score") is not None:
            lines += ["", grade["feedback"]]
        for flag in grade.get("flags", []):
            lines.append(f"> {flag}")
        if grade.get("missing"):
            lines += ["", "Missing: " + "; ".join(grade["missing"][:4])]
        if grade.get("model_answer"):
            lines += ["", "Model answer outline:"] + [f"{i}. {p}" for i, p in
                                                      enumerate(grade["model_answer"], 1)]
        if grade.get("citations"):
            lines += ["", "Sources:"] + [f"- [{c['n']}] {c['source']} › {c['heading']} "
                                         f"({c['part']})" for c in grade["citations"]]
    return lines


def markdown_report(store: Store, questions: dict, profile: str,
                    interview_ids: list[str] | None = None, mastery_rows: list | None = None) -> str:
    """A Markdown report of some interviews (all of the profile's when None)."""
    ids = interview_ids or [i["id"] for i in store.interviews(profile)]
    lines = [f"# Mock interview report — {profile}",
             f"Generated {datetime.now().strftime('%Y-%m-%d %H:%M')}; {len(ids)} interview(s).",
             ""]
    if mastery_rows:
        answered = [r for r in mastery_rows if r["answered"]]
        if answered:
            lines += ["## Mastery by topic", "", "| topic | answered | mastery |",
                      "|---|---|---|"]
            for r in answered:
                lines.append(f"| {r['section']}. {r['subsection']} | {r['answered']}/"
                             f"{r['questions']} | {r['mastery']:.1f} |")
            lines.append("")
    for iid in ids:
        lines += interview_section(store, iid, questions) + [""]
    return "\n".join(lines)


def pdf_report(markdown_text: str) -> bytes:
    """The Markdown report as a PDF (headings, lists and paragraphs; Unicode font)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer
    import reportlab

    fonts = os.path.join(os.path.dirname(reportlab.__file__), "fonts")
    # Vera ships inside reportlab: nothing is downloaded, and it covers the
    # punctuation our notes use, which the built-in PDF fonts do not.
    pdfmetrics.registerFont(TTFont("Vera", os.path.join(fonts, "Vera.ttf")))
    pdfmetrics.registerFont(TTFont("Vera-Bold", os.path.join(fonts, "VeraBd.ttf")))
    styles = getSampleStyleSheet()
    for name in ("Normal", "Heading1", "Heading2", "Heading3"):
        styles[name].fontName = "Vera-Bold" if name.startswith("Heading") else "Vera"
    story = []
    for raw in markdown_text.splitlines():
        line = _escape(raw.strip())
        if not line:
            story.append(Spacer(1, 0.2 * cm))
        elif line.startswith("### "):
            story.append(Paragraph(line[4:], styles["Heading3"]))
        elif line.startswith("## "):
            story.append(Paragraph(line[3:], styles["Heading2"]))
        elif line.startswith("# "):
            story.append(Paragraph(line[2:], styles["Heading1"]))
        elif line.startswith("|---"):
            continue
        else:
            story.append(Paragraph(_inline(line), styles["Normal"]))
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4, title="Mock interview report",
                      leftMargin=2 * cm, rightMargin=2 * cm).build(story)
    return buf.getvalue()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _inline(text: str) -> str:
    """**bold** and _italic_ as reportlab markup."""
    import re

    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    return re.sub(r"(?<!\w)_(.+?)_(?!\w)", r"<i>\1</i>", text)
