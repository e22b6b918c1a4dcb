"""Validate the realistic gold set `eval/gold_real.jsonl` against the corpus.

Checks (stdlib + PyYAML only, no system output involved):

- schema: every field present with the right type and an allowed value;
- ids unique, questions unique (case and spacing ignored), split = hash rule;
- every claim id exists in `corpus/claims.yaml`, `verdict` is the verdict of the first listed
  claim, and every listed claim's reviewed paragraph is among `essay_paragraphs`;
- `essay_paragraphs` are body paragraphs (4..43, dossier rule of corpus/FORMAT.md);
- every `literature` id is a digest or profile file, except ids of digests still being written
  (`PENDING_IDS`) on rows marked `pending_corpus`;
- every `essay_excerpt_any` string occurs verbatim in one of the listed essay paragraphs and every
  `literature_excerpt_any` string in one of the listed files (skipped for pending rows unless
  `--check-pending` is given and all their files exist);
- abstention rows have empty expectations; per-style and per-language minimum counts are met.

Run: `python -m eval.validate_gold_real` (exit code 0 when the set is valid).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
GOLD = Path(__file__).resolve().parent / "gold_real.jsonl"

STYLE_MIN = {
    "sloppy": 15,
    "lowercase": 15,
    "teacher": 15,
    "journalist": 12,
    "moderator": 8,
    "researcher": 12,
    "loaded": 15,
    "followup": 15,
    "multilingual": 22,
    "oos-far": 10,
    "oos-near": 12,
}
LANG_MIN = {"de": 6, "es": 6, "fr": 5, "ru": 5}
MIN_TOTAL = 160
LANGS = {"en", "de", "es", "fr", "ru"}
INTENTS = {"claim", "overview", "right-wrong", "source", "compare", "background", "out-of-scope"}
VERDICTS = {"consistent", "needs-context", "disputed", "contradicted", "unverifiable"}
PREMISES = {None, "true", "false"}
# Digests not yet in the corpus; rows that rely on one carry "pending_corpus": true until the file
# exists. (The nine context digests of issue 13 were pending when the set was written; they landed.)
PENDING_IDS: set[str] = set()
FIELDS = {
    "id": str,
    "q": str,
    "history": list,
    "style": str,
    "lang": str,
    "intent": str,
    "abstain": bool,
    "essay_paragraphs": list,
    "literature": list,
    "essay_excerpt_any": list,
    "literature_excerpt_any": list,
    "claims": list,
    "verdict": (str, type(None)),
    "premise": (str, type(None)),
    "note": str,
    "split": str,
    "pending_corpus": bool,
}
FIRST_BODY, LAST_BODY = 4, 43


def split_for(row_id: str) -> str:
    """The hash split: 40% held out."""
    return "heldout" if int(hashlib.sha1(row_id.encode()).hexdigest(), 16) % 10 < 4 else "dev"


def essay_paragraphs(path: Path = CORPUS / "essay" / "poison-partners.txt") -> list[str]:
    """Every non-empty line of the essay file, title = ¶0 (FORMAT.md; same as awk NF)."""
    text = path.read_text(encoding="utf-8")
    return [line for line in text.split("\n") if line.split()]


def literature_bodies(corpus: Path = CORPUS) -> dict[str, str]:
    """Digest and profile id -> text after the YAML front matter."""
    out = {}
    for sub in ("references", "sources"):
        for f in sorted((corpus / sub).glob("*.md")):
            text = f.read_text(encoding="utf-8")
            if text.startswith("---"):
                end = text.find("\n---", 3)
                text = text[end + 4 :] if end != -1 else text
            out[f.stem] = text
    return out


def load_claims(corpus: Path = CORPUS) -> dict[str, dict]:
    data = yaml.safe_load((corpus / "claims.yaml").read_text(encoding="utf-8"))
    return {c["id"]: c for c in data}


def load_rows(path: Path = GOLD) -> list[dict]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise ValueError(f"{path.name}:{n}: invalid JSON: {e}") from e
    return rows


def _norm_q(q: str) -> str:
    return " ".join(q.casefold().split())


def _excerpt_shape_ok(s: str) -> bool:
    """2-5 words, or a figure (any string with a digit, at most 5 words)."""
    n = len(s.split())
    return isinstance(s, str) and (2 <= n <= 5 or (n == 1 and any(ch.isdigit() for ch in s)))


def validate(
    rows: list[dict], corpus: Path = CORPUS, check_pending: bool = False, fresh: bool = False
) -> list[str]:
    """All problems found, as human-readable strings ([] = valid).

    ``fresh`` checks a second, all-dev set (ids f001…, eval/gold_real_dev2.jsonl): it is tuned
    on beside the first set's dev split, so it has no hash split and no minimum counts, and its
    questions must not repeat the first set's.
    """
    errors: list[str] = []
    paras = essay_paragraphs(corpus / "essay" / "poison-partners.txt")
    lit = literature_bodies(corpus)
    claims = load_claims(corpus)
    seen_ids: set[str] = set()
    seen_q: dict[str, str] = {}
    if fresh:
        seen_q = {_norm_q(r["q"]): r["id"] for r in load_rows(GOLD)}

    for row in rows:
        rid = row.get("id", "?")

        def err(msg: str, rid: str = rid) -> None:
            errors.append(f"{rid}: {msg}")

        missing = set(FIELDS) - set(row)
        extra = set(row) - set(FIELDS)
        if missing:
            err(f"missing fields {sorted(missing)}")
            continue
        if extra:
            err(f"unknown fields {sorted(extra)}")
        bad_types = [k for k, typ in FIELDS.items() if not isinstance(row[k], typ)]
        for k in bad_types:
            err(f"field {k} has type {type(row[k]).__name__}")
        if bad_types:
            continue
        if not re.fullmatch(r"f\d{3}" if fresh else r"r\d{3}", rid):
            err("id must look like " + ("f001" if fresh else "r001"))
        if rid in seen_ids:
            err("duplicate id")
        seen_ids.add(rid)
        nq = _norm_q(row["q"])
        if not nq:
            err("empty question")
        elif nq in seen_q:
            err(f"duplicate question (also {seen_q[nq]})")
        seen_q.setdefault(nq, rid)
        expected_split = "dev" if fresh else split_for(rid)
        if row["split"] != expected_split:
            err(
                f"split {row['split']} != "
                + ("dev (a fresh set is all dev)" if fresh else f"hash split {expected_split}")
            )
        style, lang, intent = row["style"], row["lang"], row["intent"]
        if style not in STYLE_MIN:
            err(f"unknown style {style}")
        if lang not in LANGS:
            err(f"unknown lang {lang}")
        if (style == "multilingual") != (lang != "en"):
            err("multilingual rows, and only they, have lang != en")
        if intent not in INTENTS:
            err(f"unknown intent {intent}")
        if row["premise"] not in PREMISES:
            err(f"premise must be null, 'true' or 'false', not {row['premise']!r}")
        if not all(isinstance(h, str) and h.strip() for h in row["history"]):
            err("history entries must be non-empty strings")
        if style == "followup" and not 1 <= len(row["history"]) <= 2:
            err("followup rows need 1-2 earlier questions")
        if style != "followup" and row["history"]:
            err("only followup rows carry history")
        if style == "lowercase" and row["q"] != row["q"].lower():
            err("lowercase rows must be typed all in lower case")
        if not row["note"].strip():
            err("empty note")

        # Abstention rows: everything empty.
        if row["abstain"] != (intent == "out-of-scope"):
            err("abstain must be true exactly for intent out-of-scope")
        if style.startswith("oos-") and not row["abstain"]:
            err("out-of-scope styles must abstain")
        if row["abstain"]:
            for k in (
                "essay_paragraphs",
                "literature",
                "essay_excerpt_any",
                "literature_excerpt_any",
                "claims",
            ):
                if row[k]:
                    err(f"abstain row must have empty {k}")
            if row["verdict"] is not None or row["premise"] is not None or row["pending_corpus"]:
                err("abstain row must have verdict/premise null and pending_corpus false")
            continue
        if not row["literature"]:
            err("answerable row needs at least one literature id")

        # Paragraphs.
        eps = row["essay_paragraphs"]
        if any(not isinstance(p, int) or not FIRST_BODY <= p <= LAST_BODY for p in eps):
            err(f"essay_paragraphs must be body paragraphs {FIRST_BODY}..{LAST_BODY}: {eps}")
            eps = [p for p in eps if isinstance(p, int) and FIRST_BODY <= p <= LAST_BODY]
        if eps != sorted(set(eps)):
            err("essay_paragraphs must be sorted and unique")

        # Claims and verdict.
        cids = row["claims"]
        if len(cids) != len(set(cids)):
            err("duplicate claim ids")
        for cid in cids:
            c = claims.get(cid)
            if c is None:
                err(f"unknown claim {cid}")
                continue
            if c["paragraph"] not in eps:
                err(f"claim {cid} is in ¶{c['paragraph']}, not in essay_paragraphs {eps}")
        if cids and cids[0] in claims:
            if row["verdict"] != claims[cids[0]]["verdict"]:
                err(f"verdict {row['verdict']} != {cids[0]}'s {claims[cids[0]]['verdict']}")
        elif not cids and row["verdict"] is not None:
            err("verdict set but no claim listed")
        if row["verdict"] is not None and row["verdict"] not in VERDICTS:
            err(f"unknown verdict {row['verdict']}")

        # Literature ids.
        pending = row["pending_corpus"]
        for doc in row["literature"]:
            if doc not in lit and not (pending and doc in PENDING_IDS):
                err(f"unknown literature id {doc}")
            if doc in PENDING_IDS and not pending:
                err(f"{doc} is a pending digest: mark the row pending_corpus")
        if pending and not any(d in PENDING_IDS for d in row["literature"]):
            err("pending_corpus row lists no pending digest")

        # Excerpts.
        for key in ("essay_excerpt_any", "literature_excerpt_any"):
            xs = row[key]
            if len(xs) > 3:
                err(f"{key}: at most 3 strings")
            for s in xs:
                if not isinstance(s, str) or not _excerpt_shape_ok(s):
                    err(f"{key}: {s!r} is not 2-5 words or a figure")
        for s in row["essay_excerpt_any"]:
            if not any(s in paras[p] for p in eps if p < len(paras)):
                err(f"essay excerpt {s!r} not in ¶{eps}")
        if pending and not (check_pending and all(d in lit for d in row["literature"])):
            continue
        for s in row["literature_excerpt_any"]:
            if not any(s in lit.get(d, "") for d in row["literature"]):
                err(f"literature excerpt {s!r} not in {row['literature']}")

    if fresh:
        return errors
    styles = Counter(r.get("style") for r in rows)
    for style, n in STYLE_MIN.items():
        if styles[style] < n:
            errors.append(f"style {style}: {styles[style]} rows < minimum {n}")
    langs = Counter(r.get("lang") for r in rows)
    for lang, n in LANG_MIN.items():
        if langs[lang] < n:
            errors.append(f"lang {lang}: {langs[lang]} rows < minimum {n}")
    if len(rows) < MIN_TOTAL:
        errors.append(f"{len(rows)} rows < minimum {MIN_TOTAL}")
    return errors


def summary(rows: list[dict]) -> str:
    styles = Counter(r.get("style") for r in rows)
    splits = Counter(r.get("split") for r in rows)
    lines = [
        f"{len(rows)} rows: dev {splits['dev']}, heldout {splits['heldout']}; "
        f"pending_corpus {sum(bool(r.get('pending_corpus')) for r in rows)}; "
        f"abstain {sum(bool(r.get('abstain')) for r in rows)}"
    ]
    for style in STYLE_MIN:
        per = Counter(r.get("split") for r in rows if r.get("style") == style)
        lines.append(f"  {style:<13}{styles[style]:>4}  (dev {per['dev']}, heldout {per['heldout']})")
    langs = Counter(r.get("lang") for r in rows if r.get("lang") != "en")
    lines.append("  languages: " + ", ".join(f"{k} {langs[k]}" for k in sorted(langs)))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", nargs="?", default=str(GOLD))
    ap.add_argument("--corpus", default=str(CORPUS))
    ap.add_argument(
        "--check-pending",
        action="store_true",
        help="also check excerpts of pending rows whose digests now exist",
    )
    ap.add_argument(
        "--fresh",
        action="store_true",
        help="validate the second, all-dev set (eval/gold_real_dev2.jsonl)",
    )
    args = ap.parse_args(argv)
    rows = load_rows(Path(args.path))
    errors = validate(rows, Path(args.corpus), check_pending=args.check_pending, fresh=args.fresh)
    print(summary(rows))
    for e in errors:
        print("ERROR", e)
    print("OK" if not errors else f"{len(errors)} problem(s)")
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
