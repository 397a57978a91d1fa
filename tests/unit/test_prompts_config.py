"""Prompt files and settings resolution."""

from __future__ import annotations

import pytest

from interviewer.config import load_settings
from interviewer.prompts import Prompt, PromptError, load_prompt, version
from interviewer.tokens import cost_usd, count_tokens


def test_shipped_prompts_render_with_their_variables():
    user = load_prompt("grade_user")
    assert user.variables == {"kind", "question", "rubric", "key_points", "evidence", "answer"}
    text = user.render(kind="concept", question="Q?", rubric="R", key_points="- k",
                       evidence="[1] e", answer="my {{answer}}")
    assert "<candidate_answer>\nmy {{answer}}\n</candidate_answer>" in text


def test_missing_or_unused_variables_are_errors():
    p = Prompt("t", "Hello {{name}} from {{place}}")
    with pytest.raises(PromptError, match="needs \\['place'\\]"):
        p.render(name="a")
    with pytest.raises(PromptError, match="does not use \\['extra'\\]"):
        p.render(name="a", place="b", extra="c")


def test_prompt_hash_follows_the_text():
    a, b = Prompt("t", "one {{x}}"), Prompt("t", "two {{x}}")
    assert a.hash != b.hash and len(a.hash) == 12
    assert version(a, b) != version(b, a)


def test_settings_precedence_and_secrets(tmp_path, monkeypatch):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[interviewer]\nprovider = "anthropic"\napi_key = "sk-from-file"\n'
                       'max_answer_chars = 100\n[interviewer.prices]\n"m" = [1.0, 2.0]\n')
    for var in ("INTERVIEWER_PROVIDER", "INTERVIEWER_API_KEY", "ANTHROPIC_API_KEY",
                "INTERVIEWER_MAX_ANSWER_CHARS"):
        monkeypatch.delenv(var, raising=False)
    s = load_settings(secrets_path=secrets)
    assert s.provider == "anthropic" and s.model == "claude-haiku-4-5"
    assert s.api_key.get_secret_value() == "sk-from-file" and s.max_answer_chars == 100
    assert s.prices == {"m": (1.0, 2.0)}
    assert "sk-from-file" not in repr(s)
    monkeypatch.setenv("INTERVIEWER_MAX_ANSWER_CHARS", "200")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-from-env")
    s = load_settings(secrets_path=secrets)
    assert s.max_answer_chars == 200 and s.api_key.get_secret_value() == "sk-from-env"
    assert load_settings(secrets_path=secrets, max_answer_chars=300).max_answer_chars == 300


def test_a_missing_secrets_file_is_normal(tmp_path, monkeypatch):
    monkeypatch.delenv("INTERVIEWER_PROVIDER", raising=False)
    assert load_settings(secrets_path=tmp_path / "none.toml").provider == "offline"


def test_unknown_provider_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("INTERVIEWER_PROVIDER", "gemini")
    with pytest.raises(ValueError, match="unknown provider 'gemini'"):
        load_settings(secrets_path=tmp_path / "none.toml")


def test_token_counts_and_costs():
    assert count_tokens("hello world") == 2
    assert cost_usd("openai", "gpt-4o-mini", 1_000_000, 1_000_000) == pytest.approx(0.75)
    assert cost_usd("openai-compatible", "llama3.1", 5000, 5000) == 0.0
    assert cost_usd("anthropic", "unknown-model", 10, 10) is None
    assert cost_usd("openai", "custom", 1_000_000, 0, {"custom": (2.0, 4.0)}) == 2.0
