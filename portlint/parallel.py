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
from typing import TYPE_CHECKING, Callable, Optional

from portlint.cache import Cache, Stat, file_digest, stat_key
from portlint.contain import file_failure
from portlint.lifecycle import bind_to_parent
from portlint.findings import FileError
from portlint.source import SourceError, read_bytes

if TYPE_CHECKING:
    from portlint.config import Settings
    from portlint.engine import FileResult, Linter

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
        pool = _start_pool(linter, workers)
        try:
            for number, outcome in pool.imap_unordered(_work, work, chunksize=chunk):
                accept(number, outcome)
        finally:
            pool.terminate()
            pool.join()
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


def _can_fork() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def _start_pool(linter: "Linter", workers: int):  # -> multiprocessing.pool.Pool
    global _LINTER
    import multiprocessing  # only here: a single-file run never pays for it

    if _can_fork():
        _LINTER = linter  # inherited by the forked workers
        return multiprocessing.get_context("fork").Pool(workers, initializer=bind_to_parent,
                                                        initargs=(os.getpid(),))
    context = multiprocessing.get_context("spawn")
    return context.Pool(workers, initializer=_initialize,
                        initargs=(os.getpid(), linter.settings, tuple(linter.ruleset.files)))


def _initialize(parent: int, settings: "Settings", ruleset_files: tuple[str, ...]) -> None:
    global _LINTER
    from pathlib import Path

    bind_to_parent(parent)

    from portlint.engine import Linter
    from portlint.rules import load_rulesets

    _LINTER = Linter(settings, load_rulesets([Path(name) for name in ruleset_files]))


def _work(task: tuple[int, str, str | None, bool]) -> tuple[int, Outcome]:
    number, path, expected, want_digest = task
    assert _LINTER is not None
    return number, check_one(_LINTER, path, expected, want_digest)
