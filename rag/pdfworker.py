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


def main(argv: list[str]) -> int:
    path, max_chars, max_page, max_total = argv[0], int(argv[1]), int(argv[2]), int(argv[3])
    try:
        import resource

        limit = 2 * 1024**3
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):  # pragma: no cover - not on every platform
        pass
    from pypdf import PdfReader

    def fail(msg: str) -> int:
        print(json.dumps({"error": msg}))
        return 0

    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception:
                ok = 0
            if not ok:
                return fail("the PDF is encrypted (password protected)")
        pages, chars, total = [], 0, 0
        for i, page in enumerate(reader.pages, 1):
            contents = page.get_contents()
            size = len(contents.get_data()) if contents is not None else 0
            if size > max_page:
                return fail(
                    f"page {i} holds {size / 1048576:.1f} MB of drawing instructions; the limit is "
                    f"{max_page / 1048576:.0f} MB a page (a decompression bomb?)"
                )
            total += size
            if total > max_total:
                return fail(
                    f"the pages hold over {max_total / 1048576:.0f} MB of drawing instructions "
                    f"(at page {i}); the limit per file is {max_total / 1048576:.0f} MB"
                )
            text = page.extract_text() or ""
            chars += len(text)
            if chars > max_chars:
                return fail(
                    f"more than {max_chars:,} characters of text (at page {i}); the limit per file "
                    f"is {max_chars:,}: split the file"
                )
            pages.append(text)
        info = reader.metadata or {}
        title, author = getattr(info, "title", None) or "", getattr(info, "author", None) or ""
    except MemoryError:
        return fail("parsing needed more than 2 GB of memory")
    except Exception as exc:  # pypdf raises many kinds on damaged files
        return fail(f"corrupt or unreadable PDF ({exc.__class__.__name__}: {str(exc)[:200]})")
    print(json.dumps({"pages": pages, "title": str(title), "author": str(author)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
