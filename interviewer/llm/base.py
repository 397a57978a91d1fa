"""The one small interface every provider adapter implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator


@dataclass
class Usage:
    """Tokens of one call; `estimated` when counted locally, not reported by the API."""

    input_tokens: int = 0
    output_tokens: int = 0
    estimated: bool = False


@dataclass
class StructuredResult:
    """A structured call's raw JSON text, parsed object and usage."""

    text: str
    data: dict | None
    usage: Usage = field(default_factory=Usage)


class ChatModel:
    """A chat model that returns JSON matching a schema, whole or streamed.

    Subclasses set `provider` and implement `structured` and `stream_structured`.
    `stream_structured` yields raw JSON text as it arrives and returns the
    final StructuredResult (the generator's return value). `timeout` (seconds)
    bounds one request; None keeps the client's own.
    """

    provider = "base"

    def __init__(self, model: str):
        self.model = model

    @property
    def label(self) -> str:
        """'openai · gpt-4o-mini'."""
        return f"{self.provider} · {self.model}"

    def structured(self, system: str, user: str, name: str, schema: dict,
                   timeout: float | None = None) -> StructuredResult:
        """One call; the result's JSON follows `schema`."""
        raise NotImplementedError

    def stream_structured(self, system: str, user: str, name: str, schema: dict,
                          timeout: float | None = None) -> Iterator[str]:
        """Like `structured`, yielding the JSON text as it is generated."""
        raise NotImplementedError
