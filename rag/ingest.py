"""Bring your own documents: PDF, HTML, Markdown and text into ``Document``s of ``Passage``s.

Parsing only; nothing here touches the index. Every rejection is an ``IngestError`` that names the
file and the reason, so a batch can report it and go on with the other files.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .corpus import CorpusError, Document, passage_id, read_front_matter, safe_yaml
from .models import Cite, Passage, Work
from .sentences import sentence_spans

SUPPORTED = {
    ".pdf": "pdf",
    ".html": "html",
    ".htm": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
}
REQUIRED = {"literature": ("title", "author", "year", "publisher"), "essay": ("title", "author", "year")}
MAX_WORDS = 220
MAX_PASSAGE_CHARS = 2000  # no passage is longer, however long its line or word (a one-line 10 MB file)
MAX_TEXT_CHARS = 5_000_000  # extracted text per file (about 800,000 words)
PDF_TIMEOUT = 120.0  # seconds of parsing per PDF file (in a child process)
PDF_MAX_PAGE_BYTES = 4 * 1024 * 1024  # decompressed drawing instructions per page
PDF_MAX_TOTAL_BYTES = 256 * 1024 * 1024  # ... and per file
ID_RE = re.compile(r"^[^\W_][\w.-]{0,80}$")
# terminal escape sequences (CSI, OSC, other ESC pairs), then the remaining C0/C1 controls but tab and newline
ANSI_RE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]"
)
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґўαβγδεζηθικλμνξοπρσςτυφχψω",
        [
            "a",
            "b",
            "v",
            "g",
            "d",
            "e",
            "e",
            "zh",
            "z",
            "i",
            "y",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "kh",
            "ts",
            "ch",
            "sh",
            "shch",
            "-",
            "y",
            "-",
            "e",
            "yu",
            "ya",
            "i",
            "yi",
            "ye",
            "g",
            "u",
            "a",
            "b",
            "g",
            "d",
            "e",
            "z",
            "e",
            "th",
            "i",
            "k",
            "l",
            "m",
            "n",
            "x",
            "o",
            "p",
            "r",
            "s",
            "s",
            "t",
            "y",
            "f",
            "ch",
            "ps",
            "o",
        ],
    )
)
TRANSLIT = {k: "" if v == "-" else v for k, v in TRANSLIT.items()}  # hard and soft signs vanish


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

    def merged(self, other: dict[str, Any]) -> Meta:
        """Fill empty fields from ``other`` (earlier sources win: flags, then sidecar, then file)."""
        vals = {
            k: getattr(self, k) or str(other.get(k) or "").strip()
            for k in ("title", "author", "year", "publisher", "url", "id")
        }
        return Meta(**vals, extra={**other, **self.extra})


def clean_text(text: str) -> str:
    """Drop terminal escape sequences and control characters (tab and newline stay); CRs become
    newlines; invalid code points (lone surrogates) become U+FFFD."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = ANSI_RE.sub("", text)
    text = CONTROL_RE.sub("", text)
    return text.encode("utf-8", "replace").decode("utf-8") if _has_surrogates(text) else text


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
        return False
    except UnicodeEncodeError:
        return True


def slugify(stem: str) -> str:
    """A readable id: Cyrillic and Greek transliterated, accents dropped, other letters kept."""
    out = []
    for ch in unicodedata.normalize("NFC", stem).lower():
        t = TRANSLIT.get(ch)
        if t is not None:
            out.append(t)
            continue
        parts = [c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)]
        for c in parts:
            t = TRANSLIT.get(c, c)
            out.append(t if t.isascii() or t.isalnum() else "-")
    slug = re.sub(r"[^\w.-]+", "-", "".join(out))
    return re.sub(r"-{2,}", "-", slug).strip("-.")[:80].strip("-.")


def safe_name(name: str) -> str:
    """A document id from a file name; names that try to leave their folder are refused."""
    raw = name.replace("\\", "/")
    if "/" in raw or raw.startswith(".") or ".." in raw.split("/") or "\x00" in raw:
        raise IngestError(name, "unsafe file name (path separators or '..' are not allowed)")
    stem = raw.rsplit(".", 1)[0] if "." in raw else raw
    slug = slugify(stem)
    if not slug or not ID_RE.match(slug):
        raise IngestError(name, "the file name gives no usable document id (use letters or digits)")
    return slug


def check_link(path: Path, name: str, follow_symlinks: bool = False) -> None:
    """A symlink (or a path through one) must stay inside the folder it was given in."""
    if follow_symlinks:
        return
    folder = path.absolute().parent
    try:
        target = path.resolve(strict=False)
    except (OSError, RuntimeError) as exc:  # a symlink loop
        raise IngestError(name, f"cannot resolve the file ({exc})") from exc
    if target != path.absolute() and not target.is_relative_to(folder.resolve()):
        raise IngestError(
            name,
            f"a symbolic link to {target}, outside its folder; refused (pass --follow-symlinks to allow it)",
        )


def check_file(path: Path, max_mb: float, display: str | None = None) -> str:
    """-> the parser kind; raises IngestError for anything we must not ingest."""
    name = display or path.name
    kind = SUPPORTED.get(path.suffix.lower())
    if kind is None:
        raise IngestError(
            name,
            f"unsupported file type {path.suffix or '(none)'!r}; supported: " + ", ".join(sorted(SUPPORTED)),
        )
    if not path.is_file():
        raise IngestError(name, "no such file")
    size = path.stat().st_size
    if size > max_mb * 1024 * 1024:
        raise IngestError(
            name, f"file is {size / 1048576:.1f} MB; the limit is {max_mb:g} MB (RAG_MAX_FILE_MB)"
        )
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
    if len(text) > MAX_TEXT_CHARS:
        raise IngestError(
            name,
            f"the file has {len(text):,} characters of text; the limit is "
            f"{MAX_TEXT_CHARS:,} a file: split it",
        )
    text = clean_text(text)
    if not text.strip():
        raise IngestError(name, "the file has no text")
    return text


def sidecar(path: Path, name: str = "", follow_symlinks: bool = False) -> dict[str, Any]:
    name = name or path.name
    for cand in (path.with_name(path.name + ".yaml"), path.with_suffix(".yaml"), path.with_suffix(".yml")):
        if cand.is_file() and cand != path:
            check_link(cand, f"{name} (sidecar {cand.name})", follow_symlinks)
            try:
                data = safe_yaml(cand.read_text(encoding="utf-8", errors="replace"), cand.name) or {}
            except CorpusError as exc:
                raise IngestError(name, f"sidecar {exc}") from exc
            if not isinstance(data, dict):
                raise IngestError(path.name, f"sidecar {cand.name} must be a mapping")
            return data
    return {}


def _split_long(piece: str, max_words: int, max_chars: int) -> list[str]:
    """A piece over the word or character budget, cut at spaces (words longer than a passage are cut)."""
    words: list[str] = []
    for w in piece.split():
        words += [w[i : i + max_chars] for i in range(0, len(w), max_chars)] if len(w) > max_chars else [w]
    out: list[str] = []
    cur: list[str] = []
    n = 0
    for w in words:
        if cur and (len(cur) >= max_words or n + 1 + len(w) > max_chars):
            out.append(" ".join(cur))
            cur, n = [], 0
        cur.append(w)
        n += len(w) + (1 if n else 0)
    if cur:
        out.append(" ".join(cur))
    return out


def _pack(pieces: list[str], sep: str, max_words: int, max_chars: int = MAX_PASSAGE_CHARS) -> list[str]:
    """Greedy packing of consecutive pieces into chunks of at most ``max_words`` and ``max_chars``."""
    out: list[str] = []
    cur: list[str] = []
    n = c = 0
    for big in pieces:
        for piece in (
            _split_long(big, max_words, max_chars)
            if len(big) > max_chars or len(big.split()) > max_words
            else [big]
        ):
            w = len(piece.split())
            if cur and (n + w > max_words or c + len(sep) + len(piece) > max_chars):
                out.append(sep.join(cur))
                cur, n, c = [], 0, 0
            cur.append(piece)
            n += w
            c += len(piece) + (len(sep) if c else 0)
    if cur:
        out.append(sep.join(cur))
    return out


def chunk_words(
    paragraphs: list[str], max_words: int = MAX_WORDS, max_chars: int = MAX_PASSAGE_CHARS
) -> list[str]:
    """Group paragraphs into passages of at most ``max_words`` words and ``max_chars`` characters;
    split long ones at sentences, and sentences (or words) longer than a passage at spaces."""
    out: list[str] = []
    run: list[str] = []
    for para in paragraphs:
        if len(para.split()) > max_words or len(para) > max_chars:
            out += _pack(run, "\n\n", max_words, max_chars)
            run = []
            out += _pack([para[s:e] for s, e in sentence_spans(para)], " ", max_words, max_chars)
        else:
            run.append(para)
    out += _pack(run, "\n\n", max_words, max_chars)
    return [c for c in out if c.strip()]


def paragraphs_of(text: str) -> list[str]:
    paras = [re.sub(r"[ \t]*\n[ \t]*", " ", p).strip() for p in re.split(r"\n\s*\n", text)]
    return [p for p in paras if p]


# -- parsers: each returns (units, file metadata); a unit is (locator, section, text) -----------


def parse_pdf(path: Path, name: str, timeout: float | None = None) -> tuple[list[tuple[str, str, str]], dict]:
    """Text per page, extracted in a child process under a time, memory and decompressed-size
    budget (see rag/pdfworker.py), so a PDF bomb costs at most ``timeout`` seconds."""
    timeout = PDF_TIMEOUT if timeout is None else timeout
    worker = Path(__file__).with_name("pdfworker.py")
    cmd = [
        sys.executable,
        str(worker),
        str(path),
        str(MAX_TEXT_CHARS),
        str(PDF_MAX_PAGE_BYTES),
        str(PDF_MAX_TOTAL_BYTES),
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise IngestError(
            name, f"parsing the PDF took over {timeout:g} s; rejected (a PDF bomb, or split the file)"
        ) from None
    try:
        out = json.loads(proc.stdout or "")
    except ValueError:
        out = {"error": f"the PDF parser stopped (exit {proc.returncode}) without a result"}
    if "error" in out:
        raise IngestError(name, out["error"])
    pages = [(i + 1, clean_text(t)) for i, t in enumerate(out["pages"])]
    info = {"title": clean_text(out.get("title", "")), "author": clean_text(out.get("author", ""))}
    units = []
    for number, text in pages:
        for k, chunk in enumerate(
            chunk_words(paragraphs_of(text) or ([text.strip()] if text.strip() else []))
        ):
            units.append((f"p. {number}" + (f" ({k + 1})" if k else ""), "", chunk))
    if not units:
        raise IngestError(name, "the PDF has no extractable text (a scan without OCR?)")
    return units, info


HTML_META = {  # <meta name=…> -> our field
    "author": "author",
    "citation_author": "author",
    "dc.creator": "author",
    "citation_publisher": "publisher",
    "dc.publisher": "publisher",
    "og:site_name": "publisher",
    "citation_date": "year",
    "citation_publication_date": "year",
    "dc.date": "year",
}


def _html_meta(soup: Any) -> dict[str, str]:
    meta: dict[str, str] = {}
    if soup.title and soup.title.string:
        meta["title"] = soup.title.string.strip()
    for m in soup.find_all("meta"):
        key = str(m.get("name") or m.get("property") or "").lower()
        content = str(m.get("content") or "").strip()
        if key in HTML_META and content:
            meta.setdefault(HTML_META[key], content[:4] if HTML_META[key] == "year" else content)
    return meta


def parse_html(text: str, name: str) -> tuple[list[tuple[str, str, str]], dict]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    for tag in soup(["script", "style", "nav", "header", "footer", "noscript", "template"]):
        tag.decompose()
    meta = _html_meta(soup)
    units, section, n = [], "", 0
    for el in soup.find_all(["h1", "h2", "h3", "p", "li", "blockquote"]):
        txt = re.sub(r"\s+", " ", el.get_text(" ", strip=True)).strip()
        if not txt or (el.name == "li" and el.find_parent("blockquote")):
            continue
        if el.name in {"h1", "h2", "h3"}:
            section = txt
            if el.name == "h1":
                meta.setdefault("title", txt)
            continue
        n += 1
        for k, chunk in enumerate(chunk_words([txt])):
            units.append((f"¶{n}" + (f" ({k + 1})" if k else ""), section, chunk))
    if not units:
        raise IngestError(name, "the HTML page has no paragraph text")
    return units, meta


def parse_markdown(text: str, name: str) -> tuple[list[tuple[str, str, str]], dict]:
    try:
        meta, body = read_front_matter(text, name)
    except CorpusError as exc:
        raise IngestError(name, str(exc).removeprefix(f"{name}: ")) from exc
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


def _parse_file(path: Path, name: str, max_mb: float) -> tuple[str, list[tuple[str, str, str]], dict]:
    """-> (format, units of (locator, section, text), metadata found in the file)."""
    kind = check_file(path, max_mb, name)
    if kind == "pdf":
        return (kind, *parse_pdf(path, name))
    parser = {"html": parse_html, "markdown": parse_markdown, "text": parse_text}[kind]
    return (kind, *parser(read_text(path, name), name))


def _meta(
    path: Path, name: str, side: str, flags: dict[str, Any] | None, file_meta: dict, follow: bool
) -> Meta:
    """Flags, then the sidecar YAML, then the file's own metadata; cleaned; citation data required."""
    flag_meta = {k: str(v) for k, v in (flags or {}).items() if v not in (None, "")}
    meta = Meta().merged(flag_meta).merged(sidecar(path, name, follow)).merged(file_meta)
    fields = ("title", "author", "year", "publisher", "url", "id")
    meta = Meta(**{k: clean_text(getattr(meta, k)).strip()[:500] for k in fields}, extra=meta.extra)
    missing = [f for f in REQUIRED[side] if not getattr(meta, f)]
    if missing:
        raise IngestError(
            name,
            f"missing citation data: {', '.join(missing)} (give them as --{' --'.join(missing)}, "
            "in a sidecar YAML, or in front matter)",
        )
    return meta


def _passages(uid: str, side: str, meta: Meta, units: list[tuple[str, str, str]]) -> list[Passage]:
    work = Work(
        key=uid,
        title=meta.title,
        author=meta.author,
        publisher=meta.publisher,
        year=meta.year,
        type="document",
        url=meta.url,
    )
    passages = []
    for locator, section, text in units:
        citation = f"{work.citation.rstrip('.')}, {locator}."
        passages.append(
            Passage(
                id=passage_id(uid, locator, text),
                text=text,
                source=uid,
                side=side,  # type: ignore[arg-type]
                kind="essay" if side == "essay" else "document",
                title=meta.title,
                locator=locator,
                citation=citation + (" (user-added essay; claims not reviewed)" if side == "essay" else ""),
                cites=(Cite(uid, work.citation, locator),) if side == "literature" else (),
                section=section,
                embed_text=f"{meta.title}. {section}.\n{text}" if section else f"{meta.title}.\n{text}",
            )
        )
    return passages


def load_document(
    path: str | Path,
    side: str = "literature",
    flags: dict[str, Any] | None = None,
    max_mb: float = 50.0,
    display_name: str | None = None,
    follow_symlinks: bool = False,
) -> Document:
    """Validate and parse one file into a Document; metadata from flags, sidecar, then the file."""
    path = Path(path)
    name = display_name or path.name
    if side not in REQUIRED:
        raise IngestError(name, f"side must be 'literature' or 'essay', not {side!r}")
    doc_id = safe_name(name)
    check_link(path, name, follow_symlinks)
    kind, units, file_meta = _parse_file(path, name, max_mb)
    meta = _meta(path, name, side, flags, file_meta, follow_symlinks)
    uid = f"user:{safe_name(meta.id + '.x') if meta.id else doc_id}"
    passages = _passages(uid, side, meta, units)
    digest = hashlib.sha256("".join(p.id for p in passages).encode()).hexdigest()[:12]
    info = {"title": meta.title, "author": meta.author, "year": meta.year, "publisher": meta.publisher}
    info |= {"url": meta.url, "file": name, "format": kind, "hash": digest}
    kind_of = "essay" if side == "essay" else "document"
    return Document(uid, meta.title, kind_of, side, str(path), passages, info)
