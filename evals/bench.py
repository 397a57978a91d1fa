"""Speed and memory of the offline interviewer on this machine's CPU.

    python -m evals.bench --json

Measures, in one run: warm grading latency (model loaded, index built) over
realistic answers to guide questions; retrieval latency; cold start to the
first grade (a fresh Python process: imports, question bank, model, index
check, one grade); index build throughput from scratch compared with the raw
model encoding the same chunk texts; a no-change re-index; peak memory.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

COLD_START = """
import time; t0 = time.perf_counter()
from interviewer.config import load_settings
from interviewer.knowledge import KnowledgeBase
from interviewer.grading.registry import make_offline
kb = KnowledgeBase(load_settings())
if not kb.is_index_current():
    kb.build_index()
q = next(q for q in kb.questions if kb.key_for(q.id))
g = make_offline(GRADER, kb.embedder).grade(kb.reference_for(q), "An answer about " + q.text)
print(time.perf_counter() - t0)
"""


def percentile_ms(values: list[float], p: float) -> float:
    """A percentile of seconds, in milliseconds."""
    return round(float(np.percentile(values, p)) * 1000, 1)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--grades", type=int, default=200, help="warm grades to time (default 200)")
    p.add_argument("--grader", default="offline", choices=["offline", "embedding"],
                   help="offline grader to time (default: the claim judge)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)

    from evals.robustness import paraphrase, weak_answer
    from interviewer.config import load_settings
    from interviewer.grading.registry import make_offline
    from interviewer.index import ChromaIndex
    from interviewer.index_vectors import ShippedVectors
    from interviewer.knowledge import KnowledgeBase

    out: dict = {"machine": {"cpus": __import__("os").cpu_count()}}

    # Cold start first, in its own process, before this one warms any cache.
    proc = subprocess.run([sys.executable, "-c", f"GRADER = {args.grader!r}\n" + COLD_START],
                          capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent)
    out["cold_start_s"] = round(float(proc.stdout.strip().splitlines()[-1]), 2) \
        if proc.returncode == 0 else None

    kb = KnowledgeBase(load_settings())
    if not kb.is_index_current():
        kb.build_index()
    grader = make_offline(args.grader, kb.embedder)
    out["grader"] = f"{grader.name} ({grader.model_label})"
    rng = random.Random(3)
    keyed = [q for q in kb.questions if kb.key_for(q.id)]
    sample = rng.sample(keyed, min(args.grades, len(keyed)))
    refs = {q.id: kb.reference_for(q) for q in sample}
    answers = [paraphrase(kb.key_for(q.id), rng) if i % 2 == 0 else weak_answer(q.text)
               for i, q in enumerate(sample)]
    for q in sample:  # warm: model, ONNX session, key-point vectors
        grader.grade(refs[q.id], "warm-up answer")
    grade_times = []
    for q, a in zip(sample, answers):
        t = time.perf_counter()
        grader.grade(refs[q.id], a)
        grade_times.append(time.perf_counter() - t)
    out["grade_p50_ms"] = percentile_ms(grade_times, 50)
    out["grade_p95_ms"] = percentile_ms(grade_times, 95)
    # What the app holds: both models, the index, the question bank (no torch).
    out["peak_rss_after_grading_mb"] = round(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    out["grade_answer_words_p50"] = int(np.median([len(a.split()) for a in answers]))

    retrieval_times = []
    for q in sample:
        t = time.perf_counter()
        kb.reference_for(q)
        retrieval_times.append(time.perf_counter() - t)
    out["retrieval_p50_ms"] = percentile_ms(retrieval_times, 50)
    out["retrieval_p95_ms"] = percentile_ms(retrieval_times, 95)

    # Index build from scratch vs the raw model on the same texts, same batch size.
    chunks = kb.chunks()
    texts = [c.text for c in chunks]
    t = time.perf_counter()
    kb.embedder.encode(texts, batch_size=64)
    raw_s = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        # Without the shipped vectors: every chunk through the model, as after
        # a change to every note.
        index = ChromaIndex(Path(tmp) / "index", kb.embedder, shipped=ShippedVectors.empty())
        t = time.perf_counter()
        index.sync(chunks)
        ours_s = time.perf_counter() - t
        t = time.perf_counter()
        index.sync(chunks)
        out["reindex_noop_s"] = round(time.perf_counter() - t, 3)
        # A first build as a clean clone runs it: vectors from the shipped file,
        # then the integrity check `interviewer index` ends with.
        first = KnowledgeBase(load_settings(data_dir=Path(tmp) / "first",
                                            knowledge_dir=kb.settings.knowledge_dir),
                              embedder=kb.embedder)
        t = time.perf_counter()
        report = first.build_index()
        out["first_build_shipped_s"] = round(time.perf_counter() - t, 2)
        out["first_build_embedded"] = report.added - report.shipped
    out["index_chunks"] = len(chunks)
    out["index_chunks_per_s"] = round(len(chunks) / ours_s, 1)
    out["raw_encode_chunks_per_s"] = round(len(chunks) / raw_s, 1)
    out["index_throughput_ratio"] = round(raw_s / ours_s, 3)

    # The shipped index: a no-change re-index as `interviewer index` runs it.
    t = time.perf_counter()
    kb.build_index()
    out["reindex_noop_shipped_s"] = round(time.perf_counter() - t, 3)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(out) if args.json else json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
