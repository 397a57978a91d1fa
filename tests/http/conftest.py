"""Fixtures of the HTTP tests: the fake provider on 127.0.0.1."""

from __future__ import annotations

import pytest

from .fake_llm import FakeLLM


@pytest.fixture()
def fake():
    """A fake OpenAI/Anthropic server, started for one test."""
    server = FakeLLM().start()
    yield server
    server.stop()
