"""Spoken answers: real speech made with espeak-ng, transcribed by the packaged Whisper."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import wave

import numpy as np
import pytest

from interviewer.config import load_settings
from interviewer.interview import InterviewConfig
from interviewer.service import InterviewService
from interviewer.speaking import filler_counts, speaking_metrics
from interviewer.store import Store
from interviewer.voice import MAX_SECONDS, SAMPLE_RATE, AudioError, shared_transcriber

RAG = ("Retrieval augmented generation searches a vector index for passages related to the "
       "question and puts them into the prompt, so the model answers from current documents.")


def speak(text: str, rate: int = 160) -> bytes:
    """A WAV of espeak-ng reading the text (Debian's espeak-ng; `make test` installs it)."""
    assert shutil.which("espeak-ng"), "espeak-ng is missing: sudo apt-get install espeak-ng"
    return subprocess.run(["espeak-ng", "-s", str(rate), "--stdout", text], check=True,
                          capture_output=True).stdout


def wav(samples: np.ndarray, rate: int = SAMPLE_RATE) -> bytes:
    """16-bit mono WAV bytes of float samples in [-1, 1]."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return buf.getvalue()


def samples(data: bytes) -> np.ndarray:
    with wave.open(io.BytesIO(data)) as w:
        rate = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32767
    return np.interp(np.arange(0, len(x), rate / SAMPLE_RATE), np.arange(len(x)), x)


@pytest.fixture(scope="module")
def transcriber():
    return shared_transcriber()


def test_spoken_answer_is_transcribed_offline_with_its_key_words(transcriber):
    t = transcriber.transcribe(speak(RAG))
    words = set(t.text.lower().replace(",", " ").replace(".", " ").split())
    assert {"retrieval", "vector", "prompt", "model"} <= words, t.text
    assert t.engine.startswith("offline") and 5 < t.duration_s < 20
    assert t.words and all(a.start <= b.start for a, b in zip(t.words, t.words[1:]))


def test_speaking_metrics_follow_the_speech(transcriber):
    slow = speaking_metrics(transcriber.transcribe(speak(RAG, rate=110)))
    fast = speaking_metrics(transcriber.transcribe(speak(RAG, rate=200)))
    assert slow["wpm"] < fast["wpm"]
    assert slow["duration_s"] > fast["duration_s"]
    # A three-second silence between two sentences is the longest pause.
    gap = np.zeros(3 * SAMPLE_RATE, dtype=np.float32)
    parts = [samples(speak("Attention weighs every token against the others.")), gap,
             samples(speak("Residual connections keep gradients flowing."))]
    paused = speaking_metrics(transcriber.transcribe(wav(np.concatenate(parts))))
    assert 2.0 <= paused["longest_pause_s"] <= 4.0, paused
    assert fast["longest_pause_s"] < 1.5


def test_filler_words_are_counted_but_like_as_a_verb_is_not():
    text = "Um, so basically it's, like, a cache. It looks like a table, you know. Uh, I mean yes."
    assert filler_counts(text) == {"um": 1, "uh": 1, "basically": 1, "you know": 1,
                                   "i mean": 1, "like": 1}
    assert filler_counts("I would like a model like BERT.") == {}


@pytest.mark.parametrize("make, kind", [
    (lambda: b"", "empty"),
    (lambda: b"RIFF\x00\x00not really audio" * 50, "undecodable"),
    (lambda: wav(np.zeros(3 * SAMPLE_RATE, dtype=np.float32)), "silence"),
    (lambda: wav(np.random.default_rng(0).normal(0, 0.2, 4 * SAMPLE_RATE)), "noise"),
    (lambda: wav(np.full(int((MAX_SECONDS + 5) * SAMPLE_RATE), 0.1, dtype=np.float32)),
     "too_long"),
    (lambda: wav(np.full(SAMPLE_RATE // 10, 0.2, dtype=np.float32)), "too_short"),
])
def test_bad_audio_gets_a_clear_message(transcriber, make, kind):
    with pytest.raises(AudioError) as err:
        transcriber.transcribe(make())
    assert err.value.kind == kind
    assert "record" in err.value.message.lower() or "upload" in err.value.message.lower()


@pytest.fixture()
def service(kb, grader, tmp_path):
    settings = load_settings(data_dir=tmp_path, knowledge_dir=kb.settings.knowledge_dir)
    return InterviewService(settings, kb, Store(settings.db_path), grader)


def answer(service, interview, text, speech=None, audio=None):
    assert service.accept(interview, text, speech=speech, audio=audio) is None
    pending = service.begin(interview, text)
    for _ in pending.stream:
        pass
    return service.finish(interview, pending)


def test_a_spoken_answer_is_stored_with_its_speech_and_recording(service, transcriber):
    interview = service.start(InterviewConfig(sections=[4], num_questions=2, follow_ups=0,
                                              seed=3), "voice")
    audio = speak(RAG)
    t = transcriber.transcribe(audio)
    edited = t.text + " It also lets us cite sources."
    outcome = answer(service, interview, edited, speaking_metrics(t), (audio, "audio/wav"))
    assert outcome.grade.status == "graded"
    stored = service.store.turns(interview.id)[0]
    # The grade is of the edited text; the speech and the recording are kept with the turn.
    assert stored["answer"] == edited and stored["speech"]["wpm"] > 0
    assert stored["speech"]["audio_kept"] is True
    assert service.store.audio(interview.id, 0) == (audio, "audio/wav")
    again = service.store.load(interview.id)
    assert again.turns[0].speech["words"] == stored["speech"]["words"]
    from interviewer.speaking import speaking_history

    [row] = speaking_history(service.store.turns(interview.id))
    assert row["words per minute"] == stored["speech"]["wpm"] and row["fillers per 100 words"] == 0


def test_recordings_over_the_profile_limit_are_not_kept_but_the_answer_is(service, transcriber):
    service.settings.audio_limit_mb = 0.01
    interview = service.start(InterviewConfig(sections=[4], num_questions=1, follow_ups=0,
                                              seed=4), "voice-limit")
    audio = speak(RAG)
    t = transcriber.transcribe(audio)
    answer(service, interview, t.text, speaking_metrics(t), (audio, "audio/wav"))
    stored = service.store.turns(interview.id)[0]
    assert stored["answer"] == t.text and stored["score"] is not None
    assert stored["speech"]["audio_kept"] is False and "MB" in stored["speech"]["audio_note"]
    assert service.store.audio(interview.id, 0) is None


def test_cli_transcribes_and_grades_a_recording(tmp_path, kb, capsys):
    from interviewer.cli import main

    path = tmp_path / "answer.wav"
    path.write_bytes(speak(RAG))
    assert main(["transcribe", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "retrieval" in out["text"].lower() and out["speech"]["wpm"] > 0
    qid = "q04-528ca2"  # What is RAG and why is it important for Gen-AI applications?
    assert main(["--data-dir", str(kb.settings.data_dir), "grade", "--question-id", qid,
                 "--audio", str(path), "--json"]) == 0
    graded = json.loads(capsys.readouterr().out)
    assert graded["status"] == "graded" and graded["speech"]["words"] > 10
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio" * 100)
    assert main(["transcribe", str(bad)]) == 2
    assert "could not be read as audio" in capsys.readouterr().err
