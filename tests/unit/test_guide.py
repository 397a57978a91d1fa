"""The guide parser on the real guide and on malformed input."""

from __future__ import annotations

import pytest

from interviewer.guide import GuideError, classify, load_guide, parse_guide, question_id


@pytest.fixture(scope="module")
def questions(repo):
    return load_guide(repo / "knowledge" / "guide.md")


def test_real_guide_has_all_questions_sections_and_subsections(questions):
    assert len(questions) == 1105
    assert len({q.section for q in questions}) == 38
    assert len({(q.section, q.subsection_index) for q in questions}) == 108
    assert len({q.id for q in questions}) == 1105


def test_shipped_guide_is_the_users_guide(repo):
    shared = repo.parent / "shared" / "guide" / "genai-interview-guide.md"
    if not shared.exists():
        pytest.skip("no ../shared checkout beside this clone")
    assert (repo / "knowledge" / "guide.md").read_text() == shared.read_text()


def test_ids_are_stable_and_derived_from_content(questions):
    first = questions[0]
    assert first.id == question_id(1, first.text)
    rag = next(q for q in questions if q.text.startswith("What is RAG and why"))
    assert rag.id == "q04-528ca2"  # linked from knowledge/notes; must never drift
    # Inserting a question before it does not change its id.
    md = "## 4. RAG\n\n### Basics\n\n- A new first question\n- " + rag.text + "\n"
    assert [q.id for q in parse_guide(md)][1] == rag.id


def test_every_question_has_a_known_kind(questions):
    kinds = {q.kind for q in questions}
    assert kinds == {"concept", "quick-fire", "system-design", "coding", "scenario", "behavioral"}


@pytest.mark.parametrize("text,section,kind", [
    ("Design a content moderation system", "SYSTEM DESIGN", "system-design"),
    ("Implement retry logic with exponential backoff", "CODING", "coding"),
    ("Describe a time you improved system performance", "BEHAVIORAL", "behavioral"),
    ("What if API costs spike unexpectedly?", "SCENARIO-BASED QUESTIONS", "scenario"),
    ("Define PEFT", "QUICK FIRE TECHNICAL QUESTIONS", "quick-fire"),
    ("What is temperature in LLM generation?", "QUICK FIRE TECHNICAL QUESTIONS", "quick-fire"),
    ("Explain cosine similarity and other distance metrics", "RAG", "concept"),
    ("How do you handle feedback and criticism?", "SOFT SKILLS & COLLABORATION", "behavioral"),
])
def test_classify(text, section, kind):
    assert classify(text, section) == kind


def test_sections_filter_matches_guide_counts(questions):
    assert sum(q.section == 4 for q in questions) == 50
    assert sum(q.section == 9 for q in questions) == 20


def test_any_guide_of_the_same_shape_parses():
    md = """# My guide

## 1. BASICS

### Warm-up

- What is a token?
- Design a chat service

---

## 2. MORE

### Deep

* Explain attention
"""
    qs = parse_guide(md)
    assert [(q.section, q.subsection, q.text) for q in qs] == [
        (1, "Warm-up", "What is a token?"), (1, "Warm-up", "Design a chat service"),
        (2, "Deep", "Explain attention"),
    ]
    assert qs[1].kind == "system-design"
    assert qs[0].line == 7


@pytest.mark.parametrize("md,line,fragment", [
    ("## 1. A\n\n- orphan question\n", 3, "outside a '###' subsection"),
    ("### Sub\n- q\n", 1, "before any '## N. Section'"),
    ("## 1. A\n### S\n- q\nstray paragraph text\n", 4, "unexpected line"),
    ("## Intro without number\n", 1, "must look like '## 4. TITLE'"),
    ("## 2. B\n### S\n- q\n## 1. A\n", 4, "numbers must increase"),
    ("## 1. A\n### S\n- same\n- Same?\n", 4, "repeats line 3"),
    ("# Title only\n", 1, "no questions found"),
])
def test_malformed_guides_report_the_line(md, line, fragment):
    with pytest.raises(GuideError) as err:
        parse_guide(md, path="bad.md")
    assert err.value.line == line
    assert fragment in str(err.value)
    assert f"bad.md:{line}" in str(err.value)


def test_a_lenient_parse_skips_bad_lines_reports_each_and_keeps_the_rest():
    md = ("## 1. A\n### S\n- first\nstray paragraph text\n- second\n- First?\n"
          "## Intro without number\n### T\n- lost under a broken heading\n"
          "## 2. B\n- orphan\n### U\n- third\n")
    problems: list[GuideError] = []
    qs = parse_guide(md, path="guide.md", problems=problems)
    assert [q.text for q in qs] == ["first", "second", "third"]
    assert [(p.line, p.path) for p in problems] == [(4, "guide.md"), (6, "guide.md"),
                                                    (7, "guide.md"), (11, "guide.md")]
    assert "unexpected line" in str(problems[0]) and "guide.md:4" in str(problems[0])
    assert "repeats line 3" in str(problems[1])
    assert "its questions are skipped" in str(problems[2])
    # Ids of the kept questions are the ones a clean guide gives them.
    assert qs[2].id == question_id(2, "third")


def test_a_lenient_parse_of_a_guide_without_any_question_still_fails():
    with pytest.raises(GuideError, match="no questions found"):
        parse_guide("## Broken\n- q\n", problems=[])
