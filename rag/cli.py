"""`rag` command line: a thin shell over ``rag.Assistant``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence


def _assistant(args, auto_index: bool = True):
    from .assistant import Assistant
    from .settings import Settings

    settings = Settings.from_env(home=getattr(args, "home", None), corpus_dir=getattr(args, "corpus", None))
    return Assistant(settings, auto_index=auto_index)


def cmd_ask(args) -> int:
    from .assistant import QuestionError

    a = _assistant(args)
    try:
        answer = a.ask(a.check_question(args.question), history=a.check_history(args.history))
    except QuestionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(answer.to_json(indent=2) if args.json else answer.to_markdown())
    return 0


def cmd_index(args) -> int:
    a = _assistant(args, auto_index=False)
    if args.check:
        problems = a.check_index()
        for p in problems:
            print(f"problem: {p}")
        if problems:
            print(f"{len(problems)} problem(s) at {a.settings.home}; `rag index` repairs what can be rebuilt")
            return 1
        print(
            f"index is healthy at {a.settings.home}: {a.index.count('essay')} essay and "
            f"{a.index.count('literature')} literature passages, "
            f"{len(a.index.manifest.documents)} user document(s)"
        )
        return 0
    stats = a.ensure_index(rebuild=args.rebuild, progress=_progress())
    for r in a.repairs:
        print(f"repaired: {r}")
    print(
        f"index at {a.settings.home}: "
        + (str(stats) if stats else "up to date")
        + f"; {a.index.count('essay')} essay and {a.index.count('literature')} literature passages"
    )
    return 0


def _progress():
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover
        return None
    bars: dict[str, tqdm] = {}

    def update(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=total, desc=stage, unit="chunk", file=sys.stderr, leave=False)
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    return update


def cmd_claims(args) -> int:
    from .claimreview import claim_reviews
    from .render import claims_report

    a = _assistant(args, auto_index=False)
    claims = a.claims(args.verdict)
    if args.format == "claimreview":
        essay = next(iter(a.corpus.essays.values()))
        meta = {"author": essay.author, "date": essay.date, "title": essay.title, "outlet": essay.outlet}
        print(json.dumps(claim_reviews(claims, meta), ensure_ascii=False, indent=2))
    elif args.json or args.format == "json":
        print(json.dumps([c.to_dict() for c in claims], ensure_ascii=False, indent=2))
    elif args.format == "markdown":
        print(claims_report(claims))
    else:
        print_claims_table(claims)
    return 0


def clip(text: str, width: int) -> str:
    """``text`` cut at a word boundary to at most ``width`` characters, with an ellipsis when cut."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    cut = text[: width - 1].rsplit(" ", 1)[0] if " " in text[: width - 1] else text[: width - 1]
    return cut.rstrip(" ,;:.") + "…"


def print_claims_table(claims, width: int = 90) -> None:
    """A header row, one claim a line (the quote cut at a word boundary), then the counts."""
    print(f"{'ID':5} {'¶':4} {'Verdict':14} Claim (the essay's words)")
    for c in claims:
        print(f"{c.id:5} ¶{c.paragraph:<3} {c.verdict:14} {clip(c.quote, width)}")
    counts: dict[str, int] = {}
    for c in claims:
        counts[c.verdict] = counts.get(c.verdict, 0) + 1
    print(f"\n{len(claims)} reviewed claims: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))


def cmd_add(args) -> int:
    a = _assistant(args)
    flags = {k: getattr(args, k) for k in ("title", "author", "year", "publisher", "url") if getattr(args, k)}
    report = a.add(
        args.paths, side=args.side, flags=flags, progress=_progress(), follow_symlinks=args.follow_symlinks
    )
    for doc in report.added:
        print(f"added {doc}")
    for doc in report.updated:
        print(f"updated {doc}")
    for file, reason in report.errors:
        print(f"error: {file}: {reason}", file=sys.stderr)
    if report.stats:
        print(f"index: {report.stats}")
    return 0 if report.ok else (1 if report.added or report.updated else 2)


def cmd_remove(args) -> int:
    a = _assistant(args)
    known = {r["id"] for r in a.documents() if r["origin"] == "user"}
    missing = [i for i in args.ids if i not in known and f"user:{i}" not in known]
    if missing:
        print(f"error: no user document {', '.join(missing)} (see `rag list`)", file=sys.stderr)
        return 2
    a.remove(*args.ids)
    print("removed " + ", ".join(args.ids))
    return 0


def cmd_list(args) -> int:
    a = _assistant(args)
    rows = a.documents()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for r in rows:
        print(
            f"{r['origin']:8} {r['side']:10} {r['kind']:8} {r['passages']:4}  {r['id']:40} {r['title'][:60]}"
        )
    return 0


def cmd_eval(args) -> int:
    from .evaluation.run import main as eval_main

    return eval_main(args.rest)


def build_parser() -> argparse.ArgumentParser:
    from .models import VERDICTS

    p = argparse.ArgumentParser(
        prog="rag", description="Counterpoint: the essay's claims beside the literature."
    )
    p.add_argument("--home", help="index folder (default RAG_HOME or .rag)")
    p.add_argument("--corpus", help="corpus folder (default: the bundled corpus)")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("ask", help="ask a question")
    s.add_argument("question")
    s.add_argument("--history", action="append", help="an earlier question (repeat, oldest first)")
    s.add_argument("--json", action="store_true", help="print the Answer as JSON")
    s.set_defaults(func=cmd_ask)
    s = sub.add_parser("index", help="build or update the index")
    s.add_argument("--rebuild", action="store_true", help="drop and rebuild everything")
    s.add_argument("--check", action="store_true", help="report damage to the index without changing it")
    s.set_defaults(func=cmd_index)
    s = sub.add_parser("claims", help="list the reviewed claims")
    s.add_argument("--verdict", choices=VERDICTS)
    s.add_argument("--json", action="store_true")
    s.add_argument("--format", choices=["table", "json", "markdown", "claimreview"], default="table")
    s.set_defaults(func=cmd_claims)
    s = sub.add_parser("add", help="add documents (PDF, HTML, Markdown, text) to the index")
    s.add_argument("paths", nargs="+")
    s.add_argument("--side", choices=["literature", "essay"], default="literature")
    for f in ("title", "author", "year", "publisher", "url"):
        s.add_argument(f"--{f}")
    s.add_argument(
        "--follow-symlinks",
        action="store_true",
        help="ingest symbolic links that point outside their folder (refused by default)",
    )
    s.set_defaults(func=cmd_add)
    s = sub.add_parser("remove", help="remove user-added documents")
    s.add_argument("ids", nargs="+", metavar="ID")
    s.set_defaults(func=cmd_remove)
    s = sub.add_parser("list", help="list indexed documents")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_list)
    s = sub.add_parser("eval", help="run the evaluation suite (see eval/README.md)")
    s.add_argument("rest", nargs=argparse.REMAINDER)
    s.set_defaults(func=cmd_eval)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if args.cmd == "eval":  # its options belong to the evaluation harness
        args.rest = unknown + list(args.rest or [])
    elif unknown:
        parser.error("unrecognized arguments: " + " ".join(unknown))
    from .lock import IndexBusy
    from .settings import SettingsError

    try:
        code = args.func(args)
        sys.stdout.flush()
        return code
    except (SettingsError, IndexBusy) as exc:  # a message for the user, not a traceback
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `rag claims | head`: the reader has what it wanted
        return quiet_exit()


def quiet_exit() -> int:
    """After a closed pipe: point stdout at /dev/null so the final flush cannot fail loudly."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
