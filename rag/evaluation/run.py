"""`rag eval` / `python -m rag.evaluation`: Counterpoint against two baselines on the gold set, one run.

Systems, all on the same questions, model and corpus:
- bm25: the Counterpoint pipeline with BM25-only retrieval (per side);
- naive-rag: plain LangChain Chroma ``similarity_search`` over ONE mixed index, top chunks as the
  answer, no sides, no verdicts, never abstains (what most RAG tutorials build);
- counterpoint: hybrid retrieval per side, claim matching, abstention, verification.
Writes a table to stdout, eval/reports/<date>.json and a PNG chart.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..markers import MARKER_RE
from ..settings import REPO_ROOT
from .metrics import (
    accuracy,
    citation_scores,
    confusion,
    hit_at,
    mean,
    ndcg_at,
    percentile,
    precision_recall,
    reciprocal_rank,
)

HERE = REPO_ROOT / "eval"  # gold sets and reports: the checkout's eval/ folder
LABELS = ["consistent", "needs-context", "disputed", "contradicted", "unverifiable", "none"]
SYSTEMS = ("bm25", "naive-rag", "counterpoint")


@dataclass
class Prediction:
    essay: list[tuple[int, ...]] = field(default_factory=list)  # paragraphs of each ranked essay passage
    literature: list[str] = field(default_factory=list)  # document id of each ranked literature passage
    literature_text: list[str] = field(default_factory=list)
    verdict: str | None = None
    abstained: bool = False
    quotes_valid: list[bool] = field(default_factory=list)
    statements: list[tuple[str, list[str]]] = field(default_factory=list)
    seconds: float = 0.0


def load_gold(path: Path, split: str | None) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if split in (None, "all") or r.get("split") == split]


FRAME_RE = re.compile(
    r"^(?:The essay \(the contested source, [^)]*\) says:|Mainstream literature \(.*?\):"
    r"|Figures, [^:]+:)\s*|; see also.*$"
)


def counterpoint_prediction(answer, index_lookup) -> Prediction:
    passages = {p.marker: p for p in answer.essay + answer.literature}
    statements = []
    for line in answer.summary.splitlines():
        line = re.sub(r";\s*see also.*$", "", line)  # pointers to more passages, not citations
        marks = MARKER_RE.findall(line)
        if marks:
            # The statement is what the line asserts; its framing ("The essay (¶39) says:") is not.
            stmt = FRAME_RE.sub("", MARKER_RE.sub("", line))
            statements.append((stmt, [passages[m].text for m in marks if m in passages]))
    valid = []
    for p in answer.essay + answer.literature:
        indexed = index_lookup(p.id)
        valid.append(bool(p.quote) and p.quote in p.text and indexed is not None and indexed.text == p.text)
    return Prediction(
        essay=[p.paragraphs for p in answer.essay],
        literature=[p.source for p in answer.literature],
        literature_text=[p.text for p in answer.literature],
        verdict=answer.verdict,
        abstained=answer.abstained,
        quotes_valid=valid,
        statements=statements,
    )


class NaiveRag:
    """Plain LangChain: one mixed Chroma collection, similarity_search, top chunks verbatim."""

    def __init__(self, assistant, k: int = 8):
        from langchain_chroma import Chroma
        from langchain_core.documents import Document

        self.k = k
        self.passages = assistant.index.passages
        client = assistant.index.client
        name = "naive-rag-baseline"
        try:
            client.delete_collection(name)
        except Exception:
            pass
        self.store = Chroma(
            collection_name=name,
            embedding_function=assistant.embeddings,
            client=client,
            collection_metadata={"hnsw:space": "cosine"},
        )
        docs = [Document(page_content=p.text, metadata={"pid": p.id}) for p in self.passages.values()]
        self.store.add_documents(docs, ids=[p.id for p in self.passages.values()])

    def run(self, question: str, history) -> Prediction:
        docs = self.store.similarity_search(question, k=self.k)
        pred = Prediction()
        for d in docs:
            p = self.passages[d.metadata["pid"]]
            if p.side == "essay":
                pred.essay.append(p.paragraphs)
            else:
                pred.literature.append(p.source)
                pred.literature_text.append(p.text)
            pred.quotes_valid.append(d.page_content == p.text)
        if docs:  # the "answer" is the top chunk, cited to itself
            top = docs[0].page_content
            pred.statements.append((top.split(". ")[0], [top]))
        return pred


def _essay_scores(r: dict, p: Prediction) -> tuple[float, ...] | None:
    exp_e = set(r.get("essay_paragraphs") or [])
    if not exp_e:
        return None
    rel = [bool(exp_e & set(pars)) for pars in p.essay]
    return hit_at(rel, 1), hit_at(rel, 3), reciprocal_rank(rel), ndcg_at(rel, 5, len(exp_e))


def _literature_scores(r: dict, p: Prediction, n_relevant_lit) -> tuple[float, ...] | None:
    exp_l = set(r.get("literature") or [])
    if not exp_l:
        return None
    rel = [d in exp_l for d in p.literature]
    needles = r.get("literature_contains_any") or []
    text_hit = 1.0 if not needles or any(n in t for t in p.literature_text[:3] for n in needles) else 0.0
    return hit_at(rel, 3), reciprocal_rank(rel), ndcg_at(rel, 5, n_relevant_lit(exp_l)), text_hit


def _retrieval(rows: list[dict], preds: list[Prediction], n_relevant_lit) -> dict:
    ess: list[tuple[float, ...]] = []
    lit: list[tuple[float, ...]] = []
    for r, p in zip(rows, preds):
        if r.get("abstain"):
            continue
        if (e := _essay_scores(r, p)) is not None:
            ess.append(e)
        if (sc := _literature_scores(r, p, n_relevant_lit)) is not None:
            lit.append(sc)

    def col(xs: list[tuple[float, ...]], i: int) -> float:
        return mean(x[i] for x in xs)

    return {
        "n_essay": len(ess),
        "n_literature": len(lit),
        "essay_hit@1": col(ess, 0),
        "essay_hit@3": col(ess, 1),
        "essay_mrr": col(ess, 2),
        "essay_ndcg@5": col(ess, 3),
        "lit_hit@3": col(lit, 0),
        "lit_mrr": col(lit, 1),
        "lit_ndcg@5": col(lit, 2),
        "lit_text@3": col(lit, 3),
    }


def _verdicts(rows: list[dict], preds: list[Prediction]) -> dict:
    in_scope = [(r, p) for r, p in zip(rows, preds) if not r.get("abstain")]
    pairs = [(r.get("verdict") or "none", p.verdict or "none") for r, p in in_scope]
    reviewed = [(g, q) for g, q in pairs if g != "none"]
    return {
        "verdict_acc": accuracy(pairs),
        "verdict_acc_reviewed": accuracy(reviewed),
        "confusion": {"labels": LABELS, "matrix": confusion(pairs, LABELS)},
    }


def score(rows: list[dict], preds: list[Prediction], n_relevant_lit) -> dict:
    ap, ar = precision_recall([p.abstained for p in preds], [bool(r.get("abstain")) for r in rows])
    crec, cprec = citation_scores([s for p in preds for s in p.statements])
    quotes = [v for p in preds for v in p.quotes_valid]
    secs = [p.seconds * 1000 for p in preds]
    return {
        "n": len(rows),
        **_retrieval(rows, preds, n_relevant_lit),
        **_verdicts(rows, preds),
        "abstain_precision": ap,
        "abstain_recall": ar,
        "quote_validity": mean(1.0 if v else 0.0 for v in quotes) if quotes else 1.0,
        "citation_recall": crec,
        "citation_precision": cprec,
        "latency_p50_ms": percentile(secs, 50),
        "latency_p95_ms": percentile(secs, 95),
    }


def evaluate(split: str = "dev", systems=SYSTEMS, gold: Path = HERE / "gold.jsonl", assistant=None) -> dict:
    from rag import Assistant
    from rag.settings import Settings

    rows = load_gold(gold, split)
    if assistant is None:
        assistant = Assistant(Settings.from_env(top_k=5))
    lookup = assistant.index.passages.get
    by_doc: dict[str, int] = {}
    for p in assistant.index.passages.values():
        by_doc[p.source] = by_doc.get(p.source, 0) + 1
    n_rel = lambda docs: sum(by_doc.get(d, 0) for d in docs)  # noqa: E731
    assistant.ask(next(iter(assistant.corpus.info.suggestions), "warm-up question"))  # warm caches
    results: dict[str, dict] = {}
    per_question: dict[str, list] = {}
    for name in systems:
        naive = NaiveRag(assistant) if name == "naive-rag" else None
        preds = []
        for r in rows:
            t = time.perf_counter()
            if naive is not None:
                pred = naive.run(r["q"], r.get("history"))
            else:
                a = assistant.ask(
                    r["q"], r.get("history") or None, retrieval="bm25" if name == "bm25" else "hybrid"
                )
                pred = counterpoint_prediction(a, lookup)
            pred.seconds = time.perf_counter() - t
            preds.append(pred)
        results[name] = score(rows, preds, n_rel)
        per_question[name] = [
            {
                "id": r["id"],
                "verdict": p.verdict,
                "abstained": p.abstained,
                "essay": [list(x) for x in p.essay[:3]],
                "literature": p.literature[:3],
            }
            for r, p in zip(rows, preds)
        ]
    return {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "split": split,
        "n": len(rows),
        "systems": results,
        "per_question": per_question,
    }


ROWS = [
    ("essay_hit@1", "Essay hit@1"),
    ("essay_hit@3", "Essay hit@3"),
    ("essay_mrr", "Essay MRR"),
    ("essay_ndcg@5", "Essay nDCG@5"),
    ("lit_hit@3", "Literature hit@3"),
    ("lit_mrr", "Literature MRR"),
    ("lit_ndcg@5", "Literature nDCG@5"),
    ("lit_text@3", "Expected text in top-3 lit."),
    ("verdict_acc", "Verdict accuracy (all in-scope)"),
    ("verdict_acc_reviewed", "Verdict accuracy (reviewed)"),
    ("abstain_precision", "Abstention precision"),
    ("abstain_recall", "Abstention recall"),
    ("quote_validity", "Quote validity"),
    ("citation_recall", "Citation recall (proxy)"),
    ("citation_precision", "Citation precision (proxy)"),
    ("latency_p50_ms", "Latency p50 (ms)"),
    ("latency_p95_ms", "Latency p95 (ms)"),
]


def table(report: dict) -> str:
    names = list(report["systems"])
    out = [
        f"Gold set: split={report['split']}, {report['n']} questions",
        "",
        f"| {'metric':34} | " + " | ".join(f"{n:>12}" for n in names) + " |",
        f"|{'-' * 36}|" + "|".join("-" * 14 for _ in names) + "|",
    ]
    for key, label in ROWS:
        vals = [report["systems"][n][key] for n in names]
        fmt = (lambda v: f"{v:12.1f}") if key.startswith("latency") else (lambda v: f"{v:12.3f}")
        out.append(f"| {label:34} | " + " | ".join(fmt(v) for v in vals) + " |")
    cm = report["systems"]["counterpoint"]["confusion"] if "counterpoint" in report["systems"] else None
    if cm:
        out += [
            "",
            "Counterpoint verdict confusion (rows = gold, columns = predicted):",
            "            " + " ".join(f"{ln[:7]:>8}" for ln in cm["labels"]),
        ]
        for lab, row in zip(cm["labels"], cm["matrix"]):
            out.append(f"{lab[:11]:>11} " + " ".join(f"{v:8d}" for v in row))
    return "\n".join(out)


def chart(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [k for k, _ in ROWS if not k.startswith("latency")]
    labels = [ln for k, ln in ROWS if not k.startswith("latency")]
    names = list(report["systems"])
    fig, ax = plt.subplots(figsize=(13, 6.5))
    width = 0.8 / len(names)
    for i, n in enumerate(names):
        vals = [report["systems"][n][k] for k in keys]
        ax.barh([y + i * width for y in range(len(keys))], vals, height=width, label=n)
    ax.set_yticks([y + width * (len(names) - 1) / 2 for y in range(len(keys))])
    ax.set_yticklabels(labels, fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.05)
    ax.set_xlabel("score (higher is better)")
    ax.set_title(f"Counterpoint vs baselines — gold split '{report['split']}', {report['n']} questions")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="rag eval", description=__doc__.splitlines()[0])
    ap.add_argument("--split", default="dev", choices=["dev", "heldout", "all"])
    ap.add_argument("--systems", default=",".join(SYSTEMS))
    ap.add_argument("--gold", default=str(HERE / "gold.jsonl"))
    ap.add_argument("--out", default=str(HERE / "reports"))
    args = ap.parse_args(argv)
    if not Path(args.gold).is_file():
        print(f"rag eval: no gold set at {args.gold} (run from a checkout, or pass --gold)", file=sys.stderr)
        return 2
    for k, v in {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}.items():
        os.environ.setdefault(k, v)
    t = time.perf_counter()
    report = evaluate(args.split, tuple(args.systems.split(",")), Path(args.gold))
    report["seconds"] = round(time.perf_counter() - t, 1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{dt.date.today().isoformat()}-{args.split}"
    (out / f"{stem}.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    chart(report, out / f"{stem}.png")
    print(table(report))
    print(f"\nwrote {out / (stem + '.json')} and {out / (stem + '.png')} in {report['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
