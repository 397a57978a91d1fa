"""Talking to the interviewer: requests are recognised, answered and kept, never graded."""

from __future__ import annotations

import json

import pytest

from interviewer.config import load_settings
from interviewer.grading.text import gives_away
from interviewer.intents import IntentReader
from interviewer.interview import InterviewConfig
from interviewer.service import InterviewService
from interviewer.store import Store
from interviewer.talk import HINT_COST, MAX_HINTS

DATA = "evals/data"


@pytest.fixture()
def service(kb, grader, tmp_path):
    settings = load_settings(data_dir=tmp_path, knowledge_dir=kb.settings.knowledge_dir)
    return InterviewService(settings, kb, Store(settings.db_path), grader)


@pytest.fixture(scope="module")
def reader(kb):
    return IntentReader(kb.embedder.encode_cached)


def start(service, follow_ups=1, n=2, seed=5):
    return service.start(InterviewConfig(sections=[4], num_questions=n, follow_ups=follow_ups,
                                         seed=seed), "talk")


def test_every_dev_message_is_read_as_labelled(reader, repo):
    items = json.loads((repo / DATA / "intents_dev.json").read_text())["items"]
    wrong = [(i["message"], i["intent"], reader.read(i["message"], i["question"]).intent)
             for i in items if reader.read(i["message"], i["question"]).intent != i["intent"]]
    assert not wrong


def test_no_answer_key_explanation_or_written_answer_is_taken_for_a_request(reader, kb, repo):
    # An answer taken for a request would go ungraded: every explanation of the
    # 1,105 keys and every in-domain answer (hedged and wrong ones included) must
    # be read as an answer.
    keys = {id(k): k for k in (kb.key_for(q.id) for q in kb.questions) if k}.values()
    taken = [k.title for k in keys if reader.read(k.explanation, k.title).is_request]
    assert not taken
    rows = [json.loads(line) for line in
            (repo / DATA / "indomain_answers.jsonl").read_text().splitlines() if line.strip()]
    lost = [r["answer"] for r in rows
            if reader.read(r["answer"], kb.by_id[r["question_id"]].text).is_request]
    assert not lost


@pytest.mark.parametrize("message, intent", [
    ("I don't know the exact figure, but LoRA trains two small low-rank matrices", "answer"),
    ("skip connections add the input back so gradients flow", "answer"),
    ("no idea, but I'd guess it caches the keys", "answer"),
    ("no idea", "dont_know"),
    ("idk tbh", "dont_know"),
    ("I don't know, can I get a hint?", "hint"),
    ("I don't know, let's skip it", "skip"),
    ("not sure what you're asking", "clarify"),
    ("can u say it again pls", "repeat"),
])
def test_reading_rules(reader, message, intent):
    assert reader.read(message, "What is LoRA?").intent == intent


def test_a_clarification_restates_the_question_and_grades_nothing(service, kb):
    iv = start(service)
    turn = iv.pending
    service.respond(iv, "What do you mean?", "clarify")
    reply = turn.exchanges[-1]["reply"]
    key = kb.key_for(turn.question_id)
    assert key.phrasings[0] in reply and turn.prompt not in reply  # other words
    assert "It's from" in reply  # the context: section and subsection
    assert iv.pending is turn and turn.grade is None
    # Stored with the interview (survives a reload), and no graded turn was written.
    again = service.store.load(iv.id)
    assert again.pending.exchanges == turn.exchanges
    assert service.store.turns(iv.id) == []
    service.respond(iv, "say it again?", "repeat")
    assert turn.prompt in turn.exchanges[-1]["reply"]


def test_hints_keep_their_answer_and_lower_the_maximum(service, kb):
    iv = start(service, follow_ups=1)
    turn = iv.pending
    ref = kb.reference_for(kb.by_id[turn.question_id])
    for _ in range(MAX_HINTS + 1):
        service.respond(iv, "a hint please?", "hint")
    assert len(turn.hints) == MAX_HINTS and turn.exchanges[-1]["intent"] == "no_hint"
    assert len(set(turn.hints)) == MAX_HINTS
    for hint in turn.hints:
        assert not any(gives_away(hint, point, ref.question) for point in ref.key_points)
    good = kb.key_for(turn.question_id).key_points
    out = service.submit(iv, " ".join(good))
    cap = 10 - HINT_COST * MAX_HINTS
    assert out.grade.max_score == cap and out.grade.score <= cap and out.grade.hints == 2
    assert out.grade.flags[0].startswith("You took 2 hints")
    # The follow-up is not one of the probes already given as hints.
    follow = iv.pending
    assert follow.kind == "follow_up"
    assert not any(follow.prompt in h for h in turn.hints)


def test_the_same_answer_without_hints_can_score_above_the_cap(service, kb):
    iv = start(service, follow_ups=0)
    turn = iv.pending
    out = service.submit(iv, " ".join(kb.key_for(turn.question_id).key_points))
    assert out.grade.max_score is None and out.grade.score > 10 - HINT_COST * MAX_HINTS


def test_dont_know_counts_zero_offers_a_narrower_probe_then_moves_on(service, kb):
    iv = start(service, follow_ups=1)
    first = iv.pending
    service.respond(iv, "I don't know", "dont_know")
    assert first.dont_know and first.grade is None
    probe = iv.pending
    ref = kb.reference_for(kb.by_id[first.question_id])
    assert probe.kind == "follow_up" and probe.prompt in {p.question for p in ref.probes}
    service.respond(iv, "no idea either", "dont_know")
    assert iv.pending.kind == "main" and iv.pending.question_index == 1
    rows = service.store.turns(iv.id)
    assert [r["score"] for r in rows] == [0.0, 0.0] and all(r["grade"] is None for r in rows)
    assert service.cards("talk")[first.question_id].box == 1  # weak: review soon
    summary = service.summary(iv)
    assert summary["questions"][0]["dont_know"] and summary["questions"][0]["score"] == 0.0


def test_taking_back_an_answer_removes_its_grade_and_answers_the_request(service):
    iv = start(service, follow_ups=1)
    turn = iv.pending
    message = ("Could you clarify whether you mean dense retrieval with embeddings or sparse "
               "keyword retrieval like BM25 with inverted indexes here?")
    service.submit(iv, message)
    assert service.undo_offer(iv) == "clarify"
    assert len(iv.turns) == 2  # a follow-up was asked
    service.take_back(iv, "clarify")
    assert iv.pending is turn and turn.grade is None and len(iv.turns) == 1
    assert turn.exchanges[-1]["message"] == message
    assert service.store.turns(iv.id) == []
    assert service.store.load(iv.id).pending.exchanges == turn.exchanges
    assert service.undo_offer(iv) is None


def test_study_next_lists_weak_questions_first_with_their_notes(service, kb):
    iv = start(service, follow_ups=0, n=3)
    first = iv.pending
    service.submit(iv, " ".join(kb.key_for(first.question_id).key_points))  # strong
    service.respond(iv, "no idea", "dont_know")
    service.submit(iv, "It is about making the model better somehow.")  # weak
    study = service.study_next(iv)
    ids = [s["question_id"] for s in study]
    assert first.question_id not in ids or study[-1]["missed"]  # strong drops out unless a gap
    assert study[0]["status"] == "didn't know" and study[0]["score"] == 0.0
    weak = next(s for s in study if s["status"] == "graded")
    assert weak["missed"] and weak["note"].startswith("knowledge/notes/")


def test_the_interviewer_level_picks_the_first_questions_and_is_stored(service, kb):
    from interviewer.levels import question_level

    def level_of(qid):
        q = kb.by_id[qid]
        return question_level(q.text, q.kind, q.section_title)

    for level in ("junior", "senior"):
        interview = service.start(InterviewConfig(sections=[4], num_questions=3, seed=3,
                                                  level=level), f"level-{level}")
        assert [level_of(q) for q in interview.question_ids] == [level] * 3
        assert service.store.latest_open(f"level-{level}").config.level == level


def test_an_interview_answer_is_graded_at_the_interviews_level(service):
    interview = service.start(
        InterviewConfig(sections=[4], num_questions=1, seed=3, level="senior"), "level-grade")
    outcome = service.submit(interview, "Retrieval augmented generation retrieves passages "
                             "from an index and adds them to the prompt so the model answers "
                             "from them and can cite them.")
    assert outcome.grade.level == "senior"
    stored = service.store.turns(interview.id)[0]["grade"]
    assert stored["level"] == "senior"


class Clock:
    """A settable clock for the service (timed practice), in epoch seconds."""

    def __init__(self, now: float = 1_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_timed_practice_stores_time_taken_and_marks_a_late_answer_still_graded(service, kb):
    clock = Clock()
    service.clock = clock
    iv = service.start(InterviewConfig(sections=[4], num_questions=2, follow_ups=0, seed=5,
                                       time_limit=120), "timed")
    first = iv.pending
    clock.now += 150  # over the two-minute limit
    late = service.submit(iv, " ".join(kb.key_for(first.question_id).key_points))
    assert late.grade.status == "graded" and late.grade.score > 5
    assert late.grade.flags[0].startswith("Answered in 2:30, over the 2:00 limit: marked late")
    assert (late.turn.seconds, late.turn.late) == (150.0, True)
    # The next question's clock starts when it is asked, not when the interview began.
    assert iv.pending.asked_at == clock.now
    clock.now += 40
    on_time = service.submit(iv, "Retrieval adds passages from an index to the prompt.")
    assert (on_time.turn.seconds, on_time.turn.late) == (40.0, False)
    assert not any("late" in f for f in on_time.grade.flags)
    rows = service.store.turns(iv.id)
    assert [(r["seconds"], r["late"]) for r in rows] == [(150.0, 1), (40.0, 0)]


def test_the_time_taken_is_when_the_answer_was_sent_even_if_grading_waits_for_a_restart(
        service, kb):
    clock = Clock()
    service.clock = clock
    iv = service.start(InterviewConfig(sections=[4], num_questions=1, follow_ups=0, seed=5,
                                       time_limit=60), "restart")
    clock.now += 30
    assert service.accept(iv, "Retrieval adds passages from an index to the prompt.") is None
    clock.now += 600  # the app died; the stored answer is graded after a restart
    resumed = service.resume("restart")
    pending = service.begin(resumed, service.pending_answer(resumed))  # as the app does
    for _ in pending.stream:
        pass
    outcome = service.finish(resumed, pending)
    assert (outcome.turn.seconds, outcome.turn.late) == (30.0, False)
