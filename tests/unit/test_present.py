"""Text the UI shows, built from grades and tables (pure functions)."""

def test_a_topic_that_starts_with_a_number_renders_as_text_not_a_list():
    from markdown_it import MarkdownIt

    from interviewer.present import table_text

    html = MarkdownIt().render(table_text("4. Retrieval-Augmented Generation › Basics"))
    assert "<ol" not in html and "4. Retrieval" in html
    assert table_text("RAG, section 4. Basics") == "RAG, section 4. Basics"
