"""Bring your own documents: PDF, HTML, Markdown and text into ``Document``s of ``Passage``s.

Parsing only; nothing here touches the index. Every rejection is an ``IngestError`` that names the
file and the reason, so a batch can report it and go on with the other files.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .corpus import Document, passage_id, read_front_matter
from .models import Cite, Passage, Work
from .sentences import sentence_spans

SUPPORTED = {".pdf": "pdf", ".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown",
             ".txt": "text"}
REQUIRED = {"literature": ("title", "author", "year", "publisher"), "essay": ("title", "author", "year")}
MAX_WORDS = 220
ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,80}$")


class IngestError(ValueError):
    def __init__(self, file: str, reason: str):
        super().__init__(f"{file}: {reason}")
        self.file, self.reason = file, reason


@dataclass
class Meta:
    title: str = ""
    author: str = ""
    year: str = ""
    publisher: str = ""
    url: str = ""
    id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def merged(self, other: dict[str, Any]) -> "Meta":
        """Fill empty fields from ``other`` (earlier sources win: flags, then sidecar, then file)."""
        vals = {k: getattr(self, k) or str(other.get(k) or "").strip() for k in ("title", "author", "year",
                                                                                  "publisher", "url", "id")}
        return Meta(**vals, extra={**other, **self.extra})


def safe_name(name: str) -> str:
    """A document id from a file name; names that try to leave their folder are refused."""
    raw = name.replace("\\", "/")
    if "/" in raw or raw.startswith(".") or ".." in raw.split("/") or "\x00" in raw:
        raise IngestError(name, "unsafe file name (path separators or '..' are not allowed)")
    stem = raw.rsplit(".", 1)[0] if "." in raw else raw
    slug = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9._-]+", "-", slug).strip("-.")[:80]
    if not slug or not ID_RE.match(slug):
        raise IngestError(name, "the file name gives no usable document id")
    return slug


def check_file(path: Path, max_mb: float, display: str | None = None) -> str:
    """-> the parser kind; raises IngestError for anything we must not ingest."""
    name = display or path.name
    kind = SUPPORTED.get(path.suffix.lower())
    if kind is None:
        raise IngestError(name, f"unsupported file type {path.suffix or '(none)'!r}; supported: "
                          + ", ".join(sorted(SUPPORTED)))
    if not path.is_file():
        raise IngestError(name, "no such file")
    size = path.stat().st_size
    if size > max_mb * 1024 * 1024:
        raise IngestError(name, f"file is {size / 1048576:.1f} MB; the limit is {max_mb:g} MB (RAG_MAX_FILE_MB)")
    if size == 0:
        raise IngestError(name, "the file is empty")
    if kind != "pdf":
        with path.open("rb") as fh:
            head = fh.read(8192)
        if b"\x00" in head:
            raise IngestError(name, "binary data in a text file (is it really text?)")
    return kind


def read_text(path: Path, name: str) -> str:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(name, f"not UTF-8 text (byte {exc.start}); convert it to UTF-8 first") from exc
    if not text.strip():
        raise IngestError(name, "the file has no text")
    return text


def sidecar(path: Path) -> dict[str, Any]:
    for cand in (path.with_name(path.name + ".yaml"), path.with_suffix(".yaml"), path.with_suffix(".yml")):
        if cand.is_file() and cand != path:
            try:
                data = yaml.safe_load(cand.read_text(encoding="utf-8")) or {}
            except yaml.YAMLError as exc:
                raise IngestError(path.name, f"sidecar {cand.name} is not valid YAML: {exc}") from exc
            if not isinstance(data, dict):
                raise IngestError(path.name, f"sidecar {cand.name} must be a mapping")
            return data
    return {}


def _pack(pieces: list[str], sep: str, max_words: int) -> list[str]:
    """Greedy packing of consecutive pieces into chunks of at most ``max_words``."""
    out: list[str] = []
    cur: list[str] = []
    n = 0
    for piece in pieces:
        w = len(piece.split())
        if cur and n + w > max_words:
            out.append(sep.join(cur))
            cur, n = [], 0
        cur.append(piece)
        n += w
    if cur:
        out.append(sep.join(cur))
    return out


def chunk_words(paragraphs: list[str], max_words: int = MAX_WORDS) -> list[str]:
    """Group paragraphs into passages of at most ``max_words``; split long ones at sentences."""
    out: list[str] = []
    run: list[str] = []
    for para in paragraphs:
        if len(para.split()) > max_words:
            out += _pack(run, "\n\n", max_words)
            run = []
            out += _pack([para[s:e] for s, e in sentence_spans(para)], " ", max_words)
        else:
            run.append(para)
    out += _pack(run, "\n\n", max_words)
    return [c for c in out if c.strip()]


def paragraphs_of(text: str) -> list[str]:
    paras = [re.sub(r"[ \t]*\n[ \t]*", " ", p).strip() for p in re.split(r"\n\s*\n", text)]
    return [p for p in paras if p]


# -- parsers: each returns (units, file metadata); a unit is (locator, section, text) -----------

def parse_pdf(path: Path, name: str) -> tuple[list[tuple[str, str, str]], dict]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception:
                ok = 0
            if not ok:
                raise IngestError(name, "the PDF is encrypted (password protected)")
        pages = [(i + 1, page.extract_text() or "") for i, page in enumerate(reader.pages)]
        info = reader.metadata or {}
    except IngestError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise IngestError(name, f"corrupt or unreadable PDF ({exc.__class__.__name__}: {exc})") from exc
    except Exception as exc:  # pypdf raises many kinds on damaged files
        raise IngestError(name, f"corrupt or unreadable PDF ({exc.__class__.__name__})") from exc
    units = []
    for number, text in pages:
        for k, chunk in enumerate(chunk_words(paragraphs_of(text) or ([text.strip()] if text.strip() else []))):
            units.append((f"p. {number}" + (f" ({k + 1})" if k else ""), "", chunk))
    if not units:
        raise IngestError(name, "the PDF has no extractable text (a scan without OCR?)")
    meta = {"title": getattr(info, "title", None) or "", "author": getattr(info, "author", None) or ""}
    return units, meta


def parse_html(text: str, name: str) -> tuple[list[tuple[str, str, str]], dict]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    for tag in soup(["script", "style", "nav", "header", "footer", "noscript", "template"]):
        tag.decompose()
    meta: dict[str, str] = {}
    if soup.title and soup.title.string:
        meta["title"] = soup.title.string.strip()
    for m in soup.find_all("meta"):
        key = (m.get("name") or m.get("property") or "").lower()
        if key in {"author", "citation_author", "dc.creator"} and m.get("content"):
            meta.setdefault("author", m["content"].strip())
        if key in {"citation_publisher", "dc.publisher", "og:site_name"} and m.get("content"):
            meta.setdefault("publisher", m["content"].strip())
        if key in {"citation_date", "citation_publication_date", "dc.date"} and m.get("content"):
            meta.setdefault("year", m["content"].strip()[:4])
    units, section, n = [], "", 0
    for el in soup.find_all(["h1", "h2", "h3", "p", "li", "blockquote"]):
        txt = re.sub(r"\s+", " ", el.get_text(" ", strip=True)).strip()
        if not txt:
            continue
        if el.name in {"h1", "h2", "h3"}:
            section = txt
            meta.setdefault("title", txt) if el.name == "h1" else None
            continue
        if el.name == "li" and el.find_parent("blockquote"):
            continue
        n += 1
        for k, chunk in enumerate(chunk_words([txt])):
            units.append((f"¶{n}" + (f" ({k + 1})" if k else ""), section, chunk))
    if not units:
        raise IngestError(name, "the HTML page has no paragraph text")
    return units, meta


def parse_markdown(text: str, name: str) -> tuple[list[tuple[str, str, str]], dict]:
    meta, body = read_front_matter(text, name)
    parts = re.split(r"^#{1,3}\s+(.+?)\s*$", body, flags=re.M)
    units = []
    pre = parts[0]
    sections = [("", pre)] + [(parts[i].strip(), parts[i + 1]) for i in range(1, len(parts), 2)]
    n = 0
    for heading, content in sections:
        chunks = chunk_words(paragraphs_of(content))
        if not chunks:
            if heading and not meta.get("title"):
                meta["title"] = heading
            continue
        n += 1
        for k, chunk in enumerate(chunks):
            loc = f"§{n} {heading}".strip() if heading else f"§{n}"
            units.append((loc + (f" ({k + 1})" if k else ""), heading, chunk))
    if not units:
        raise IngestError(name, "the Markdown file has no text")
    return units, {k: v for k, v in meta.items() if v is not None}


def parse_text(text: str, name: str) -> tuple[list[tuple[str, str, str]], dict]:
    units = []
    for n, para in enumerate(paragraphs_of(text), 1):
        for k, chunk in enumerate(chunk_words([para])):
            units.append((f"¶{n}" + (f" ({k + 1})" if k else ""), "", chunk))
    return units, {}


def load_document(path: str | Path, side: str = "literature", flags: dict[str, Any] | None = None,
                  max_mb: float = 50.0, display_name: str | None = None) -> Document:
    """Validate and parse one file into a Document; metadata from flags, sidecar, then the file."""
    path = Path(path)
    name = display_name or path.name
    if side not in REQUIRED:
        raise IngestError(name, f"side must be 'literature' or 'essay', not {side!r}")
    doc_id = safe_name(name)
    kind = check_file(path, max_mb, name)
    if kind == "pdf":
        units, file_meta = parse_pdf(path, name)
    else:
        text = read_text(path, name)
        parser = {"html": parse_html, "markdown": parse_markdown, "text": parse_text}[kind]
        units, file_meta = parser(text, name)
    flag_meta = {k: str(v) for k, v in (flags or {}).items() if v not in (None, "")}
    meta = Meta().merged(flag_meta).merged(sidecar(path)).merged(file_meta)
    missing = [f for f in REQUIRED[side] if not getattr(meta, f)]
    if missing:
        raise IngestError(name, "missing citation data: " + ", ".join(missing)
                          + " (give them as --" + " --".join(missing) + ", in a sidecar YAML, or in front matter)")
    if meta.id:
        doc_id = safe_name(meta.id + ".x")
    uid = f"user:{doc_id}"
    work = Work(key=uid, title=meta.title, author=meta.author, publisher=meta.publisher, year=meta.year,
                type="document", url=meta.url)
    passages = []
    for locator, section, text in units:
        cite = Cite(uid, work.citation, locator)
        citation = f"{work.citation.rstrip('.')}, {locator}."
        passages.append(Passage(
            id=passage_id(uid, locator, text), text=text, source=uid, side=side,  # type: ignore[arg-type]
            kind="essay" if side == "essay" else "document", title=meta.title, locator=locator,
            citation=citation + (" (user-added essay; claims not reviewed)" if side == "essay" else ""),
            cites=(cite,) if side == "literature" else (), section=section,
            embed_text=f"{meta.title}. {section}.\n{text}" if section else f"{meta.title}.\n{text}"))
    digest = hashlib.sha256("".join(p.id for p in passages).encode()).hexdigest()[:12]
    return Document(uid, meta.title, "essay" if side == "essay" else "document", side, str(path), passages,
                    {"title": meta.title, "author": meta.author, "year": meta.year, "publisher": meta.publisher,
                     "url": meta.url, "file": name, "format": kind, "hash": digest})
