"""The `interviewer` command: questions, index, grade, transcribe, search, coverage,
interview, notes, guide, history, export, run, passphrase, admin."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from .config import REPO_ROOT, load_settings
from .guide import GuideError, classify, load_guide
from .db import DatabaseError
from .index_lock import IndexServerError, IndexUnavailableError
from .interview import stored_finals
from .levels import DEFAULT_LEVEL, LEVELS, question_level


class CLIError(Exception):
    """An error to print as one line, without a traceback."""


def _settings(args):
    return load_settings(knowledge_dir=getattr(args, "knowledge_dir", None),
                         data_dir=getattr(args, "data_dir", None),
                         provider=getattr(args, "provider", None),
                         model=getattr(args, "model", None),
                         base_url=getattr(args, "base_url", None),
                         offline_grader=getattr(args, "offline_grader", None))


def _warn(problems) -> None:
    """Print skipped guide lines and notes entries, with file and line."""
    for problem in problems:
        print(f"warning: skipped {problem}", file=sys.stderr)


def _knowledge_base(args, settings=None):
    from .knowledge import KnowledgeBase

    kb = KnowledgeBase(settings or _settings(args))
    _warn(kb.problems)
    return kb


def _print_json(data) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def cmd_questions(args) -> int:
    """List or count guide questions."""
    settings = _settings(args)
    path = Path(args.guide) if args.guide else settings.guide_path
    problems: list[GuideError] = []
    questions = load_guide(path, problems)
    _warn(problems)
    if args.section:
        questions = [q for q in questions if q.section in args.section]
    if args.kind:
        questions = [q for q in questions if q.kind == args.kind]
    if args.level:
        questions = [q for q in questions
                     if question_level(q.text, q.kind, q.section_title) == args.level]
    if args.count:
        print(len(questions))
    elif args.json:
        _print_json([q.to_dict() for q in questions])
    else:
        for q in questions:
            print(f"{q.id}  [{q.kind}]  {q.section}. {q.subsection}: {q.text}")
    return 0


def cmd_index(args) -> int:
    """Build or update the Chroma index from the notes (or only check it)."""
    kb = _knowledge_base(args)
    if args.check:
        report = kb.check_index(sample=args.sample)
        if args.json:
            _print_json(report.to_dict())
        else:
            print(f"index: {report.stored} chunks stored, {report.expected} expected "
                  f"-> {kb.settings.index_dir}\n{report.summary()} in {report.seconds:.2f}s")
        return 0 if report.ok else 1
    if args.seed_from:
        from .index import ChromaIndex

        source = Path(args.seed_from)
        if not (source / "chroma.sqlite3").exists():
            raise CLIError(f"{source} holds no Chroma index (no chroma.sqlite3 there)")
        copied = ChromaIndex(source, kb.embedder).copy_to(kb.index)
        print(f"copied {copied} chunks with their vectors from {source}", file=sys.stderr)
    chunks = kb.chunks()
    where = kb.settings.chroma_url or kb.settings.index_dir
    print(f"notes: {len(kb.notes.keys)} answer keys, {len(kb.notes.notes)} notes, "
          f"{len(chunks)} chunks -> {where}", file=sys.stderr)
    start = time.perf_counter()

    def progress(done: int, total: int) -> None:
        width = 30
        filled = int(width * done / max(total, 1))
        print(f"\rembedding [{'#' * filled}{'.' * (width - filled)}] {done}/{total}",
              end="", file=sys.stderr, flush=True)

    report = kb.build_index(progress=progress)
    if report.added:
        print(file=sys.stderr)
    report.seconds = round(time.perf_counter() - start, 3)
    if args.json:
        _print_json(report.to_dict())
    else:
        reused = f", {report.reused} reused" if report.reused else ""
        shipped = f", {report.shipped} from the shipped vectors" if report.shipped else ""
        repaired = f", {report.repaired} repaired" if report.repaired else ""
        print(f"index: {report.total} chunks ({report.added - report.shipped} embedded{shipped}"
              f"{reused}, {report.removed} removed, {report.unchanged} unchanged{repaired}) "
              f"in {report.seconds:.2f}s")
        check = report.check or {}
        print("check: ok" if check.get("ok") else
              "check: still BROKEN after repair; see `interviewer index --check --json`")
    if not (report.check or {}).get("ok", True):
        return 1
    return 1 if (report.errors and args.strict) else 0


def cmd_grade(args) -> int:
    """Grade one answer and print the grade."""
    from .grading.offline import reference_from_text
    from .grading.registry import make_offline
    from .service import truncate_answer

    speech = None
    if sum(x is not None for x in (args.answer_file, args.answer, args.audio)) > 1:
        raise CLIError("give one of --answer, --answer-file or --audio")
    if args.answer_file:
        answer = Path(args.answer_file).read_text(encoding="utf-8")
    elif args.answer is not None:
        answer = args.answer
    elif args.audio:
        transcript = _transcribe_file(args.audio)
        from .speaking import speaking_metrics

        answer, speech = transcript.text, speaking_metrics(transcript)
    else:
        raise CLIError("give the answer with --answer TEXT, --answer-file FILE or --audio FILE")
    from .llm import LLMError, make_grader

    settings = _settings(args)
    if args.question_id:
        kb = _knowledge_base(args, settings)
        if args.question_id not in kb.by_id:
            raise CLIError(f"no question with id {args.question_id!r} "
                           "(see `interviewer questions --json`)")
        if not kb.is_index_current():
            kb.build_index()
        ref = kb.reference_for(kb.by_id[args.question_id])
        offline = make_offline(settings.offline_grader, kb.embedder)
    elif args.question and args.reference:
        ref = reference_from_text(args.question, args.reference, classify(args.question))
        offline = make_offline(settings.offline_grader)
    else:
        raise CLIError("give --question-id ID, or --question TEXT with --reference TEXT")
    ref = ref.model_copy(update={"level": args.level})
    try:
        grader = make_grader(settings, offline)
    except LLMError as exc:
        raise CLIError(exc.reason) from None
    text, original = truncate_answer(answer, settings.max_answer_chars)
    grade = grader.grade(ref, text)
    grade.answer_truncated = original is not None
    if args.json:
        out = grade.model_dump(mode="json")
        if speech is not None:
            out = {**out, "transcript": answer, "speech": speech}
        _print_json(out)
    else:
        if speech is not None:
            from .speaking import metrics_line

            print(f"Transcript ({speech['engine']}): {answer}\n{metrics_line(speech)}\n")
        score = "no score" if grade.score is None else f"{grade.score}/10"
        print(f"{score}  ({grade.grader_label}, {grade.level} bar)")
        for flag in grade.flags:
            print(f"! {flag}")
        print(grade.feedback)
        if grade.follow_up:
            print(f"Follow-up: {grade.follow_up}")
    return 0


def _transcribe_file(path: str):
    """Transcribe an audio file offline, or fail with the user-facing message."""
    from .voice import AudioError, shared_transcriber

    file = Path(path)
    if not file.is_file():
        raise CLIError(f"no audio file {path!r}")
    try:
        return shared_transcriber().transcribe(file.read_bytes())
    except AudioError as exc:
        raise CLIError(f"{path}: {exc.message}") from None


def cmd_transcribe(args) -> int:
    """Transcribe a recording offline and print the text and speaking feedback."""
    from .speaking import metrics_line, speaking_metrics

    transcript = _transcribe_file(args.file)
    metrics = speaking_metrics(transcript)
    if args.json:
        _print_json({**transcript.to_dict(), "speech": metrics})
    else:
        print(transcript.text)
        print(f"\n{metrics_line(metrics)}  [{transcript.engine}, "
              f"{transcript.seconds:.1f} s to transcribe]")
    return 0


def cmd_search(args) -> int:
    """Show the chunks retrieved for a text."""
    kb = _knowledge_base(args)
    if not kb.is_index_current():
        kb.build_index()
    hits = kb.search(args.text, k=args.k)
    if args.json:
        _print_json(hits)
    else:
        for h in hits:
            m = h["metadata"]
            print(f"{h['similarity']:.3f}  {m['source']} › {m['heading']} ({m['part']})")
    return 0


def cmd_coverage(args) -> int:
    """Answer-key coverage per section."""
    kb = _knowledge_base(args)
    sections = kb.sections()
    if args.json:
        _print_json({str(n): s for n, s in sections.items()})
    else:
        for n, s in sections.items():
            print(f"{n:>2}. {s['title']:<50} {s['keys']:>3}/{s['questions']}")
    return 0


def _service(args):
    from .knowledge import KnowledgeBase
    from .service import InterviewService
    from .store import Store

    settings = _settings(args)
    return InterviewService(settings, KnowledgeBase(settings), Store(settings.store_location))


def _material(args):
    from .material import Material

    settings = _settings(args)
    return Material(settings.data_dir, args.profile, chroma_url=settings.chroma_url)


def cmd_notes_add(args) -> int:
    """Index your own notes files (Markdown, text, PDF, or a zip of them) for a profile."""
    uploads = []
    for name in args.paths:
        path = Path(name)
        if path.is_dir():
            uploads += [(f.relative_to(path.parent).as_posix(), f.read_bytes())
                        for f in sorted(path.rglob("*")) if f.is_file()
                        and f.suffix.lower() in (".md", ".markdown", ".txt", ".pdf")]
        elif path.is_file():
            uploads.append((path.name, path.read_bytes()))
        else:
            raise CLIError(f"no such file or folder: {name}")
    if not uploads:
        raise CLIError("no Markdown, text or PDF files in what was given")
    reports = _material(args).add(uploads)
    if args.json:
        _print_json([r.__dict__ for r in reports])
    else:
        for r in reports:
            detail = r.message if r.status in ("refused", "unchanged") else f"{r.chunks} passages"
            print(f"{r.status:9s} {r.name}: {detail}")
    return 1 if reports and all(r.status == "refused" for r in reports) else 0


def cmd_notes_list(args) -> int:
    """The files indexed for a profile, with sizes."""
    files = _material(args).files()
    if args.json:
        _print_json([f.__dict__ for f in files])
    elif not files:
        print(f"no notes of your own for profile {args.profile!r}")
    else:
        for f in files:
            print(f"{f.name}  {f.kind}, {f.bytes / 1024:.1f} KB, {f.chunks} passages")
    return 0


def cmd_notes_remove(args) -> int:
    """Remove a file (or an uploaded zip's files) from a profile's notes."""
    if not _material(args).remove(args.name):
        raise CLIError(f"no file {args.name!r} in profile {args.profile!r}'s notes "
                       "(see `interviewer notes list`)")
    print(f"removed {args.name}")
    return 0


def cmd_interview(args) -> int:
    """The questions an interview for a job description would ask, and why each."""
    from .jobdesc import tailor
    from .material import MaterialError, job_text_of

    path = Path(args.jd)
    if not path.is_file():
        raise CLIError(f"no such file: {args.jd}")
    try:
        text = job_text_of(path.name, path.read_bytes())
    except MaterialError as exc:
        raise CLIError(str(exc)) from exc
    kb = _knowledge_base(args)
    if not kb.is_index_current():
        kb.build_index()
    tailoring = tailor(kb, text, args.n, args.section)
    rows = [{"question_id": c.question_id, "question": kb.by_id[c.question_id].text,
             "requirement": c.requirement, "similarity": c.similarity}
            for c in tailoring.choices]
    if args.json:
        _print_json({"requirements": tailoring.requirements, "unmatched": tailoring.unmatched,
                     "questions": rows})
        return 0
    print(f"{len(tailoring.requirements)} requirements; {len(rows)} questions")
    for r in rows:
        print(f"{r['question_id']}  {r['question']}\n    for: {r['requirement']} "
              f"(similarity {r['similarity']:.2f})")
    for req in tailoring.unmatched:
        print(f"no guide question matches: {req}")
    return 0


def cmd_guide_add(args) -> int:
    """Add your own questions (a list, or a guide in our shape) to a profile."""
    from .material import MaterialError
    from .own_questions import OwnQuestions

    path = Path(args.file)
    if not path.is_file():
        raise CLIError(f"no such file: {args.file}")
    try:
        added, known = OwnQuestions(_settings(args).data_dir, args.profile).add(
            path.name, path.read_bytes())
    except MaterialError as exc:
        raise CLIError(str(exc)) from exc
    print(f"{added} questions added, {known} already there (profile {args.profile!r})")
    return 0


def cmd_guide_list(args) -> int:
    """A profile's own questions."""
    from .own_questions import OwnQuestions

    questions = OwnQuestions(_settings(args).data_dir, args.profile).all()
    if args.json:
        _print_json([q.to_dict() for q in questions])
    else:
        for q in questions:
            print(f"{q.id}  {q.text}")
    return 0


def cmd_history(args) -> int:
    """Past interviews of a profile, or one interview's turns."""
    service = _service(args)
    store = service.store
    if args.id:
        turns = store.turns(args.id)
        if not turns:
            raise CLIError(f"no interview {args.id!r} with answers")
        if args.json:
            _print_json(turns)
        else:
            for t in turns:
                score = "skipped" if t["skipped"] else (
                    f"{t['score']:.1f}" if t["score"] is not None else "not scored")
                print(f"[{t['kind']}] {t['prompt']}\n  answer: {(t['answer'] or '')[:100]}"
                      f"\n  score: {score} ({t['grader'] or '-'})")
        return 0
    rows = []
    for i in store.interviews(args.profile):
        turns = store.turns(i["id"])
        scores = stored_finals(turns)
        rows.append({"id": i["id"], "created_at": i["created_at"], "status": i["status"],
                     "sections": i["config"]["sections"], "answered": len(scores),
                     "mean_score": round(sum(scores) / len(scores), 1) if scores else None})
    if args.json:
        _print_json({"profile": args.profile, "interviews": rows,
                     "mastery": [m for m in service.mastery(args.profile) if m["answered"]]})
    else:
        if not rows:
            print(f"no interviews for profile {args.profile!r}")
        for r in rows:
            mean = "—" if r["mean_score"] is None else f"{r['mean_score']:.1f}"
            print(f"{r['id']}  {r['created_at']}  {r['status']:<9} sections "
                  f"{','.join(map(str, r['sections']))}  answered {r['answered']}  mean {mean}")
        learnt = [m for m in service.mastery(args.profile) if m["answered"]]
        if learnt:
            print("\nmastery by topic (mean of each question's latest score)")
            width = min(60, max(len(f"{m['section']}. {m['subsection']}") for m in learnt))
            print(f"{'topic':<{width}}  answered  mastery  due")
            for m in sorted(learnt, key=lambda m: m["mastery"]):
                topic = f"{m['section']}. {m['subsection']}"[:width]
                print(f"{topic:<{width}}  {m['answered']:>3}/{m['questions']:<4}  "
                      f"{m['mastery']:>7.1f}  {m['due']:>3}")
    return 0


def cmd_export(args) -> int:
    """Write a Markdown or PDF report."""
    from .report import markdown_report, pdf_report

    service = _service(args)
    ids = [args.interview] if args.interview else None
    if ids and not service.store.turns(args.interview):
        raise CLIError(f"no interview {args.interview!r} with answers")
    text = markdown_report(service.store, service.kb.by_id, args.profile, ids,
                           service.mastery(args.profile))
    out = Path(args.out)
    if args.format == "pdf":
        out.write_bytes(pdf_report(text))
    else:
        out.write_text(text, encoding="utf-8")
    print(f"wrote {out} ({out.stat().st_size:,} bytes)", file=sys.stderr)
    return 0


def cmd_run(args) -> int:
    """Start the Streamlit app (which brings the index up to date in the background)."""
    from .auth import is_loopback

    host = args.host or _settings(args).host
    # Loading the guide and notes reports malformed lines here, in the terminal
    # (a second or two; the index is not opened). The index is checked and built
    # by the app itself, in the background: the first page is served at once,
    # and a guide question is graded against its key while notes are embedded.
    _knowledge_base(args)
    cmd = [sys.executable, "-m", "streamlit", "run", str(REPO_ROOT / "app.py"),
           "--server.headless", "true", "--server.address", host,
           "--server.port", str(args.port), "--browser.gatherUsageStats", "false",
           "--client.toolbarMode", "minimal"]
    if is_loopback(host):
        print(f"open http://localhost:{args.port} (on a first run the notes index builds in "
              "the background, a few minutes on 2 cores; the app works meanwhile)",
              file=sys.stderr)
    else:
        print(f"listening on {host}:{args.port}: other computers can reach the app, so every "
              "profile needs a passphrase (see README, Configuration)", file=sys.stderr)
    os.execv(sys.executable, cmd)
    return 0  # not reached


def cmd_passphrase(args) -> int:
    """Set or replace a profile's passphrase (typed twice, or one line on stdin)."""
    import getpass

    from .auth import PassphraseError, clean_profile, set_passphrase
    from .store import Store

    profile = clean_profile(args.profile)
    if args.stdin:
        first = second = sys.stdin.readline().rstrip("\n")
    else:
        first = getpass.getpass(f"New passphrase for {profile!r}: ")
        second = getpass.getpass("Again: ")
    try:
        set_passphrase(Store(_settings(args).store_location), profile, first, second)
    except PassphraseError as exc:
        raise CLIError(str(exc)) from None
    print(f"passphrase set for profile {profile!r}", file=sys.stderr)
    return 0


def cmd_admin(args) -> int:
    """Grant or revoke the admin role, or list admins and profiles (run on the server)."""
    from .auth import clean_profile
    from .store import Store

    store = Store(_settings(args).store_location)
    if args.admin_command == "list":
        admins = set(store.admins())
        for row in store.profile_summaries():
            role = "admin" if row["profile"] in admins else "-"
            print(f"{row['profile']}\t{role}\t{row['interviews']} interviews\t"
                  f"last active {row['last_active'] or '-'}")
        return 0
    profile = clean_profile(args.profile)
    if args.admin_command == "grant":
        # An admin reads everyone's reports: the role never goes to a profile
        # anyone could open without a passphrase.
        if store.secret(profile) is None:
            raise CLIError(f"profile {profile!r} has no passphrase; set one first: "
                           f"interviewer passphrase {profile}")
        store.set_role(profile, "admin")
    else:
        store.set_role(profile, None)
    print(f"{profile!r} is {'now an admin' if args.admin_command == 'grant' else 'no longer an admin'}",
          file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for all subcommands."""
    p = argparse.ArgumentParser(prog="interviewer", description=__doc__)
    p.add_argument("--knowledge-dir", help="folder with guide.md and notes/ (default: knowledge/)")
    p.add_argument("--data-dir", help="folder for the index and database (default: .interviewer/)")
    sub = p.add_subparsers(dest="command", required=True)

    q = sub.add_parser("questions", help="list guide questions")
    q.add_argument("--guide", help="parse this guide file instead of the shipped one")
    q.add_argument("--section", type=int, nargs="+", help="only these section numbers")
    q.add_argument("--kind", help="only this kind (concept, coding, ...)")
    q.add_argument("--level", choices=LEVELS,
                   help="only questions whose estimated level is this (see interviewer.levels)")
    q.add_argument("--count", action="store_true", help="print the number of questions")
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_questions)

    i = sub.add_parser("index", help="build or update the Chroma index")
    i.add_argument("--json", action="store_true")
    i.add_argument("--strict", action="store_true",
                   help="exit 1 if a guide line or notes entry is malformed")
    i.add_argument("--check", action="store_true",
                   help="only verify the index (count, readable vectors, each chunk found by "
                   "its own vector); exit 1 if broken. A plain `index` repairs what it finds")
    i.add_argument("--sample", type=int, help="with --check: verify this many chunks, not all")
    i.add_argument("--seed-from", metavar="DIR",
                   help="first copy the chunks and vectors of a local index folder (e.g. "
                   ".interviewer/index) into the configured one: moving to a Chroma server "
                   "then embeds nothing")
    i.set_defaults(func=cmd_index)

    g = sub.add_parser("grade", help="grade one answer")
    g.add_argument("--question-id")
    g.add_argument("--question")
    g.add_argument("--reference")
    g.add_argument("--answer")
    g.add_argument("--answer-file")
    g.add_argument("--audio", help="a recorded answer (WAV, MP3, M4A, OGG, WebM), transcribed "
                   "offline and graded")
    g.add_argument("--json", action="store_true")
    g.add_argument("--provider", choices=["offline", "openai", "anthropic", "openai-compatible"],
                   help="grader (default: offline, or INTERVIEWER_PROVIDER); keys come from "
                   "OPENAI_API_KEY / ANTHROPIC_API_KEY / INTERVIEWER_API_KEY")
    g.add_argument("--offline-grader", choices=["offline", "embedding"],
                   help="offline grader: 'offline' (embeddings + claim judge, default) or "
                   "'embedding' (embeddings only); also INTERVIEWER_OFFLINE_GRADER")
    g.add_argument("--level", choices=LEVELS, default=DEFAULT_LEVEL,
                   help="the interviewer level whose bar to grade at (default mid)")
    g.add_argument("--model", help="model name for an LLM provider")
    g.add_argument("--base-url", help="server URL, e.g. http://localhost:11434/v1 for Ollama")
    g.set_defaults(func=cmd_grade)

    t = sub.add_parser("transcribe", help="transcribe a recorded answer offline")
    t.add_argument("file")
    t.add_argument("--json", action="store_true")
    t.set_defaults(func=cmd_transcribe)

    s = sub.add_parser("search", help="show what retrieval returns for a text")
    s.add_argument("text")
    s.add_argument("-k", type=int, default=5)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_search)

    c = sub.add_parser("coverage", help="answer keys per section")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_coverage)

    h = sub.add_parser("history", help="past interviews and mastery of a profile")
    h.add_argument("--profile", default="default")
    h.add_argument("--id", help="show the turns of one interview")
    h.add_argument("--json", action="store_true")
    h.set_defaults(func=cmd_history)

    e = sub.add_parser("export", help="write a report of one interview or the whole history")
    e.add_argument("--profile", default="default")
    e.add_argument("--interview", help="one interview id (default: all of the profile's)")
    e.add_argument("--format", choices=["md", "pdf"], default="md")
    e.add_argument("--out", required=True, help="output file")
    e.set_defaults(func=cmd_export)

    iv = sub.add_parser("interview", help="the questions an interview for a job description "
                        "would ask")
    iv.add_argument("--jd", required=True, help="the job description: .txt, .md or .pdf")
    iv.add_argument("-n", type=int, default=5, help="number of questions (default 5)")
    iv.add_argument("--section", type=int, nargs="+", help="only these sections")
    iv.add_argument("--json", action="store_true")
    iv.set_defaults(func=cmd_interview)

    n = sub.add_parser("notes", help="your own notes, indexed and cited beside ours")
    nsub = n.add_subparsers(dest="notes_command", required=True)
    na = nsub.add_parser("add", help="index files: .md, .txt, .pdf, a folder, or a .zip")
    na.add_argument("paths", nargs="+")
    nl = nsub.add_parser("list", help="what is indexed, with sizes")
    nr = nsub.add_parser("remove", help="remove one file (or an uploaded zip's files)")
    nr.add_argument("name")
    for parser, func in ((na, cmd_notes_add), (nl, cmd_notes_list), (nr, cmd_notes_remove)):
        parser.add_argument("--profile", default="default")
        parser.add_argument("--json", action="store_true")
        parser.set_defaults(func=func)

    gd = sub.add_parser("guide", help="your own questions: a list, or a guide in our shape")
    gsub = gd.add_subparsers(dest="guide_command", required=True)
    ga = gsub.add_parser("add", help="add the questions of a .md or .txt file")
    ga.add_argument("file")
    gl = gsub.add_parser("list", help="list your questions")
    for parser, func in ((ga, cmd_guide_add), (gl, cmd_guide_list)):
        parser.add_argument("--profile", default="default")
        parser.add_argument("--json", action="store_true")
        parser.set_defaults(func=func)

    r = sub.add_parser("run", help="start the app (it brings the index up to date itself)")
    r.add_argument("--port", type=int, default=8501)
    r.add_argument("--host", help="address to listen on (default: 127.0.0.1, this computer "
                   "only; or INTERVIEWER_HOST). 0.0.0.0 listens on every interface and makes "
                   "passphrases mandatory")
    r.set_defaults(func=cmd_run)

    pp = sub.add_parser("passphrase", help="set or replace a profile's passphrase")
    pp.add_argument("profile")
    pp.add_argument("--stdin", action="store_true",
                    help="read the passphrase from one line of standard input")
    pp.set_defaults(func=cmd_passphrase)

    ad = sub.add_parser("admin", help="admins of a deployment: grant, revoke, list")
    asub = ad.add_subparsers(dest="admin_command", required=True)
    for name, text in (("grant", "make a profile an admin (it needs a passphrase)"),
                       ("revoke", "make an admin an ordinary profile again")):
        one = asub.add_parser(name, help=text)
        one.add_argument("profile")
        one.set_defaults(func=cmd_admin)
    asub.add_parser("list", help="list admins and every profile").set_defaults(func=cmd_admin)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `interviewer` console script."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (CLIError, GuideError, FileNotFoundError, ValueError, IndexUnavailableError,
            DatabaseError, IndexServerError) as exc:
        # JobDescriptionError and MaterialError are ValueErrors: one line, no traceback.
        print(f"interviewer: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
