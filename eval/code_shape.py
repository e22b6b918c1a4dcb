"""Code-shape report for rag/: functions over 50 lines or cyclomatic complexity 15, and import cycles.

    python eval/code_shape.py            # report; exit 1 if any function is over a limit
    python eval/code_shape.py --top 15   # the largest functions, whatever their size

Complexity is McCabe's, counted as ruff's C901 counts it (1 + each branch point).
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "rag"
MAX_LINES, MAX_CC = 50, 15
BRANCHES = (
    ast.If,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.ExceptHandler,
    ast.With,
    ast.AsyncWith,
    ast.IfExp,
    ast.Assert,
    ast.comprehension,
    ast.match_case,
)


def complexity(fn: ast.AST) -> int:
    cc = 1
    for node in ast.walk(fn):
        if node is not fn and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if isinstance(
            node,
            (
                ast.If,
                ast.For,
                ast.AsyncFor,
                ast.While,
                ast.ExceptHandler,
                ast.IfExp,
                ast.comprehension,
                ast.match_case,
            ),
        ):
            cc += 1
        elif isinstance(node, ast.BoolOp):
            cc += len(node.values) - 1
    return cc


def functions(root: Path = ROOT):
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                yield f"{path.relative_to(root.parent)}:{node.lineno} {node.name}", lines, complexity(node)


def import_cycles(root: Path = ROOT) -> list[list[str]]:
    """Every relative import counts, lazy ones inside functions too: a lazy import hides a cycle,
    it does not remove it. Only `if TYPE_CHECKING:` blocks are skipped."""
    graph: dict[str, set[str]] = {}
    for path in root.glob("*.py"):
        mod = path.stem
        graph[mod] = set()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = {
            id(n)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for n in ast.walk(node)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1 and id(node) not in skip:
                if node.module:
                    graph[mod].add(node.module.split(".")[0])
                else:
                    graph[mod].update(a.name for a in node.names)
    cycles, seen = [], set()

    def visit(node: str, stack: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt in stack:
                cyc = stack[stack.index(nxt) :]
                key = frozenset(cyc)
                if key not in seen:
                    seen.add(key)
                    cycles.append([*cyc, nxt])
            elif nxt in graph and len(stack) < 30:
                visit(nxt, [*stack, nxt])

    for mod in sorted(graph):
        visit(mod, [mod])
    return cycles


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--top", type=int, default=0)
    args = ap.parse_args()
    rows = sorted(functions(), key=lambda r: max(r[1] / MAX_LINES, r[2] / MAX_CC), reverse=True)
    over = [r for r in rows if r[1] > MAX_LINES or r[2] > MAX_CC]
    shown = rows[: args.top] if args.top else over
    for name, lines, cc in shown:
        print(f"{lines:4d} lines  cc {cc:3d}  {name}")
    cycles = import_cycles()
    for cyc in cycles:
        print("import cycle:", " -> ".join(cyc))
    print(f"{len(over)} functions over {MAX_LINES} lines or cc {MAX_CC}; {len(cycles)} import cycles")
    return 1 if over or cycles else 0


if __name__ == "__main__":
    sys.exit(main())
