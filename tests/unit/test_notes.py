"""The notes format, and answer-key coverage of the guide."""

from __future__ import annotations

import pytest

from interviewer.guide import load_guide, normalize_text
from interviewer.notes import NotesError, key_warnings, load_notes, parse_notes

from ..conftest import COVERED_SECTIONS

GOOD = """# 4. RAG: Chunking

## What is chunk overlap and why is it important?
- ids: q04-aaaaaa, q38-bbbbbb
- kind: concept
- see also: q09-cccccc

### Key points
1. [core] Overlap repeats the end of one chunk at the start of the next.
2. [Core] It keeps sentences cut at a boundary retrievable,
   even when they straddle two chunks.
- [supporting] It costs index size.

### Explanation
Overlap trades index size for recall.
A second line.

<!-- a comment, ignored -->
### Common mistakes
- Thinking more overlap is always better.

### Asked as
- Why would neighbouring chunks repeat some text?
- chunk overlap, why bother?

### Probes
1. [2] What goes wrong at a chunk boundary
   when chunks share nothing?
   Key: A sentence split across two chunks is found by neither.
2. [1, 3] How would you pick the size? Key: Large enough for boundary sentences, small enough to
   keep the index lean.

## A free note
Some related material.

More of it.
"""


def test_parse_answer_key_and_note():
    keys, notes = parse_notes(GOOD, "x.md")
    assert len(keys) == 1 and len(notes) == 1
    key = keys[0]
    assert key.question_ids == ["q04-aaaaaa", "q38-bbbbbb"]
    assert key.kind == "concept" and key.see_also == ["q09-cccccc"]
    assert key.key_points[1] == ("It keeps sentences cut at a boundary retrievable, even when "
                                 "they straddle two chunks.")
    assert len(key.key_points) == 3
    assert key.explanation == "Overlap trades index size for recall. A second line."
    assert key.mistakes == ["Thinking more overlap is always better."]
    assert key.phrasings == ["Why would neighbouring chunks repeat some text?",
                             "chunk overlap, why bother?"]
    assert [(p.points, p.question) for p in key.probes] == [
        ((1,), "What goes wrong at a chunk boundary when chunks share nothing?"),
        ((0, 2), "How would you pick the size?")]
    assert key.probes[1].key == ("Large enough for boundary sentences, small enough to keep the "
                                 "index lean.")
    assert notes[0].title == "A free note" and "More of it." in notes[0].body


@pytest.mark.parametrize("text,line,fragment", [
    ("intro text\n## T\n- ids: q04-aaaaaa\n", 1, "before the first '## '"),
    ("## T\n- ids: q4-1\n### Key points\n- a\n- b\n### Explanation\nx\n", 1, "not a question id"),
    ("## T\n- ids: q04-aaaaaa\n### Key pointz\n- a\n", 3, "unknown part"),
    ("## T\n- ids: q04-aaaaaa\n### Key points\n- only one\n### Explanation\nx\n", 1,
     "at least 2 key points"),
    ("## T\n- ids: q04-aaaaaa\n### Key points\n- a\n- b\n", 1, "no explanation"),
    ("## T\n- ids: q04-aaaaaa\nloose text\n### Key points\n- a\n", 3, "text before the first"),
    ("## T\n- ids: q04-aaaaaa\n### Explanation\nx\n### Explanation\ny\n", 5, "appears twice"),
    ("## Empty note\n\n", 1, "is empty"),
    ("## T\n- ids: q04-aaaaaa\n- see also: q9-1\n### Key points\n- a\n- b\n### Explanation\nx\n",
     1, "not a question id"),
    ("## T\n- ids: q04-aaaaaa\n### Key points\n- a\n- b\n### Explanation\nx\n### Probes\n"
     "- [3] Why? Key: because.\n", 9, "the key has 2"),
    ("## T\n- ids: q04-aaaaaa\n### Key points\n- a\n- b\n### Explanation\nx\n### Probes\n"
     "- [1] Why? Because.\n", 9, "a probe reads"),
])
def test_malformed_notes_report_file_and_line(text, line, fragment):
    with pytest.raises(NotesError) as err:
        parse_notes(text, "bad.md")
    assert err.value.line == line and err.value.path == "bad.md"
    assert fragment in str(err.value)


def test_a_malformed_file_is_skipped_and_reported_the_rest_loads(tmp_path):
    (tmp_path / "good.md").write_text(GOOD)
    (tmp_path / "bad.md").write_text("## T\n- ids: q04-aaaaaa\n### Key points\n- a\n")
    (tmp_path / "README.md").write_text("not notes")
    col = load_notes(tmp_path)
    assert len(col.keys) == 1 and len(col.errors) == 1
    assert "bad.md" in str(col.errors[0])


@pytest.fixture(scope="module")
def shipped(repo):
    return load_guide(repo / "knowledge" / "guide.md"), load_notes(repo / "knowledge" / "notes")


def test_shipped_notes_parse_without_errors(shipped):
    _, notes = shipped
    assert notes.errors == []
    assert len(notes.keys) >= 70


@pytest.mark.parametrize("section", COVERED_SECTIONS)
def test_every_question_of_a_covered_section_has_an_answer_key(shipped, section):
    questions, notes = shipped
    linked = notes.by_question()
    missing = [f"{q.id} {q.text}" for q in questions if q.section == section and q.id not in linked]
    assert missing == [], f"questions of section {section} without an answer key: {missing}"


def test_every_linked_id_exists_and_headings_match_their_question(shipped):
    questions, notes = shipped
    by_id = {q.id: q for q in questions}
    for key in notes.keys:
        unknown = [i for i in key.question_ids if i not in by_id]
        assert not unknown, f"{key.path}:{key.line} links unknown ids {unknown}"
        texts = {normalize_text(by_id[i].text) for i in key.question_ids}
        assert normalize_text(key.title) in texts, f"{key.path}:{key.line} heading drifted"


def test_shipped_keys_have_checkable_key_points(shipped):
    _, notes = shipped
    for key in notes.keys:
        assert 2 <= len(key.key_points) <= 8, f"{key.path}:{key.line}"
        short = [p for p in key.key_points if len(p.split()) < 6]
        assert not short, f"{key.path}:{key.line} has bare-term key points {short}"
        assert len(key.explanation.split()) >= 40, f"{key.path}:{key.line} explanation too short"


def test_shipped_keys_have_probes_and_phrasings_that_keep_their_answers_to_themselves(shipped):
    _, notes = shipped
    found = {f"{k.path}:{k.line}": key_warnings(k) for k in notes.keys if key_warnings(k)}
    assert not found, list(found.items())[:5]


def test_key_warnings_flag_a_probe_that_states_its_answer_and_a_key_without_probes():
    keys, _ = parse_notes(GOOD, "x.md")
    assert key_warnings(keys[0]) == []
    leaky = GOOD.replace("What goes wrong at a chunk boundary\n   when chunks share nothing?",
                         "Why is a sentence split across two chunks found by neither?")
    assert any("gives away" in w for w in key_warnings(parse_notes(leaky, "x.md")[0][0]))
    bare = GOOD[:GOOD.index("### Probes")] + GOOD[GOOD.index("## A free note"):]
    assert any("1 to 3" in w for w in key_warnings(parse_notes(bare, "x.md")[0][0]))


def test_key_points_carry_a_role_which_the_checker_requires():
    key = parse_notes(GOOD, "x.md")[0][0]
    assert key.roles == ["core", "core", "supporting"]
    assert key.key_points[0] == "Overlap repeats the end of one chunk at the start of the next."
    unmarked = GOOD.replace("- [supporting] It costs", "- It costs")
    assert "key point(s) 3 not marked [core] or [supporting]" in key_warnings(
        parse_notes(unmarked, "x.md")[0][0])
    no_core = GOOD.replace("[core]", "[supporting]").replace("[Core]", "[supporting]")
    assert "has no [core] point" in key_warnings(parse_notes(no_core, "x.md")[0][0])
    seven = GOOD.replace("- [supporting] It costs index size.\n", "".join(
        f"- [supporting] Detail {i}.\n" for i in range(5)))
    assert any("at most 6" in w for w in key_warnings(parse_notes(seven, "x.md")[0][0]))


def test_the_notes_checker_reports_warnings_and_fails(tmp_path, capsys):
    from interviewer.notes import main

    bare = GOOD[:GOOD.index("### Probes")] + GOOD[GOOD.index("## A free note"):]
    (tmp_path / "k.md").write_text(bare)
    assert main([str(tmp_path)]) == 1
    assert "warning:" in capsys.readouterr().out
    (tmp_path / "k.md").write_text(GOOD)
    assert main([str(tmp_path)]) == 0


def test_one_bad_entry_is_skipped_and_reported_the_rest_of_its_file_loads(tmp_path):
    bad_key = "## Broken key\n- ids: q04-cccccc\n### Key points\n- only one\n### Explanation\nx\n\n"
    (tmp_path / "mixed.md").write_text("stray intro\n" + bad_key + GOOD)
    col = load_notes(tmp_path, prefix="knowledge/notes")
    assert [k.title for k in col.keys] == ["What is chunk overlap and why is it important?"]
    assert [n.title for n in col.notes] == ["A free note"]
    assert [(e.path, e.line) for e in col.errors] == [("knowledge/notes/mixed.md", 1),
                                                      ("knowledge/notes/mixed.md", 2)]
    assert "at least 2 key points" in str(col.errors[1])


def test_sources_are_named_under_the_prefix_not_the_folders_location(tmp_path):
    (tmp_path / "somewhere" / "sub").mkdir(parents=True)
    (tmp_path / "somewhere" / "sub" / "a.md").write_text(GOOD)
    col = load_notes(tmp_path / "somewhere", prefix="knowledge/notes")
    assert col.keys[0].path == "knowledge/notes/sub/a.md"


def test_every_shipped_key_point_has_atomic_claims_written_for_its_current_text(repo, shipped):
    from interviewer.claims import claims_path, claims_warnings, load_claims

    _, notes = shipped
    table = load_claims(claims_path(repo / "knowledge" / "notes"))
    found = {f"{k.path}:{k.line}": w for k in notes.keys
             if (w := claims_warnings(k.key_points, table.get(k.question_ids[0])))}
    assert not found, list(found.items())[:5]
    # A point of several facts is split: the claims are not the points copied.
    points = sum(len(k.key_points) for k in notes.keys)
    claims = sum(len(e["claims"]) for entry in table.values() for e in entry)
    assert claims >= 2 * points, (claims, points)


def test_the_knowledge_base_hands_each_point_its_claims(kb):
    qid = "q05-30f061"  # Explain LoRA in detail
    ref = kb.reference_for(kb.by_id[qid])
    assert len(ref.point_claims) == len(ref.key_points)
    assert all(ref.point_claims) and len(ref.point_claims[0]) >= 2
    # A follow-up is graded against another key; the claims stay with their points.
    follow = kb.follow_up_reference(ref, "What does B start at?", ref.key_points[2])
    assert follow.point_claims == []


def test_a_point_edited_without_its_claims_is_reported_and_read_without_them(tmp_path, capsys):
    from interviewer.claims import claims_for, save_claims
    from interviewer.notes import main

    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "k.md").write_text(GOOD)
    key = parse_notes(GOOD, "x.md")[0][0]
    entry = [{"point": p, "claims": [p]} for p in key.key_points]
    save_claims(tmp_path / "claims.json", {key.question_ids[0]: entry})
    assert main([str(notes)]) == 0
    assert claims_for(key.key_points, entry) == [[p] for p in key.key_points]
    edited = GOOD.replace("It costs index size.", "It costs index size and write time.")
    (notes / "k.md").write_text(edited)
    capsys.readouterr()
    assert main([str(notes)]) == 1
    assert "key point 3 changed since its claims were written" in capsys.readouterr().out
    assert claims_for(parse_notes(edited, "x.md")[0][0].key_points, entry) == []


def test_a_broken_claims_file_is_reported_and_read_as_no_claims(tmp_path, capsys):
    from interviewer.claims import load_claims
    from interviewer.notes import main

    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "k.md").write_text(GOOD)
    (tmp_path / "claims.json").write_text('{"keys": {"q04-aaaaaa": [oops')
    problems: list[str] = []
    assert load_claims(tmp_path / "claims.json", problems) == {}
    assert problems and "not a valid claims file" in problems[0]
    assert main([str(notes)]) == 1
    assert "claims.json" in capsys.readouterr().out


def test_the_knowledge_base_loads_with_a_broken_claims_file_and_reports_it(tmp_path, repo):
    import shutil

    from interviewer.config import load_settings
    from interviewer.knowledge import KnowledgeBase

    knowledge = tmp_path / "knowledge"
    shutil.copytree(repo / "knowledge" / "notes", knowledge / "notes")
    shutil.copy(repo / "knowledge" / "guide.md", knowledge / "guide.md")
    (knowledge / "claims.json").write_text("not json", encoding="utf-8")
    kb = KnowledgeBase(load_settings(data_dir=tmp_path / "data", knowledge_dir=knowledge))
    assert any("claims.json" in str(p) for p in kb.problems)
    assert kb.key_for("q05-30f061").claims == [] and kb.key_for("q05-30f061").key_points
