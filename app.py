"""Counterpoint web app: the UI (rag/webapp.py) and the REST API served by rag/server.py."""

from rag.server import main

if __name__ == "__main__":
    main()
