"""Checking many files: cache look-ups in this process, the work in a process pool.

The main process stats every discovered file and answers what it can from the cache. The
rest (read, digest, decode, prefilter, parse, analyze) runs in worker processes, largest
files first so that the pool ends evenly, or in this process when there is too little
work to pay for starting workers (``PARALLEL_MIN_FILES``, ``PARALLEL_MIN_BYTES``).

Workers get the ``Linter`` by ``fork`` on Linux (nothing to rebuild or send); elsewhere
they rebuild it from the settings and ruleset files in the pool initializer. Results are
put back in discovery order, so the report does not depend on the number of jobs.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterator, Optional, TypeVar

from portlint.cache import Cache, Stat, file_digest, stat_key
from portlint.contain import file_failure
from portlint.lifecycle import bind_to_parent
from portlint.findings import FileError
from portlint.source import SourceError, read_bytes

if TYPE_CHECKING:
    from portlint.config import Settings
    from portlint.engine import Linter
    from portlint.findings import FileResult

# Below this much work (files to check after the cache, and their total size), one
# process is faster: starting workers and sending results back costs ~70 ms of CPU, and
# checking takes ~0.18 s per MB of typical PyTorch code (measured on 2 idle cores: the
# accelerate package, 80 files and 1.2 MB, takes 0.40 s with 2 workers, 0.46 s with one).
PARALLEL_MIN_FILES = 48
PARALLEL_MIN_BYTES = 1_000_000
# Without fork (macOS, Windows) each worker imports portlint and loads the rulesets
# itself (~0.3 s), so a pool pays off only for much more code.
SPAWN_MIN_BYTES = 8_000_000

Progress = Callable[[int, int], None]  # (files done, files in total)


@dataclass
class Outcome:
    """What checking one file produced, as sent back by a worker."""

    result: Optional["FileResult"]  # None: the content has the cached digest (unchanged)
    digest: str | None = None
    stat: Stat | None = None
    cacheable: bool = False  # False for read errors (they depend on more than content)


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def check_one(linter: "Linter", path: str, expected_digest: str | None, want_digest: bool) -> Outcome:
    """Check one file; any failure becomes the file's error (never raises)."""
    try:
        return _check_one(linter, path, expected_digest, want_digest)
    except Exception as exc:  # noqa: BLE001 - one file never ends the run
        from portlint.engine import FileResult

        return Outcome(FileResult(path, error=file_failure(path, exc, "check")))


def _check_one(linter: "Linter", path: str, expected_digest: str | None, want_digest: bool) -> Outcome:
    try:
        stat: Stat | None = stat_key(os.stat(path))
    except OSError:
        stat = None
    try:
        data = read_bytes(path, linter.settings.max_file_size)
    except SourceError as exc:
        from portlint.engine import FileResult

        return Outcome(FileResult(path, error=FileError(path, str(exc))))
    digest = file_digest(data) if want_digest or expected_digest is not None else None
    if expected_digest is not None and digest == expected_digest:
        return Outcome(None, digest, stat, True)
    return Outcome(linter.check_bytes(data, path), digest, stat, True)


def check_files(linter: "Linter", files: list[str], cache: Cache | None = None,
                jobs: int | None = None, progress: Progress | None = None) -> tuple[list["FileResult"], int]:
    """Results for ``files`` in their order, and how many came from the cache."""
    results: list[FileResult | None] = [None] * len(files)
    tasks: list[tuple[int, str, str | None, int]] = []
    cached = 0
    for number, path in enumerate(files):
        try:
            info = os.stat(path)
            stat: Stat | None = stat_key(info)
        except OSError:
            stat = None
        expected = None
        if cache is not None:
            hit, expected = cache.lookup(path, stat)
            if hit is not None:
                results[number] = hit
                cached += 1
                continue
        tasks.append((number, path, expected, stat[1] if stat else 0))
    total = len(files)
    done = total - len(tasks)
    if progress is not None:
        progress(done, total)

    def accept(number: int, outcome: Outcome) -> None:
        nonlocal done, cached
        path = files[number]
        result = outcome.result
        if result is None:  # unchanged content, new stat
            assert cache is not None and outcome.digest is not None
            result = cache.cached_result(path)
            if result is None:  # cannot happen with a valid entry; check it to be safe
                outcome = check_one(linter, path, None, True)
                result = outcome.result
                assert result is not None
            else:
                cached += 1
                cache.refresh(path, outcome.stat, outcome.digest)
        if cache is not None and outcome.result is not None:
            if outcome.cacheable and outcome.digest is not None:
                cache.store(path, outcome.stat, outcome.digest, outcome.result)
            else:
                cache.forget(path)
        results[number] = result
        done += 1
        if progress is not None:
            progress(done, total)

    workers = _workers_for(len(tasks), jobs, sum(task[3] for task in tasks))
    want_digest = cache is not None
    if workers <= 1:
        for number, path, expected, _size in tasks:
            accept(number, check_one(linter, path, expected, want_digest))
    else:
        tasks.sort(key=lambda task: -task[3])  # largest first: the pool ends evenly
        work = [(number, path, expected, want_digest) for number, path, expected, _size in tasks]
        chunk = max(1, min(16, len(work) // (workers * 8)))
        for number, outcome in map_unordered(linter, _check_task, work, workers, chunk, _check_crashed):
            accept(number, outcome)
    assert all(result is not None for result in results)
    return results, cached  # type: ignore[return-value]


def _workers_for(tasks: int, jobs: int | None, size: int = PARALLEL_MIN_BYTES) -> int:
    wanted = default_jobs() if jobs is None or jobs <= 0 else jobs
    min_bytes = PARALLEL_MIN_BYTES if _can_fork() else max(PARALLEL_MIN_BYTES, SPAWN_MIN_BYTES)
    if wanted <= 1 or tasks < PARALLEL_MIN_FILES or size < min_bytes:
        return 1
    return min(wanted, tasks)


# --------------------------------------------------------------------------- the pool

_LINTER: Optional["Linter"] = None
T = TypeVar("T")
R = TypeVar("R")


def map_unordered(linter: "Linter", function: Callable[["Linter", T], R], items: list[T], workers: int,
                  chunksize: int = 1, crashed: Callable[[T, str], R] | None = None) -> Iterator[R]:
    """``function(linter, item)`` for every item in a pool of ``workers`` processes, the
    results as they complete: the one process pool of ``check`` and ``fix``. ``function``
    must be a module-level function (it is sent to the workers by name).

    A worker that dies (a segfault in an extension, the OOM killer, ``os._exit``) costs
    the item it was working on, not the run: that item's result is ``crashed(item,
    reason)``, a new worker takes over the rest (without ``crashed``: RuntimeError)."""
    pool = _start_pool(linter, workers)
    try:
        yield from pool.run(function, items, chunksize, crashed)
    finally:
        pool.close()


class WorkerCrash(RuntimeError):
    """A worker process died (and the caller gave no ``crashed``)."""


def _crash_reason(exitcode: int | None) -> str:
    import signal

    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"the worker process handling this file was killed ({name}); the other files were handled"
    return f"the worker process handling this file died (exit code {exitcode}); the other files were handled"


class _Worker:
    def __init__(self, context, initializer: Callable[..., None], initargs: tuple) -> None:  # type: ignore[no-untyped-def]
        here, there = context.Pipe()
        self.connection = here
        self.process = context.Process(target=_worker_main, args=(there, initializer, initargs), daemon=True)
        self.process.start()
        there.close()
        self.ready = False
        self.held: list[tuple[int, object]] = []  # (number, item) sent and not answered yet


class _Pool:
    """Worker processes, each fed one chunk of items at a time through its own pipe, so
    that the parent always knows which items a dead worker held. A worker answers a whole
    chunk in one message (one message per item cost ~5% of a run's CPU); when it dies
    holding several items, they are tried again one per chunk, so that the death is
    reported for the item that causes it."""

    def __init__(self, context, workers: int, initializer: Callable[..., None], initargs: tuple) -> None:  # type: ignore[no-untyped-def]
        self.context = context
        self.size = workers
        self.initializer = initializer
        self.initargs = initargs
        self.workers: list[_Worker] = []
        self.failed_starts = 0

    def run(self, function: Callable[["Linter", T], R], items: list[T], chunksize: int,
            crashed: Callable[[T, str], R] | None) -> Iterator[R]:
        from collections import deque
        from multiprocessing.connection import wait

        pending: deque[list[tuple[int, T]]] = deque()
        numbered = list(enumerate(items))
        for start in range(0, len(numbered), max(1, chunksize)):
            pending.append(numbered[start:start + max(1, chunksize)])
        left = len(items)
        while left:
            while pending and len(self.workers) < self.size:
                self.workers.append(_Worker(self.context, self.initializer, self.initargs))
            for worker in list(self.workers):
                if not worker.held and pending:
                    chunk = pending.popleft()
                    try:
                        worker.connection.send((function, chunk))
                        worker.held = list(chunk)
                    except OSError:  # it died idle: the chunk waits for a new worker
                        pending.appendleft(chunk)
                        self._forget(worker)
            if not self.workers:
                continue
            busy = [w for w in self.workers if w.held or not w.ready]
            ready = set(wait([w.connection for w in busy] + [w.process.sentinel for w in busy]))
            for worker in busy:
                if worker.connection not in ready and worker.process.sentinel not in ready:
                    continue
                messages, died = [], False
                try:
                    while worker.connection.poll():
                        messages.append(worker.connection.recv())
                except (EOFError, OSError):
                    died = True
                for message in messages:
                    if message == "ready":
                        worker.ready = True
                        continue
                    worker.held = []  # a chunk's answers come together
                    for number, kind, value in message:
                        if kind == "raise":
                            raise value
                        left -= 1
                        yield value
                if not died and worker.process.is_alive():
                    continue
                self._forget(worker)
                if not worker.ready:  # died starting: what it held was not begun
                    pending.extendleft([[entry] for entry in reversed(worker.held)])
                    continue
                if len(worker.held) > 1:  # which one? each again on its own
                    pending.extendleft([[entry] for entry in reversed(worker.held)])
                elif worker.held:
                    (_, item), = worker.held
                    reason = _crash_reason(worker.process.exitcode)
                    if crashed is None:
                        raise WorkerCrash(reason)
                    left -= 1
                    yield crashed(item, reason)  # type: ignore[arg-type]

    def _forget(self, worker: _Worker) -> None:
        """A dead worker leaves the pool (a new one takes its place, unless workers keep
        dying before they are ready: then the pool cannot work)."""
        worker.process.join()
        worker.connection.close()
        self.workers.remove(worker)
        if not worker.ready:
            self.failed_starts += 1
            if self.failed_starts > 2 * self.size + 2:
                raise RuntimeError(f"worker processes fail to start (exit code {worker.process.exitcode})")

    def close(self) -> None:
        for worker in self.workers:
            if worker.process.is_alive():
                worker.process.terminate()
        for worker in self.workers:
            worker.process.join()
            worker.connection.close()
        self.workers = []


def _worker_main(connection, initializer: Callable[..., None], initargs: tuple) -> None:  # type: ignore[no-untyped-def]
    """A worker: initialize, then answer each chunk (in one message) until the pipe closes."""
    initializer(*initargs)
    connection.send("ready")
    while True:
        try:
            function, chunk = connection.recv()
        except (EOFError, OSError):
            return
        answers = []
        for number, item in chunk:
            try:
                answers.append((number, "result", _call((function, item))))
            except Exception as exc:  # noqa: BLE001 - sent back and raised in the parent
                answers.append((number, "raise", exc))
        connection.send(answers)


def _call(task: tuple[Callable[["Linter", T], R], T]) -> R:
    function, item = task
    assert _LINTER is not None
    return function(_LINTER, item)


def _can_fork() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def _start_pool(linter: "Linter", workers: int) -> "_Pool":
    global _LINTER
    import multiprocessing  # only here: a single-file run never pays for it

    if _can_fork():
        linter.index  # built once, here: the forked workers inherit it
        _LINTER = linter  # inherited by the forked workers
        return _Pool(multiprocessing.get_context("fork"), workers, bind_to_parent, (os.getpid(),))
    return _Pool(multiprocessing.get_context("spawn"), workers, _initialize,
                 (os.getpid(), type(linter), linter.settings, tuple(linter.ruleset.files)))


def _initialize(parent: int, linter_class: type, settings: "Settings", ruleset_files: tuple[str, ...]) -> None:
    """A spawned worker rebuilds the linter (the class comes by reference: no import of
    the engine here)."""
    global _LINTER
    from pathlib import Path

    bind_to_parent(parent)

    from portlint.rules import load_rulesets

    _LINTER = linter_class(settings, load_rulesets([Path(name) for name in ruleset_files]))


def _check_crashed(task: tuple[int, str, str | None, bool], reason: str) -> tuple[int, Outcome]:
    """The outcome of a file whose worker died: an error for that file."""
    from portlint.engine import FileResult

    number, path = task[0], task[1]
    return number, Outcome(FileResult(path, error=FileError(path, reason)))


def _check_task(linter: "Linter", task: tuple[int, str, str | None, bool]) -> tuple[int, Outcome]:
    number, path, expected, want_digest = task
    return number, check_one(linter, path, expected, want_digest)
