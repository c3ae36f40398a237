"""A progress bar for long scans on an interactive terminal, and nowhere else.

Never shown in CI (``CI`` set), when standard error is not a terminal, with ``TERM=dumb``,
for machine-readable output formats or ``--quiet`` (the caller decides those two), nor
for scans with fewer than ``MIN_FILES`` files left to check after the cache. rich is
imported only when a bar is actually drawn, and the bar is refreshed by the caller's
thread (no refresh thread: the process pool may fork while it is shown).
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any, Callable, Optional

MIN_FILES = 200
REFRESH_SECONDS = 0.1


def wanted(enabled: bool = True) -> bool:
    if not enabled or os.environ.get("CI") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class ProgressBar:
    """Use as a context manager; pass ``callback`` as ``check_paths(progress=...)``."""

    def __init__(self, enabled: bool, description: str = "Checking") -> None:
        self.enabled = enabled and wanted()
        self.description = description
        self._progress: Any = None
        self._task: Any = None
        self._last = 0.0

    def __enter__(self) -> "ProgressBar":
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    @property
    def callback(self) -> Optional[Callable[[int, int], None]]:
        return self._update if self.enabled else None

    def _update(self, done: int, total: int) -> None:
        if self._progress is None:
            if total - done < MIN_FILES:
                self.enabled = False
                return
            self._start(done, total)
        now = time.monotonic()
        if done < total and now - self._last < REFRESH_SECONDS:
            return
        self._last = now
        self._progress.update(self._task, completed=done, total=total)
        self._progress.refresh()

    def _start(self, done: int, total: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=Console(file=sys.stderr), auto_refresh=False, transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task(self.description, total=total, completed=done)
