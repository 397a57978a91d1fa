"""Candidate and model text made safe for Streamlit's Markdown.

Streamlit escapes raw HTML, but Markdown images (`![x](http://host/…)`) make
the browser fetch a URL as soon as the text is shown: a candidate's answer,
or an LLM's feedback steered by one, could then leak data to any host. The
app shows candidate text exactly as typed and model text with its formatting
but without anything that loads a resource.
"""

from __future__ import annotations

import re
from typing import Iterable, Iterator

# Every ASCII punctuation character may be backslash-escaped in CommonMark;
# ':' and '$' too, which stops Streamlit's :shortcodes:, :color[...] and LaTeX.
_MARKDOWN_PUNCT = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$&])")
# Lines that start with spaces become code blocks, where escapes show up literally.
_LEADING_SPACES = re.compile(r"^[ \t]+", re.M)
# An image needs "!" right before "[": a zero-width space between them leaves
# a plain "![" on screen and nothing to fetch, inside code spans as well.
_IMAGE_START = re.compile(r"!(?=\[)")
ZERO_WIDTH_SPACE = "\u200b"


def plain_markdown(text: str) -> str:
    """Markdown that displays `text` exactly as typed: no formatting, links or images."""
    escaped = _MARKDOWN_PUNCT.sub(r"\\\1", text.replace("\r\n", "\n"))
    escaped = _LEADING_SPACES.sub(lambda m: "\u00a0" * len(m.group().expandtabs(4)), escaped)
    # Two spaces before a newline keep the candidate's line breaks.
    return escaped.replace("\n", "  \n")


def safe_markdown(text: str) -> str:
    """Model-written Markdown with its formatting kept but no image that would load."""
    return _IMAGE_START.sub("!" + ZERO_WIDTH_SPACE, text.replace("$", r"\$"))


def safe_stream(chunks: Iterable[str]) -> Iterator[str]:
    """`safe_markdown` over streamed text, where "!" and "[" may arrive in two chunks."""
    held = ""
    for chunk in chunks:
        text = held + chunk
        held = "!" if text.endswith("!") else ""
        text = text[:-1] if held else text
        if text:
            yield safe_markdown(text)
    if held:
        yield held
