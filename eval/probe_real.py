"""Probes built from the corpus itself, beside the gold sets: questions nobody wrote by hand.

The gold sets were written by people who read the corpus; these are generated from it, so they
reach every topic and every reviewed claim, in the ways people type:

1. every digest section heading as a question, as written and as a lower-case chat line
   ("whats the deal with the hunger plan of 1941 lol"): none should be "Not covered";
2. every reviewed claim's quote, cut to twelve words, as "is it true that …": its card should show;
3. every claim figure asserted back ("so there really were 750,000 trucks, right?"): the premise
   line's verdict is printed beside the claim's, for a reader to check (a contradicted claim's
   figure must not be "supported").

Run: ``python eval/probe_real.py [--out FILE]`` (about two minutes on the bundled corpus). It
prints the counts and every miss; nothing here is tuned on, it is read.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def headings(corpus: Path) -> list[str]:
    out = []
    for f in sorted((corpus / "references").glob("*.md")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.startswith("## "):
                out.append(line[3:].strip())
    return out


def as_question(heading: str) -> str:
    return heading if heading.endswith("?") else "tell me about " + heading[0].lower() + heading[1:]


def as_chat(heading: str) -> str:
    return "whats the deal with " + heading.rstrip("?").lower() + " lol"


PREMISE_VERDICT_RE = re.compile(r"; (the literature [^:]+):")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="", help="write the results as JSON")
    args = ap.parse_args(argv)
    from rag import Assistant

    a = Assistant()
    result: dict = {"headings": [], "claims": [], "figures": []}
    hs = headings(ROOT / "corpus")
    for h in hs:
        for q in (as_question(h), as_chat(h)):
            if a.ask(q).abstained:
                result["headings"].append(q)
    for c in a.claims():
        words = re.sub(r"[^\w\s,'-]", " ", c.quote).lower().split()
        q = "is it true that " + " ".join(words[:12])
        ans = a.ask(q)
        if not any(k.claim.id == c.id or k.claim.quote == c.quote for k in ans.cards):
            result["claims"].append({"claim": c.id, "q": q, "cards": [k.claim.id for k in ans.cards]})
    for c in a.claims():
        for f in c.figures[:1]:
            if not any(ch.isdigit() for ch in f.essay) or f.kind in {"year", "date", "rank", "percent"}:
                continue
            q = f"so there really were {f.essay} {f.kind}, right?"
            ans = a.ask(q)
            m = PREMISE_VERDICT_RE.search(ans.premise or "")
            result["figures"].append(
                {"claim": c.id, "verdict": c.verdict, "q": q, "premise": m.group(1) if m else ""}
            )
    n_claims = len(a.claims())
    print(f"headings: {2 * len(hs)} questions, {len(result['headings'])} answered 'Not covered'")
    for q in result["headings"]:
        print("   ", q)
    print(f"claims: {n_claims} quotes asked back, {len(result['claims'])} without their card")
    for r in result["claims"]:
        print("   ", r)
    print(f"figures: {len(result['figures'])} asserted back (claim verdict -> premise line)")
    for r in result["figures"]:
        print(f"    {r['claim']:5} {r['verdict']:13} -> {r['premise'] or '(no premise line)'}")
    if args.out:
        Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
