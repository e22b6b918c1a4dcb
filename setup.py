"""Build hook: the wheel carries the checkout's corpus/ as package data (rag/_corpus).

corpus/ stays the source of truth in the checkout; an editable install reads it in place
(``rag.settings.default_corpus_dir``), so only non-editable builds copy it.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildPyWithCorpus(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        src = HERE / "corpus"
        if not src.is_dir():  # building from an sdist: corpus/ is shipped by MANIFEST.in
            return
        dst = Path(self.build_lib) / "rag" / "_corpus"
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(src, dst)


setup(cmdclass={"build_py": BuildPyWithCorpus})
