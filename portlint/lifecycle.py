"""Worker processes live no longer than the portlint process that started them.

A supervisor, a CI runner or a user may kill the main process with SIGTERM, SIGHUP or
SIGKILL, none of which lets it stop its pool. Each worker therefore asks Linux to kill it
when its parent dies (``prctl(PR_SET_PDEATHSIG, SIGKILL)``), checks that the parent is
still the one that started it (it may have died before the request), and checks again
right before it commits a rewritten file: a worker never writes after portlint is gone.
Elsewhere only the checks apply.
"""

from __future__ import annotations

import os
import signal
import sys

_PARENT: int | None = None  # set in workers: the pid of the portlint process that started them
_PR_SET_PDEATHSIG = 1


def bind_to_parent(parent: int) -> None:
    """Pool initializer: die with ``parent``; Ctrl-C is the parent's to handle."""
    global _PARENT
    _PARENT = parent
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process stops the pool
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - no prctl: the checks remain
            pass
    exit_if_orphaned()


def exit_if_orphaned() -> None:
    """In a worker whose portlint process is gone: stop now, writing nothing more."""
    if _PARENT is not None and os.getppid() != _PARENT:
        os._exit(1)
