"""OpenAI's speech-to-text, for users who configured OpenAI and prefer it to the offline model.

The recording is checked locally first (the same checks as offline), so a bad
recording never costs an API call. Any failure falls back to the offline
transcriber, and the caller is told why (`transcribe_preferring`).
"""

from __future__ import annotations

import time

from ..voice import OFFLINE_ENGINE, Transcriber, Transcript, Word, check, decode
from .errors import LLMError
from .openai_chat import map_openai_error

# whisper-1 is the OpenAI model that returns word timings (verbose_json with
# timestamp_granularities=["word"]), which the speaking feedback needs.
OPENAI_TRANSCRIBE_MODEL = "whisper-1"


class OpenAITranscriber:
    """Transcription through the OpenAI SDK (any base URL that serves /audio/transcriptions)."""

    def __init__(self, api_key: str | None, base_url: str | None = None,
                 model: str = OPENAI_TRANSCRIBE_MODEL, timeout: float = 60.0,
                 max_retries: int = 1):
        import openai

        self.model = model
        self.client = openai.OpenAI(api_key=api_key, base_url=base_url, timeout=timeout,
                                    max_retries=max_retries)

    @property
    def engine(self) -> str:
        """How a transcript made here is labelled."""
        return f"by OpenAI ({self.model})"

    def transcribe(self, data: bytes) -> Transcript:
        """Text and word timings from OpenAI; raises AudioError (bad audio) or LLMError."""
        seconds = check(decode(data))
        start = time.perf_counter()
        try:
            result = self.client.audio.transcriptions.create(
                model=self.model, file=("answer.wav", data), response_format="verbose_json",
                timestamp_granularities=["word"], language="en")
        except Exception as exc:  # noqa: BLE001 - mapped to our own types, no SDK text shown
            raise map_openai_error(exc) from None
        text = (getattr(result, "text", "") or "").strip()
        if not text:
            raise LLMError("the transcription came back empty")
        words = [Word(str(w.word).strip(), round(float(w.start), 2), round(float(w.end), 2))
                 for w in (getattr(result, "words", None) or [])]
        return Transcript(text=text, duration_s=round(seconds, 2), engine=self.engine,
                          words=words, seconds=round(time.perf_counter() - start, 3))


def transcribe_preferring(primary: OpenAITranscriber | None, offline: Transcriber,
                          data: bytes) -> tuple[Transcript, str | None]:
    """Transcribe with `primary` when given, else offline; on its failure, offline.

    Returns the transcript and, after a fallback, the reason to show. Bad
    audio (AudioError) is raised as is: the offline model would refuse it too.
    """
    if primary is not None:
        try:
            return primary.transcribe(data), None
        except LLMError as exc:
            return offline.transcribe(data), (f"OpenAI transcription failed ({exc.reason}); "
                                               f"transcribed {OFFLINE_ENGINE} instead.")
    return offline.transcribe(data), None


__all__ = ["OPENAI_TRANSCRIBE_MODEL", "OpenAITranscriber", "transcribe_preferring"]
