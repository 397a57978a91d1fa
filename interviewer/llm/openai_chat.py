"""OpenAI and any OpenAI-compatible server (Ollama, vLLM, llama.cpp, LM Studio).

A compatible server is configuration, a `base_url`, not another class. The
SDK import stays here, and SDK errors become our own error types.
"""

from __future__ import annotations

import json
from typing import Iterator

from .base import ChatModel, StructuredResult, Usage
from .errors import LLMBadOutput, LLMError, LLMRefusal, map_sdk_error

# Local servers ignore the key, but the SDK refuses to start without one.
PLACEHOLDER_KEY = "not-needed-for-local-servers"


def map_openai_error(exc: Exception) -> LLMError:
    """An openai SDK exception as one of ours, with a message that holds no secret."""
    import openai

    return map_sdk_error(openai, exc)


class OpenAIChat(ChatModel):
    """Chat Completions with JSON-schema structured output."""

    def __init__(self, model: str, api_key: str | None = None, base_url: str | None = None,
                 provider: str = "openai", timeout: float = 60.0, max_retries: int = 2,
                 temperature: float = 0.0):
        super().__init__(model)
        import openai

        self.provider = provider
        self.temperature = temperature
        self._json_schema_supported = True
        self.client = openai.OpenAI(
            api_key=api_key or (PLACEHOLDER_KEY if provider == "openai-compatible" else None),
            base_url=base_url, timeout=timeout, max_retries=max_retries,
        )

    def _request(self, system: str, user: str, name: str, schema: dict) -> dict:
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        if self._json_schema_supported:
            fmt = {"type": "json_schema",
                   "json_schema": {"name": name, "schema": schema, "strict": True}}
        else:
            # Servers without JSON-schema support: JSON mode, schema in the prompt.
            messages[0]["content"] += ("\n\nReply with one JSON object that follows this JSON "
                                       f"schema:\n{json.dumps(schema)}")
            fmt = {"type": "json_object"}
        return {"model": self.model, "messages": messages, "response_format": fmt,
                "temperature": self.temperature}

    @staticmethod
    def _timeout(timeout: float | None) -> dict:
        return {} if timeout is None else {"timeout": timeout}

    def _call(self, fn):
        import openai

        try:
            return fn()
        except openai.BadRequestError as exc:
            # A compatible server that does not know json_schema gets one more
            # try in JSON mode; OpenAI itself supports it, so a 400 there is ours.
            if self.provider == "openai-compatible" and self._json_schema_supported:
                self._json_schema_supported = False
                return None
            raise map_openai_error(exc) from None
        except openai.OpenAIError as exc:
            raise map_openai_error(exc) from None

    def structured(self, system: str, user: str, name: str, schema: dict,
                   timeout: float | None = None) -> StructuredResult:
        """One call with structured output."""
        def call():
            return self.client.chat.completions.create(
                **self._request(system, user, name, schema), **self._timeout(timeout))

        resp = self._call(call)
        if resp is None:
            resp = self._call(call)
        if not resp.choices:
            raise LLMBadOutput("the provider returned no choices")
        choice = resp.choices[0]
        if getattr(choice.message, "refusal", None) or choice.finish_reason == "content_filter":
            raise LLMRefusal("the model declined to grade this answer")
        text = choice.message.content or ""
        usage = Usage(resp.usage.prompt_tokens, resp.usage.completion_tokens) \
            if resp.usage else Usage(estimated=True)
        return StructuredResult(text=text, data=_parse(text), usage=usage)

    def stream_structured(self, system: str, user: str, name: str, schema: dict,
                          timeout: float | None = None) -> Iterator[str]:
        """Stream the JSON text; returns the StructuredResult at the end."""
        import openai

        def start():
            return self.client.chat.completions.create(
                **self._request(system, user, name, schema), stream=True,
                stream_options={"include_usage": True}, **self._timeout(timeout))

        stream = self._call(start)
        if stream is None:
            stream = self._call(start)
        parts: list[str] = []
        usage = Usage(estimated=True)
        try:
            for chunk in stream:
                if chunk.usage:
                    usage = Usage(chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
                if not chunk.choices:
                    continue
                choice = chunk.choices[0]
                delta = choice.delta
                if getattr(delta, "refusal", None) or choice.finish_reason == "content_filter":
                    raise LLMRefusal("the model declined to grade this answer")
                if delta.content:
                    parts.append(delta.content)
                    yield delta.content
        except openai.OpenAIError as exc:
            raise map_openai_error(exc) from None
        text = "".join(parts)
        return StructuredResult(text=text, data=_parse(text), usage=usage)


def _parse(text: str) -> dict | None:
    """The JSON object in a reply, tolerating code fences; None when there is none."""
    body = text.strip()
    if body.startswith("```"):
        body = body.strip("`")
        body = body[body.find("{"):] if "{" in body else body
    try:
        data = json.loads(body)
    except json.JSONDecodeError:
        start, end = body.find("{"), body.rfind("}")
        if start < 0 or end <= start:
            return None
        try:
            data = json.loads(body[start:end + 1])
        except json.JSONDecodeError:
            return None
    return data if isinstance(data, dict) else None
