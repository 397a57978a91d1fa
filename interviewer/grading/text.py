"""Small text utilities for the offline grader: sentences, content words, stems."""

from __future__ import annotations

import re

STOPWORDS = frozenset("""
a an the and or but if then than so as of at by for from in into on onto to with without
about above after again against all also am any are aren't be because been before being
below between both can could did do does doing down during each few further had has have
having he her here hers him his how i i'm it it's its itself just me more most my no nor not
now off once only other our ours out over own same she should some such that that's their
theirs them themselves there these they this those through too under until up very was we
were what when where which while who whom why will would you your yours yourself
is isn't was wasn't don't doesn't didn't won't can't cannot may might must shall us one
e.g i.e etc via per
""".split())

# Function words mark real sentences; a bare keyword list has almost none.
FUNCTION_WORDS = STOPWORDS - {"e.g", "i.e", "etc", "via", "per"}

_WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9+#\-']*|\d+(?:\.\d+)?")
_SENT_SPLIT_RE = re.compile(r"(?<=[.!?;])\s+|\n+\s*(?:[-*•]|\d+[.)])?\s*")


def words(text: str) -> list[str]:
    """Lower-cased word tokens."""
    return [w.lower().strip("'-") for w in _WORD_RE.findall(text)]


def stem(word: str) -> str:
    """A light suffix stripper: enough to match 'chunks'/'chunking'/'chunked'."""
    w = word.lower()
    for suffix, min_len in (("ational", 8), ("ization", 8), ("ations", 7), ("ation", 6),
                            ("ments", 6), ("ment", 6), ("ings", 6), ("ing", 5), ("ness", 6),
                            ("ities", 6), ("ity", 5), ("ies", 5), ("ied", 5), ("ed", 4),
                            ("ly", 5), ("es", 5), ("s", 4)):
        if w.endswith(suffix) and len(w) >= min_len:
            w = w[: -len(suffix)]
            if suffix in ("ies", "ied"):
                w += "y"
            break
    return w


def content_stems(text: str) -> list[str]:
    """Stems of the words that carry meaning (no stopwords, no 1-letter words)."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1]


# Share of the content words of what a question should lead to (a key point, a
# probe's key) that the question may repeat, words of its context (the main
# question) excepted. Above half, a question starts to state its own answer. Of
# the 3,151 authored probes, 18 sit between 0.35 and 0.45; read one by one, they
# share the scenario they set up ("playful persona", "test set"), not the answer.
GIVE_AWAY_SHARE = 0.5


def gives_away(question: str, target: str, context: str = "") -> bool:
    """Whether a question repeats so much of `target` that it states its answer."""
    known = set(content_stems(context))
    said = set(content_stems(question)) - known
    wanted = set(content_stems(target)) - known
    return len(said & wanted) > GIVE_AWAY_SHARE * max(1, len(wanted))


def sentences(text: str, max_words: int = 40) -> list[str]:
    """Split into sentences and list items; cut very long ones into windows.

    Key points are matched against these units, so a run-on paragraph is cut
    into overlapping windows instead of diluting one big embedding.
    """
    units: list[str] = []
    for part in _SENT_SPLIT_RE.split(text):
        part = part.strip(" \t-*•")
        if not part or not re.search(r"[A-Za-z0-9]", part):
            continue
        toks = part.split()
        if len(toks) <= max_words:
            units.append(part)
            continue
        step = max_words // 2
        for start in range(0, len(toks) - step, step):
            units.append(" ".join(toks[start:start + max_words]))
    return units


def reference_points(reference: str) -> list[str]:
    """Key points of a free-text reference: one, or its sentences when it is long."""
    points = [reference.strip()]
    if len(words(reference)) > 60:
        points = [s for s in sentences(reference, max_words=60) if len(words(s)) >= 2] or points
    return points


def function_word_ratio(text: str) -> float:
    """Share of tokens that are function words (low for keyword lists)."""
    toks = words(text)
    if not toks:
        return 0.0
    return sum(1 for t in toks if t in FUNCTION_WORDS) / len(toks)


def truncate_words(text: str, limit: int) -> str:
    """First `limit` words of text, with an ellipsis when cut."""
    toks = text.split()
    return text if len(toks) <= limit else " ".join(toks[:limit]) + "…"
