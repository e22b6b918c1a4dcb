"""Load the corpus (essay, digests, profiles, bibliography, claims) into typed records.

Stage 1 of the pipeline: files -> ``Passage`` and ``Claim`` records. Nothing here embeds or
indexes; ``index.py`` takes the passages from here.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from .essay import Essay, Paragraph, parse_essay
from .figures import add_kinds
from .lexical import add_synonyms
from .models import VERDICTS, Cite, Claim, Figure, Passage, Work, quoted

CITE_RE = re.compile(r"\[@([A-Za-z0-9_.:-]+)(?:,\s*([^\]]+))?\]")
SOURCES_RE = re.compile(r"^Sources?:\s*(.+)$", re.M)
FRONT_RE = re.compile(r"^---\s*\n(.*?)\n---\s*\n", re.S)


class CorpusError(ValueError):
    """The corpus files break a rule of corpus/FORMAT.md; the message names the file."""


@dataclass
class Document:
    """One source document split into passages (an essay, a digest, a profile, a user file)."""

    id: str
    title: str
    kind: str
    side: str
    path: str
    passages: list[Passage]
    meta: dict = field(default_factory=dict)
    preamble: str = ""


@dataclass(frozen=True)
class CorpusInfo:
    """What the engine knows about a corpus, read from its ``corpus.yaml`` (corpus/FORMAT.md):
    the reviewed essay's identity, profile ids, example questions and domain vocabulary. The
    engine itself keeps only generic defaults, so a second corpus needs no code change."""

    name: str = ""
    essay_file: str = ""  # the reviewed essay, a file name in essay/ (default: the first)
    title: str = ""  # the essay's identity; empty = read from the essay file
    author: str = ""
    outlet: str = ""
    outlet_description: str = ""  # what the outlet is, said wherever it is named
    date: str = ""
    meta_fields: tuple[str, ...] = ()  # "Key: value" lines after the notes that describe the essay
    boilerplate: tuple[str, ...] = ()  # words of the site boilerplate lines under the title
    name_words: tuple[str, ...] = ()  # words that name the essay, its author or outlet, not a subject
    profiles: dict[str, str] = field(default_factory=dict)  # role (essay, outlet, author) -> profile id
    suggestions: tuple[str, ...] = ()  # example questions
    synonyms: dict[str, str] = field(default_factory=dict)  # word -> token it is folded into
    figure_kinds: dict[str, tuple[str, ...]] = field(default_factory=dict)  # kind -> words naming it


def _strings(data: dict, key: str, where: str) -> tuple[str, ...]:
    value = data.get(key) or ()
    if not isinstance(value, list | tuple) or not all(isinstance(x, str | int | float) for x in value):
        raise CorpusError(f"{where}: {key} must be a list of strings")
    return tuple(str(x) for x in value)


def _mapping(data: dict, key: str, where: str) -> dict:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise CorpusError(f"{where}: {key} must be a mapping")
    return value


def load_info(corpus_dir: Path) -> CorpusInfo:
    """The corpus's ``corpus.yaml``; a corpus without one gets the generic defaults."""
    path = Path(corpus_dir) / "corpus.yaml"
    if not path.is_file():
        return CorpusInfo()
    where = str(path)
    data = safe_yaml(path.read_text(encoding="utf-8"), where) or {}
    if not isinstance(data, dict):
        raise CorpusError(f"{where}: must be a mapping")
    essay = _mapping(data, "essay", where)
    text = {k: str(essay.get(k) or "") for k in ("title", "author", "outlet", "outlet_description", "date")}
    kinds = _mapping(data, "figure_kinds", where)
    return CorpusInfo(
        name=str(data.get("name") or ""),
        essay_file=str(essay.get("file") or ""),
        meta_fields=_strings(essay, "meta_fields", where),
        boilerplate=_strings(essay, "boilerplate", where),
        name_words=_strings(essay, "name_words", where),
        profiles={str(k): str(v) for k, v in _mapping(data, "profiles", where).items()},
        suggestions=_strings(data, "suggestions", where),
        synonyms={str(k).lower(): str(v).lower() for k, v in _mapping(data, "synonyms", where).items()},
        figure_kinds={str(k): _strings(kinds, k, where) for k in kinds},
        **text,
    )


@dataclass
class Corpus:
    documents: list[Document]
    bibliography: dict[str, Work]
    claims: list[Claim]
    essays: dict[str, Essay]
    info: CorpusInfo = field(default_factory=CorpusInfo)

    @property
    def passages(self) -> list[Passage]:
        return [p for d in self.documents for p in d.passages]

    def document(self, doc_id: str) -> Document:
        for d in self.documents:
            if d.id == doc_id:
                return d
        raise KeyError(doc_id)

    def topics(self) -> list[str]:
        return [d.title for d in self.documents if d.kind == "digest"]


MAX_YAML_CHARS = 64 * 1024  # front matter and sidecars are a few lines of citation data


class _NoAliasLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases (``*name``): an alias bomb expands a few hundred bytes into
    gigabytes; citation data never needs one."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases (*name) are not allowed here", event.start_mark
            )
        return super().compose_node(parent, index)


# An alias needs an anchor (``&name``); text without one cannot hold an alias bomb, so it can go
# to libyaml's C parser (an order of magnitude faster; the cold start parses ~60 YAML texts).
ANCHOR_RE = re.compile(r"(?:^|[\s\[{,:?-])&[^\s\[\]{},]")


def _yaml(text: str):
    fast = getattr(yaml, "CSafeLoader", None)
    loader = fast if fast is not None and not ANCHOR_RE.search(text) else _NoAliasLoader
    return yaml.load(text, Loader=loader)


def safe_yaml(text: str, where: str = "", max_chars: int = MAX_YAML_CHARS):
    """Parse small, untrusted YAML: size-capped, no aliases; errors are CorpusErrors naming ``where``."""
    if len(text) > max_chars:
        raise CorpusError(
            f"{where}: too large ({len(text):,} characters of YAML; the limit is {max_chars:,})"
        )
    try:
        return _yaml(text)
    except yaml.YAMLError as exc:
        raise CorpusError(f"{where}: not valid YAML: {str(exc)[:300]}") from exc
    except RecursionError as exc:
        raise CorpusError(f"{where}: nested too deeply") from exc


def read_front_matter(text: str, path: str = "") -> tuple[dict, str]:
    m = FRONT_RE.match(text)
    if not m:
        return {}, text
    try:
        meta = safe_yaml(m.group(1), path) or {}
    except CorpusError as exc:
        raise CorpusError(f"{path}: front matter is {str(exc).removeprefix(f'{path}: ')}") from exc
    if not isinstance(meta, dict):
        raise CorpusError(f"{path}: front matter must be a mapping")
    return meta, text[m.end() :]


def load_bibliography(path: Path) -> dict[str, Work]:
    if not path.exists():
        return {}
    data = _yaml(path.read_text(encoding="utf-8")) or {}
    out: dict[str, Work] = {}
    for key, entry in data.items():
        if not isinstance(entry, dict) or "title" not in entry:
            raise CorpusError(f"{path}: entry {key!r} needs at least a title")
        fields = {
            k: ("" if v is None else str(v)) for k, v in entry.items() if k in Work.__dataclass_fields__
        }
        if not fields.get("author") and entry.get("editor"):  # an edited volume is listed under its editor
            fields["author"] = f"{entry['editor']} (ed.)"
        if "issue" in entry and entry["issue"] is not None:
            fields["volume"] = f"{fields.get('volume', '')}:{entry['issue']}".strip(":")
        out[str(key)] = Work(key=str(key), **{k: v for k, v in fields.items() if k != "key"})
    return out


def parse_cites(line: str, bibliography: dict[str, Work], where: str) -> tuple[Cite, ...]:
    cites = []
    for key, locator in CITE_RE.findall(line):
        work = bibliography.get(key)
        if work is None:
            raise CorpusError(f"{where}: cites unknown work [@{key}] (not in bibliography.yaml)")
        cites.append(Cite(key, work.citation, (locator or "").strip()))
    return tuple(cites)


def passage_id(doc_id: str, locator: str, text: str) -> str:
    """Content hash: an unchanged passage keeps its id, so it is never re-embedded."""
    h = hashlib.sha256(f"{doc_id}\x1f{locator}\x1f{text}".encode()).hexdigest()
    return h[:24]


def split_markdown(doc_id: str, title: str, body: str) -> tuple[str, list[tuple[str, str, str]]]:
    """-> (preamble, [(heading, text, sources_line)]) for each `## ` section."""
    parts = re.split(r"^##\s+(.+?)\s*$", body, flags=re.M)
    preamble = parts[0].strip()
    sections = []
    for i in range(1, len(parts), 2):
        heading, content = parts[i].strip(), parts[i + 1]
        found = list(SOURCES_RE.finditer(content))
        m = found[-1] if found else None
        sources = m.group(1) if m else ""
        text = (content[: m.start()] if m else content).strip()
        sections.append((heading, text, sources))
    return preamble, sections


def load_markdown_document(
    path: Path, bibliography: dict[str, Work], side: str = "literature", default_kind: str = "digest"
) -> Document:
    text = path.read_text(encoding="utf-8")
    meta, body = read_front_matter(text, str(path))
    doc_id = str(meta.get("id") or path.stem)
    title = str(meta.get("title") or doc_id)
    kind = str(meta.get("kind") or default_kind)
    preamble, sections = split_markdown(doc_id, title, body)
    passages = []
    for n, (heading, content, sources) in enumerate(sections, 1):
        where = f"{path.name} §{n} {heading!r}"
        if not content:
            raise CorpusError(f"{where}: empty section")
        cites = parse_cites(sources, bibliography, where)
        locator = f"§{n} {heading}"
        label = "digest" if kind == "digest" else "profile" if kind == "profile" else "document"
        citation = f"Counterpoint {label} {quoted(title)}, {locator}"
        if cites:
            citation += ". Summarises: " + " ".join(c.text for c in cites)
        passages.append(
            Passage(
                id=passage_id(doc_id, locator, content),
                text=content,
                source=doc_id,
                side=side,  # type: ignore[arg-type]
                kind=kind,
                title=title,
                locator=locator,
                citation=citation,
                cites=cites,
                section=heading,
                embed_text=f"{title}. {heading}.\n{content}",
            )
        )
    return Document(doc_id, title, kind, side, str(path), passages, meta, preamble)


NOT_INDEXED = frozenset({"meta"})  # publication line and site boilerplate (¶1–3): not the essay's words


def _essay_groups(essay: Essay) -> list[list[Paragraph]]:
    """The indexed paragraphs in passages: the title alone, then one per body paragraph, an intro
    line ("X writes:") joined to its block quote."""
    paras = [p for p in essay.paragraphs if p.kind not in NOT_INDEXED]
    head = [p for p in paras if p.kind == "title"]
    groups: list[list[Paragraph]] = [head] if head else []
    pending: list[Paragraph] = []
    for p in paras:
        if p.kind in {"title", "heading"}:
            continue
        if p.kind == "intro" or (p.text.endswith(":") and p.kind == "body"):
            pending.append(p)
            continue
        groups.append(pending + [p])
        pending = []
    if pending:
        groups.append(pending)
    return groups


def _essay_passage(essay: Essay, group: list[Paragraph]) -> Passage:
    start, end = group[0], group[-1]
    text = essay.text[start.start : end.start + len(end.text)]
    nums = tuple(p.number for p in group)
    locator = f"¶{nums[0]}" if len(nums) == 1 else f"¶{nums[0]}–{nums[-1]}"
    notes = tuple(essay.notes[n] for p in group for n in p.footnotes if n in essay.notes)
    citation = f"{essay.citation}, {locator} (the contested essay)"
    if notes:
        citation += ". Essay's own notes: " + "; ".join(n.resolved for n in notes)
    section = end.section if end.kind != "title" else "Title"
    return Passage(
        id=passage_id(essay.doc_id, locator, text),
        text=text,
        source=essay.doc_id,
        side="essay",
        kind="essay",
        title=essay.title,
        locator=locator,
        citation=citation,
        footnotes=notes,
        paragraphs=nums,
        section=section,
        embed_text=f"{section}.\n{text}",
    )


def essay_document(essay: Essay, path: str) -> Document:
    """Essay passages: the title, then one per body paragraph; an intro line ("X writes:") joins
    its block quote. The publication-date line and the site's boilerplate (corpus.yaml
    ``boilerplate``; kind "meta", ¶1–3 of the bundled essay) are never indexed, so they can never be
    quoted as what the essay claims (issue 13, item 14). The outlet is still known: ``essay.outlet``
    and the essay's citation name it, and the outlet profile describes it."""
    passages = [_essay_passage(essay, g) for g in _essay_groups(essay)]
    meta = {"author": essay.author, "outlet": essay.outlet, "date": essay.date}
    return Document(essay.doc_id, essay.title, "essay", "essay", path, passages, meta)


def _check_claim(
    entry: dict, where: str, essay: Essay, bibliography: dict[str, Work], digest_ids: set[str]
) -> None:
    """A claim must quote a body paragraph verbatim and name known verdicts, digests and works."""
    verdict = entry.get("verdict")
    if verdict not in VERDICTS:
        raise CorpusError(f"{where}: verdict {verdict!r} is not one of {VERDICTS}")
    par = essay.paragraph(int(entry["paragraph"]))
    if str(entry["quote"]) not in par.text:
        raise CorpusError(f"{where}: quote is not verbatim in ¶{par.number}")
    if par.kind not in {"body", "quote", "intro"}:
        raise CorpusError(f"{where}: ¶{par.number} is the essay's {par.kind} line, not a claim")
    for d in entry.get("digests") or []:
        if d not in digest_ids:
            raise CorpusError(f"{where}: unknown digest {d!r}")
    for w in entry.get("works") or ():
        if w not in bibliography:
            raise CorpusError(f"{where}: unknown work {w!r}")


def _claim(cid: str, entry: dict, essay: Essay, bibliography: dict[str, Work]) -> Claim:
    works = tuple(entry.get("works") or ())
    fns = tuple(int(x) for x in entry.get("footnotes") or ())
    return Claim(
        id=cid,
        quote=str(entry["quote"]),
        paragraph=int(entry["paragraph"]),
        footnotes=fns,
        verdict=entry["verdict"],
        rationale=str(entry.get("rationale", "")).strip(),
        section=str(entry.get("section", "")),
        digests=tuple(entry.get("digests") or ()),
        works=works,
        citations=tuple(bibliography[w].citation for w in works),
        figures=tuple(Figure(**{k: str(v) for k, v in f.items()}) for f in entry.get("figures") or ()),
        dossier=entry.get("dossier"),
        resolved_footnotes=tuple(essay.notes[n].resolved for n in fns if n in essay.notes),
    )


def load_claims(path: Path, essay: Essay, bibliography: dict[str, Work], digest_ids: set[str]) -> list[Claim]:
    """The reviewed claims of ``essay`` (claims.yaml), each checked against the corpus."""
    if not path.exists():
        return []
    data = _yaml(path.read_text(encoding="utf-8")) or []
    claims: list[Claim] = []
    seen: set[str] = set()
    for entry in data:
        cid = str(entry.get("id", ""))
        where = f"{path.name} claim {cid or '?'}"
        if not cid or cid in seen:
            raise CorpusError(f"{where}: missing or duplicate id")
        seen.add(cid)
        _check_claim(entry, where, essay, bibliography, digest_ids)
        claims.append(_claim(cid, entry, essay, bibliography))
    return claims


def claims_inventory(claims: Iterable[Claim]) -> dict:
    """Verdict counts derived from claims.yaml (never typed by hand anywhere else).

    ``reviews``: every reviewed claim per verdict; ``dossier``: one verdict per dossier claim number
    (split claims such as C29a/C29b share their number's verdict); ``ids``: review ids per verdict.
    """
    claims = list(claims)
    per_number: dict[int, str] = {}
    for c in claims:
        if c.dossier is not None:
            per_number.setdefault(int(c.dossier), c.verdict)
    ids = {v: [c.id for c in claims if c.verdict == v] for v in VERDICTS}
    return {
        "reviews": {v: len(ids[v]) for v in VERDICTS},
        "dossier": {v: sum(1 for x in per_number.values() if x == v) for v in VERDICTS},
        "dossier_claims": len(per_number),
        "ids": ids,
    }


def corpus_files(corpus_dir: Path, extra: Iterable[Path] = ()) -> list[Path]:
    files = sorted(
        p
        for p in corpus_dir.rglob("*")
        if p.is_file()
        and p.suffix in {".md", ".txt", ".yaml", ".yml"}
        and p.name not in {"FORMAT.md", "CHANGELOG.md"}
    )
    return files + sorted(extra)


def fingerprint(files: Iterable[Path]) -> str:
    h = hashlib.sha256()
    for p in files:
        h.update(str(p.name).encode())
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()[:32]


def learn_vocabulary(info: CorpusInfo) -> None:
    """Teach the tokenizer and the figure reader the corpus's words, before anything is tokenized."""
    add_synonyms(info.synonyms)
    add_kinds(info.figure_kinds)


def _essay_paths(corpus_dir: Path, info: CorpusInfo) -> list[Path]:
    """The essay files, the reviewed one (``corpus.yaml`` essay.file) first."""
    paths = sorted((corpus_dir / "essay").glob("*.txt"))
    if info.essay_file and info.essay_file not in {p.name for p in paths}:
        raise CorpusError(f"{corpus_dir / 'corpus.yaml'}: essay file {info.essay_file!r} is not in essay/")
    return sorted(paths, key=lambda p: p.name != info.essay_file)


def _parse_essay_file(path: Path, bib: dict[str, Work], info: CorpusInfo, reviewed: bool) -> Essay:
    text = path.read_text(encoding="utf-8")
    if not reviewed:
        return parse_essay(text, doc_id=f"essay:{path.stem}", bibliography=bib)
    essay = parse_essay(
        text,
        doc_id=f"essay:{path.stem}",
        bibliography=bib,
        author=info.author or None,
        outlet=info.outlet or None,
        meta_fields=info.meta_fields or None,
        boilerplate=info.boilerplate,
    )
    return replace(
        essay,
        title=info.title or essay.title,
        date=info.date or essay.date,
        outlet_description=info.outlet_description,
    )


def load_corpus(corpus_dir: Path) -> Corpus:
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder {corpus_dir} does not exist")
    info = load_info(corpus_dir)
    learn_vocabulary(info)
    bib = load_bibliography(corpus_dir / "bibliography.yaml")
    documents: list[Document] = []
    essays: dict[str, Essay] = {}
    for i, path in enumerate(_essay_paths(corpus_dir, info)):
        essay = _parse_essay_file(path, bib, info, reviewed=i == 0)
        essays[essay.doc_id] = essay
        documents.append(essay_document(essay, str(path)))
    for sub, kind in (("references", "digest"), ("sources", "profile")):
        for path in sorted((corpus_dir / sub).glob("*.md")):
            documents.append(load_markdown_document(path, bib, "literature", kind))
    digest_ids = {d.id for d in documents if d.kind in {"digest", "profile"}}
    claims: list[Claim] = []
    if essays:
        main = next(iter(essays.values()))
        claims = load_claims(corpus_dir / "claims.yaml", main, bib, digest_ids)
    return Corpus(documents, bib, claims, essays, info)
