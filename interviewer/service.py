"""The interviewer's core: what the app and the CLI call, with no UI code.

It glues the knowledge base, the grader, the state machine and the store:
an answer is written to SQLite as submitted, then truncated if needed,
graded, stored with its grade, and only then returned for display.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Literal

from .config import Settings
from .grading.models import Evidence, Grade, ReferenceAnswer
from .grading.base import Grader
from .grading.registry import make_offline
from .guide import Question
from .intents import IntentReader, Reading
from .interview import Interview, InterviewConfig, InterviewError, Turn, mmss
from .knowledge import KnowledgeBase
from .levels import nearest_first, question_level
from .jobdesc import tailor
from .grading.text import sentences
from .index import ASKED_AS
from .material import Material
from .own_questions import SECTION as OWN_SECTION, OwnQuestions, own_id
from .schedule import GOOD, cards, mastery, plan
from .store import Store
from .talk import (HINT_COST, clarify_reply, dont_know_reply, hint_cap, next_hint, next_probe,
                   no_hint_reply, repeat_reply)

EMPTY_ANSWER_MESSAGE = "Your answer is empty. Type an answer, or press Skip to move on."


@dataclass
class AnswerOutcome:
    """What happened to a submitted answer."""

    status: Literal["empty", "graded", "no_reference"]
    message: str | None = None
    turn: Turn | None = None
    grade: Grade | None = None
    truncated_from: int | None = None


def truncate_answer(answer: str, limit: int) -> tuple[str, int | None]:
    """Cut an answer to `limit` characters at a word boundary; report the original size."""
    if len(answer) <= limit:
        return answer, None
    cut = answer[:limit]
    space = cut.rfind(" ")
    if space > limit * 0.8:
        cut = cut[:space]
    return cut, len(answer)


@dataclass
class PendingGrade:
    """An answer being graded: iterate `stream` for feedback text, then `finish`."""

    answer: str
    original_len: int | None
    base: object
    stream: object


def session_usage(interview: Interview) -> dict:
    """Tokens and estimated cost of the LLM calls behind an interview's grades."""
    total = {"input_tokens": 0, "output_tokens": 0, "cost_usd": 0.0, "estimated": False,
             "cost_known": True, "calls": 0}
    for turn in interview.turns:
        usage = (turn.grade or {}).get("usage")
        if not usage:
            continue
        total["calls"] += 1
        total["input_tokens"] += usage["input_tokens"]
        total["output_tokens"] += usage["output_tokens"]
        total["estimated"] |= bool(usage.get("estimated"))
        if usage.get("cost_usd") is None:
            total["cost_known"] = False
        else:
            total["cost_usd"] = round(total["cost_usd"] + usage["cost_usd"], 6)
    return total


# An uploaded question with no key is graded against retrieved passages only when
# the best is at least this close: the bar for grading a free-text question
# against a key (knowledge.TEXT_KEY_MIN_SIMILARITY).
PASSAGE_MIN_SIMILARITY = 0.55
# Sentences of those passages used as the points to listen for: a key's size.
PASSAGE_POINTS = 6
# A draft key may start from passages a little further away, since a person
# reviews it before it grades anything: the floor for related notes plus 0.1.
DRAFT_MIN_SIMILARITY = 0.45


class InterviewService:
    """Runs interviews over a knowledge base, a grader and a store."""

    def __init__(self, settings: Settings, kb: KnowledgeBase, store: Store,
                 grader: Grader | None = None):
        self.settings = settings
        self.kb = kb
        self.store = store
        self.grader = grader or make_offline(settings.offline_grader, kb.embedder)
        self.warmup = None  # a thread loading the model, set by the app
        self.model_ready = None  # set by that thread once the grading model is loaded
        self.reader = IntentReader(kb.embedder.encode_cached)
        self.clock = time.time  # epoch seconds; timed practice reads it, tests replace it

    def material(self, profile: str) -> Material:
        """A profile's uploaded notes (its own collection; nobody else's)."""
        return Material(self.settings.data_dir, profile, self.kb.embedder,
                        chroma_url=self.settings.chroma_url)

    def with_own_notes(self, ref: ReferenceAnswer, profile: str, k: int = 2) -> ReferenceAnswer:
        """The reference plus the passages of the profile's own notes nearest its question,
        numbered after ours, so feedback can cite them by file and heading or page."""
        rows = self.material(profile).search(ref.question, k=k)
        if not rows:
            return ref
        start = len(ref.evidence)
        extra = [Evidence(n=start + i + 1, chunk_id=row["id"],
                          source=row["metadata"]["source"], heading=row["metadata"]["heading"],
                          part=row["metadata"]["part"], text=row["text"],
                          similarity=round(row["similarity"], 3))
                 for i, row in enumerate(rows)]
        return ref.model_copy(update={"evidence": [*ref.evidence, *extra]})

    def wait_until_ready(self) -> None:
        """Block until the background warm-up has loaded the grading model (the index
        may still be building: grading does not need it)."""
        if self.model_ready is not None:
            self.model_ready.wait()
        elif self.warmup is not None:
            self.warmup.join()

    def with_grader(self, grader) -> "InterviewService":
        """The same knowledge base and store with another grader (one per user session)."""
        other = InterviewService(self.settings, self.kb, self.store, grader)
        other.warmup = self.warmup
        other.model_ready = self.model_ready
        other.reader = self.reader
        other.clock = self.clock
        return other

    # -- lifecycle ---------------------------------------------------------------

    def start(self, config: InterviewConfig, profile: str = "default",
              mode: str = "mixed") -> Interview:
        """Start and store a new interview, closing any open one of this profile.

        Questions follow the profile's review schedule: due ones, then unseen
        ones (shuffled by the config's seed), then the rest ('mixed'); or due
        only ('review'); or unseen only ('new').
        """
        history = self.cards(profile)
        pool = [q.id for q in self.kb.questions_in(config.sections)]
        random.Random(config.seed).shuffle(pool)
        levels = {q.id: question_level(q.text, q.kind, q.section_title)
                  for q in self.kb.questions_in(config.sections)}
        order = plan(pool, history, mode,
                     prefer=lambda ids: nearest_first(ids, levels, config.level))
        interview = Interview.start(config, self.kb.questions, order=order)
        self._replace_open(profile)
        interview.stamp(self.clock())
        self.store.save_new(interview, profile)
        return interview

    def start_for_job(self, config: InterviewConfig, description: str,
                      profile: str = "default", chat=None, generated: int = 0) -> Interview:
        """Start an interview whose questions are drawn from a job description's
        requirements (offline retrieval over our keys); each remembers its requirement.

        With an LLM (`chat`) and `generated` > 0, up to that many more questions are
        written from the requirements, labelled as generated and graded against
        retrieved passages like your own questions. If the LLM fails, the interview
        starts with the guide's questions and says why.
        """
        tailoring = tailor(self.kb, description, config.num_questions, config.sections or None)
        made, failure = [], None
        if chat is not None and generated > 0:
            from .drafting import generate_questions
            from .llm.errors import LLMError

            try:
                pairs = generate_questions(chat, tailoring.requirements, generated)
            except LLMError as exc:
                pairs, failure = [], f"no questions were generated ({exc})"
            made = OwnQuestions(self.settings.data_dir, profile).add_generated(pairs, chat.label)
            made_for = {own_id(text): req for text, req in pairs}
        if not tailoring.choices and not made:
            raise InterviewError("no guide question matches this job description's "
                                 "requirements closely enough; try more sections, or "
                                 "describe the requirements in more words")
        chosen = {c.question_id for c in tailoring.choices}
        config.sections = sorted({self.kb.by_id[q].section for q in chosen} |
                                 ({OWN_SECTION} if made else set()))
        config.num_questions = len(tailoring.choices) + len(made)
        config.job = {"text": description, "requirements": tailoring.requirements,
                      "unmatched": tailoring.unmatched,
                      "chosen_for": {**tailoring.chosen_for(),
                                     **{q.id: made_for[q.id] for q in made}},
                      "generated": {q.id: chat.label for q in made}}
        if failure:
            config.job["generation_error"] = failure
        interview = Interview.start(config, [*self.kb.questions, *made],
                                    order=[c.question_id for c in tailoring.choices] +
                                    [q.id for q in made])
        self._replace_open(profile)
        interview.stamp(self.clock())
        self.store.save_new(interview, profile)
        return interview

    def _replace_open(self, profile: str) -> None:
        """Close the profile's open interview before a new one starts."""
        previous = self.store.latest_open(profile)
        if previous and self.store.pending_answer(previous) is not None:
            # Abandoning it would hide an answer that was sent but never graded.
            raise InterviewError("the last answer of the open interview is not graded yet; "
                                 "let it finish first")
        if previous:
            self.store.abandon(previous.id)

    def cards(self, profile: str = "default") -> dict:
        """The profile's review state per question."""
        return cards(self.store.graded_events(profile))

    def profiles_for(self, actor: str) -> list[dict]:
        """Every profile with its activity, for an admin; anyone else is refused."""
        self._require_admin(actor)
        admins = set(self.store.admins())
        return [r | {"admin": r["profile"] in admins} for r in self.store.profile_summaries()]

    def report_for(self, actor: str, profile: str) -> str:
        """A profile's whole history as Markdown: its own, or anyone's for an admin."""
        from .report import markdown_report

        if actor != profile:
            self._require_admin(actor)
        return markdown_report(self.store, self.kb.by_id, profile, None, self.mastery(profile))

    def _require_admin(self, actor: str) -> None:
        from .auth import is_admin

        if not is_admin(self.store, actor):
            raise PermissionError(f"profile {actor!r} is not an admin")

    def mastery(self, profile: str = "default", sections: list[int] | None = None) -> list[dict]:
        """Mastery per section and subsection for a profile."""
        return mastery(self.kb.questions_in(sections), self.cards(profile))

    def resume(self, profile: str = "default") -> Interview | None:
        """The open interview of a profile, exactly as last stored."""
        return self.store.latest_open(profile)

    def question(self, question_id: str, profile: str | None = None) -> Question:
        """A guide question by id, or one of the profile's own questions."""
        found = self.kb.by_id.get(question_id)
        if found is None and profile is not None:
            found = OwnQuestions(self.settings.data_dir, profile).by_id().get(question_id)
        if found is None:
            raise InterviewError(f"no question {question_id!r}")
        return found

    def start_own(self, config: InterviewConfig, profile: str = "default") -> Interview:
        """Start an interview from the profile's own uploaded questions (shuffled by seed)."""
        bank = OwnQuestions(self.settings.data_dir, profile).all()
        if not bank:
            raise InterviewError("you have no questions of your own yet; upload a list in "
                                 "Your material")
        config.sections = [OWN_SECTION]
        order = [q.id for q in bank]
        random.Random(config.seed).shuffle(order)
        interview = Interview.start(config, bank, order=order)
        self._replace_open(profile)
        interview.stamp(self.clock())
        self.store.save_new(interview, profile)
        return interview

    def reference_for_own(self, question: Question, profile: str) -> ReferenceAnswer:
        """What an uploaded question is graded against: your accepted key; else our key when
        one matches it; else, when retrieval is confident, the best passages of the profile's
        notes and ours (said so in the feedback); else nothing, and it is not scored."""
        own = OwnQuestions(self.settings.data_dir, profile).keys().get(question.id)
        if own:
            return ReferenceAnswer(question=question.text, kind=question.kind,
                                   key_points=own["key_points"], explanation=own["explanation"],
                                   question_id=question.id, match="your key",
                                   key_title=f"your key (drafted by {own['model']}, accepted "
                                             "by you)")
        ref = self.kb.reference_for_text(question.text, question.kind)
        ref = ref.model_copy(update={"question_id": question.id})
        if ref.key_points:
            return ref
        passages = self.passages_for(question.text, profile, PASSAGE_MIN_SIMILARITY)[:2]
        if not passages:
            return ref
        points = [s for h in passages for s in sentences(h["text"])
                  if len(s.split()) >= 6][:PASSAGE_POINTS]
        evidence = [Evidence(n=i + 1, chunk_id=h["id"], source=h["metadata"]["source"],
                             heading=h["metadata"]["heading"], part=h["metadata"]["part"],
                             text=h["text"], similarity=round(h["similarity"], 3))
                    for i, h in enumerate(passages)]
        return ref.model_copy(update={"key_points": points, "evidence": evidence,
                                      "match": "retrieved passages"})

    def passages_for(self, text: str, profile: str, floor: float) -> list[dict]:
        """Passages of our notes and the profile's, at or above a similarity, best first
        (a key's other ways of asking its question are not passages)."""
        ours = [h for h in self.kb.search(text, k=4) if h["metadata"].get("part") != ASKED_AS]
        mine = self.material(profile).search(text, k=4, min_similarity=0)
        return sorted((h for h in ours + mine if h["similarity"] >= floor),
                      key=lambda h: -h["similarity"])

    def draft_key_for(self, chat, question_id: str, profile: str):
        """An LLM's draft key for one of the profile's own questions, from retrieved passages
        (for review: nothing is saved until `accept_key`)."""
        from .drafting import draft_key

        question = self.question(question_id, profile)
        if question.section != OWN_SECTION:
            raise InterviewError("only your own questions get drafted keys; ours have keys")
        ours = self.kb.reference_for_text(question.text, question.kind)
        if ours.key_points:
            raise InterviewError("this question already has an answer key of ours "
                                 f"({ours.key_title}); it is graded against that, not a draft")
        passages = self.passages_for(question.text, profile, DRAFT_MIN_SIMILARITY)[:4]
        if not passages:
            raise InterviewError("no passage of your notes or ours is close enough to this "
                                 "question to draft a key from; add notes that cover it")
        return draft_key(chat, question.id, question.text, passages)

    def accept_key(self, draft, profile: str) -> None:
        """Save a reviewed draft key for the profile's own question."""
        OwnQuestions(self.settings.data_dir, profile).accept(draft)

    # -- answering ---------------------------------------------------------------

    def accept(self, interview: Interview, answer: str, speech: dict | None = None,
               audio: tuple[bytes, str] | None = None) -> AnswerOutcome | None:
        """Store a submitted answer before anything else; an empty one is refused.

        A spoken answer brings its speaking feedback and recording; the
        recording is kept when the settings allow and the profile's limit has
        room (`speech["audio_kept"]` says which, and why not).
        Returns None once stored, or the refusal to show.
        """
        if interview.pending is None:
            raise InterviewError("no question is waiting for an answer")
        if not answer or not answer.strip():
            return AnswerOutcome(status="empty", message=EMPTY_ANSWER_MESSAGE)
        if speech is not None and audio is not None:
            speech = dict(speech)
            kept, why = self.audio_room(self.store.profile_of(interview.id), len(audio[0]))
            speech["audio_kept"], speech["audio_note"] = kept, why
            audio = audio if kept else None
        self.store.save_pending(interview, answer, speech, audio, submitted_at=self.clock())
        return None

    def audio_room(self, profile: str, size: int) -> tuple[bool, str | None]:
        """Whether a recording of `size` bytes may be kept for a profile, and why not."""
        if not self.settings.keep_audio:
            return False, "Recordings are not kept (turned off in the settings)."
        limit = int(self.settings.audio_limit_mb * 1024 * 1024)
        used = self.store.audio_bytes(profile)
        if used + size > limit:
            return False, (f"The recording was not kept: this profile's recordings use "
                           f"{used / 2**20:.0f} of {limit / 2**20:.0f} MB.")
        return True, None

    def pending_answer(self, interview: Interview) -> str | None:
        """The answer stored for the pending turn and not graded yet (after a crash, say)."""
        return self.store.pending_answer(interview)

    def discard_pending(self, interview: Interview) -> None:
        """Drop the stored, ungraded answer of the pending turn, at the user's request."""
        if interview.pending is not None:
            self.store.discard_pending(interview.id, interview.turns.index(interview.pending))

    def submit(self, interview: Interview, answer: str) -> AnswerOutcome:
        """Store the answer, grade it, store the grade, then advance the interview."""
        refused = self.accept(interview, answer)
        if refused is not None:
            return refused
        pending = self.begin(interview, answer)
        if isinstance(pending, AnswerOutcome):
            return pending
        for _ in pending.stream:
            pass
        return self.finish(interview, pending)

    def begin(self, interview: Interview, answer: str) -> "PendingGrade | AnswerOutcome":
        """Start grading: an empty answer is refused; otherwise a stream of feedback text."""
        turn = interview.pending
        if turn is None:
            raise InterviewError("no question is waiting for an answer")
        if not answer or not answer.strip():
            return AnswerOutcome(status="empty", message=EMPTY_ANSWER_MESSAGE)
        graded_text, original_len = truncate_answer(answer, self.settings.max_answer_chars)
        profile = self.store.profile_of(interview.id)
        question = self.question(turn.question_id, profile)
        base = (self.kb.reference_for(question) if question.section != OWN_SECTION else
                self.reference_for_own(question, profile)).model_copy(
            update={"level": interview.config.level})
        base = self.with_own_notes(base, profile)
        ref = base if turn.kind == "main" else \
            self.kb.follow_up_reference(base, turn.prompt, turn.target)
        return PendingGrade(answer=answer, original_len=original_len, base=base,
                            stream=self.grader.grade_stream(ref, graded_text))

    def finish(self, interview: Interview, pending: "PendingGrade") -> AnswerOutcome:
        """Record a finished grade: stored in SQLite before it is returned for display.

        The same transaction removes the answer's pending copy.
        """
        turn = interview.pending
        grade = pending.stream.grade
        if grade is None:
            raise InterviewError("the grade stream was not consumed")
        speech = self.store.pending_speech(interview)
        if turn.kind == "follow_up" and grade.status == "graded" and grade.grader != "llm":
            # The next offline follow-up probes a gap of the main answer not probed yet.
            main = interview.main_turn(turn.question_index)
            earlier = [t for t in interview.turns if t.question_index == turn.question_index]
            probed = {t.target for t in earlier}
            missing = [p for p in (main.grade or {}).get("missing", []) if p not in probed]
            grade.follow_up_target, grade.follow_up = self.grader.follow_up(
                pending.base, missing, asked={t.prompt for t in earlier})
        if turn.kind == "main" and turn.hints and grade.status == "graded" \
                and grade.score is not None:
            self._apply_hints(turn, grade, pending.base)
        grade.related_pending = pending.base.related_pending
        if pending.original_len:
            grade.answer_truncated = True
            grade.flags.insert(0, f"Your answer was {pending.original_len:,} characters; only the "
                               f"first {self.settings.max_answer_chars:,} were graded.")
        seconds, late = interview.timing(self.store.pending_submitted_at(interview))
        if late:
            grade.flags.insert(0, f"Answered in {mmss(seconds)}, over the "
                                  f"{mmss(interview.config.time_limit)} limit: marked late "
                                  "(graded as usual).")
        interview.record_answer(pending.answer, grade.model_dump(mode="json"))
        turn.speech, turn.seconds, turn.late = speech, seconds, late
        interview.stamp(self.clock())
        self.store.save_turn(interview, turn)
        return AnswerOutcome(status=grade.status, turn=turn, grade=grade,
                             truncated_from=pending.original_len)

    def _apply_hints(self, turn: Turn, grade: Grade, base) -> None:
        """Cap a hinted answer's score, say by how much, and keep the hints out of the
        follow-up (the candidate has already been asked them)."""
        n = len(turn.hints)
        cap = hint_cap(n)
        grade.hints, grade.max_score = n, cap
        lost = max(0.0, round(grade.score - cap, 1))
        grade.score = min(grade.score, cap)
        grade.flags.insert(0, f"You took {n} hint{'s' if n > 1 else ''}: this question's maximum "
                              f"is {cap:g} / 10 (−{HINT_COST * n:g})"
                              + (f", which cost {lost:g} points here." if lost else
                                 "; your score was below it, so it cost nothing here."))
        if grade.grader != "llm":
            gaps = ([c["point"] for c in grade.contradicted] + list(grade.missing)
                    + list(grade.partly))
            grade.follow_up_target, grade.follow_up = self.grader.follow_up(
                base, gaps, asked={p.question for p in base.probes
                                   if any(p.question in h for h in turn.hints)})

    def skip(self, interview: Interview) -> Turn:
        """Skip the pending turn and store that."""
        seconds, _ = interview.timing(self.clock())
        turn = interview.skip()
        turn.seconds = seconds  # time spent before moving on; a skip is never late
        interview.stamp(self.clock())
        self.store.save_turn(interview, turn)
        return turn

    # -- talking to the interviewer ----------------------------------------------

    def read(self, interview: Interview, message: str) -> Reading:
        """Whether a message to the pending turn is an answer or a request (and which)."""
        turn = interview.pending
        if turn is None:
            raise InterviewError("no question is waiting for an answer")
        reading = self.reader.read(message, turn.prompt)
        ask = getattr(self.grader, "read_intent", None)
        if ask is not None and reading.unsure:
            # With an LLM configured, it settles what the offline reader is unsure of.
            intent = ask(turn.prompt, message)
            if intent is not None:
                return Reading(intent, "llm", maybe=reading.maybe if intent == "answer" else None)
        return reading

    def respond(self, interview: Interview, message: str, intent: str) -> Turn:
        """Handle a request to the interviewer: reply, keep the exchange, grade nothing.

        Returns the turn the exchange was kept on (closed for "I don't know" and
        "skip", still waiting otherwise).
        """
        turn = interview.pending
        if turn is None:
            raise InterviewError("no question is waiting for an answer")
        question = self.question(turn.question_id, self.store.profile_of(interview.id))
        if intent == "skip":
            interview.add_exchange("skip", message, "Sure, let's move on.")
            return self.skip(interview)
        if intent == "repeat":
            interview.add_exchange("repeat", message, repeat_reply(turn.prompt))
        elif intent == "clarify":
            interview.add_exchange("clarify", message, self._clarification(turn, question))
        elif intent == "hint":
            hint = next_hint(self.kb.reference_for(question), turn.hints) \
                if turn.kind == "main" else None
            if hint:
                interview.add_exchange("hint", message, hint + (
                    f" (A hint lowers this question's maximum score by {HINT_COST:g}.)"))
            else:
                interview.add_exchange("no_hint", message, no_hint_reply(len(turn.hints)))
        elif intent == "dont_know":
            probe = None
            if turn.kind == "main":
                probe = next_probe(self.kb.reference_for(question), turn.hints)
            interview.add_exchange("dont_know", message, dont_know_reply(probe is not None))
            target = None
            if probe is not None:
                ref_points = self.kb.reference_for(question).key_points
                target = ref_points[probe.points[0]] if probe.points else None
            seconds, _ = interview.timing(self.clock())
            interview.record_dont_know(message, probe.question if probe else None, target)
            turn.seconds = seconds
            interview.stamp(self.clock())
            self.store.save_turn(interview, turn)
            return turn
        else:
            raise InterviewError(f"not a request to the interviewer: {intent}")
        self.store.save_state(interview)
        return turn

    def _clarification(self, turn: Turn, question: Question) -> str:
        if turn.kind == "main":
            key = self.kb.key_for(question.id)
            phrasing = key.phrasings[0] if key and key.phrasings else None
            return clarify_reply(question.text, question.kind, phrasing,
                                 f"{question.section_title} › {question.subsection}")
        return clarify_reply(turn.prompt, question.kind,
                             topic=f"my follow-up on “{question.text}”")

    def take_back(self, interview: Interview, intent: str) -> Turn:
        """The last answer was a request to the interviewer: undo its grade and answer it
        as that request instead."""
        answered = [t for t in interview.turns if t.answer is not None]
        if not answered:
            raise InterviewError("there is no answer to take back")
        message = answered[-1].answer
        turn, _ = interview.reopen_last()
        self.store.reopen(interview, interview.turns.index(turn))
        return self.respond(interview, message, intent)

    def undo_offer(self, interview: Interview) -> str | None:
        """The request the last answer may have been, when it can still be taken back:
        the UI offers "this was a question to the interviewer"."""
        answered = [i for i, t in enumerate(interview.turns) if t.answer is not None]
        if not answered or interview.turns[answered[-1]].dont_know:
            return None
        last = interview.turns[answered[-1]]
        if any(t.answered or t.exchanges for t in interview.turns[answered[-1] + 1:]):
            return None
        return self.reader.read(last.answer, last.prompt).maybe

    # -- summary -----------------------------------------------------------------

    def summary(self, interview: Interview) -> dict:
        """Scores per question and per topic (section › subsection)."""
        topics = {}
        for qid in interview.question_ids:
            q = self.kb.by_id.get(qid)
            if q:
                topics[qid] = (q.section, f"{q.section}. {q.section_title} › {q.subsection}")
        return interview.summary(topics)

    def study_next(self, interview: Interview) -> list[dict]:
        """What to study next: each question not answered well (below a good answer, or
        with a key point missed or contradicted), weakest first, with the points missed
        and the answer key to read."""
        out = []
        for i, qid in enumerate(interview.question_ids):
            turns = [t for t in interview.turns if t.question_index == i]
            if not turns:
                continue
            main, key = turns[0], self.kb.key_for(qid)
            grade = main.grade or {}
            missed = [c["point"] for c in grade.get("contradicted", [])] + \
                list(grade.get("missing", []))
            if main.skipped or main.dont_know or not grade:
                status, score = ("skipped" if main.skipped else "didn't know"), None
                missed = list(key.key_points) if key else []
                if main.dont_know:
                    score = 0.0
            else:
                score, status = grade.get("score"), "graded"
                if score is not None and score >= GOOD and not missed:
                    continue
            out.append({"question": interview.questions[qid], "question_id": qid,
                        "score": score, "status": status, "missed": missed,
                        "note": f"{key.path} › {key.title}" if key else None})
        return sorted(out, key=lambda r: -1 if r["score"] is None else r["score"])
