"""Our own error types for LLM calls; SDK exceptions are mapped to these in the adapters.

Messages are written by us from the error's kind and status, never copied from
the SDK or the server, so an API key can never reach the UI or the logs.
"""

from __future__ import annotations


class LLMError(RuntimeError):
    """A failed LLM call; `reason` is short and safe to show to users."""

    retryable = False

    def __init__(self, reason: str, status: int | None = None,
                 retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after  # seconds the provider asked us to wait, if it said


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


def map_sdk_error(sdk, exc: Exception) -> LLMError:
    """An `openai` or `anthropic` SDK exception as one of ours (the two SDKs share names).

    The message is ours, built from the kind and status, never the SDK's text,
    which may quote the request.
    """
    status = getattr(exc, "status_code", None)
    if isinstance(exc, sdk.RateLimitError) or (status and status >= 500):
        error = _map(sdk, exc, status)
        error.retry_after = retry_after(getattr(exc, "response", None))
        return error
    return _map(sdk, exc, status)


def retry_after(response) -> float | None:
    """Seconds from a `retry-after-ms` or `retry-after` header (a number), if any."""
    headers = getattr(response, "headers", None) or {}
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            return max(float(headers[name]) * scale, 0.0)
        except (KeyError, TypeError, ValueError):
            continue  # absent, or an HTTP date: our own backoff applies
    return None


def _map(sdk, exc: Exception, status: int | None) -> LLMError:
    if isinstance(exc, sdk.APITimeoutError):
        return LLMTimeout("the provider did not answer in time")
    if isinstance(exc, sdk.APIConnectionError):
        return LLMConnectionError("could not connect to the provider")
    if isinstance(exc, sdk.RateLimitError):
        return LLMRateLimited("rate limited by the provider (429)", status)
    if isinstance(exc, (sdk.AuthenticationError, sdk.PermissionDeniedError)):
        return LLMAuthError(f"the provider rejected the API key ({status})", status)
    if isinstance(exc, sdk.InternalServerError) or (status and status >= 500):
        return LLMServerError(f"provider error ({status})", status)
    if isinstance(exc, sdk.APIStatusError):
        return LLMRequestError(f"the provider rejected the request ({status})", status)
    return LLMError(f"unexpected {type(exc).__name__} from the provider")
