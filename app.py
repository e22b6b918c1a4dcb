"""Counterpoint web app (Gradio). A thin shell over rag.Assistant; see rag/webapp.py."""

from rag.webapp import main

if __name__ == "__main__":
    main()
