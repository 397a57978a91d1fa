"""Helpers shared by the evals: JSONL reading, metrics, progress."""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import numpy as np


def read_jsonl(path: str | Path, limit: int | None = None) -> list[dict]:
    """Rows of a JSONL file; a malformed line is reported with its number."""
    rows = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise SystemExit(f"{path}:{lineno}: not JSON ({exc.msg})") from exc
            if limit and len(rows) >= limit:
                break
    return rows


def pearson(x, y) -> float:
    """Pearson correlation (nan when a side is constant)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.std() == 0 or y.std() == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def _ranks(values) -> np.ndarray:
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values))
    sorted_vals = np.asarray(values)[order]
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and sorted_vals[j + 1] == sorted_vals[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2.0  # ties share their mean rank
        i = j + 1
    return ranks


def spearman(x, y) -> float:
    """Spearman rank correlation with tied ranks averaged."""
    return pearson(_ranks(np.asarray(x, float)), _ranks(np.asarray(y, float)))


def roc_auc(scores, labels) -> float:
    """Area under the ROC curve (Mann-Whitney form, ties count half)."""
    scores, labels = np.asarray(scores, float), np.asarray(labels, int)
    pos, neg = labels.sum(), len(labels) - labels.sum()
    if pos == 0 or neg == 0:
        return float("nan")
    ranks = _ranks(scores) + 1
    return float((ranks[labels == 1].sum() - pos * (pos + 1) / 2) / (pos * neg))


def regression_metrics(pred, gold) -> dict:
    """pearson, spearman, rmse and mae of predictions against gold values."""
    pred, gold = np.asarray(pred, float), np.asarray(gold, float)
    return {
        "pearson": round(pearson(pred, gold), 4),
        "spearman": round(spearman(pred, gold), 4),
        "rmse": round(float(math.sqrt(np.mean((pred - gold) ** 2))), 4),
        "mae": round(float(np.mean(np.abs(pred - gold))), 4),
    }


class Progress:
    """A one-line progress counter on stderr."""

    def __init__(self, total: int, label: str):
        self.total, self.label, self.start, self.last = total, label, time.time(), 0.0

    def step(self, done: int) -> None:
        """Report progress at most a few times a second."""
        now = time.time()
        if now - self.last > 0.5 or done == self.total:
            self.last = now
            rate = done / max(now - self.start, 1e-9)
            print(f"\r{self.label}: {done}/{self.total} ({rate:.0f}/s)", end="",
                  file=sys.stderr, flush=True)
            if done == self.total:
                print(file=sys.stderr)


def row_kind(row: dict) -> str:
    """The rubric kind for a short-answer data row: its own 'kind', else 'concept'.

    Rows of the short-answer datasets are factual questions about a course's
    material. Classifying their text with the guide's heuristics misfires:
    Beetle's "Explain your reasoning." reads as a behavioral question about the
    candidate, and the STAR rubric then scores every answer to it near zero,
    whatever it says.
    """
    return row.get("kind") or "concept"
