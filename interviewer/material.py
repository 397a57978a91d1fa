"""Your own notes: uploaded files, chunked, embedded with the packaged model, kept per profile.

A candidate's notes (Markdown, text, PDF, or a zip of a folder of them) are
split by heading (Markdown) or by page (PDF), embedded with the same packaged
MiniLM as our answer keys, and stored in a Chroma collection of their own
profile, under ``<data dir>/material/``. Retrieval searches them beside our
notes, and feedback cites them by file name and heading or page.

Adding is incremental: a file whose bytes have not changed is not embedded
again. Nothing here can touch our answer keys or another profile's files: each
profile has its own collection and its own manifest, named by a hash of the
profile name.

Bad input gets a clear message per file and stops nothing else: an empty,
oversized, binary, scanned (no text layer) or password-protected file, a zip
member outside its folder, a zip that expands too much.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import threading
import time
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np

from .embeddings import Embedder, shared_embedder
from .index_lock import IndexLock

SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".pdf": "pdf"}
# Limits, stated in the README. A file: a long PDF of lecture notes is a few MB.
MAX_FILE_BYTES = 10 * 1024 * 1024
# A profile: text stored, summed over its files (a PDF counts by the text it yields).
MAX_PROFILE_TEXT_CHARS = 20_000_000
MAX_FILES = 500
MAX_PDF_PAGES = 1000
# A zip member may expand at most this many times its compressed size: text
# compresses 3-10x, and a zip bomb by thousands.
MAX_ZIP_RATIO = 100
MAX_ZIP_MEMBERS = 2000
# Chunks are cut at about this many characters, on paragraph boundaries: near
# our keys' chunk size, and within what MiniLM reads (256 word pieces).
CHUNK_CHARS = 1200
# Below this similarity a passage of your notes is not shown as related: the
# same floor as for our own related notes (knowledge.RELATED_MIN_SIMILARITY).
RELATED_MIN_SIMILARITY = 0.35
SOURCE_PREFIX = "your notes"
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


class MaterialError(ValueError):
    """A file that cannot be added; the message says why, for the user."""


@dataclass
class Chunk:
    """One passage of a user's file."""

    text: str
    heading: str
    part: str


@dataclass
class FileReport:
    """What happened to one file on upload."""

    name: str
    status: str  # added, replaced, unchanged, refused
    chunks: int = 0
    message: str = ""


@dataclass
class FileEntry:
    """A file in a profile's material, as the manifest records it."""

    name: str
    sha256: str
    bytes: int
    chars: int
    chunks: int
    kind: str
    added_at: float = field(default_factory=time.time)


def profile_slug(profile: str) -> str:
    """A folder- and collection-safe name for a profile (a hash: no path tricks)."""
    return "p" + hashlib.sha256(profile.encode("utf-8")).hexdigest()[:20]


def clean_name(name: str) -> str:
    """A file's display name: forward slashes, no leading folders of the upload path."""
    return PurePosixPath(name.replace("\\", "/")).as_posix().lstrip("/")


# -- reading files ------------------------------------------------------------------


def read_text(data: bytes, name: str) -> str:
    """UTF-8 text of a Markdown or text file; binary data is refused."""
    if b"\x00" in data[:8192]:
        raise MaterialError(f"{name}: this is a binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MaterialError(f"{name}: not UTF-8 text (save it as UTF-8 and upload again)")
    return text


def read_pdf(data: bytes, name: str) -> list[tuple[int, str]]:
    """(page number, text) of each page with text; scanned or locked PDFs are refused."""
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError as exc:  # pragma: no cover - pypdf is a dependency
        raise MaterialError(f"{name}: reading PDFs needs the pypdf package") from exc
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            # An empty user password opens "protected" PDFs that only restrict printing.
            try:
                opened = reader.decrypt("")
            except Exception:  # noqa: BLE001 - any failure means the same: locked
                opened = 0
            if not opened:
                raise MaterialError(f"{name}: this PDF is password-protected; remove the "
                                    "password and upload it again")
        if len(reader.pages) > MAX_PDF_PAGES:
            raise MaterialError(f"{name}: {len(reader.pages)} pages; the limit is "
                                f"{MAX_PDF_PAGES}")
        pages = [(i + 1, (page.extract_text() or "").strip())
                 for i, page in enumerate(reader.pages)]
    except MaterialError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise MaterialError(f"{name}: not a readable PDF ({type(exc).__name__})") from exc
    pages = [(n, t) for n, t in pages if t]
    if not pages:
        raise MaterialError(f"{name}: this PDF has no text layer (a scan?); run it through "
                            "OCR first, or upload the text")
    return pages


def _pieces(text: str, limit: int = CHUNK_CHARS) -> list[str]:
    """Cut text into pieces of about `limit` characters on paragraph (then line) breaks."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    out: list[str] = []
    current = ""
    for para in paragraphs:
        while len(para) > limit:  # one huge paragraph: cut at the last space before the limit
            cut = para.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            if current:
                out.append(current)
                current = ""
            out.append(para[:cut].strip())
            para = para[cut:].strip()
        if current and len(current) + len(para) + 2 > limit:
            out.append(current)
            current = para
        else:
            current = f"{current}\n\n{para}" if current else para
    if current:
        out.append(current)
    return out


def markdown_chunks(text: str, title: str) -> list[Chunk]:
    """Chunks of a Markdown file by heading; a file with no headings, by paragraphs."""
    sections: list[tuple[list[str], list[str]]] = []
    path: list[str] = []
    lines: list[str] = []
    fenced = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        m = None if fenced else _HEADING.match(line)
        if m:
            if any(x.strip() for x in lines):
                sections.append((list(path), lines))
            level = len(m.group(1))
            path = path[:level - 1] + [""] * max(0, level - 1 - len(path)) + [m.group(2)]
            lines = []
        else:
            lines.append(line)
    if any(x.strip() for x in lines):
        sections.append((list(path), lines))
    out = []
    for heading_path, body in sections:
        heading = " › ".join(h for h in heading_path if h) or title
        pieces = _pieces("\n".join(body))
        for i, piece in enumerate(pieces):
            part = "section" if len(pieces) == 1 else f"section, part {i + 1} of {len(pieces)}"
            out.append(Chunk(text=piece, heading=heading, part=part))
    return out


def pdf_chunks(pages: list[tuple[int, str]], title: str) -> list[Chunk]:
    """Chunks of a PDF, by page (a long page is cut, each piece keeping its page)."""
    out = []
    for number, text in pages:
        pieces = _pieces(text)
        for i, piece in enumerate(pieces):
            part = f"page {number}" if len(pieces) == 1 else \
                f"page {number}, part {i + 1} of {len(pieces)}"
            out.append(Chunk(text=piece, heading=title, part=part))
    return out


def file_chunks(name: str, data: bytes) -> tuple[str, list[Chunk], int]:
    """(kind, chunks, characters of text) of one uploaded file, or a MaterialError."""
    suffix = PurePosixPath(name).suffix.lower()
    kind = SUFFIXES.get(suffix)
    if kind is None:
        raise MaterialError(f"{name}: {suffix or 'no extension'} is not supported; upload "
                            "Markdown (.md), text (.txt), PDF (.pdf) or a .zip of them")
    if not data.strip():
        raise MaterialError(f"{name}: the file is empty")
    if len(data) > MAX_FILE_BYTES:
        raise MaterialError(f"{name}: {len(data) / 1e6:.1f} MB; the limit for one file is "
                            f"{MAX_FILE_BYTES / 1e6:.0f} MB")
    title = PurePosixPath(name).stem
    if kind == "pdf":
        pages = read_pdf(data, name)
        chunks = pdf_chunks(pages, title)
    else:
        text = read_text(data, name)
        chunks = markdown_chunks(text, title) if kind == "markdown" else \
            [Chunk(text=p, heading=title, part=f"part {i + 1}") for i, p in
             enumerate(_pieces(text))]
    chunks = [c for c in chunks if c.text.strip()]
    if not chunks:
        raise MaterialError(f"{name}: no text found in the file")
    return kind, chunks, sum(len(c.text) for c in chunks)


def zip_members(name: str, data: bytes) -> list[tuple[str, bytes | MaterialError]]:
    """The supported files of a zip, as (name inside the upload, bytes or the reason refused)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise MaterialError(f"{name}: not a readable zip file") from exc
    infos = [i for i in archive.infolist() if not i.is_dir()]
    if len(infos) > MAX_ZIP_MEMBERS:
        raise MaterialError(f"{name}: {len(infos)} files; the limit is {MAX_ZIP_MEMBERS}")
    out: list[tuple[str, bytes | MaterialError]] = []
    for info in infos:
        inner = info.filename.replace("\\", "/")
        label = f"{name}/{inner}"
        parts = PurePosixPath(inner).parts
        # Paths that climb out of the folder or are absolute are refused by name,
        # never written anywhere (nothing is extracted to disk at all).
        if inner.startswith("/") or ".." in parts or re.match(r"^[A-Za-z]:", inner):
            out.append((label, MaterialError(f"{label}: a path outside the zip's folder; "
                                             "skipped")))
            continue
        if PurePosixPath(inner).suffix.lower() not in SUFFIXES or \
                any(p.startswith(".") or p == "__MACOSX" for p in parts):
            continue  # other files in a notes folder (images, .DS_Store) are not notes
        if info.file_size > MAX_FILE_BYTES or \
                info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
            out.append((label, MaterialError(f"{label}: expands to {info.file_size / 1e6:.1f} "
                                             "MB, too much for its size (a zip bomb?); "
                                             "skipped")))
            continue
        try:
            with archive.open(info) as fh:
                # Read one byte past the limit: the header's size may lie.
                content = fh.read(MAX_FILE_BYTES + 1)
        except (zipfile.BadZipFile, RuntimeError, OSError) as exc:
            why = "encrypted" if "encrypt" in str(exc).lower() or "password" in str(exc).lower() \
                else "unreadable"
            out.append((label, MaterialError(f"{label}: {why} inside the zip; skipped")))
            continue
        if len(content) > MAX_FILE_BYTES:
            out.append((label, MaterialError(f"{label}: larger than its header says; "
                                             "skipped")))
            continue
        out.append((label, content))
    return out


def job_text_of(name: str, data: bytes) -> str:
    """The text of an uploaded job description (text, Markdown or PDF)."""
    _, chunks, _ = file_chunks(name, data)
    return "\n\n".join(c.text for c in chunks)


# -- the store --------------------------------------------------------------------


class Material:
    """One profile's uploaded notes: manifest, Chroma collection, search."""

    def __init__(self, data_dir: str | Path, profile: str, embedder: Embedder | None = None,
                 wait_s: float = 120.0, chroma_url: str | None = None):
        self.profile = profile
        # With a Chroma server, the collections live there (one per profile), so
        # replicas never open one embedded Chroma folder together; the manifest
        # stays in the data folder the replicas share.
        self.chroma_url = chroma_url
        self.slug = profile_slug(profile)
        self.root = Path(data_dir) / "material"
        self.dir = self.root / self.slug
        self.embedder = embedder or shared_embedder()
        self.wait_s = wait_s
        self._lock: IndexLock | None = None
        self._collection = None
        self._mutex = threading.Lock()

    @property
    def lock(self) -> IndexLock:
        """One lock for all profiles' collections (they share one Chroma folder); made on
        first use, so looking at a profile with no notes creates nothing on disk."""
        if self._lock is None:
            self._lock = IndexLock(self.root, self.wait_s)
        return self._lock

    # -- manifest ----------------------------------------------------------------

    @property
    def manifest_path(self) -> Path:
        return self.dir / "manifest.json"

    def files(self) -> list[FileEntry]:
        """The profile's files, by name."""
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        return sorted((FileEntry(**row) for row in data.get("files", [])), key=lambda f: f.name)

    def _save(self, files: list[FileEntry]) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.manifest_path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"profile": self.slug,
                                   "files": [asdict(f) for f in files]}, indent=1),
                       encoding="utf-8")
        os.replace(tmp, self.manifest_path)

    # -- collection ----------------------------------------------------------------

    def _col(self):
        if self._collection is None:
            with self._mutex:
                if self._collection is None:
                    from .chroma_ef import PackagedMiniLM
                    from .index import open_client

                    client = open_client(self.root / "index", self.chroma_url)
                    self._collection = client.get_or_create_collection(
                        f"material-{self.slug}", embedding_function=PackagedMiniLM(self.embedder),
                        configuration={"hnsw": {"space": "cosine"}})
        return self._collection

    # -- adding and removing ---------------------------------------------------------

    def add(self, uploads: list[tuple[str, bytes]]) -> list[FileReport]:
        """Add files (name, bytes); a zip adds its supported members. One report per file."""
        flat: list[tuple[str, bytes | MaterialError]] = []
        for name, data in uploads:
            name = clean_name(name)
            if name.lower().endswith(".zip"):
                try:
                    flat.extend(zip_members(name, data))
                except MaterialError as exc:
                    flat.append((name, exc))
            else:
                flat.append((name, data))
        reports = []
        with self.lock.hold("adding your notes"):
            files = {f.name: f for f in self.files()}
            for name, data in flat:
                if isinstance(data, MaterialError):
                    reports.append(FileReport(name, "refused", message=str(data)))
                    continue
                reports.append(self._add_one(files, name, data))
            self._save(list(files.values()))
        return reports

    def _add_one(self, files: dict[str, FileEntry], name: str, data: bytes) -> FileReport:
        digest = hashlib.sha256(data).hexdigest()
        old = files.get(name)
        if old is not None and old.sha256 == digest:
            return FileReport(name, "unchanged", old.chunks, "unchanged; nothing embedded")
        if old is None and len(files) >= MAX_FILES:
            return FileReport(name, "refused", message=f"{name}: this profile already has "
                              f"{MAX_FILES} files, the limit; remove some first")
        try:
            kind, chunks, chars = file_chunks(name, data)
        except MaterialError as exc:
            return FileReport(name, "refused", message=str(exc))
        used = sum(f.chars for f in files.values() if f.name != name)
        if used + chars > MAX_PROFILE_TEXT_CHARS:
            return FileReport(name, "refused", message=(
                f"{name}: adding it would take this profile's notes past "
                f"{MAX_PROFILE_TEXT_CHARS / 1e6:.0f} million characters; remove some first"))
        vectors = self.embedder.encode([c.text for c in chunks])
        col = self._col()
        if old is not None:
            col.delete(where={"file": name})
        ids = [hashlib.sha1(f"{self.slug}\0{name}\0{i}\0{c.text}".encode()).hexdigest()
               for i, c in enumerate(chunks)]
        col.add(ids=ids, documents=[c.text for c in chunks],
                embeddings=[np.asarray(v, dtype=np.float32) for v in vectors],
                metadatas=[{"source": f"{SOURCE_PREFIX}/{name}", "heading": c.heading,
                            "part": c.part, "file": name} for c in chunks])
        files[name] = FileEntry(name=name, sha256=digest, bytes=len(data), chars=chars,
                                chunks=len(chunks), kind=kind)
        return FileReport(name, "replaced" if old else "added", len(chunks))

    def remove(self, name: str) -> bool:
        """Remove a file (or every file inside an uploaded zip of that name); False if absent."""
        name = clean_name(name)
        with self.lock.hold("removing your notes"):
            files = {f.name: f for f in self.files()}
            gone = [n for n in files if n == name or n.startswith(name.rstrip("/") + "/")]
            if not gone:
                return False
            col = self._col()
            for n in gone:
                col.delete(where={"file": n})
                del files[n]
            self._save(list(files.values()))
        return True

    # -- search ----------------------------------------------------------------------

    def search(self, text: str, k: int = 3,
               min_similarity: float = RELATED_MIN_SIMILARITY) -> list[dict]:
        """The k passages of this profile's notes nearest a text, above the floor."""
        if not self.files():
            return []
        vector = self.embedder.encode_cached([text])
        with self.lock.hold():
            col = self._col()
            n = min(k, col.count())
            if n == 0:
                return []
            res = col.query(query_embeddings=vector, n_results=n,
                            include=["documents", "metadatas", "distances"])
        rows = [{"id": cid, "text": doc, "metadata": meta, "similarity": 1.0 - float(dist)}
                for cid, doc, meta, dist in zip(res["ids"][0], res["documents"][0],
                                               res["metadatas"][0], res["distances"][0])]
        return [r for r in rows if r["similarity"] >= min_similarity]


__all__ = ["Material", "MaterialError", "FileReport", "FileEntry", "file_chunks",
           "markdown_chunks", "zip_members", "profile_slug", "MAX_FILE_BYTES", "MAX_FILES",
           "MAX_PROFILE_TEXT_CHARS", "MAX_ZIP_RATIO", "CHUNK_CHARS"]
