"""Streamlit chat UI for the mock interviewer. Only UI: the logic is in `interviewer/`."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import threading
from dataclasses import replace
from pathlib import Path

import streamlit as st

from pydantic import SecretStr

from interviewer import auth
from interviewer.config import DEFAULT_MODELS, KEY_ENV, PROVIDERS, load_settings
from interviewer.embeddings import ModelUnavailableError
from interviewer.index_lock import IndexUnavailableError
from interviewer.knowledge import RELATED_MIN_SIMILARITY, IndexBuildingError
from interviewer.llm import LLMError, make_grader
from interviewer.llm.openai_transcribe import OpenAITranscriber, transcribe_preferring
from interviewer.grading.llm import Progress
from interviewer.grading.models import Evidence, Grade
from interviewer.interview import (Interview, InterviewConfig, InterviewError, Turn, mmss,
                                   stored_finals)
from interviewer.levels import DEFAULT_LEVEL, LEVEL_LABELS, LEVELS
from interviewer.knowledge import KnowledgeBase
from interviewer.jobdesc import JobDescriptionError
from interviewer.material import MaterialError, job_text_of
from interviewer.own_questions import OwnQuestions
from interviewer.present import (card_lists, cited_numbers, contradiction_lines, criteria_rows,
                                 grader_caption, material_limits, material_rows,
                                 requirement_table, score_text, source_groups, study_line,
                                 summary_rows, table_text, time_columns, upload_messages)
from interviewer.render import plain_markdown, safe_markdown, safe_stream
from interviewer.service import AnswerOutcome, InterviewService, session_usage
from interviewer.speaking import (metrics_line, speaking_history, speaking_metrics,
                                  speaking_notes)
from interviewer.store import Store
from interviewer.talk import HINT_COST
from interviewer.voice import MICROPHONE_ADVICE, SAMPLE_RATE, AudioError, shared_transcriber
from interviewer.waiting import BackgroundStream

STYLES = {"coach": "Coach: feedback after every answer",
          "interview": "Interview: the verdict at the end"}
TIME_LIMITS = [None, 60, 120, 180, 300]
MODES = {"mixed": "Mixed: due reviews, then new", "review": "Review due only",
         "new": "New questions only", "job": "For a job description",
         "own": "Your own questions"}

# A local file: a ":material/…:" page icon is fetched from a font CDN on every load.
st.set_page_config(page_title="Gen-AI Mock Interviewer",
                   page_icon=str(Path(__file__).parent / "assets" / "icon.png"), layout="centered")
DEFAULT_SECTIONS = [4, 9]


@st.cache_resource(show_spinner=False)
def get_service() -> InterviewService:
    """One knowledge base, model and store per process, shared by all sessions."""
    settings = load_settings()
    kb = KnowledgeBase(settings)
    service = InterviewService(settings, kb, Store(settings.store_location))

    def warm_up() -> None:
        # The first question needs only the guide; load the model and check the
        # index meanwhile so the first grade does not wait for them.
        try:
            service.grader.warm_up()
        finally:
            # A first answer waits for this, not for the index build below.
            service.model_ready.set()
        # Whisper is loaded now too, so the first spoken answer is transcribed at once.
        try:
            shared_transcriber().load()
        except Exception:  # noqa: BLE001 - voice is optional; typing still works
            pass
        # Last, as it takes longest on a first run (minutes): answers are graded
        # against their keys meanwhile, and related notes join when it is done.
        kb.ensure_index()
        # Streamlit runs a full gc.collect() after every script run, in every
        # session; scanning the ~100k long-lived objects of the libraries, model
        # and question bank took 0.1-0.2 s each time, holding the GIL (28% of the
        # app's CPU with 10 sessions). Frozen objects are skipped by the collector.
        gc.freeze()

    # Marked before the thread starts: a session that answers while the model
    # loads must not query the index and then queue behind the build for its lock.
    kb.index_state.status = "checking"
    service.model_ready = threading.Event()
    service.warmup = threading.Thread(target=warm_up, name="warm-up", daemon=True)
    service.warmup.start()
    return service


def profile() -> str:
    """The profile whose history this session reads and writes."""
    return auth.clean_profile(st.session_state.get("profile"))


def listens_beyond_localhost() -> bool:
    """Whether other computers can reach this app (then every profile needs a passphrase)."""
    return not auth.is_loopback(st.get_option("server.address"))


def needs_accounts(service: InterviewService) -> bool:
    """Whether every profile needs a passphrase: the app is reachable from other
    computers, or it is one of several replicas on a shared database (perhaps
    behind a proxy on this computer, where the listening address says nothing)."""
    return listens_beyond_localhost() or service.settings.server_mode


def restore_session(service: InterviewService) -> None:
    """Open the profile a sign-in token in the URL names (a reload, maybe on another replica)."""
    token = st.query_params.get(auth.SESSION_PARAM)
    if not token or st.session_state.get("session_token") == token:
        return
    who = auth.session_profile(service.store, token)
    if who is None:
        del st.query_params[auth.SESSION_PARAM]
        st.session_state["signin_notice"] = "Your sign-in has expired; enter your passphrase."
        return
    st.session_state["session_token"] = token
    st.session_state["profile"] = who
    st.session_state.setdefault("unlocked_profiles", set()).add(who)


def remember_sign_in(service: InterviewService, who: str) -> None:
    """Give this browser a sign-in token that any replica accepts until it expires."""
    token = auth.start_session(service.store, who)
    st.session_state["session_token"] = token
    st.query_params[auth.SESSION_PARAM] = token


def sign_out(service: InterviewService) -> None:
    """End this browser's sign-in and lock the profile again."""
    auth.end_session(service.store, st.session_state.pop("session_token", None))
    st.query_params.pop(auth.SESSION_PARAM, None)
    st.session_state.get("unlocked_profiles", set()).discard(profile())
    st.session_state.pop("interview_id", None)


def profile_input() -> None:
    """The profile name box; other people's profile names are never listed."""
    # Set before the widget exists (not through value=), so a profile restored
    # from a sign-in token fills the box without Streamlit's double-value warning.
    st.session_state.setdefault("profile", "default")
    st.sidebar.text_input("Profile", key="profile",
                          help="each profile keeps its own history and review schedule",
                          on_change=lambda: st.session_state.pop("interview_id", None))


def open_profile(service: InterviewService) -> str | None:
    """The session's profile if it may open it; otherwise a passphrase form and None."""
    who = profile()
    unlocked = st.session_state.setdefault("unlocked_profiles", set())
    access = auth.access(service.store, who, remote=needs_accounts(service),
                         unlocked=who in unlocked)
    if access.allowed:
        return who
    st.title("Gen-AI Mock Interviewer")
    if access.state == "refused":
        st.error(access.message)
        return None
    creating = access.state == "claim"
    # clear_on_submit: the typed passphrase does not linger in the session state.
    with st.form("passphrase_form", clear_on_submit=True):
        st.info(f"Profile **{who}**: {access.message}")
        first = st.text_input("Passphrase", type="password", key="passphrase")
        second = (st.text_input("Passphrase again", type="password", key="passphrase_again")
                  if creating else None)
        sent = st.form_submit_button("Create profile" if creating else "Open profile",
                                     key="open_profile")
    if not sent:
        return None
    if creating:
        try:
            if not auth.set_passphrase(service.store, who, first, second, replace=False):
                st.error("Someone has just created this profile; enter its passphrase.")
                return None
        except auth.PassphraseError as exc:
            st.error(str(exc))
            return None
    elif not auth.unlock(service.store, who, first):
        st.error("Wrong passphrase.")
        return None
    unlocked.add(who)
    remember_sign_in(service, who)
    st.rerun()


def passphrase_settings(service: InterviewService, who: str) -> None:
    """Set or change the open profile's passphrase."""
    has_one = service.store.secret(who) is not None
    with st.sidebar.expander("Change passphrase" if has_one else "Protect with a passphrase"):
        with st.form("set_passphrase", clear_on_submit=True, border=False):
            first = st.text_input("New passphrase", type="password", key="new_passphrase")
            second = st.text_input("New passphrase again", type="password",
                                   key="new_passphrase_again")
            sent = st.form_submit_button("Save passphrase", key="save_passphrase")
        if sent:
            try:
                auth.set_passphrase(service.store, who, first, second)
            except auth.PassphraseError as exc:
                st.error(str(exc))
            else:
                st.session_state.setdefault("unlocked_profiles", set()).add(who)
                # The new passphrase ended every sign-in of this profile, this one too.
                remember_sign_in(service, who)
                st.success("Passphrase saved. This profile now asks for it in new sessions, "
                           "and other signed-in browsers are signed out.")
    if st.session_state.get("session_token") and st.sidebar.button("Sign out",
                                                                     key="sign_out"):
        sign_out(service)
        st.rerun()


def index_status(service: InterviewService) -> None:
    """Progress of the background index build, refreshed until it is done."""
    state = service.kb.index_state
    if state.status not in ("checking", "building", "failed"):
        return
    if state.status == "failed":
        st.sidebar.warning(state.describe())
        return

    @st.fragment(run_every=2)
    def progress() -> None:
        if state.status not in ("checking", "building"):
            st.rerun()  # done: the whole page redraws without this box
        share = state.done / state.total if state.total else 0.0
        st.progress(share, text=state.describe())

    with st.sidebar:
        progress()


def waiting_for_index(service: InterviewService):
    """A spinner while a search waits for the background index check (nothing when ready)."""
    # A failed build is not waited for: no spinner that promises a check.
    if service.kb.index_state.status not in ("checking", "building"):
        return contextlib.nullcontext()
    return st.spinner("Waiting for the notes index, which is being checked in the background…")


def sidebar(service: InterviewService, busy: bool = False) -> None:
    """Interview settings and the active grader."""
    kb = service.kb
    sections = kb.sections()
    covered = kb.covered_sections()
    with st.sidebar:
        st.header("Interview settings")
        chosen = st.multiselect(
            "Sections", options=list(sections),
            default=[n for n in DEFAULT_SECTIONS if n in covered] or covered[:1] or [1],
            # Key counts only where a section lacks keys: in a chip they were cut off
            # anyway, and every section of the shipped guide has all its keys.
            format_func=lambda n: f"{n}. {sections[n]['title']}" + (
                f" ({sections[n]['keys']}/{sections[n]['questions']} keys)"
                if sections[n]["keys"] < sections[n]["questions"] else ""),
            key="sections",
        )
        uncovered = [n for n in chosen if sections[n]["keys"] < sections[n]["questions"]]
        if uncovered:
            st.warning("Some chosen sections have questions without answer keys yet: those "
                       "answers get related notes but no score.")
        style = st.radio("Mode", list(STYLES), format_func=STYLES.get, key="style",
                         help="Interview holds every score back until a debrief at the end, "
                         "as a real interviewer would")
        level = st.radio("Interviewer level", list(LEVELS), index=LEVELS.index(DEFAULT_LEVEL),
                         format_func=LEVEL_LABELS.get, key="level",
                         help="which questions and follow-ups come first, and how much depth "
                         "a good grade needs; kept with the interview")
        limit = st.selectbox("Time per question", TIME_LIMITS, key="time_limit",
                             format_func=lambda s: "Untimed" if s is None else f"{s // 60} min",
                             help="a countdown under each question and follow-up; an answer "
                             "after it is still graded, and marked late")
        num = st.slider("Questions", 1, 10, 3, key="num_questions")
        follow = st.slider("Follow-ups per question", 0, 3, 1, key="follow_ups")
        st.toggle("Read questions aloud", key="read_aloud",
                  help="your browser's own speech voice reads each new question; nothing "
                  "is sent anywhere")
        mode = st.radio("Question selection", list(MODES), format_func=MODES.get, key="mode",
                        help="weak answers come back on a spaced schedule (1, 3, 7, 16, 35 "
                        "days); good ones wait longer; or questions for a job description's "
                        "requirements")
        description = job_description_input() if mode == "job" else None
        chat = getattr(service.grader, "chat", None)
        generated = st.slider("Questions the LLM may add", 0, 5, 0, key="job_generated",
                              help="written from the job's requirements by the session's LLM, "
                              "labelled 'generated', graded against retrieved passages") \
            if mode == "job" and chat is not None else 0
        # busy: an answer is stored but not graded; a new interview would hide it.
        pressed = st.button("Start new interview", type="primary", width="stretch",
                            disabled=not chosen or busy or (mode == "job" and not description))
        # An open interview with answers is never dropped silently: ask first.
        open_one = service.resume(profile())
        if pressed and open_one is not None and open_one.turns and \
                any(t.answer is not None or t.skipped for t in open_one.turns):
            st.session_state["confirm_abandon"] = True
            pressed = False
        if st.session_state.get("confirm_abandon"):
            st.warning("An interview is still open. Start a new one anyway? The open one is "
                       "closed as abandoned; its answers stay in History.")
            yes, no = st.columns(2)
            if yes.button("Start anyway", key="confirm_start"):
                st.session_state.pop("confirm_abandon")
                pressed = True
            if no.button("Keep it", key="cancel_start"):
                st.session_state.pop("confirm_abandon")
                st.rerun()
        if pressed:
            config = InterviewConfig(sections=chosen, num_questions=num, follow_ups=follow,
                                     style=style, level=level, time_limit=limit)
            try:
                with waiting_for_index(service):
                    if mode == "job":
                        interview = service.start_for_job(config, description, profile(),
                                                          chat=chat, generated=generated)
                    elif mode == "own":
                        interview = service.start_own(config, profile())
                    else:
                        interview = service.start(config, profile(), mode)
            except IndexBuildingError as exc:
                # Matching a job or your own questions needs retrieval; guide modes do not.
                st.session_state.notice = (f"This mode matches questions through the notes "
                                           f"index, and {exc}. The guide's modes work now.")
            except JobDescriptionError as exc:
                st.session_state.notice = f"The job description could not be used: {exc}."
            except InterviewError as exc:
                st.session_state.notice = f"{exc}: try another mode or more sections."
            else:
                st.session_state.interview_id = interview.id
                st.session_state.pop("notice", None)
                failed = (interview.config.job or {}).get("generation_error")
                if failed:
                    st.session_state.notice = f"The LLM wrote no questions: {failed}."
            st.rerun()
        st.divider()
        grader_settings(service)
        if kb.problems:
            st.warning("Skipped malformed lines in the guide or notes (the rest is loaded):"
                       "\n\n" + "\n".join(f"- `{e}`" for e in kb.problems))


def job_description_input() -> str | None:
    """A pasted or uploaded job description (text, Markdown or PDF); None when empty."""
    pasted = st.text_area("Job description", key="job_text", height=160,
                          placeholder="Paste the job description, or upload it below")
    upload = st.file_uploader("…or upload it", type=["txt", "md", "pdf"], key="job_file")
    if upload is not None:
        try:
            return job_text_of(upload.name, upload.getvalue())
        except MaterialError as exc:
            st.error(str(exc))
            return None
    return pasted.strip() or None


def grader_settings(service: InterviewService) -> None:
    """Choose the grader; an LLM client lives in this session only, never on disk."""
    base = service.settings
    st.subheader("Grader")
    provider = st.selectbox("Provider", PROVIDERS, index=PROVIDERS.index(base.provider),
                            key="provider", help="offline needs no key and no network")
    if provider != "offline":
        model = st.text_input("Model", value=base.model if base.provider == provider and base.model
                              else DEFAULT_MODELS[provider], key="model")
        url = st.text_input("Base URL", value=base.base_url or (
            "http://localhost:11434/v1" if provider == "openai-compatible" else ""),
            key="base_url", help="for Ollama, vLLM, llama.cpp server or LM Studio")
        has_env_key = base.api_key is not None and base.provider == provider
        st.text_input("API key", type="password", key="api_key",
                      placeholder=f"from {KEY_ENV[provider]}" if has_env_key else "",
                      help="kept in this browser session's memory only")
        st.button("Use this grader", width="stretch", on_click=use_grader,
                  args=(service, provider, model, url, has_env_key))
    elif st.session_state.get("grader") is not None and st.button("Use the offline grader"):
        st.session_state.grader = None
    if st.session_state.get("grader_error"):
        st.error(st.session_state.grader_error)
    active = st.session_state.get("grader")
    if active is None:
        st.markdown("**Active: offline grader** — local models (a claim judge and "
                    "an embedding model), no API key, deterministic; each grade names the "
                    "model that produced it.")
    else:
        st.markdown(f"**Active: {active.label}**, cross-checked by the offline grader, which "
                    "also stands in if the provider fails.")


def use_grader(service: InterviewService, provider: str, model: str, url: str,
               has_env_key: bool) -> None:
    """Make this session's LLM grader, then empty the key field.

    A button callback: only here may a widget's value be changed, and clearing it
    keeps the key out of the page (the field's value) once the grader holds it.
    """
    base = service.settings
    key = st.session_state.get("api_key") or ""
    settings = replace(base, provider=provider, model=model or DEFAULT_MODELS[provider],
                       base_url=url or None,
                       api_key=SecretStr(key) if key else (base.api_key if has_env_key else None))
    st.session_state.api_key = ""
    try:
        st.session_state.grader = make_grader(settings, service.grader)
        st.session_state.pop("grader_error", None)
    except LLMError as exc:
        st.session_state.grader_error = exc.reason


def session_service(service: InterviewService) -> InterviewService:
    """The shared service with this session's grader."""
    if "grader" not in st.session_state:
        try:
            st.session_state.grader = None if service.settings.provider == "offline" else \
                make_grader(service.settings, service.grader)
        except LLMError as exc:
            st.session_state.grader = None
            st.session_state.grader_error = exc.reason
    grader = st.session_state.grader
    return service if grader is None else service.with_grader(grader)


def usage_caption(interview: Interview) -> None:
    """Tokens and estimated cost of this interview's LLM calls."""
    usage = session_usage(interview)
    if not usage["calls"]:
        return
    tokens = f"{usage['input_tokens']:,} in / {usage['output_tokens']:,} out tokens"
    if usage["estimated"]:
        tokens += " (estimated with cl100k)"
    cost = f"≈ ${usage['cost_usd']:.4f}" if usage["cost_known"] else "cost unknown for this model"
    st.sidebar.caption(f"This interview: {usage['calls']} LLM calls, {tokens}, {cost}")


def current_interview(service: InterviewService) -> Interview | None:
    """The session's interview, or the profile's open one after a reload."""
    iid = st.session_state.get("interview_id")
    # After a reload: the open interview, or else the one just finished, whose summary
    # stays on screen until a new interview starts.
    interview = service.store.load(iid) if iid else (
        service.resume(profile()) or service.store.latest_done(profile()))
    if interview:
        st.session_state.interview_id = interview.id
    return interview


def render_sources(grade: Grade, key: str) -> None:
    """The cited notes, one source per note; the chunks the feedback cites are marked."""
    if not grade.citations:
        return
    st.markdown("**Sources**")
    citations = [ev if isinstance(ev, Evidence) else Evidence(**ev) for ev in grade.citations]
    if any(not ev.is_answer_key and not ev.source.startswith("your notes/") for ev in citations):
        st.caption(f"Related notes are cited when their similarity to the question is at least "
                   f"{RELATED_MIN_SIMILARITY:.2f}.")
    for group in source_groups(citations, cited_numbers(grade.feedback)):
        with st.container(border=True):
            st.markdown(f"**{group['label']} {safe_markdown(group['title'])}**  \n"
                        f"`{group['source']}`")
            for chunk in group["chunks"]:
                mark = " · :blue-background[cited in the feedback]" if chunk["cited"] else ""
                st.markdown(f"*[{chunk['n']}] {chunk['part']}*{mark}")
                st.markdown(safe_markdown(chunk["text"]))


def render_feedback(grade: Grade, key: str) -> None:
    """The feedback card: score, verdict and what was missed in view; details folded away.

    At 1280x800 the score, the verdict, covered and missing points and the
    follow-up fit on one screen; the criteria, the model answer and the
    sources (each key once) are one click away.
    """
    if grade.status in ("no_reference", "unsupported_language"):
        st.info(grade.feedback)
        with st.expander("Sources"):
            render_sources(grade, key)
        return
    cols = st.columns([1, 2])
    cols[0].metric("Score", score_text(grade))
    cols[1].caption(grader_caption(grade))
    # Flags as lines, not boxes: each box took a screen line and a gap of its own.
    st.markdown("  \n".join([f":orange[:material/warning: {safe_markdown(flag)}]"
                              for flag in grade.flags] + [safe_markdown(grade.feedback)]))
    for item, line in zip(grade.contradicted, contradiction_lines(grade)):
        # The offline feedback already quotes it; an LLM's feedback may not.
        if not item.get("quote") or item["quote"][:40] not in grade.feedback:
            st.error(safe_markdown(line), icon=":material/report:")
    covered, missing, more_covered, more_missing = card_lists(grade)
    lines = []

    def more(rest: list[str]) -> str:
        # On the heading's line: a line of its own under a list cost the card a line.
        return f" :gray[({len(rest)} more under Details)]" if rest else ""

    if covered:
        lines += [f"**Covered**{more(more_covered)}"] + [
            f":green[:material/check_circle:] {safe_markdown(p)}" for p in covered]
    lines.append(f"**Missing**{more(more_missing)}" if covered else
                 f"**Missing** :gray[(no key point found in the answer)]{more(more_missing)}")
    lines += [f":red[:material/cancel:] {safe_markdown(p)}" for p in missing]
    if not missing:
        # A point the answer contradicts is not "missing", but "no core point
        # missing" under an answer that got them wrong read as praise.
        lines.append(":gray[No core point missing.]" if not grade.contradicted else
                     f":gray[None left out, but the answer contradicts {len(grade.contradicted)} "
                     "(quoted above).]")
    # One Markdown block: Streamlit puts a gap between elements, and a card of
    # six one-line elements grew past one screen.
    st.markdown("  \n".join(lines))
    if grade.related_pending:
        st.caption("Graded while the notes index was still being built: the answer key is "
                   "cited; related notes join the feedback of later answers.")
    with st.expander("Details: criteria, model answer, sources"):
        if grade.criteria:
            st.table(criteria_rows(grade), border="horizontal", hide_index=True)
        for title, points, icon in (("Also covered", more_covered,
                                     ":green[:material/check_circle:]"),
                                    ("Also missing", more_missing, ":red[:material/cancel:]")):
            if points:
                st.markdown(f"**{title}**")
                for point in points:
                    st.markdown(f"{icon} {safe_markdown(point)}")
        if grade.model_answer:
            st.markdown("**Model answer**")
            st.markdown(" ".join(safe_markdown(p) for p in grade.model_answer)
                        if grade.grader != "llm" else
                        "\n".join(f"{i}. {safe_markdown(p)}"
                                   for i, p in enumerate(grade.model_answer, 1)))
        render_sources(grade, key)


EXCHANGE_LABELS = {"clarify": "Clarification (not graded)", "repeat": "The question again",
                   "hint": "Hint", "no_hint": "Hint", "dont_know": "Not graded: counts as 0",
                   "skip": "Skipped"}


def render_turn(interview: Interview, turn: Turn, i: int,
                audio: tuple[bytes, str] | None = None) -> None:
    """One asked question, its answer and its feedback (and its recording, in History)."""
    total = len(interview.question_ids)
    with st.chat_message("assistant", avatar=":material/record_voice_over:"):
        label = (f"Question {turn.question_index + 1} of {total}" if turn.kind == "main"
                 else f"Follow-up {turn.follow_up_index}")
        st.caption(label)
        # A follow-up may be an LLM's words.
        st.markdown(safe_markdown(turn.prompt))
        job = interview.config.job or {}
        chosen_for = job.get("chosen_for", {}).get(turn.question_id)
        if chosen_for and turn.kind == "main":
            model = job.get("generated", {}).get(turn.question_id)
            st.caption((f"Generated by {model} for" if model else "Chosen for") +
                       f" the job's requirement: {plain_markdown(chosen_for)}")
    for exchange in turn.exchanges:
        with st.chat_message("user"):
            st.markdown(plain_markdown(exchange["message"]))
        with st.chat_message("assistant", avatar=":material/record_voice_over:"):
            st.caption(EXCHANGE_LABELS.get(exchange["intent"], ""))
            st.markdown(safe_markdown(exchange["reply"]))
    if turn.skipped:
        if not turn.exchanges:
            with st.chat_message("user"):
                st.caption("Skipped")
        return
    if turn.answer is None or turn.dont_know:
        return
    with st.chat_message("user"):
        st.markdown(plain_markdown(turn.answer))
        if turn.seconds is not None and interview.config.time_limit:
            st.caption(timing_line(turn.seconds, turn.late, interview.config.time_limit))
        if turn.speech:
            render_speech(turn.speech)
        if audio is not None:
            st.audio(audio[0], format=audio[1])
    if not turn.grade:
        return
    if holds_verdict(interview):
        grade = Grade(**turn.grade)
        with st.chat_message("assistant", avatar=":material/record_voice_over:"):
            st.caption("Noted. Scores come in the debrief at the end.")
            if grade.answer_truncated:  # about the input, not a verdict
                st.warning(safe_markdown(grade.flags[0]))
        return
    with st.chat_message("assistant", avatar=":material/grading:"):
        render_feedback(Grade(**turn.grade), key=f"t{i}")


COUNTDOWN_HTML = '<div class="clock" role="timer"></div>'
COUNTDOWN_CSS = """
.clock { font-size: 0.95rem; color: var(--st-text-color); opacity: 0.8; }
.clock.late { color: #b3261e; opacity: 1; }
"""
# Counts down in the browser from the seconds left when the page was drawn,
# so the server is not rerun every second; past zero it says the answer will
# be marked late (it is still accepted and graded).
COUNTDOWN_JS = """
export default function(component) {
  const { data, parentElement } = component;
  const clock = parentElement.querySelector(".clock");
  const end = Date.now() + data.remaining * 1000;
  const mmss = (s) => Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  const tick = () => {
    const left = Math.round((end - Date.now()) / 1000);
    clock.dataset.left = String(Math.max(0, left));
    if (left > 0) {
      clock.textContent = "Time left: " + mmss(left) + " of " + mmss(data.limit);
    } else {
      clock.textContent = "Time's up (" + mmss(data.limit) + "). You can still answer: "
        + "it will be graded and marked late.";
      clock.classList.add("late");
    }
  };
  tick();
  const timer = setInterval(tick, 1000);
  return () => clearInterval(timer);
}
"""


@st.cache_resource
def countdown_component():
    """The countdown, registered once per server."""
    return st.components.v2.component("interviewer.countdown", html=COUNTDOWN_HTML,
                                      css=COUNTDOWN_CSS, js=COUNTDOWN_JS)


def countdown(interview: Interview, now: float) -> None:
    """The time left for the waiting prompt, counting down in the browser."""
    turn = interview.pending
    if turn is None or turn.asked_at is None:
        return
    limit = interview.config.time_limit
    remaining = max(0, round(turn.asked_at + limit - now))
    seq = interview.turns.index(turn)
    countdown_component()(key=f"countdown-{interview.id}-{seq}",
                          data={"remaining": remaining, "limit": limit})


def timing_line(seconds: float, late: bool, limit: int) -> str:
    """'Answered in 1:05 of 2:00', or the same marked late."""
    return (f":material/timer_off: Answered in {mmss(seconds)}, over the {mmss(limit)} limit: "
            "late" if late else f":material/timer: Answered in {mmss(seconds)} of {mmss(limit)}")


def render_speech(speech: dict) -> None:
    """Speaking feedback under a spoken answer: length, pace, fillers, pauses."""
    st.caption(f":material/mic: Spoken answer, transcribed {speech.get('engine', 'offline')}. "
               + metrics_line(speech))
    for note in speaking_notes(speech):
        st.caption(note)
    if speech.get("audio_note"):
        st.caption(speech["audio_note"])


def read_aloud(interview: Interview) -> None:
    """Read the waiting question aloud once, with the browser's speech synthesis.

    The script runs in the component's frame and speaks through the page's own
    speechSynthesis, so leaving the frame (the next rerun) does not cut it off.
    A browser with no voice gets a line saying so.
    """
    turn = interview.pending
    if turn is None or not st.session_state.get("read_aloud"):
        return
    said = st.session_state.setdefault("read_turns", set())
    mark = (interview.id, interview.turns.index(turn), len(turn.exchanges))
    if mark in said:
        return
    said.add(mark)
    import streamlit.components.v1 as components

    text = json.dumps(turn.prompt)
    components.html(f"""<div id="m" style="font:13px sans-serif;color:#666"></div><script>
const synth = (window.parent && window.parent.speechSynthesis) || window.speechSynthesis;
const note = (t) => document.getElementById("m").textContent = t;
let done = false;
function speak() {{
  if (done) return;
  done = true;
  const voices = synth ? synth.getVoices() : [];
  if (!voices.length) {{
    note("This browser has no speech voice, so questions can't be read aloud here.");
    return;
  }}
  synth.cancel();
  const u = new SpeechSynthesisUtterance({text});
  u.voice = voices.find(v => v.lang && v.lang.startsWith("en")) || voices[0];
  synth.speak(u);
  note("Reading the question aloud…");
}}
if (!synth) {{ note("This browser has no speech synthesis, so questions can't be read aloud."); }}
else if (synth.getVoices().length) {{ speak(); }}
else {{ synth.onvoiceschanged = speak; setTimeout(speak, 1500); }}
</script>""", height=24)


# Streamlit's recorder reports a blocked or missing microphone in its own
# words ("An error has occurred" when there is no device at all). This script
# reads the page's microphone permission and devices and shows our advice in
# place. It never reports back to Python: a rerun fired as the page loads could
# swallow a message the candidate is sending at that moment.
MICROPHONE_HTML = '<div class="mic" role="status"></div>'
MICROPHONE_CSS = """
.mic { display: none; padding: 0.75rem 1rem; border-radius: 0.5rem; font-size: 0.95rem; }
.mic.denied, .mic.insecure { display: block; background: #fff8e6; color: #7a4b00; }
.mic.nodevice { display: block; background: #eef4fb; color: #1d4f91; }
"""
MICROPHONE_JS = """
export default function(component) {
  const { data, parentElement } = component;
  const box = parentElement.querySelector(".mic");
  const show = (state) => {
    box.className = "mic " + state;
    box.dataset.state = state;
    box.textContent = data.advice[state] || "";
  };
  const media = navigator.mediaDevices;
  if (!window.isSecureContext || !media) { show("insecure"); return; }
  const devices = () => media.enumerateDevices().then(
    (all) => show(all.some((d) => d.kind === "audioinput") ? "ok" : "nodevice"),
    () => show("ok"));
  let status = null;
  let timer = null;
  navigator.permissions.query({name: "microphone"}).then((s) => {
    status = s;
    const update = () => (s.state === "denied" ? show("denied") : devices());
    s.onchange = update;
    update();
    // Chromium does not always fire "change" when a prompt is dismissed (the
    // recorder then asked, and was refused): look again every two seconds.
    timer = setInterval(update, 2000);
  }, devices);  // a browser that can't report this permission: devices only
  return () => { if (status) status.onchange = null; if (timer) clearInterval(timer); };
}
"""


@st.cache_resource
def microphone_component():
    """The microphone probe, registered once per server."""
    return st.components.v2.component("interviewer.microphone", html=MICROPHONE_HTML,
                                      css=MICROPHONE_CSS, js=MICROPHONE_JS)


def microphone_check() -> None:
    """Say in the page when the browser blocks the microphone or has none."""
    microphone_component()(key="microphone-check", data={"advice": MICROPHONE_ADVICE})


def voice_answer(service: InterviewService, interview: Interview) -> None:
    """Answer out loud: record, read the transcript and edit it, then send it.

    Nothing reaches the interview until "Send" is pressed; a recording that
    cannot be used gets a message and changes nothing (typed text in the chat
    box is untouched).
    """
    seq = interview.turns.index(interview.pending)
    microphone_check()
    recording = st.audio_input(
        "Answer out loud", key=f"voice-{interview.id}-{seq}", sample_rate=SAMPLE_RATE,
        help="Recorded in your browser and transcribed on this computer (no network). If the "
             "browser blocks the microphone, allow it from the address bar, or type instead.")
    remote = openai_transcriber(service)
    if remote is not None:
        choice = st.radio("Transcribe with", ["offline", "openai"], horizontal=True,
                          key="transcribe_with",
                          format_func={"offline": "this computer (Whisper tiny.en)",
                                       "openai": f"OpenAI ({remote.model})"}.get,
                          help="OpenAI receives the recording; if it fails, the answer is "
                               "transcribed on this computer instead")
        remote = remote if choice == "openai" else None
    if recording is None:
        return
    data = recording.getvalue()
    digest = hashlib.sha256(data).hexdigest()[:16]
    drafts = st.session_state.setdefault("voice_drafts", {})
    draft = drafts.get((interview.id, seq))
    engine = "openai" if remote is not None else "offline"
    if draft is None or draft["digest"] != digest or draft["engine"] != engine:
        with st.spinner("Transcribing…" if remote else "Transcribing on this computer…"):
            try:
                transcript, fell_back = transcribe_preferring(remote, shared_transcriber(), data)
                draft = {"digest": digest, "engine": engine, "text": transcript.text,
                         "speech": speaking_metrics(transcript), "error": None,
                         "fell_back": fell_back}
            except AudioError as exc:
                draft = {"digest": digest, "engine": engine, "error": exc.message}
        drafts[(interview.id, seq)] = draft
    if draft["error"]:
        st.error(draft["error"], icon=":material/mic_off:")
        return
    if draft.get("fell_back"):
        st.warning(draft["fell_back"])
    text = st.text_area("Transcript: check it and correct it before you send it",
                        value=draft["text"], key=f"transcript-{interview.id}-{seq}-{digest}")
    st.caption(f"Transcribed {draft['speech']['engine']}. {metrics_line(draft['speech'])}")
    if st.button("Send spoken answer", key=f"send-voice-{interview.id}-{seq}", type="primary",
                 icon=":material/send:"):
        drafts.pop((interview.id, seq), None)
        send_message(service, interview, text, speech=draft["speech"],
                     audio=(data, recording.type or "audio/wav"))


def openai_transcriber(service: InterviewService):
    """OpenAI's transcription when this session grades with OpenAI itself, else None."""
    chat = getattr(service.grader, "chat", None)
    if chat is None or getattr(chat, "provider", None) != "openai":
        return None
    key = ("openai_transcriber", id(chat))
    if key not in st.session_state:
        st.session_state[key] = OpenAITranscriber(chat.client.api_key,
                                                  base_url=str(chat.client.base_url))
    return st.session_state[key]


def send_message(service: InterviewService, interview: Interview, text: str,
                 speech: dict | None = None, audio: tuple[bytes, str] | None = None) -> None:
    """A typed or spoken message: a request to the interviewer is answered, an answer is
    stored before grading."""
    if text.strip():
        reading = service.read(interview, text)
        if reading.is_request:
            # A request to the interviewer is answered, kept, and never graded.
            service.respond(interview, text, reading.intent)
            st.rerun()
    refused = service.accept(interview, text, speech=speech, audio=audio)
    if refused is not None:
        st.session_state.notice = refused.message
    else:
        st.session_state.submitted = (interview.id, len(interview.turns) - 1)
    st.rerun()


def holds_verdict(interview: Interview) -> bool:
    """Interview mode shows no score until the debrief."""
    return interview.config.style == "interview" and interview.phase != "done"


def topic_chart(values: dict[str, float], field: str) -> None:
    """Horizontal bars on a 0-10 scale, each labelled with its whole topic and its value.

    Streamlit's bar_chart cut long topic names to the same prefix (two bars read
    alike) and drew nothing for a 0.0 score; the value printed beside each bar
    shows that too.
    """
    import altair as alt

    rows = [{"topic": topic, field: float(value)} for topic, value in values.items()]
    y = alt.Y("topic:N", sort=None, axis=alt.Axis(title=None, labelLimit=420))
    x = alt.X(f"{field}:Q", scale=alt.Scale(domain=[0, 10]), axis=alt.Axis(title=field))
    base = alt.Chart(alt.Data(values=rows)).encode(y=y, x=x)
    chart = base.mark_bar() + base.mark_text(align="left", dx=4).encode(
        text=alt.Text(f"{field}:Q", format=".1f"))
    st.altair_chart(chart.properties(height=30 * len(rows) + 20), width="stretch")


def render_summary(service: InterviewService, interview: Interview) -> None:
    """Scores by question and topic at the end."""
    summary = service.summary(interview)
    with st.chat_message("assistant", avatar=":material/flag:"):
        st.subheader("Debrief" if interview.config.style == "interview" else
                     "Interview summary")
        if interview.config.style == "interview":
            st.caption("Every answer's grade, with its citations, is shown above under the "
                       "answer.")
        overall = summary["overall"]
        st.metric("Overall", f"{overall:.1f} / 10" if overall is not None else "no scored answers")
        graders = sorted({r["grader"] for r in summary["questions"] if r["grader"]})
        st.caption(f"{summary['answered']} answered, {summary['skipped']} skipped; graded by the "
                   f"{' and '.join(graders) or 'offline'} grader")
        st.table(summary_rows(summary), border="horizontal", hide_index=True)
        if summary.get("requirements"):
            st.markdown("**The job's requirements**")
            st.table(requirement_table(summary["requirements"]), border="horizontal",
                     hide_index=True)
        topics = {t: s for t, s in summary["topics"].items() if s is not None}
        if topics:
            st.markdown("**Scores by topic**")
            topic_chart(topics, "score")
        study = service.study_next(interview)
        if study:
            st.markdown("**What to study next**")
            for item in study:
                st.markdown(safe_markdown(study_line(item)))


def main() -> None:
    """The page: the interview, or the history view."""
    service = session_service(get_service())
    restore_session(service)
    views = ["Interview", "History", "Your material"]
    if profile() in st.session_state.get("unlocked_profiles", set()) \
            and auth.is_admin(service.store, profile()):
        views.append("Admin")
    view = st.segmented_control("View", views, key="view",
                                default=VIEWS.get(st.query_params.get("view", "interview"),
                                                  "Interview"),
                                label_visibility="collapsed")
    st.query_params["view"] = next((k for k, v in VIEWS.items() if v == view), "interview")
    profile_input()
    signin_notice = st.session_state.pop("signin_notice", None)
    if signin_notice:
        st.info(signin_notice)
    who = open_profile(service)
    if who is None:
        return
    if view == "Admin":
        passphrase_settings(service, who)
        admin_page(service, who)
        return
    if view == "History":
        passphrase_settings(service, who)
        history_page(service)
        return
    if view == "Your material":
        material_page(service)
        return
    interview = current_interview(service)
    held = service.pending_answer(interview) if interview else None
    sidebar(service, busy=held is not None)
    index_status(service)
    passphrase_settings(service, who)
    st.title("Gen-AI Mock Interviewer")
    if interview is None:
        # A start that failed (no question fits, an unusable job description) says why.
        refused = st.session_state.pop("notice", None)
        if refused:
            st.warning(refused)
        st.markdown("Choose sections and the number of questions in the sidebar, then press "
                    "**Start new interview**. Answers are graded offline against the project's "
                    "answer keys, and every grade cites the notes it used.")
        return
    notice = st.session_state.pop("notice", None)
    usage_caption(interview)
    for i, turn in enumerate(interview.turns):
        render_turn(interview, turn, i)
    recovered = st.session_state.pop("recovered", None)
    if recovered:
        st.info(recovered, icon=":material/restore:")
    if held is None:
        offer_take_back(service, interview)
    if interview.phase == "done":
        render_summary(service, interview)
        return
    if notice:
        st.warning(notice)
    # The answer is stored in SQLite as it is sent, before anything is shown or
    # graded; input stays disabled until its grade is stored, and a rerun, a
    # reload or a restart mid-grading grades the stored answer again.
    answer = st.chat_input("Your answer", key="answer", disabled=held is not None)
    if held is None:
        st.caption("You can also ask me to clarify or repeat the question, ask for a hint "
                   f"(each lowers this question's maximum by {HINT_COST:g}), or say you don't "
                   "know.")
    if held is None and interview.config.time_limit:
        countdown(interview, service.clock())
    if held is None and st.button("Skip this question", key="skip"):
        service.skip(interview)
        st.rerun()
    if held is None:
        read_aloud(interview)
        voice_answer(service, interview)
    if answer is not None and held is None:
        send_message(service, interview, answer)
    if held is not None:
        grade_answer(service, interview, held)


def offer_take_back(service: InterviewService, interview: Interview) -> None:
    """When the last answer read like a request, offer to treat it as one instead."""
    intent = service.undo_offer(interview)
    if intent is None:
        return
    label = {"clarify": "asking to clarify", "repeat": "asking to repeat the question",
             "hint": "asking for a hint", "dont_know": "saying I don't know",
             "skip": "asking to skip"}[intent]
    if st.button(f"That was a question to the interviewer ({label}), not an answer",
                 key="take_back", icon=":material/undo:",
                 help="removes its grade and answers it as a request instead"):
        service.take_back(interview, intent)
        st.rerun()


VIEWS = {"interview": "Interview", "history": "History", "material": "Your material",
         "admin": "Admin"}


def admin_page(service: InterviewService, who: str) -> None:
    """Every profile and anyone's report, for an admin (the service refuses anyone else)."""
    from interviewer.report import pdf_report

    st.title("Admin")
    try:
        rows = service.profiles_for(who)
    except PermissionError:
        st.error("Only an admin sees this page.")
        return
    if not rows:
        st.info("No profiles yet.")
        return
    st.dataframe([{"profile": r["profile"], "interviews": r["interviews"],
                   "last active": r["last_active"] or "-",
                   "passphrase": "yes" if r["has_passphrase"] else "no",
                   "admin": "yes" if r["admin"] else ""} for r in rows],
                 hide_index=True, width="stretch")
    chosen = st.selectbox("Report of", [r["profile"] for r in rows], key="admin_profile")
    cols = st.columns(2)
    cols[0].download_button("History (.md)", lambda: service.report_for(who, chosen),
                            f"history-{chosen}.md", "text/markdown", on_click="ignore",
                            key="admin_md")
    cols[1].download_button("History (.pdf)",
                            lambda: pdf_report(service.report_for(who, chosen)),
                            f"history-{chosen}.pdf", "application/pdf", on_click="ignore",
                            key="admin_pdf")


def material_page(service: InterviewService) -> None:
    """Your own notes: upload, what is indexed, remove a file."""
    who = profile()
    material = service.material(who)
    st.title("Your material")
    st.caption(f"Profile: {who}. {material_limits()}")
    removed = st.session_state.pop("material_notice", None)
    if removed:
        st.success(removed)
    st.markdown("Upload your own notes: Markdown, text or PDF, several files, or a .zip of a "
                "folder. They are split by heading or page and searched beside the project's "
                "notes; feedback cites them by file name and heading or page. Only this "
                "profile sees them.")
    uploads = st.file_uploader("Notes files", type=["md", "markdown", "txt", "pdf", "zip"],
                               accept_multiple_files=True, key="material_upload")
    if st.button("Add to my notes", disabled=not uploads, key="material_add"):
        with st.spinner("Reading and indexing your notes…"):
            reports = material.add([(u.name, u.getvalue()) for u in uploads])
        for level, text in upload_messages(reports):
            getattr(st, level)(text)
    own_questions_section(service, who)
    files = material.files()
    if not files:
        st.info("No notes of your own yet.")
        return
    st.dataframe(material_rows(files), hide_index=True, width="stretch")
    name = st.selectbox("Remove a file", [f.name for f in files], index=None,
                        placeholder="Choose a file to remove", key="material_remove_choice")
    if st.button("Remove", disabled=name is None, key="material_remove"):
        material.remove(name)
        st.session_state["material_notice"] = f"Removed {name}."
        st.rerun()


def own_questions_section(service: InterviewService, who: str) -> None:
    """Upload your own questions (a list, or a guide in our shape); see how many you have."""
    own = OwnQuestions(service.settings.data_dir, who)
    with st.expander(f"Your questions ({len(own.all())})"):
        st.caption("One question per line, or a guide in the project's shape. A question with "
                   "no answer key is graded against the closest passages of your notes and ours "
                   "when retrieval is confident, and says so; otherwise it is not scored. Choose "
                   "'Your own questions' in the sidebar to be asked them.")
        upload = st.file_uploader("Questions file", type=["md", "txt"], key="questions_upload")
        if st.button("Add questions", disabled=upload is None, key="questions_add"):
            try:
                added, known = own.add(upload.name, upload.getvalue())
            except MaterialError as exc:
                st.error(str(exc))
            else:
                st.success(f"{added} questions added" + (f", {known} already there." if known
                                                         else "."))
        keys = own.keys()
        for q in own.all()[:200]:
            mark = f" — your key, drafted by {keys[q.id]['model']}" if q.id in keys else ""
            st.markdown(f"- {plain_markdown(q.text)}{mark}")
        draft_keys(service, own, who)


def draft_keys(service: InterviewService, own: OwnQuestions, who: str) -> None:
    """With an LLM in this session: draft a key for one of your questions, review it,
    and save it only if you accept it."""
    chat = getattr(service.grader, "chat", None)
    if chat is None:
        st.caption("Choose an LLM grader in the sidebar to have it draft keys for questions "
                   "that have none.")
        return
    keys = own.keys()
    keyless = [q for q in own.all() if q.id not in keys]
    if not keyless:
        return
    choice = st.selectbox("Draft a key for", keyless, format_func=lambda q: q.text,
                          index=None, key="draft_choice", placeholder="Choose a question")
    if st.button("Draft a key with the LLM", disabled=choice is None, key="draft_go"):
        try:
            with waiting_for_index(service):
                st.session_state["draft"] = service.draft_key_for(chat, choice.id, who)
        except IndexBuildingError as exc:
            st.error(f"No draft yet: drafting retrieves passages, and {exc}.")
        except (InterviewError, LLMError) as exc:
            st.error(f"No draft: {exc}")
    draft = st.session_state.get("draft")
    if draft is None:
        return
    st.markdown(f"**Draft by {draft.model}, for review:** {plain_markdown(draft.question)}")
    for point in draft.key_points:
        st.markdown(f"- {plain_markdown(point)}")
    st.caption(plain_markdown(draft.explanation))
    if draft.sources:
        st.caption("From: " + "; ".join(draft.sources))
    accept, discard = st.columns(2)
    if accept.button("Accept and save", key="draft_accept"):
        service.accept_key(draft, who)
        st.session_state.pop("draft", None)
        st.rerun()
    if discard.button("Discard", key="draft_discard"):
        st.session_state.pop("draft", None)
        st.rerun()


def history_page(service: InterviewService) -> None:
    """Past interviews, mastery by topic, scores over time, and reports to download."""
    who = profile()
    st.title("Practice history")
    st.caption(f"Profile: {who}")
    interviews = service.store.interviews(who)
    if not interviews:
        st.info("No interviews yet for this profile. Start one from the Interview view.")
        return
    rows, over_time, spoken = [], [], []
    for i in interviews:
        turns = service.store.turns(i["id"])
        spoken += speaking_history(turns)
        scores = stored_finals(turns)
        mean_score = round(sum(scores) / len(scores), 1) if scores else None
        rows.append({"started": i["created_at"].replace("T", " ")[:16], "status": i["status"],
                     "mode": i["config"].get("style", "coach"),
                     "level": i["config"].get("level", "mid"),
                     "sections": ", ".join(map(str, i["config"]["sections"])),
                     "answered": len(scores),
                     "mean score": "—" if mean_score is None else f"{mean_score:.1f}",
                     **time_columns(turns, i["config"].get("time_limit")),
                     "id": i["id"]})
        if mean_score is not None:
            over_time.append({"when": i["created_at"][:16], "mean score": mean_score})
    st.subheader("Interviews")
    st.table(rows, border="horizontal", hide_index=True)
    if len(over_time) > 1:
        st.subheader("Scores over time")
        st.line_chart(list(reversed(over_time)), x="when", y="mean score")
    if spoken:
        st.subheader("Speaking over time")
        spoken.sort(key=lambda r: r["when"])
        st.caption(f"{len(spoken)} spoken answer{'s' if len(spoken) > 1 else ''}: pace, filler "
                   "words and the longest pause of each (about 110-170 words a minute is easy "
                   "to follow).")
        if len(spoken) > 1:
            st.line_chart(spoken, x="when", y=["words per minute", "fillers per 100 words"])
        st.table(spoken[-10:], border="horizontal", hide_index=True)
    mastery_rows = [m for m in service.mastery(who) if m["answered"]]
    if mastery_rows:
        st.subheader("Mastery by topic")
        by_section: dict[str, list[float]] = {}
        for m in mastery_rows:
            by_section.setdefault(f"{m['section']}. {m['section_title']}", []).append(
                m["mastery"])
        topic_chart({k: round(sum(v) / len(v), 1) for k, v in by_section.items()}, "mastery")
        st.table([{"topic": table_text(f"{m['section']}. {m['subsection']}"),
                   "answered": f"{m['answered']}/{m['questions']}",
                   "mastery": f"{m['mastery']:.1f}", "due for review": m["due"]}
                  for m in sorted(mastery_rows, key=lambda m: m["mastery"])],
                 border="horizontal", hide_index=True)
    st.subheader("Reports")
    from interviewer.report import markdown_report, pdf_report

    chosen = st.selectbox("Interview", [r["id"] for r in rows], key="history_interview",
                          format_func=lambda i: next(f"{r['started']} · {r['sections']} · "
                                                     f"{r['mean score']}" for r in rows
                                                     if r["id"] == i))
    # Reports are built only when a button is clicked: a long history makes a big PDF.
    def one() -> str:
        return markdown_report(service.store, service.kb.by_id, who, [chosen])

    def everything() -> str:
        return markdown_report(service.store, service.kb.by_id, who, None, service.mastery(who))

    cols = st.columns(4)
    for col, label, make, name, mime in (
            (cols[0], "This interview (.md)", one, f"interview-{chosen}.md", "text/markdown"),
            (cols[1], "This interview (.pdf)", lambda: pdf_report(one()),
             f"interview-{chosen}.pdf", "application/pdf"),
            (cols[2], "All history (.md)", everything, f"history-{who}.md", "text/markdown"),
            (cols[3], "All history (.pdf)", lambda: pdf_report(everything()),
             f"history-{who}.pdf", "application/pdf")):
        col.download_button(label, make, name, mime, on_click="ignore")
    interview = service.store.load(chosen)
    if interview:
        st.subheader("Transcript")
        for i, turn in enumerate(interview.turns):
            render_turn(interview, turn, i, audio=service.store.audio(interview.id, i)
                        if turn.speech else None)


def feedback_text(stream, status):
    """The grade stream's feedback text; retries and waiting shown in `status` meanwhile."""
    retry = []

    def tick(waited: float) -> None:
        # Sending something is also what lets Streamlit act on a click (the
        # offline-grade button) while the grader is still working.
        if retry:
            status.warning(f"{retry[-1]} (waiting {waited:.0f} s)",
                           icon=":material/hourglass_top:")
        elif waited >= 2:
            status.caption(f"Waiting for the grader… {waited:.0f} s")

    for item in BackgroundStream(stream).items(on_tick=tick):
        if isinstance(item, Progress):
            retry.append(item)
            status.warning(item, icon=":material/hourglass_top:")
        else:
            yield item


def grade_answer(service: InterviewService, interview: Interview, answer: str) -> None:
    """Stream the feedback for a stored answer, store the finished turn, then rerun."""
    if st.session_state.get("submitted") != (interview.id, len(interview.turns) - 1):
        # Not sent in this session: the app stopped (or the page was reloaded)
        # while it was being graded.
        st.session_state.recovered = ("Your answer was saved when you sent it, but its grading "
                                      "was interrupted (the app stopped or the page reloaded). "
                                      "It has been graded now.")
    with st.chat_message("user"):
        st.markdown(plain_markdown(answer))
    if not service.kb.embedder.loaded:
        with st.spinner("Loading the grading model (first answer only)…"):
            service.wait_until_ready()
    if st.session_state.pop("offline_now", False) and hasattr(service.grader, "offline_now"):
        service = service.with_grader(service.grader.offline_now())
    try:
        pending = service.begin(interview, answer)
        if isinstance(pending, AnswerOutcome):
            st.session_state.notice = pending.message
            service.discard_pending(interview)
        else:
            with st.chat_message("assistant", avatar=":material/grading:"):
                quiet = holds_verdict(interview)
                st.caption("The interviewer is noting your answer…" if quiet
                           else "Feedback (streaming)…")
                status = st.empty()
                if not service.grader.offline:
                    st.button("Use the offline grade now", key="offline_now_button",
                              on_click=lambda: st.session_state.update(offline_now=True),
                              help="stop waiting for the LLM grader; your answer is kept")
                if quiet:  # graded and stored now, shown in the debrief
                    for _ in feedback_text(pending.stream, status):
                        pass
                else:
                    st.write_stream(safe_stream(feedback_text(pending.stream, status)))
            service.finish(interview, pending)
    except (ModelUnavailableError, IndexUnavailableError, IndexBuildingError) as exc:
        # IndexBuildingError: your own question finds its key by retrieval.
        st.session_state.pop("recovered", None)
        st.error(f"Your answer could not be graded: {exc}. It is saved; it is shown below so "
                 "you can copy it. Try again, or discard it to write another answer.")
        st.code(answer, language=None)
        cols = st.columns(2)
        if cols[0].button("Try grading again", key="regrade"):
            st.rerun()
        if cols[1].button("Discard this answer", key="discard"):
            service.discard_pending(interview)
            st.rerun()
        return
    st.session_state.submitted = None
    st.rerun()


main()
