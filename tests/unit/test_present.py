"""Text the UI shows, built from grades and tables (pure functions)."""

def test_a_topic_that_starts_with_a_number_renders_as_text_not_a_list():
    from markdown_it import MarkdownIt

    from interviewer.present import table_text

    html = MarkdownIt().render(table_text("4. Retrieval-Augmented Generation › Basics"))
    assert "<ol" not in html and "4. Retrieval" in html
    assert table_text("RAG, section 4. Basics") == "RAG, section 4. Basics"


def test_a_keys_chunks_are_one_source_with_the_cited_ones_marked():
    from interviewer.grading.models import Evidence
    from interviewer.present import source_groups

    def ev(n, part, key=True, heading="Explain LoRA", source="knowledge/notes/05/peft.md"):
        return Evidence(n=n, chunk_id=f"c{n}", source=source, heading=heading, part=part,
                        text=f"text {n}", is_answer_key=key, similarity=0.0 if key else 0.61)

    groups = source_groups([ev(1, "key points"), ev(2, "explanation"), ev(3, "depth"),
                            ev(4, "key points", key=False, heading="What is QLoRA?")], {2, 4})
    assert [g["label"] for g in groups] == ["[1–3]", "[4]"]
    assert groups[0]["title"] == "Explain LoRA (answer key)"
    assert [c["cited"] for c in groups[0]["chunks"]] == [False, True, False]
    assert groups[1]["title"] == "What is QLoRA? (related, similarity 0.61)"
    assert groups[1]["chunks"][0]["cited"]


def test_the_offline_model_answer_is_whole_sentences_and_repeats_no_key_point():
    from interviewer.grading.models import ReferenceAnswer
    from interviewer.grading.offline import OUTLINE_WORDS, OfflineBase

    explanation = ("LoRA freezes the pretrained weights. It learns a low-rank update B times A "
                   "for chosen matrices, so only a small fraction of parameters train. " * 6)
    ref = ReferenceAnswer(question="Explain LoRA", key_points=["LoRA freezes the weights"],
                          explanation=explanation.strip())
    outline = OfflineBase._outline(ref)
    assert outline and all(s.endswith(".") for s in outline)  # never cut mid-sentence
    assert sum(len(s.split()) for s in outline) <= OUTLINE_WORDS
    assert "…" not in " ".join(outline)


def _grade(covered, missing, supporting=()):
    from interviewer.grading.models import Grade, KeyPointResult

    points = [KeyPointResult(point=p, covered=True, strength=0.8, role="core") for p in covered]
    points += [KeyPointResult(point=p, covered=False, strength=0.0,
                              role="supporting" if p in supporting else "core") for p in missing]
    return Grade(score=5.0, key_points=points, covered=list(covered), missing=list(missing))


def test_the_card_shows_three_short_points_a_list_and_supporting_gaps_under_details():
    from interviewer.present import card_lists

    covered = [f"Covered point {i} in a few words." for i in range(4)]
    missing = [f"Missing point {i} in a few words." for i in range(4)] + ["A supporting number."]
    shown_c, shown_m, more_c, more_m = card_lists(_grade(covered, missing,
                                                         supporting={"A supporting number."}))
    assert shown_c == covered[:3] and shown_m == missing[:3]
    assert more_c == covered[3:]
    assert more_m == [missing[3], "A supporting number. _(supporting detail)_"]


def test_long_points_share_a_budget_of_lines_so_the_card_fits_one_screen():
    """Three covered and three missing points of two to three lines each (a key on choosing
    an embedding model) took 13 lines and pushed the follow-up under the answer box."""
    from interviewer.present import CARD_POINT_LINES, card_lines, card_lists

    covered = ["c" * 165, "c" * 166, "c" * 170]
    missing = ["m" * 215, "m" * 155, "m" * 170]
    shown_c, shown_m, more_c, more_m = card_lists(_grade(covered, missing))
    # Missing points first: all three fit, the last covered one moves under Details.
    assert shown_m == missing and shown_c == covered[:2] and more_c == covered[2:]
    assert not more_m
    assert sum(card_lines(p) for p in shown_c + shown_m) <= CARD_POINT_LINES
    # Whatever its length, each list shows its first point.
    shown_c, shown_m, _, _ = card_lists(_grade(["c" * 900], ["m" * 900, "m" * 20]))
    assert shown_c == ["c" * 900] and shown_m == ["m" * 900]
