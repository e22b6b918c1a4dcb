"""The evaluation harness (``rag eval``): metrics and the gold-set run.

Lives in the package so the installed CLI can import it; the gold sets and reports stay in the
checkout's ``eval/`` folder.
"""
