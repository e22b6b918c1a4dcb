"""One writer at a time on a RAG_HOME: a cross-process lock (``fcntl.flock`` on ``<home>/.lock``).

Readers never take it: they read the committed manifest, which writers replace atomically. The
lock is re-entrant within a process (one ``HomeLock`` per Assistant) and is released by the
kernel when its holder dies, so a ``kill -9`` never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

LOCK_FILE = ".lock"


class IndexBusy(RuntimeError):
    """Another process kept the index locked for longer than the timeout."""


class HomeLock:
    def __init__(self, home: str | Path, timeout: float = 1800.0):
        self.path = Path(home) / LOCK_FILE
        self.timeout = timeout
        self._thread_lock = threading.RLock()
        self._fh: IO[str] | None = None
        self._depth = 0

    @contextmanager
    def hold(self) -> Iterator[None]:
        with self._thread_lock:
            if self._depth == 0:
                self._acquire()
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._release()

    @property
    def held(self) -> bool:
        return self._depth > 0

    def _acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release()
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    fh.close()
                    raise IndexBusy(
                        f"another process has been writing to {self.path.parent} for over "
                        f"{self.timeout:.0f} s; try again when it has finished"
                    ) from None
                time.sleep(0.05)
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        self._fh = fh

    def _release(self) -> None:
        fh, self._fh = self._fh, None
        if fh is not None:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
            finally:
                fh.close()
