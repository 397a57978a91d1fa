"""Which offline grader to build: the claim judge by default, embeddings on request.

If the judge's model file is missing or cannot be opened, the embedding grader
stands in, and every grade it produces says so by its name.
"""

from __future__ import annotations

import logging

from .base import Grader

OFFLINE_GRADERS = ("offline", "embedding")
log = logging.getLogger(__name__)


def make_offline(name: str = "offline", embedder=None) -> Grader:
    """The offline grader called `name` ('offline': claim judge; 'embedding')."""
    from .offline import EmbeddingGrader

    if name not in OFFLINE_GRADERS:
        raise ValueError(f"unknown offline grader {name!r}; choose one of {OFFLINE_GRADERS}")
    if name == "embedding":
        return EmbeddingGrader(embedder)
    from .judge import shared_judge
    from .judged import JudgeGrader

    judge = shared_judge()
    if not judge.available:
        log.warning("the claim judge model %s is missing; grading with embeddings only",
                    judge.model_file)
        return EmbeddingGrader(embedder)
    return JudgeGrader(embedder, judge=judge)


__all__ = ["make_offline", "OFFLINE_GRADERS"]
