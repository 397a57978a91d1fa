"""Spoken answers, measured: word error rate, speed, and whether the grade survives speech.

    python -m evals.voice --json [--keys 30] [--rates 140 185]

Answer-key explanations (the first ~150 words of each, about a minute spoken;
keys picked by a fixed hash of their first question id) are read aloud by
Debian's espeak-ng at each speaking rate (words per minute), transcribed by the
packaged Whisper tiny.en exactly as the app does, and compared with the text:

- word error rate (WER): word-level edit distance over the reference length,
  after lower-casing and removing punctuation;
- real-time factor: seconds spent transcribing per second of audio, and the
  time to transcribe one minute of speech (the budget is 10 s on 2 cores);
- grade stability: the offline grade of the transcript against the grade of
  the original text for the key's question; the share within 1 point.

espeak-ng is a robotic voice, so WER here is higher than for most people
speaking clearly, and lower than for a noisy room or a strong accent.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import time

import numpy as np

from evals.common import Progress

WORDS_PER_ANSWER = 150


def normalise(text: str) -> list[str]:
    """Lower-case words without punctuation (hyphens split words)."""
    return re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("-", " ")).split()


def word_errors(reference: list[str], hypothesis: list[str]) -> int:
    """Word-level Levenshtein distance (substitutions, insertions, deletions)."""
    prev = list(range(len(hypothesis) + 1))
    for i, r in enumerate(reference, 1):
        cur = [i] + [0] * len(hypothesis)
        for j, h in enumerate(hypothesis, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def first_words(text: str, n: int) -> str:
    """The first n words of a text, ending at a sentence end when one is near."""
    words = re.sub(r"\s+", " ", text).strip().split(" ")
    cut = " ".join(words[:n])
    end = max(cut.rfind(". "), cut.rfind("? "))
    return cut[:end + 1] if end > len(cut) // 2 else cut


def speak(text: str, rate: int) -> bytes:
    """WAV bytes of espeak-ng reading the text at `rate` words per minute."""
    return subprocess.run(["espeak-ng", "-s", str(rate), "--stdout", text], check=True,
                          capture_output=True).stdout


def pick_keys(kb, n: int) -> list:
    """n concept answer keys with a long explanation, by a fixed hash of their first id."""
    keys = {id(k): k for k in (kb.key_for(q.id) for q in kb.questions) if k}.values()
    ok = [k for k in keys if len(k.explanation.split()) >= WORDS_PER_ANSWER
          and kb.by_id[k.question_ids[0]].kind == "concept"]
    ok.sort(key=lambda k: hashlib.sha256(("voice:" + k.question_ids[0]).encode()).hexdigest())
    return ok[:n]


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--keys", type=int, default=30, help="answer keys to speak (default 30)")
    p.add_argument("--rates", type=int, nargs="+", default=[140, 185],
                   help="espeak-ng speaking rates, words per minute (default 140 185)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    if not shutil.which("espeak-ng"):
        raise SystemExit("espeak-ng is missing: sudo apt-get install espeak-ng")

    from interviewer.config import load_settings
    from interviewer.grading.judged import JudgeGrader
    from interviewer.knowledge import KnowledgeBase
    from interviewer.voice import shared_transcriber

    kb = KnowledgeBase(load_settings())
    if not kb.is_index_current():
        kb.build_index()
    grader = JudgeGrader(kb.embedder)
    transcriber = shared_transcriber()
    load_start = time.perf_counter()
    transcriber.load()
    load_s = time.perf_counter() - load_start
    keys = pick_keys(kb, args.keys)
    progress = Progress(len(keys) * len(args.rates), "speaking and transcribing")
    rows, done = [], 0
    for key in keys:
        text = first_words(key.explanation, WORDS_PER_ANSWER)
        ref = kb.reference_for(kb.by_id[key.question_ids[0]])
        original = grader.grade(ref, text).score
        for rate in args.rates:
            t = transcriber.transcribe(speak(text, rate))
            ref_words, hyp_words = normalise(text), normalise(t.text)
            graded = grader.grade(ref, t.text).score
            rows.append({"question_id": key.question_ids[0], "rate": rate,
                         "audio_s": t.duration_s, "transcribe_s": t.seconds,
                         "errors": word_errors(ref_words, hyp_words),
                         "reference_words": len(ref_words),
                         "grade_text": original, "grade_transcript": graded})
            done += 1
            progress.step(done)

    def summary(sub: list[dict]) -> dict:
        audio = sum(r["audio_s"] for r in sub)
        spent = sum(r["transcribe_s"] for r in sub)
        per_minute = [60 * r["transcribe_s"] / r["audio_s"] for r in sub]
        diffs = [abs(r["grade_text"] - r["grade_transcript"]) for r in sub]
        return {
            "answers": len(sub),
            "mean_audio_s": round(audio / len(sub), 1),
            "wer": round(sum(r["errors"] for r in sub) / sum(r["reference_words"] for r in sub), 3),
            "real_time_factor": round(spent / audio, 3),
            "seconds_per_minute_of_speech_mean": round(float(np.mean(per_minute)), 2),
            "seconds_per_minute_of_speech_max": round(float(np.max(per_minute)), 2),
            "grade_within_1_point": round(float(np.mean([d <= 1.0 for d in diffs])), 3),
            "grade_mean_abs_difference": round(float(np.mean(diffs)), 2),
            "grade_text_mean": round(float(np.mean([r["grade_text"] for r in sub])), 2),
            "grade_transcript_mean": round(float(np.mean([r["grade_transcript"] for r in sub])), 2),
        }

    result = {"keys": len(keys), "rates": args.rates, "model_load_s": round(load_s, 2),
              "all": summary(rows),
              "by_rate": {str(r): summary([x for x in rows if x["rate"] == r])
                          for r in args.rates}}
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
