"""The LLM grader: same rubric, same evidence, same `Grade` as the offline grader.

The model returns structured output (JSON schema / forced tool), validated
with pydantic and against the evidence actually given; one repair attempt
carries the validation errors back. Any failure after the SDK's own retries
ends in the offline grade, labelled as such. The offline grade is computed
every time anyway, to cross-check the LLM's score.

Retries are ours, not the SDK's: every request and pause of a turn fits in one
time budget (`turn_budget_s`), each request's timeout is what is left of it,
and each retry is announced in the stream as a `Progress` item.
"""

from __future__ import annotations

import re
import time
from collections.abc import Collection
from typing import Callable, Generator, Iterator

from pydantic import BaseModel, Field, ValidationError

from ..llm.base import ChatModel, Usage
from ..llm.errors import LLMError, LLMTimeout
from ..prompts import load_prompt, version
from ..tokens import cost_usd, count_tokens, truncate_tokens
from .base import Grader, GradeStream
from .guards import split_injections
from .models import CriterionScore, Evidence, Grade, ReferenceAnswer
from .rubrics import level_for, rubric_for
from .text import gives_away

SCHEMA_NAME = "submit_grade"
DISAGREEMENT_POINTS = 3.5
# A request given less than this cannot finish a grade: fall back instead of trying.
MIN_ATTEMPT_S = 2.0
# Backoff between retries when the provider gives no retry-after: 0.5 s, 1 s, 2 s…
BACKOFF_BASE_S = 0.5
BACKOFF_MAX_S = 4.0
OFFLINE_NOW_REASON = "you chose the offline grade while the LLM grader was slow"


class Progress(str):
    """A status line in a grade stream ("retrying 2/3…"), not feedback text."""
_CITE_RE = re.compile(r"\[(\d+)\]")


class LLMCriterion(BaseModel):
    """One criterion as the model scores it."""

    name: str
    score: float = Field(ge=0, le=10)
    reason: str


class LLMGradePayload(BaseModel):
    """What the model must return (feedback first, so it streams first)."""

    feedback: str = Field(min_length=1)
    criteria: list[LLMCriterion]
    covered: list[str]
    missing: list[str]
    citations: list[int]
    model_answer: list[str]
    follow_up: str = Field(min_length=1)


def payload_schema() -> dict:
    """JSON schema in the strict form providers accept (all required, no extras)."""
    criterion = {
        "type": "object", "additionalProperties": False,
        "properties": {"name": {"type": "string"}, "score": {"type": "number"},
                       "reason": {"type": "string"}},
        "required": ["name", "score", "reason"],
    }
    strings = {"type": "array", "items": {"type": "string"}}
    return {
        "type": "object", "additionalProperties": False,
        "properties": {
            "feedback": {"type": "string"},
            "criteria": {"type": "array", "items": criterion},
            "covered": strings, "missing": strings,
            "citations": {"type": "array", "items": {"type": "integer"}},
            "model_answer": strings,
            "follow_up": {"type": "string"},
        },
        "required": ["feedback", "criteria", "covered", "missing", "citations", "model_answer",
                     "follow_up"],
    }


def validate_payload(data: dict | None, criteria_names: list[str],
                     evidence_numbers: set[int]) -> tuple[LLMGradePayload | None, list[str]]:
    """The payload if it is usable, else the reasons it is not (for the repair prompt)."""
    if data is None:
        return None, ["the reply was not a JSON object"]
    try:
        payload = LLMGradePayload.model_validate(data)
    except ValidationError as exc:
        return None, [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:8]]
    errors = []
    names = [c.name for c in payload.criteria]
    if sorted(names) != sorted(criteria_names):
        errors.append(f"criteria must be exactly {criteria_names}, got {names}")
    cited = set(payload.citations) | {int(n) for n in _CITE_RE.findall(payload.feedback)}
    unknown = sorted(cited - evidence_numbers)
    if unknown:
        errors.append(f"citations {unknown} do not exist; cite only {sorted(evidence_numbers)}")
    return (None if errors else payload), errors


class FeedbackExtractor:
    """Pulls the "feedback" string out of JSON text as it streams in."""

    def __init__(self):
        self.buffer = ""
        self.emitted = 0
        self.done = False

    def feed(self, chunk: str) -> str:
        """New feedback text decoded since the last call."""
        self.buffer += chunk
        if self.done:
            return ""
        m = re.search(r'"feedback"\s*:\s*"', self.buffer)
        if not m:
            return ""
        text, i, out = self.buffer[m.end():], 0, []
        while i < len(text):
            c = text[i]
            if c == '"':
                self.done = True
                break
            if c == "\\":
                if i + 1 >= len(text):
                    break  # escape split across chunks: wait for the rest
                nxt = text[i + 1]
                if nxt == "u":
                    if i + 6 > len(text):
                        break
                    out.append(chr(int(text[i + 2:i + 6], 16)))
                    i += 6
                    continue
                out.append({"n": "\n", "t": "\t", "r": "", "b": "", "f": ""}.get(nxt, nxt))
                i += 2
                continue
            out.append(c)
            i += 1
        decoded = "".join(out)
        new = decoded[self.emitted:]
        self.emitted = len(decoded)
        return new


INTENTS = ("answer", "clarify", "repeat", "hint", "dont_know", "skip")
INTENT_SCHEMA_NAME = "message_intent"
INTENT_SCHEMA = {"type": "object", "properties": {"intent": {"type": "string", "enum": list(INTENTS)}},
                 "required": ["intent"], "additionalProperties": False}
# A reading is a short reply; a slow provider must not hold up the interview.
INTENT_TIMEOUT_S = 10.0


class LLMGrader(Grader):
    """Grades with a chat model; the offline grader cross-checks and stands in on failure."""

    name = "llm"
    offline = False
    deterministic = False
    streams = True
    judges_claims = True

    def __init__(self, chat: ChatModel, fallback: Grader, budget_tokens: int = 3000,
                 prices: dict | None = None, turn_budget_s: float = 45.0, attempts: int = 3,
                 timeout_s: float | None = None, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.chat = chat
        self.fallback = fallback
        self.budget_tokens = budget_tokens
        self.prices = prices
        self.turn_budget_s = turn_budget_s
        self.attempts = max(1, attempts)
        self.timeout_s = timeout_s
        self.clock = clock
        self.sleep = sleep
        self.system = load_prompt("grade_system")
        self.user = load_prompt("grade_user")
        self.repair = load_prompt("grade_repair")
        self.prompt_version = version(self.system, self.user, self.repair)

    @property
    def label(self) -> str:
        """What the sidebar shows."""
        return f"LLM grader ({self.chat.label})"

    def follow_up(self, ref: ReferenceAnswer, missing: list[str], asked: Collection[str] = ()):
        """A follow-up for the offline path (used when a grade fell back)."""
        return self.fallback.follow_up(ref, missing, asked)

    def read_intent(self, question: str, message: str) -> str | None:
        """Whether a message is an answer or a request to the interviewer, in one short
        call; None on any failure (the offline reading stands, nothing waits on retries)."""
        system, user = load_prompt("intent_system"), load_prompt("intent_user")
        text = message.replace("</message>", "</ message>")  # the delimiter stays ours
        try:
            result = self.chat.structured(
                system.text, user.render(question=question, message=text), INTENT_SCHEMA_NAME,
                INTENT_SCHEMA, timeout=min(self.timeout_s or INTENT_TIMEOUT_S, INTENT_TIMEOUT_S))
        except LLMError:
            return None
        intent = (result.data or {}).get("intent")
        return intent if intent in INTENTS else None

    def grade(self, ref: ReferenceAnswer, answer: str) -> Grade:
        """Grade in one call (no streaming)."""
        gen = self._run(ref, answer, stream=False)
        try:
            while True:
                next(gen)
        except StopIteration as done:
            return done.value

    def grade_stream(self, ref: ReferenceAnswer, answer: str) -> GradeStream:
        """Grade while streaming the feedback text (and `Progress` lines while waiting)."""
        return GradeStream(self._run(ref, answer, stream=True))

    def offline_now(self) -> Grader:
        """A grader that gives this grader's offline fallback at once, labelled as chosen."""
        return _OfflineNow(self)

    # -- the run ---------------------------------------------------------------

    def _run(self, ref: ReferenceAnswer, answer: str, stream: bool) -> Generator[str, None, Grade]:
        offline = self.fallback.grade(ref, answer)
        # An LLM reads other languages: only an empty answer or a missing key stops it.
        if offline.status not in ("graded", "unsupported_language"):
            return offline  # empty answer or no answer key: nothing for an LLM to grade
        text, injected = split_injections(answer)
        if not text.strip():
            return offline
        rubric = rubric_for(ref.kind, ref.level)
        evidence = self.fit_evidence(ref, text)
        numbers = {e.n for e in evidence}
        request = self.user.render(
            kind=rubric.kind, question=ref.question, rubric=rubric.describe(),
            key_points="\n".join(f"- {p}" for p in ref.key_points),
            evidence="\n\n".join(f"[{e.n}] {e.source} › {e.heading} ({e.part})\n{e.text}"
                                 for e in evidence),
            # The closing tag cannot be faked from inside the answer.
            answer=text.replace("</candidate_answer>", "</ candidate_answer>"),
        )
        system = self.system.text
        usage = Usage()
        user = request
        errors: list[str] = []
        deadline = self.clock() + self.turn_budget_s
        for attempt in (1, 2):
            try:
                result = yield from self._request(system, user, stream, deadline)
            except LLMError as exc:
                if stream:
                    yield f"\n\n_LLM grader unavailable ({exc.reason}); showing the offline grade._"
                return self._fallback(offline, exc.reason, usage, system + user)
            usage = _add(usage, result.usage, system + user, result.text)
            payload, errors = validate_payload(result.data, [c.name for c in rubric.criteria],
                                               numbers)
            if payload is not None:
                return self._grade(ref, payload, evidence, offline, usage, injected)
            if attempt == 1:
                if stream:
                    yield "\n\n_The grader's reply was not valid; asking it once more…_\n\n"
                user = self.repair.render(request=request, errors="; ".join(errors),
                                          previous=result.text[:4000])
        if stream:
            yield "\n\n_The LLM grader's reply was invalid twice; showing the offline grade._"
        return self._fallback(offline, "invalid output after one repair attempt: "
                              + "; ".join(errors)[:300], usage, "")

    def _request(self, system: str, user: str, stream: bool,
                 deadline: float) -> Generator[str, None, object]:
        """One structured call, retried on timeouts, 429 and 5xx while the budget lasts."""
        for attempt in range(1, self.attempts + 1):
            left = deadline - self.clock()
            if left < MIN_ATTEMPT_S:
                raise LLMTimeout(f"no answer within the turn budget of {self.turn_budget_s:g} s")
            timeout = min(left, self.timeout_s) if self.timeout_s else left
            try:
                if stream:
                    extractor = FeedbackExtractor()
                    return (yield from _relay(self.chat.stream_structured(
                        system, user, SCHEMA_NAME, payload_schema(), timeout=timeout),
                        extractor.feed, lambda: self.clock() > deadline))
                return self.chat.structured(system, user, SCHEMA_NAME, payload_schema(),
                                            timeout=timeout)
            except LLMError as exc:
                if not exc.retryable or attempt == self.attempts:
                    raise
                pause = exc.retry_after if exc.retry_after is not None else \
                    min(BACKOFF_BASE_S * 2 ** (attempt - 1), BACKOFF_MAX_S)
                if deadline - self.clock() - pause < MIN_ATTEMPT_S:
                    raise
                # The app shows it as a status line while the user waits.
                yield Progress(f"The grader is slow ({exc.reason}); retrying "
                               f"{attempt + 1}/{self.attempts}…")
                self.sleep(pause)
        raise AssertionError("unreachable")  # the loop returns or raises

    def fit_evidence(self, ref: ReferenceAnswer, answer: str) -> list[Evidence]:
        """Evidence in order (answer key first) within the token budget; the last cut short."""
        fixed = count_tokens(self.system.text + self.user.text + ref.question + answer
                             + rubric_for(ref.kind, ref.level).describe() + " ".join(ref.key_points))
        room = max(self.budget_tokens - fixed, 200)
        kept = []
        for ev in ref.evidence:
            cost = count_tokens(ev.text) + 20
            if cost <= room:
                kept.append(ev)
                room -= cost
            elif room > 60:
                kept.append(ev.model_copy(update={"text": truncate_tokens(ev.text, room - 20)}))
                break
            else:
                break
        return kept or ref.evidence[:1]

    def _usage_dict(self, usage: Usage) -> dict:
        return {"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens,
                "estimated": usage.estimated,
                "cost_usd": cost_usd(self.chat.provider, self.chat.model, usage.input_tokens,
                                     usage.output_tokens, self.prices)}

    def _grade(self, ref: ReferenceAnswer, payload: LLMGradePayload, evidence: list[Evidence],
               offline: Grade, usage: Usage, injected: list[str]) -> Grade:
        rubric = rubric_for(ref.kind, ref.level)
        by_name = {c.name: c for c in payload.criteria}
        criteria = [CriterionScore(name=c.name, score=round(by_name[c.name].score, 1),
                                   weight=c.weight, level=level_for(by_name[c.name].score),
                                   reason=by_name[c.name].reason) for c in rubric.criteria]
        score = round(sum(c.weight * c.score for c in criteria), 1)
        flags = [f for f in offline.flags if f.startswith("Instructions to the grader")] \
            if injected else []
        if offline.score is not None and abs(score - offline.score) >= DISAGREEMENT_POINTS:
            flags.append(f"The LLM grade ({score}) and the offline grader ({offline.score}) "
                         f"disagree by {abs(score - offline.score):.1f} points: check the "
                         "feedback against the cited notes.")
        cited = set(payload.citations) | {int(n) for n in _CITE_RE.findall(payload.feedback)}
        follow_up, target = payload.follow_up, payload.missing[0] if payload.missing else None
        # A follow-up that restates a key point hands the candidate its answer; the
        # offline follow-up (the key's authored probe for the top gap) replaces it.
        if any(gives_away(follow_up, point, context=ref.question) for point in ref.key_points):
            follow_up, target = offline.follow_up, offline.follow_up_target
        return Grade(
            status="graded", score=score, criteria=criteria, covered=payload.covered,
            missing=payload.missing, feedback=payload.feedback,
            model_answer=payload.model_answer, follow_up=follow_up, follow_up_target=target,
            citations=[e for e in evidence if e.n in cited] or evidence[:1], flags=flags,
            grader="llm", model=self.chat.label, prompt_version=self.prompt_version,
            question_id=ref.question_id, kind=rubric.kind, level=rubric.level,
            reference=ref.key_title, usage=self._usage_dict(usage),
            cross_check_score=offline.score,
        )

    def _fallback(self, offline: Grade, reason: str, usage: Usage, prompt: str) -> Grade:
        grade = offline.model_copy(deep=True)
        grade.fallback_reason = f"LLM grader ({self.chat.label}) failed: {reason}"
        grade.flags.insert(0, grade.fallback_reason + ". This is the offline grader's grade.")
        if usage.input_tokens or usage.output_tokens:
            grade.usage = self._usage_dict(usage)
        return grade


def _relay(gen: Iterator[str], feed: Callable[[str], str],
           late: Callable[[], bool]) -> Generator[str, None, object]:
    """Yield the feedback text found in a stream of JSON; return the stream's result.

    A server that trickles tokens never trips the per-read timeout, so the
    turn's deadline is checked between chunks too.
    """
    while True:
        try:
            chunk = next(gen)
        except StopIteration as done:
            return done.value
        if late():
            close = getattr(gen, "close", None)
            if close:
                close()
            raise LLMTimeout("the provider did not finish within the turn budget")
        text = feed(chunk)
        if text:
            yield text


class _OfflineNow(Grader):
    """The LLM grader's offline fallback, used when the user stops waiting."""

    name = "offline"
    streams = False

    def __init__(self, llm: "LLMGrader"):
        self.llm = llm

    def grade(self, ref: ReferenceAnswer, answer: str) -> Grade:
        """The offline grade, labelled with why the LLM did not grade it."""
        offline = self.llm.fallback.grade(ref, answer)
        if offline.status != "graded":
            return offline
        return self.llm._fallback(offline, OFFLINE_NOW_REASON, Usage(), "")

    def follow_up(self, ref: ReferenceAnswer, missing: list[str], asked: Collection[str] = ()):
        """Offline follow-ups, as after any fallback."""
        return self.llm.fallback.follow_up(ref, missing, asked)


def _add(total: Usage, call: Usage, prompt: str, reply: str) -> Usage:
    """Sum usage; count locally (and mark estimated) when the API reported none."""
    if call.estimated and not (call.input_tokens or call.output_tokens):
        call = Usage(count_tokens(prompt), count_tokens(reply), estimated=True)
    return Usage(total.input_tokens + call.input_tokens, total.output_tokens + call.output_tokens,
                 total.estimated or call.estimated)


__all__ = ["LLMGrader", "GradeStream", "FeedbackExtractor", "Progress", "payload_schema",
           "validate_payload"]
