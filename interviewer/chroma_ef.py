"""Chroma's view of our embedder: an embedding function registered by name.

Kept apart from ``embeddings.py`` so that grading and training code never
import Chroma.
"""

from __future__ import annotations

from typing import Any

from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

from .embeddings import MODEL_NAME, MODEL_PACKAGE, Embedder, shared_embedder


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
