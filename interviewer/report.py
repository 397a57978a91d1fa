"""Reports of interviews: Markdown, and PDF rendered from the same content."""

from __future__ import annotations

import io
import os
import re
from datetime import datetime

from .interview import mmss
from .store import Store


def interview_section(store: Store, interview_id: str, questions: dict) -> list[str]:
    """Markdown lines for one interview: every turn, score, feedback, outline, sources.

    `questions` maps question id to the guide question (for section and subsection).
    """
    meta = next((i for i in store.interviews_any() if i["id"] == interview_id), None)
    lines = [f"## Interview {interview_id}"]
    if meta:
        config = meta["config"]
        lines.append(f"Started {meta['created_at']} · status {meta['status']} · "
                     f"{config.get('style', 'coach')} mode · {config.get('level', 'mid')} "
                     f"interviewer · "
                     + (f"{mmss(config['time_limit'])} per question · "
                        if config.get("time_limit") else "")
                     + f"sections {', '.join(map(str, config['sections']))}")
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
        limit = (meta or {}).get("config", {}).get("time_limit")
        if limit and turn.get("seconds") is not None:
            lines.append(f"\n_Answered in {mmss(turn['seconds'])} of {mmss(limit)}"
                         + (": late._" if turn.get("late") else "._"))
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


# Drawn (in ZapfDingbats, a PDF base font) for each character Vera has no glyph for.
MISSING_GLYPH = '<font face="ZapfDingbats">o</font>'
_MARKUP_RE = re.compile(r"\*\*([^*_<>]+?)\*\*|(?<!\w)_([^*_<>]+?)_(?!\w)")


def pdf_report(markdown_text: str) -> bytes:
    """The Markdown report as a PDF (headings, lists and paragraphs; Unicode font)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    glyphs = _register_fonts()
    styles = getSampleStyleSheet()
    for name in ("Normal", "Heading1", "Heading2", "Heading3"):
        styles[name].fontName = "Vera-Bold" if name.startswith("Heading") else "Vera"
    story = []
    for raw in markdown_text.splitlines():
        line = raw.strip()
        style, body = styles["Normal"], line
        for prefix, heading in (("### ", "Heading3"), ("## ", "Heading2"), ("# ", "Heading1")):
            if line.startswith(prefix):
                style, body = styles[heading], line[len(prefix):]
                break
        if not line:
            story.append(Spacer(1, 0.2 * cm))
        elif line.startswith("|---"):
            continue
        else:
            story.append(_paragraph(body, style, glyphs, inline=style is styles["Normal"]))
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4, title="Mock interview report",
                      leftMargin=2 * cm, rightMargin=2 * cm).build(story)
    return buf.getvalue()


def _register_fonts() -> set[int]:
    """Register Vera (shipped inside reportlab) once; the code points it can draw."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    import reportlab

    # Vera ships inside reportlab: nothing is downloaded, and it covers the
    # punctuation our notes use, which the built-in PDF fonts do not. Fonts from
    # the system (DejaVu, Noto) are not assumed: a user's machine may lack them.
    if "Vera" not in pdfmetrics.getRegisteredFontNames():
        fonts = os.path.join(os.path.dirname(reportlab.__file__), "fonts")
        pdfmetrics.registerFont(TTFont("Vera", os.path.join(fonts, "Vera.ttf")))
        pdfmetrics.registerFont(TTFont("Vera-Bold", os.path.join(fonts, "VeraBd.ttf")))
    return set(pdfmetrics.getFont("Vera").face.charToGlyph)


def _paragraph(text: str, style, glyphs: set[int], inline: bool):
    """A Paragraph of report text: escaped, drawable, with **bold**/_italic_ when well formed."""
    from reportlab.platypus import Paragraph

    safe = pdf_text(text, glyphs)
    if inline:
        try:
            return Paragraph(_inline(safe), style)
        except ValueError:
            pass  # markup reportlab still rejects: show the text without it
    return Paragraph(safe, style)


def pdf_text(text: str, glyphs: set[int]) -> str:
    """Text escaped for reportlab's markup, each undrawable character shown as a box."""
    out = []
    for ch in text.replace("\t", "    "):
        if ch == "&":
            out.append("&amp;")
        elif ch == "<":
            out.append("&lt;")
        elif ch == ">":
            out.append("&gt;")
        elif ord(ch) >= 32 and ord(ch) in glyphs and not 0x7F <= ord(ch) < 0xA0:
            out.append(ch)
        else:
            # Control characters, Arabic, emoji...: a visible mark instead of
            # nothing, so the reader can see that something was there.
            out.append(MISSING_GLYPH)
    return "".join(out)


def _inline(text: str) -> str:
    """**bold** and _italic_ as reportlab markup, only over spans free of other markers.

    One pass over spans without `*`, `_` or tags, so the tags it writes can
    never cross (`_a **b_ c**` stays as typed).
    """
    return _MARKUP_RE.sub(lambda m: f"<b>{m.group(1)}</b>" if m.group(1) is not None
                          else f"<i>{m.group(2)}</i>", text)
