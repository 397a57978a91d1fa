"""The atomic claims of each key point, kept beside the notes in ``knowledge/claims.json``.

A key point often packs several facts ("LoRA freezes W0 and learns its update
as BA, with B of size d×r ..."). When an answer contradicts such a point, the
feedback names the one claim of it the answer says the opposite of, read by the
claim judge against the answer (``grading/judged.py``), instead of the whole
point. The claims do not change a grade: the contradiction model reads the
points (the README's "Claims" says what reading the claims there did).

Each entry records the point's text beside its claims, so a point edited
without its claims is found: the feedback then shows that key's contradicted
points whole, and ``python -m interviewer.notes`` (and the test suite) reports it.
"""

from __future__ import annotations

import json
from pathlib import Path

CLAIMS_FILE = "claims.json"
# A point of more than this many claims is not one statement any more; the
# longest point in the keys today splits into six.
MAX_CLAIMS = 8
# A claim is one checkable statement in a short sentence; longer text is a
# point copied whole, which defeats the purpose.
MAX_CLAIM_WORDS = 40


def claims_path(notes_dir: str | Path) -> Path:
    """Where the claims of a notes folder live (beside it)."""
    return Path(notes_dir).parent / CLAIMS_FILE


def load_claims(path: str | Path, problems: list[str] | None = None) -> dict[str, list[dict]]:
    """Key id -> [{"point": text, "claims": [...]}, ...]; empty when there is no file.

    A malformed file is reported in `problems` and read as empty: the grades
    stay the same without claims, so a bad edit must not stop the app.
    """
    path = Path(path)
    if not path.exists():
        return {}
    try:
        table = json.loads(path.read_text(encoding="utf-8"))["keys"]
        if not isinstance(table, dict) or not all(
                isinstance(e, list) and all(isinstance(x, dict) for x in e)
                for e in table.values()):
            raise ValueError("'keys' must map key ids to lists of {point, claims}")
        return table
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        if problems is not None:
            problems.append(f"{path.name} is not a valid claims file ({exc}); "
                            "every key is read without claims")
        return {}


def save_claims(path: str | Path, table: dict[str, list[dict]]) -> None:
    """Write the claims table, one key per line block, sorted (small, reviewable diffs)."""
    body = {"about": "Atomic claims of each answer key's points (knowledge/README.md, "
                     "'Claims'). Each entry repeats the point's text so an edited point "
                     "is caught.",
            "keys": {k: table[k] for k in sorted(table)}}
    Path(path).write_text(json.dumps(body, indent=1, ensure_ascii=False) + "\n",
                          encoding="utf-8")


def claims_for(key_points: list[str], entry: list[dict] | None) -> list[list[str]]:
    """Each point's claims, or [] unless every point has claims recorded for its current text."""
    if not entry or len(entry) != len(key_points):
        return []
    if any(e.get("point") != p or not e.get("claims") for e, p in zip(entry, key_points)):
        return []
    return [list(e["claims"]) for e in entry]


def claims_warnings(key_points: list[str], entry: list[dict] | None) -> list[str]:
    """What is wrong with a key's claims: missing, stale, empty or not atomic."""
    if not entry:
        return [f"has no claims in {CLAIMS_FILE}"]
    out = []
    if len(entry) != len(key_points):
        out.append(f"has {len(entry)} claim entries in {CLAIMS_FILE} for "
                   f"{len(key_points)} key points")
    for i, (e, point) in enumerate(zip(entry, key_points), 1):
        if e.get("point") != point:
            out.append(f"key point {i} changed since its claims were written ({CLAIMS_FILE})")
        claims = e.get("claims") or []
        if not claims:
            out.append(f"key point {i} has no claims")
        if len(claims) > MAX_CLAIMS:
            out.append(f"key point {i} has {len(claims)} claims (at most {MAX_CLAIMS}); "
                       "split the point")
        for c in claims:
            if len(c.split()) > MAX_CLAIM_WORDS:
                out.append(f"key point {i}: claim {c[:50]!r}... is over {MAX_CLAIM_WORDS} words")
    return out


__all__ = ["CLAIMS_FILE", "claims_path", "load_claims", "save_claims", "claims_for",
           "claims_warnings"]
