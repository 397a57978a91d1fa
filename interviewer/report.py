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
            lines.append(f"> Note: {flag}")
        if grade.get("missing"):
            lines += ["", "Missing: " + "; ".join(grade["missing"][:4])]
        if grade.get("model_answer"):
            lines += ["", "Model answer outline:"] + [f"{i}. {p}" for i, p in
                                                      enumerate(grade["model_answer"], 1)]
        if grade.get("citations"):
            lines += ["", "Sources:"] + [f"- [{c['n']}] {c['source']} › {c['heading']} "
                                         f"({c['part']})" for c in grade["citations"]]
    return lines


# Headings of the summary tables; the PDF draws a chart under each of them.
BY_QUESTION = "Scores by question"
BY_TOPIC = "Scores by topic"


def _cell(text: str, limit: int = 90) -> str:
    """Text for a Markdown table cell: one line, no pipes, not too long."""
    text = " ".join(str(text).split()).replace("|", "/")
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def score_rows(store: Store, questions: dict, interview_ids: list[str]) -> list[dict]:
    """Each main question asked, oldest first: when, what, its topic and its score."""
    rows = []
    for iid in interview_ids:
        for turn in store.turns(iid):
            if turn["kind"] != "main":
                continue
            q = questions.get(turn["question_id"])
            grade = turn["grade"] or {}
            score = 0.0 if grade.get("dont_know") else grade.get("score")
            rows.append({"date": (turn.get("created_at") or "")[:10], "question": turn["prompt"],
                         "topic": f"{q.section}. {q.subsection}" if q else "your questions",
                         "score": None if turn["skipped"] else score,
                         "skipped": bool(turn["skipped"])})
    return sorted(rows, key=lambda r: r["date"])


def summary_lines(rows: list[dict]) -> list[str]:
    """The report's summary: overall score, then a table per question and per topic."""
    graded = [r for r in rows if r["score"] is not None]
    lines = ["## Summary", ""]
    if graded:
        mean = sum(r["score"] for r in graded) / len(graded)
        lines.append(f"**Overall score: {mean:.1f} / 10**, the mean of {len(graded)} graded "
                     f"answer(s) to {len(rows)} question(s) asked.")
    else:
        lines.append("No graded answers yet.")
    if not rows:
        return lines + [""]
    lines += ["", f"### {BY_QUESTION}", "", "| date | question | topic | score |",
              "|---|---|---|---|"]
    for r in rows:
        score = "skipped" if r["skipped"] else "not scored" if r["score"] is None \
            else f"{r['score']:.1f}"
        lines.append(f"| {r['date']} | {_cell(r['question'])} | {_cell(r['topic'], 60)} | "
                     f"{score} |")
    by_topic: dict[str, list[float]] = {}
    for r in graded:
        by_topic.setdefault(r["topic"], []).append(r["score"])
    if by_topic:
        lines += ["", f"### {BY_TOPIC}", "", "| topic | answers | mean score |", "|---|---|---|"]
        for topic, scores in sorted(by_topic.items(), key=lambda kv: sum(kv[1]) / len(kv[1])):
            lines.append(f"| {_cell(topic, 60)} | {len(scores)} | "
                         f"{sum(scores) / len(scores):.1f} |")
    return lines + [""]


def markdown_report(store: Store, questions: dict, profile: str,
                    interview_ids: list[str] | None = None, mastery_rows: list | None = None) -> str:
    """A Markdown report of some interviews (all of the profile's when None)."""
    ids = interview_ids or [i["id"] for i in store.interviews(profile)]
    lines = [f"# Mock interview report — {profile}",
             f"Generated {datetime.now().strftime('%Y-%m-%d %H:%M')}; {len(ids)} interview(s).",
             ""]
    lines += summary_lines(score_rows(store, questions, list(reversed(ids))))
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
    """The Markdown report as a PDF: headings, paragraphs, lists, notes, real tables, and a
    chart under each summary table (reportlab's own charts, drawn offline)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import SimpleDocTemplate, Spacer

    glyphs = _register_fonts()
    styles = getSampleStyleSheet()
    for name in ("Normal", "Heading1", "Heading2", "Heading3"):
        styles[name].fontName = "Vera-Bold" if name.startswith("Heading") else "Vera"
    note = ParagraphStyle("Note", parent=styles["Normal"], leftIndent=10, borderPadding=4,
                          textColor=colors.HexColor("#8a4b00"), fontSize=9)
    bullet = ParagraphStyle("Bullet", parent=styles["Normal"], leftIndent=12,
                            bulletIndent=2)
    story: list = []
    heading = ""
    lines = markdown_text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if line.startswith("|"):
            block = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                block.append(lines[i].strip())
                i += 1
            rows = [_cells(r) for r in block if not r.startswith("|---")]
            story.append(_table(rows, styles["Normal"], glyphs))
            chart = _chart(heading, rows)
            if chart is not None:
                story += [Spacer(1, 0.3 * cm), chart]
            story.append(Spacer(1, 0.3 * cm))
            continue
        i += 1
        if not line:
            story.append(Spacer(1, 0.2 * cm))
            continue
        for prefix, name in (("### ", "Heading3"), ("## ", "Heading2"), ("# ", "Heading1")):
            if line.startswith(prefix):
                heading = line[len(prefix):]
                story.append(_paragraph(heading, styles[name], glyphs, inline=False))
                break
        else:
            if line.startswith("> "):
                story.append(_paragraph(line[2:], note, glyphs, inline=True))
            elif line.startswith("- "):
                story.append(_paragraph(line[2:], bullet, glyphs, inline=True, bullet="•"))
            else:
                story.append(_paragraph(line, styles["Normal"], glyphs, inline=True))
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4, title="Mock interview report",
                      leftMargin=2 * cm, rightMargin=2 * cm).build(story)
    return buf.getvalue()


def _cells(row: str) -> list[str]:
    return [c.strip() for c in row.strip().strip("|").split("|")]


def _table(rows: list[list[str]], base, glyphs: set[int]):
    """A Markdown table as a reportlab Table: header row bold, cells wrapped."""
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.platypus import Table, TableStyle

    cell = ParagraphStyle("Cell", parent=base, fontSize=8, leading=10)
    head = ParagraphStyle("Head", parent=cell, fontName="Vera-Bold")
    data = [[_paragraph(c, head if r == 0 else cell, glyphs, inline=True) for c in row]
            for r, row in enumerate(rows)]
    # Numbers and dates get narrow columns; the text columns share the rest.
    narrow = {"date": 2.3, "score": 2.0, "answers": 2.0, "mean score": 2.2, "answered": 2.2,
              "mastery": 2.0}
    fixed = [narrow.get(h.lower()) for h in rows[0]] if rows else []
    free = max(1, sum(w is None for w in fixed))
    left = 17.0 - sum(w for w in fixed if w)
    widths = [(w if w else left / free) * cm for w in fixed] or None
    table = Table(data, repeatRows=1, hAlign="LEFT", colWidths=widths)
    table.setStyle(TableStyle([
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#bbbbbb")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f0f0f0"))]))
    return table


def _score(text: str) -> float | None:
    try:
        return float(text.split()[0])
    except (ValueError, IndexError):
        return None


def _chart(heading: str, rows: list[list[str]]):
    """A chart of a summary table: scores over time (by question), mean score by topic."""
    from reportlab.graphics.charts.barcharts import HorizontalBarChart
    from reportlab.graphics.charts.lineplots import LinePlot
    from reportlab.graphics.shapes import Drawing
    from reportlab.graphics.widgets.markers import makeMarker
    from reportlab.lib import colors

    body = rows[1:]
    if heading == BY_QUESTION:
        points = [(i, s) for i, s in enumerate((_score(r[-1]) for r in body), 1)
                  if s is not None]
        if len(points) < 2:
            return None
        drawing = Drawing(460, 150)
        plot = LinePlot()
        plot.x, plot.y, plot.width, plot.height = 40, 25, 400, 110
        plot.data = [points]
        plot.lines[0].strokeColor = colors.HexColor("#1f77b4")
        plot.lines[0].symbol = makeMarker("FilledCircle", size=4)
        plot.yValueAxis.valueMin, plot.yValueAxis.valueMax = 0, 10
        plot.yValueAxis.valueStep = 2
        plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = 1, max(2, len(body))
        plot.xValueAxis.valueStep = max(1, len(body) // 10)
        for axis in (plot.xValueAxis, plot.yValueAxis):
            axis.labels.fontName, axis.labels.fontSize = "Vera", 7
        drawing.add(plot)
        return drawing
    if heading == BY_TOPIC:
        # Reversed: the chart draws its first category at the bottom, and its bars
        # should read top-down in the table's order.
        pairs = [(r[0], _score(r[-1])) for r in reversed(body) if _score(r[-1]) is not None]
        if not pairs:
            return None
        # Topics as numbered labels (1., 2., ...) would collide when cut short:
        # each keeps enough of its name to tell it apart, and its own row.
        labels = [t if len(t) <= 38 else t[:37] + "…" for t, _ in pairs]
        height = 18 * len(pairs) + 30
        drawing = Drawing(460, height)
        chart = HorizontalBarChart()
        chart.x, chart.y, chart.width, chart.height = 190, 20, 240, height - 30
        chart.data = [[s for _, s in pairs]]
        chart.categoryAxis.categoryNames = labels
        chart.categoryAxis.labels.fontName, chart.categoryAxis.labels.fontSize = "Vera", 7
        chart.valueAxis.valueMin, chart.valueAxis.valueMax = 0, 10
        chart.valueAxis.valueStep = 2
        chart.valueAxis.labels.fontName, chart.valueAxis.labels.fontSize = "Vera", 7
        chart.bars[0].fillColor = colors.HexColor("#1f77b4")
        # A 0.0 mean draws no bar: the value is printed beside every bar instead.
        chart.barLabelFormat = "%.1f"
        chart.barLabels.fontName, chart.barLabels.fontSize = "Vera", 7
        chart.barLabels.boxAnchor, chart.barLabels.dx = "w", 3
        drawing.add(chart)
        return drawing
    return None


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
        pdfmetrics.registerFont(TTFont("Vera-Italic", os.path.join(fonts, "VeraIt.ttf")))
        pdfmetrics.registerFont(TTFont("Vera-BoldItalic", os.path.join(fonts, "VeraBI.ttf")))
        # Without a family, <b> and <i> in a paragraph have no face to switch to.
        pdfmetrics.registerFontFamily("Vera", normal="Vera", bold="Vera-Bold",
                                      italic="Vera-Italic", boldItalic="Vera-BoldItalic")
    return set(pdfmetrics.getFont("Vera").face.charToGlyph)


def _paragraph(text: str, style, glyphs: set[int], inline: bool, bullet: str | None = None):
    """A Paragraph of report text: escaped, drawable, with **bold**/_italic_ when well formed."""
    from reportlab.platypus import Paragraph

    safe = pdf_text(text, glyphs)
    if inline:
        try:
            return Paragraph(_inline(safe), style, bulletText=bullet)
        except ValueError:
            pass  # markup reportlab still rejects: show the text without it
    return Paragraph(safe, style, bulletText=bullet)


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
