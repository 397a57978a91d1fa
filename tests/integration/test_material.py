"""Your own notes: real files (Markdown, text, PDF, zip), the real model, a real Chroma folder."""

from __future__ import annotations

import io
import zipfile

import pytest

from interviewer.material import (MAX_FILE_BYTES, Material, file_chunks, markdown_chunks,
                                  zip_members)

ATTENTION = (b"# Attention\n\nSelf-attention lets every token weigh every other token by the "
             b"similarity of its query to their keys, then mixes their values.\n\n"
             b"## Multi-head attention\n\nSeveral heads attend in parallel, each in its own "
             b"learned subspace, and their outputs are concatenated and projected.\n")
KV = (b"The KV cache keeps the keys and values of tokens already processed, so each new "
      b"decoding step computes attention only for the new token.\n\nIts memory grows with "
      b"batch size and sequence length, which is why paged attention allocates it in blocks.\n")


def pdf(pages: list[str], password: str | None = None, text: bool = True) -> bytes:
    """A real PDF made with reportlab: one page per string; text=False draws no text."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    for page in pages:
        if text:
            y = 800
            for line in page.split("\n"):
                c.drawString(50, y, line)
                y -= 16
        else:  # a "scan": shapes only, no text layer
            c.rect(50, 500, 300, 200, fill=1)
        c.showPage()
    c.save()
    data = buf.getvalue()
    if password:
        from pypdf import PdfReader, PdfWriter

        writer = PdfWriter()
        for p in PdfReader(io.BytesIO(data)).pages:
            writer.add_page(p)
        writer.encrypt(user_password=password, owner_password=password + "-owner")
        out = io.BytesIO()
        writer.write(out)
        data = out.getvalue()
    return data


def zipped(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


class CountingEmbedder:
    """The real embedder, counting how many texts it is asked to encode."""

    def __init__(self, inner):
        self.inner = inner
        self.encoded = 0

    def encode(self, texts, **kw):
        self.encoded += len(texts)
        return self.inner.encode(texts, **kw)

    def encode_cached(self, texts):
        return self.inner.encode_cached(texts)


# -- chunking (no model) ------------------------------------------------------------


def test_markdown_is_cut_by_heading_with_the_heading_path():
    chunks = markdown_chunks(ATTENTION.decode(), "attn")
    assert [c.heading for c in chunks] == ["Attention", "Attention › Multi-head attention"]
    assert "query" in chunks[0].text and "concatenated" in chunks[1].text


def test_notes_without_headings_are_cut_by_paragraph_under_the_file_name():
    text = "\n\n".join(f"Paragraph {i} " + "word " * 120 for i in range(6))
    chunks = markdown_chunks(text, "my notes")
    assert len(chunks) > 1 and {c.heading for c in chunks} == {"my notes"}
    assert all(len(c.text) <= 1300 for c in chunks)


def test_a_pdf_is_cut_by_page():
    kind, chunks, _ = file_chunks("lecture.pdf", pdf(["Page one is about tokenizers.",
                                                      "Page two is about embeddings."]))
    assert kind == "pdf"
    assert [c.part for c in chunks] == ["page 1", "page 2"]
    assert "embeddings" in chunks[1].text


@pytest.mark.parametrize("name,data,reason", [
    ("empty.md", b"  \n", "empty"),
    ("blob.txt", b"\x00\x01\x02binary" * 100, "binary"),
    ("latin.txt", "caf\xe9".encode("latin-1") * 10, "UTF-8"),
    ("huge.txt", b"word " * (MAX_FILE_BYTES // 5 + 10), "limit"),
    ("slides.pptx", b"PK\x03\x04", "not supported"),
    ("scan.pdf", pdf(["x"], text=False), "no text layer"),
    ("locked.pdf", pdf(["secret notes"], password="hunter2"), "password-protected"),
    ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "not a readable PDF"),
])
def test_bad_files_are_refused_with_a_reason(name, data, reason):
    from interviewer.material import MaterialError

    with pytest.raises(MaterialError, match=reason):
        file_chunks(name, data)


def test_a_zip_never_reaches_outside_its_folder_and_a_bomb_is_refused(tmp_path):
    bomb = b"\x00" * (5 * 1024 * 1024)
    members = zip_members("notes.zip", zipped({
        "notes/attention.md": ATTENTION, "../escape.md": b"# x\n\nclimbing out",
        "/etc/abs.md": b"# y\n\nabsolute", "notes/bomb.txt": bomb,
        "notes/image.png": b"\x89PNG", "__MACOSX/._attention.md": b"junk"}))
    by_name = dict(members)
    assert by_name["notes.zip/notes/attention.md"] == ATTENTION
    assert "outside" in str(by_name["notes.zip/../escape.md"])
    assert "outside" in str(by_name["notes.zip//etc/abs.md"])
    assert "zip bomb" in str(by_name["notes.zip/notes/bomb.txt"])
    assert not any("png" in n or "MACOSX" in n for n in by_name)
    assert not (tmp_path.parent / "escape.md").exists()


# -- the store (real model, real Chroma) -------------------------------------------------


def test_adding_is_incremental_and_a_change_replaces_the_old_passages(tmp_path, kb):
    counting = CountingEmbedder(kb.embedder)
    mine = Material(tmp_path, "ada", counting)
    first = mine.add([("attn.md", ATTENTION), ("kv.txt", KV)])
    assert [(r.name, r.status) for r in first] == [("attn.md", "added"), ("kv.txt", "added")]
    embedded = counting.encoded
    again = mine.add([("attn.md", ATTENTION)])
    assert again[0].status == "unchanged" and counting.encoded == embedded
    changed = mine.add([("kv.txt", b"Speculative decoding drafts tokens with a small model "
                                   b"and verifies them with the large one in one pass.\n")])
    assert changed[0].status == "replaced"
    hits = mine.search("What does the KV cache store during decoding?", k=5, min_similarity=0)
    assert not any("keys and values of tokens already processed" in h["text"] for h in hits)
    assert {f.name for f in mine.files()} == {"attn.md", "kv.txt"}


def test_search_cites_file_heading_and_page_and_one_profile_never_sees_another(tmp_path, kb):
    ada = Material(tmp_path, "ada", kb.embedder)
    ada.add([("attn.md", ATTENTION), ("lecture.pdf", pdf(["Tokenizers split text.",
             "Paged attention stores the KV cache in fixed-size blocks to avoid "
             "fragmentation."]))])
    hits = ada.search("How does multi-head attention work?")
    assert hits and hits[0]["metadata"]["source"] == "your notes/attn.md"
    assert hits[0]["metadata"]["heading"] == "Attention › Multi-head attention"
    page = ada.search("How does paged attention manage KV cache memory?")
    assert page and page[0]["metadata"]["part"] == "page 2"
    bob = Material(tmp_path, "bob", kb.embedder)
    assert bob.files() == [] and bob.search("How does multi-head attention work?") == []
    bob.add([("kv.txt", KV)])
    assert all(h["metadata"]["file"] == "kv.txt"
               for h in bob.search("attention heads", k=5, min_similarity=0))


def test_a_zip_upload_adds_its_files_reports_refusals_and_removes_as_one(tmp_path, kb):
    mine = Material(tmp_path, "ada", kb.embedder)
    reports = mine.add([("course.zip", zipped({"week1/attention.md": ATTENTION,
                                                "week2/kv.txt": KV,
                                                "../../escape.md": b"# x\n\nout"}))])
    status = {r.name: r.status for r in reports}
    assert status == {"course.zip/week1/attention.md": "added",
                      "course.zip/week2/kv.txt": "added", "course.zip/../../escape.md": "refused"}
    assert mine.remove("course.zip")
    assert mine.files() == [] and not mine.remove("course.zip")


def test_an_answer_is_graded_with_the_profiles_own_notes_cited(tmp_path, kb, grader):
    from interviewer.config import load_settings
    from interviewer.interview import InterviewConfig
    from interviewer.service import InterviewService
    from interviewer.store import Store

    settings = load_settings(data_dir=tmp_path, knowledge_dir=kb.settings.knowledge_dir)
    service = InterviewService(settings, kb, Store(settings.db_path), grader)
    qid = "q01-50f733" if kb.key_for("q01-50f733") else kb.questions[0].id
    question = kb.by_id[qid]
    service.material("ada").add([("attn.md", ATTENTION)])
    ref = service.with_own_notes(kb.reference_for(question), "ada")
    own = [e for e in ref.evidence if e.source.startswith("your notes/")]
    assert own and own[0].n == len(ref.evidence) - len(own) + 1
    assert own[0].label.startswith("your notes/attn.md › Attention")
    # Another profile's interview gets none of ada's notes.
    other = service.with_own_notes(kb.reference_for(question), "bob")
    assert not any(e.source.startswith("your notes/") for e in other.evidence)
    interview = service.start(InterviewConfig(sections=[question.section], num_questions=1),
                              profile="ada")
    assert interview is not None


def test_on_a_chroma_server_a_profiles_notes_are_seen_by_every_replica(tmp_path, kb,
                                                                     chroma_server):
    import uuid

    who = f"replica-user-{uuid.uuid4().hex[:6]}"
    first = Material(tmp_path, who, kb.embedder, chroma_url=chroma_server.url)
    first.add([("attn.md", ATTENTION)])
    # Another replica: its own process state, the same data folder and server.
    second = Material(tmp_path, who, kb.embedder, chroma_url=chroma_server.url)
    hits = second.search("How does multi-head attention work?")
    assert hits and hits[0]["metadata"]["source"] == "your notes/attn.md"
    assert not (tmp_path / "material" / "index").exists()  # nothing embedded locally
    assert second.remove("attn.md")
    assert first.search("How does multi-head attention work?") == []
