"""LLM providers behind one interface, and the grader factory."""

from __future__ import annotations

from .base import ChatModel, StructuredResult, Usage
from .errors import LLMError


def make_chat_model(provider: str, model: str, api_key: str | None = None,
                    base_url: str | None = None, timeout: float = 60.0,
                    max_retries: int = 2) -> ChatModel:
    """The adapter for a provider; a compatible server is OpenAI with a base URL."""
    if provider in ("openai", "openai-compatible"):
        from .openai_chat import OpenAIChat

        if provider == "openai-compatible" and not base_url:
            raise LLMError("an OpenAI-compatible server needs a base URL, e.g. "
                           "http://localhost:11434/v1 for Ollama")
        return OpenAIChat(model, api_key=api_key, base_url=base_url, provider=provider,
                          timeout=timeout, max_retries=max_retries)
    if provider == "anthropic":
        from .anthropic_chat import AnthropicChat

        return AnthropicChat(model, api_key=api_key, base_url=base_url, timeout=timeout,
                             max_retries=max_retries)
    raise LLMError(f"unknown provider {provider!r}")


def make_grader(settings, offline):
    """The grader the settings ask for: offline, or an LLM grader over the offline one."""
    if settings.provider == "offline":
        return offline
    from ..grading.llm import LLMGrader

    key = settings.api_key.get_secret_value() if settings.api_key else None
    if settings.provider in ("openai", "anthropic") and not key:
        raise LLMError(f"no API key for {settings.provider}: set "
                       f"{'OPENAI_API_KEY' if settings.provider == 'openai' else 'ANTHROPIC_API_KEY'}"
                       " or enter one in the sidebar")
    # The SDK does not retry: the grader does, within the turn's time budget.
    chat = make_chat_model(settings.provider, settings.model, api_key=key,
                           base_url=settings.base_url, timeout=settings.timeout_s,
                           max_retries=0)
    return LLMGrader(chat, offline, budget_tokens=settings.context_budget_tokens,
                     prices=settings.prices, turn_budget_s=settings.turn_budget_s,
                     attempts=settings.max_retries + 1, timeout_s=settings.timeout_s)


__all__ = ["ChatModel", "StructuredResult", "Usage", "LLMError", "make_chat_model",
           "make_grader"]
