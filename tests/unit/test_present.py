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
