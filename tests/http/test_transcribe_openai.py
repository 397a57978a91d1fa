"""OpenAI transcription through the real SDK against a local fake server, with the
offline fallback: a failed call never loses the answer."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from interviewer.llm.openai_transcribe import OpenAITranscriber, transcribe_preferring
from interviewer.voice import AudioError, shared_transcriber
from tests.http.fake_llm import FakeLLM

SPOKEN = "Retrieval augmented generation puts retrieved passages into the prompt."


@pytest.fixture()
def fake():
    server = FakeLLM().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def wav() -> bytes:
    assert shutil.which("espeak-ng"), "espeak-ng is missing: sudo apt-get install espeak-ng"
    return subprocess.run(["espeak-ng", "-s", "160", "--stdout", SPOKEN], check=True,
                          capture_output=True).stdout


def test_openai_transcription_is_used_and_labelled(fake, wav):
    remote = OpenAITranscriber("sk-test-secret", base_url=fake.url + "/v1")
    t, note = transcribe_preferring(remote, shared_transcriber(), wav)
    assert note is None and t.text == fake.transcript and t.engine == "by OpenAI (whisper-1)"
    assert len(t.words) == len(fake.transcript.split()) and t.duration_s > 1
    assert fake.paths() == ["/v1/audio/transcriptions"]
    assert fake.requests[0]["body"]["multipart_bytes"] > len(wav)
    assert fake.requests[0]["headers"]["authorization"] == "Bearer sk-test-secret"


def test_a_failed_call_falls_back_to_offline_and_says_why(fake, wav):
    fake.add(kind="status", code=500)
    fake.add(kind="status", code=500)
    remote = OpenAITranscriber("sk-test-secret", base_url=fake.url + "/v1", max_retries=1)
    t, note = transcribe_preferring(remote, shared_transcriber(), wav)
    assert t.engine.startswith("offline") and "retrieval" in t.text.lower()
    assert note and "OpenAI transcription failed" in note and "sk-test" not in note


def test_bad_audio_is_refused_before_any_call(fake):
    remote = OpenAITranscriber("sk-test-secret", base_url=fake.url + "/v1")
    with pytest.raises(AudioError):
        transcribe_preferring(remote, shared_transcriber(), b"not audio" * 50)
    assert fake.paths() == []
