"""Evaluate Counterpoint on the realistic question set (eval/gold_real.jsonl).

Reads answers as a reader would: what the *visible* excerpts say, whether a verdict badge is
shown where no reviewed claim is about the question, whether out-of-scope questions abstain.
Works on older Answer records too (no ``cards``), so the same script gives the before table.

    python eval/run_real.py [--split dev|heldout|all] [--gold eval/gold_real.jsonl] [--out FILE] [--show N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def load(path: Path, split: str) -> list[dict]:
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    return [r for r in rows if split == "all" or r["split"] == split]


def _contains(texts: list[str], wanted: list[str]) -> bool:
    low = [t.lower() for t in texts]
    return any(w.lower() in t for w in wanted for t in low)


def shown_claims(a) -> list[str]:
    cards = getattr(a, "cards", None)
    if cards or getattr(a, "claim_list", None):
        return [c.claim.id for c in cards] + [c.id for c in a.claim_list]
    return [a.claim.id] if getattr(a, "claim", None) is not None else []


def judge(row: dict, a) -> dict:
    """Per-row booleans (None = not applicable)."""
    out: dict = {"id": row["id"], "style": row["style"], "lang": row.get("lang", "en")}
    pending = row.get("pending_corpus", False)
    out["pending"] = pending
    if row["abstain"]:
        out["oos_abstained"] = bool(a.abstained)
        return out
    out["false_abstention"] = bool(a.abstained)
    essay_quotes = [p.quote for p in a.essay]
    lit_quotes = [p.quote for p in a.literature]
    if row.get("essay_excerpt_any"):
        out["essay_excerpt"] = _contains(essay_quotes, row["essay_excerpt_any"])
    if row.get("literature_excerpt_any") and not pending:
        out["lit_excerpt"] = _contains(lit_quotes, row["literature_excerpt_any"])
    if row.get("literature") and not pending:
        out["lit_doc_hit"] = any(p.source in row["literature"] for p in a.literature)
    if row.get("essay_paragraphs"):
        out["essay_para_hit"] = any(set(p.paragraphs) & set(row["essay_paragraphs"]) for p in a.essay)
    shown = shown_claims(a)
    if row.get("claims"):
        out["verdict_ok"] = any(c in row["claims"] for c in shown)
    else:
        out["spurious_verdict"] = bool(shown)
    if row.get("premise") == "false":
        out["premise_flagged"] = bool(getattr(a, "premise", "")) or bool(
            shown and any(c in row.get("claims", []) for c in shown)
        )
    if row.get("lang", "en") != "en":
        out["multilingual_ok"] = (not a.abstained) and (
            any(p.source in row.get("literature", []) for p in a.literature)
            or any(set(p.paragraphs) & set(row.get("essay_paragraphs", [])) for p in a.essay)
        )
    return out


METRICS = [
    ("false_abstention", "false abstention (in-scope answered 'Not covered')", "≤ 0.05"),
    ("oos_abstained", "out-of-scope abstention", "≥ 0.90"),
    ("essay_excerpt", "visible essay excerpt holds the expected fact", "≥ 0.80"),
    ("lit_excerpt", "visible literature excerpt holds the expected fact", "≥ 0.80"),
    ("verdict_ok", "verdict accuracy (a right claim card shown)", "≥ 0.85"),
    ("spurious_verdict", "verdict shown where no reviewed claim is about the question", "≤ 0.05"),
    ("multilingual_ok", "non-English answered with the right passages", "≥ 0.70"),
    ("premise_flagged", "false premise addressed (premise check or the right claim)", ""),
    ("lit_doc_hit", "literature doc hit@3", ""),
    ("essay_para_hit", "essay paragraph hit@3", ""),
]


def summarize(judged: list[dict]) -> dict:
    out = {}
    for key, _, _ in METRICS:
        vals = [j[key] for j in judged if j.get(key) is not None]
        out[key] = {"n": len(vals), "rate": round(sum(vals) / len(vals), 3) if vals else None}
    return out


def table(summary: dict, title: str) -> str:
    lines = [f"| {title} | n | rate | goal |", "|---|---|---|---|"]
    for key, label, goal in METRICS:
        s = summary[key]
        lines.append(f"| {label} | {s['n']} | {s['rate'] if s['rate'] is not None else '—'} | {goal} |")
    return "\n".join(lines)


def run(split: str, gold: Path, assistant=None, show: int = 0) -> dict:
    if assistant is None:
        from rag import Assistant

        assistant = Assistant()
    rows = load(gold, split)
    judged, times = [], []
    for row in rows:
        t = time.perf_counter()
        a = assistant.ask(row["q"], history=row.get("history") or [])
        times.append(time.perf_counter() - t)
        j = judge(row, a)
        judged.append(j)
        if show:
            show -= 1
            print(a.to_markdown()[:3000], "\n", j, "\n" + "=" * 80)
    times.sort()
    return {
        "split": split,
        "n": len(rows),
        "summary": summarize(judged),
        "rows": judged,
        "latency_p50_ms": round(1000 * times[len(times) // 2], 1) if times else None,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", default="dev", choices=["dev", "heldout", "all"])
    ap.add_argument("--gold", default=str(HERE / "gold_real.jsonl"))
    ap.add_argument("--out", default="")
    ap.add_argument("--show", type=int, default=0)
    ap.add_argument("--failures", action="store_true", help="list the rows that miss a metric")
    args = ap.parse_args(argv)
    report = run(args.split, Path(args.gold), show=args.show)
    print(table(report["summary"], f"realistic set, {args.split} ({report['n']})"))
    print(f"latency p50 {report['latency_p50_ms']} ms")
    if args.failures:
        bad = {
            "false_abstention": True,
            "oos_abstained": False,
            "essay_excerpt": False,
            "lit_excerpt": False,
            "verdict_ok": False,
            "spurious_verdict": True,
            "multilingual_ok": False,
        }
        for j in report["rows"]:
            miss = [k for k, v in bad.items() if j.get(k) is v]
            if miss:
                print(j["id"], j["style"], ",".join(miss))
    if args.out:
        Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
