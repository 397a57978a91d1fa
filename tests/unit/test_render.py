"""Candidate text shown exactly as typed; model text without anything that loads."""

from __future__ import annotations

import html
import re

import pytest
from markdown_it import MarkdownIt

from interviewer.render import plain_markdown, safe_markdown, safe_stream

from ..bad_inputs import BAD_ANSWERS

# CommonMark with GFM tables and strikethrough, raw HTML escaped: as Streamlit renders
# st.markdown without unsafe_allow_html.
MD = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])

TRICKY = [
    "**bold** _it_ `code` # not a heading",
    "    indented like code\n- not a list\n1. nor this",
    "[link](http://leak.example/a) <http://leak.example/b> http://leak.example/c",
    "![img][ref]\n\n[ref]: http://leak.example/ref.png",
    ":red[colour] :material/home: $x^2$ a\\b",
    "line one\nline two\r\nline three",
    "> quote | pipe | table\n|---|---|",
]


def visible_text(rendered_html: str) -> str:
    """The text a reader sees in rendered HTML."""
    text = re.sub(r"<br\s*/?>", "\n", rendered_html)
    text = re.sub(r"<[^>]+>", "", text)
    return html.unescape(text).replace("\u00a0", " ")


@pytest.mark.parametrize("text", list(BAD_ANSWERS.values()) + TRICKY)
def test_plain_markdown_shows_the_text_as_typed_with_no_links_or_images(text):
    rendered = MD.render(plain_markdown(text))
    assert "<img" not in rendered and "<a " not in rendered
    for tag in ("<strong", "<em", "<code", "<h1", "<li", "<blockquote", "<table", "<pre"):
        assert tag not in rendered, tag
    seen = " ".join(visible_text(rendered).split())
    # CommonMark shows NUL as U+FFFD, whatever the escaping.
    assert seen == " ".join(text.replace("\r\n", "\n").replace("\x00", "\ufffd").split())


@pytest.mark.parametrize("text", [BAD_ANSWERS["image"], TRICKY[3],
                                  "Good `![x](http://leak.example/in-code)` **bold** [1]"])
def test_safe_markdown_keeps_formatting_but_loads_no_image(text):
    rendered = MD.render(safe_markdown(text))
    assert "<img" not in rendered


def test_safe_markdown_keeps_the_feedback_formatting():
    rendered = MD.render(safe_markdown("You covered **retrieval** [1] but not `k`."))
    assert "<strong>retrieval</strong>" in rendered and "<code>k</code>" in rendered


def test_safe_stream_breaks_an_image_split_across_chunks():
    chunks = ["Nice answer!", "[x](http://leak.example/s.png) and ", "more!"]
    joined = "".join(safe_stream(chunks))
    assert "<img" not in MD.render(joined)
    assert joined.replace("\u200b", "") == "".join(chunks)
