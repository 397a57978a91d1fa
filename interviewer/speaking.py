"""Speaking feedback for a spoken answer: pace, filler words, pauses, length.

These are what speaking coaches look at; they come from the transcript's word
timings, never from the grade.
"""

from __future__ import annotations

import re

from .voice import Transcript

# Fillers counted as such wherever they occur.
ALWAYS_FILLERS = ("um", "umm", "uh", "uhm", "erm", "er", "hmm", "you know", "basically",
                  "i mean")
# "like" is a filler only when set off as one ("it's, like, a cache"); "looks like"
# or "a model like BERT" is content, so only a "like" next to a comma counts.
_LIKE_FILLER = re.compile(r"(?:^|[,.!?])\s*like\b|\blike\s*,", re.IGNORECASE)
# Conversational pace is about 120-160 words a minute; below ~100 sounds halting,
# above ~180 is hard to follow in an interview.
PACE_RANGE = (110, 170)
# A gap between words longer than this is a pause a listener notices.
NOTICEABLE_PAUSE_S = 2.0


def filler_counts(text: str) -> dict[str, int]:
    """How often each filler word or phrase occurs in a transcript."""
    low = " " + re.sub(r"[^a-z',.!? ]+", " ", text.lower()) + " "
    counts = {}
    for f in ALWAYS_FILLERS:
        n = len(re.findall(rf"(?<![a-z']){re.escape(f)}(?![a-z'])", low))
        if n:
            counts[f] = n
    n = len(_LIKE_FILLER.findall(text))
    if n:
        counts["like"] = n
    return counts


def speaking_metrics(transcript: Transcript) -> dict:
    """Words per minute, fillers, the longest pause and the length of a spoken answer."""
    words = transcript.words
    n = len(words) or len(transcript.text.split())
    if len(words) >= 2:
        spoken = max(words[-1].end - words[0].start, 1e-6)
        pauses = [max(0.0, b.start - a.end) for a, b in zip(words, words[1:])]
    else:
        spoken, pauses = transcript.duration_s, []
    fillers = filler_counts(transcript.text)
    return {
        "duration_s": round(transcript.duration_s, 1),
        "words": n,
        "wpm": round(60.0 * n / spoken) if spoken > 0 else None,
        "fillers": fillers,
        "filler_count": sum(fillers.values()),
        "longest_pause_s": round(max(pauses), 1) if pauses else 0.0,
        "engine": transcript.engine,
    }


def speaking_notes(m: dict) -> list[str]:
    """Plain-language coaching lines for the feedback card."""
    notes = []
    wpm = m.get("wpm")
    if wpm is not None and wpm < PACE_RANGE[0]:
        notes.append(f"{wpm} words a minute is slow for an interview (about "
                     f"{PACE_RANGE[0]}-{PACE_RANGE[1]} is easy to follow).")
    elif wpm is not None and wpm > PACE_RANGE[1]:
        notes.append(f"{wpm} words a minute is fast; slow down so each point lands "
                     f"(about {PACE_RANGE[0]}-{PACE_RANGE[1]} is easy to follow).")
    if m.get("words") and m["filler_count"] / m["words"] > 0.03:
        top = ", ".join(f"“{k}” ×{v}" for k, v in sorted(m["fillers"].items(),
                                                         key=lambda kv: -kv[1])[:3])
        notes.append(f"Filler words: {top}. A short silent pause reads as more confident.")
    if m.get("longest_pause_s", 0) >= NOTICEABLE_PAUSE_S:
        notes.append(f"Your longest pause was {m['longest_pause_s']:.1f} s; if you need time, "
                     "say so (\"let me think about that for a second\").")
    return notes


def metrics_line(m: dict) -> str:
    """One line summary: length, pace, fillers, longest pause."""
    wpm = "—" if m.get("wpm") is None else f"{m['wpm']} words/min"
    return (f"{m['duration_s']:.0f} s spoken · {wpm} · {m['filler_count']} filler word"
            f"{'' if m['filler_count'] == 1 else 's'} · longest pause {m['longest_pause_s']:.1f} s")


def speaking_history(turns: list[dict]) -> list[dict]:
    """One row per stored spoken answer, oldest first: when, pace, fillers per 100 words,
    longest pause (History's "Speaking over time")."""
    rows = []
    for t in sorted((t for t in turns if t.get("speech")), key=lambda t: t["created_at"]):
        m = t["speech"]
        rows.append({"when": t["created_at"][:16].replace("T", " "),
                     "words per minute": m.get("wpm"),
                     "fillers per 100 words": round(100 * m["filler_count"] / m["words"], 1)
                     if m.get("words") else 0.0,
                     "longest pause (s)": m.get("longest_pause_s")})
    return rows


__all__ = ["filler_counts", "speaking_history", "metrics_line", "speaking_metrics", "speaking_notes"]
