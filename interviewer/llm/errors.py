"""Our own error types for LLM calls; SDK exceptions are mapped to these in the adapters.

Messages are written by us from the error's kind and status, never copied from
the SDK or the server, so an API key can never reach the UI or the logs.
"""

from __future__ import annotations


class LLMError(RuntimeError):
    """A failed LLM call; `reason` is short and safe to show to users."""

    retryable = False

    def __init__(self, reason: str, status: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = status


class LLMTimeout(LLMError):
    """The provider did not answer in time."""

    retryable = True


class LLMRateLimited(LLMError):
    """429: too many requests or tokens."""

    retryable = True


class LLMServerError(LLMError):
    """5xx from the provider."""

    retryable = True


class LLMConnectionError(LLMError):
    """The provider could not be reached."""

    retryable = True


class LLMAuthError(LLMError):
    """The key was missing, wrong or not allowed."""


class LLMRequestError(LLMError):
    """The provider rejected the request (4xx other than auth and rate limits)."""


class LLMRefusal(LLMError):
    """The model declined to answer."""


class LLMBadOutput(LLMError):
    """The model's output was not the JSON we asked for."""
