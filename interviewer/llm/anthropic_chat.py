"""Anthropic's Messages API, structured output through a forced tool call."""

from __future__ import annotations

import json
from typing import Iterator

from .base import ChatModel, StructuredResult, Usage
from .errors import LLMBadOutput, LLMError, LLMRefusal, map_sdk_error


def _timeout(timeout: float | None) -> dict:
    return {} if timeout is None else {"timeout": timeout}


def map_anthropic_error(exc: Exception) -> LLMError:
    """An anthropic SDK exception as one of ours, with a message that holds no secret."""
    import anthropic

    return map_sdk_error(anthropic, exc)


class AnthropicChat(ChatModel):
    """Claude with the grade schema as the input schema of a tool it must call."""

    provider = "anthropic"

    def __init__(self, model: str, api_key: str | None = None, base_url: str | None = None,
                 timeout: float = 60.0, max_retries: int = 2, max_tokens: int = 2048):
        super().__init__(model)
        import anthropic

        self.max_tokens = max_tokens
        self.client = anthropic.Anthropic(api_key=api_key, base_url=base_url, timeout=timeout,
                                          max_retries=max_retries)

    def _request(self, system: str, user: str, name: str, schema: dict) -> dict:
        return {
            "model": self.model, "max_tokens": self.max_tokens, "system": system,
            "messages": [{"role": "user", "content": user}],
            "tools": [{"name": name, "description": "Submit the result.", "input_schema": schema}],
            "tool_choice": {"type": "tool", "name": name},
        }

    def structured(self, system: str, user: str, name: str, schema: dict,
                   timeout: float | None = None) -> StructuredResult:
        """One call; the tool's input is the result."""
        import anthropic

        try:
            resp = self.client.messages.create(**self._request(system, user, name, schema),
                                               **_timeout(timeout))
        except anthropic.AnthropicError as exc:
            raise map_anthropic_error(exc) from None
        if resp.stop_reason == "refusal":
            raise LLMRefusal("the model declined to grade this answer")
        block = next((b for b in resp.content if b.type == "tool_use"), None)
        if block is None:
            raise LLMBadOutput("the model did not call the grading tool")
        usage = Usage(resp.usage.input_tokens, resp.usage.output_tokens)
        data = block.input if isinstance(block.input, dict) else None
        return StructuredResult(text=json.dumps(block.input), data=data, usage=usage)

    def stream_structured(self, system: str, user: str, name: str, schema: dict,
                          timeout: float | None = None) -> Iterator[str]:
        """Stream the tool input's JSON as it is generated."""
        import anthropic

        parts: list[str] = []
        usage = Usage(estimated=True)
        stop_reason = None
        try:
            stream = self.client.messages.create(**self._request(system, user, name, schema),
                                                 stream=True, **_timeout(timeout))
            for event in stream:
                if event.type == "message_start":
                    usage.input_tokens = event.message.usage.input_tokens
                    usage.estimated = False
                elif event.type == "content_block_delta" and \
                        event.delta.type == "input_json_delta":
                    parts.append(event.delta.partial_json)
                    yield event.delta.partial_json
                elif event.type == "message_delta":
                    stop_reason = event.delta.stop_reason
                    if event.usage is not None:
                        usage.output_tokens = event.usage.output_tokens
        except anthropic.AnthropicError as exc:
            raise map_anthropic_error(exc) from None
        if stop_reason == "refusal":
            raise LLMRefusal("the model declined to grade this answer")
        text = "".join(parts)
        try:
            data = json.loads(text) if text else None
        except json.JSONDecodeError:
            data = None
        return StructuredResult(text=text, data=data if isinstance(data, dict) else None,
                                usage=usage)
