"""Extract a PDF's text in a separate process, under budgets (run by ``rag.ingest.parse_pdf``).

    python pdfworker.py FILE MAX_CHARS MAX_PAGE_BYTES MAX_TOTAL_BYTES

Prints one JSON object: {"pages": [...], "title", "author"} or {"error": "..."}. Self-contained
(only pypdf), so it runs the same from any checkout. The parent kills it after a timeout; here
a page whose decompressed drawing instructions exceed MAX_PAGE_BYTES (a page bomb) stops the
run before the slow text extraction starts, and address space is capped.
"""

from __future__ import annotations

import json
import sys


class Refused(Exception):
    """The file breaks a budget, or cannot be read: the message says which, for the user."""


def _limit_memory(limit: int = 2 * 1024**3) -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):  # pragma: no cover - not on every platform
        pass


def _open(path: str):
    from pypdf import PdfReader

    reader = PdfReader(path)
    if reader.is_encrypted:
        try:
            ok = bool(reader.decrypt(""))
        except Exception:
            ok = False
        if not ok:
            raise Refused("the PDF is encrypted (password protected)")
    return reader


def _pages(reader, max_chars: int, max_page: int, max_total: int) -> list[str]:
    """Each page's text; a page bomb is refused before its (slow) text extraction starts."""
    pages, chars, total, mb = [], 0, 0, 1048576
    for i, page in enumerate(reader.pages, 1):
        contents = page.get_contents()
        size = len(contents.get_data()) if contents is not None else 0
        if size > max_page:
            raise Refused(
                f"page {i} holds {size / mb:.1f} MB of drawing instructions; the limit is "
                f"{max_page / mb:.0f} MB a page (a decompression bomb?)"
            )
        total += size
        if total > max_total:
            raise Refused(
                f"the pages hold over {max_total / mb:.0f} MB of drawing instructions "
                f"(at page {i}); the limit per file is {max_total / mb:.0f} MB"
            )
        text = page.extract_text() or ""
        chars += len(text)
        if chars > max_chars:
            raise Refused(
                f"more than {max_chars:,} characters of text (at page {i}); the limit per file "
                f"is {max_chars:,}: split the file"
            )
        pages.append(text)
    return pages


def main(argv: list[str]) -> int:
    path, max_chars, max_page, max_total = argv[0], int(argv[1]), int(argv[2]), int(argv[3])
    _limit_memory()
    try:
        reader = _open(path)
        pages = _pages(reader, max_chars, max_page, max_total)
        info = reader.metadata or {}
        title, author = getattr(info, "title", None) or "", getattr(info, "author", None) or ""
    except Refused as exc:
        out: dict = {"error": str(exc)}
    except MemoryError:
        out = {"error": "parsing needed more than 2 GB of memory"}
    except Exception as exc:  # pypdf raises many kinds on damaged files
        out = {"error": f"corrupt or unreadable PDF ({exc.__class__.__name__}: {str(exc)[:200]})"}
    else:
        out = {"pages": pages, "title": str(title), "author": str(author)}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
