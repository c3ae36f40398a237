"""The process pool (portlint/parallel.py): same report whatever the number of jobs."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

import portlint.parallel as parallel
from conftest import shipped_ruleset
from portlint.config import Settings
from portlint.engine import Linter

SNIPPETS = [
    "import torch\nx = torch.zeros(2).cuda()\n",
    "import torch\ntorch.cuda.synchronize()\ndevice = 'cuda:0'\n",
    "import os\nprint(os.sep)\n",
    "import torch\nif x.device.type == 'cuda':\n    torch.backends.cudnn.benchmark = True\n",
    "def broken(:\n    torch.cuda.x\n",  # syntax error, but it mentions cuda
]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for number in range(60):
        package = tmp_path / f"pkg{number % 7}"
        package.mkdir(exist_ok=True)
        (package / f"mod{number:02d}.py").write_text(SNIPPETS[number % len(SNIPPETS)] * (1 + number % 3))
    (tmp_path / "pkg0" / "binary.py").write_bytes(b"\x00\x01cuda")
    return tmp_path


def linter(root: Path) -> Linter:
    return Linter(Settings(root=root), shipped_ruleset())


def snapshot(report) -> tuple:
    return ([(f.path, f.line, f.column, f.code, f.message, f.fix) for f in report.findings],
            [(e.path, e.reason) for e in report.errors], report.files_checked, report.files_parsed, report.files)


def test_jobs_do_not_change_the_report(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "PARALLEL_MIN_FILES", 2)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)
    started = []
    real_start = parallel._start_pool
    monkeypatch.setattr(parallel, "_start_pool", lambda l, w: started.append(w) or real_start(l, w))
    serial = linter(tree).check_paths([str(tree)], jobs=1)
    assert not started
    two = linter(tree).check_paths([str(tree)], jobs=2)
    three = linter(tree).check_paths([str(tree)], jobs=3)
    assert started == [2, 3]
    assert snapshot(serial) == snapshot(two) == snapshot(three)
    assert serial.findings and len(serial.errors) == 13  # 12 syntax errors + the binary file
    assert serial.files_parsed < serial.files_checked  # the plain files were never parsed


def test_small_inputs_stay_in_this_process(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_pool(*args):
        raise AssertionError("a pool was started for a small input")

    monkeypatch.setattr(parallel, "_start_pool", no_pool)
    files = sorted(str(p) for p in tree.rglob("*.py"))[: parallel.PARALLEL_MIN_FILES - 1]
    report = linter(tree).check_paths(files, jobs=4)
    assert report.files_checked == len(files)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_FILES", 2)  # many files, but little code
    assert linter(tree).check_paths([str(tree)], jobs=4).files_checked == 61


def test_cache_and_pool_together(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "PARALLEL_MIN_FILES", 2)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)
    cache_dir = tree / ".cache"
    cold = linter(tree).check_paths([str(tree)], jobs=2, cache=cache_dir)
    warm = linter(tree).check_paths([str(tree)], jobs=2, cache=cache_dir)
    assert snapshot(cold) == snapshot(warm)
    # Syntax and decoding errors depend on the content only: they are cached too.
    assert warm.files_cached == warm.files_checked
    assert cold.files_cached == 0


def test_progress_reports_every_file(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "PARALLEL_MIN_FILES", 2)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)
    seen: list[tuple[int, int]] = []
    report = linter(tree).check_paths([str(tree)], jobs=2, progress=lambda d, t: seen.append((d, t)))
    assert seen[0] == (0, report.files_checked)
    assert seen[-1] == (report.files_checked, report.files_checked)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_spawned_workers_rebuild_the_linter(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where fork is not used (macOS, Windows), workers rebuild the Linter from settings."""
    lint = Linter.from_settings(Settings(root=tree))
    files = sorted(str(p) for p in tree.rglob("*.py"))[:6]
    context = multiprocessing.get_context("spawn")
    with context.Pool(1, initializer=parallel._initialize,
                      initargs=(os.getpid(), lint.settings, tuple(lint.ruleset.files))) as pool:
        outcomes = pool.map(parallel._work, [(n, path, None, False) for n, path in enumerate(files)])
    for (number, outcome), (index, path) in zip(outcomes, enumerate(files), strict=True):
        assert number == index
        expected = lint.check_file(path)
        assert outcome.result is not None
        assert outcome.result.findings == expected.findings and outcome.result.error == expected.error, path


def test_default_jobs_is_the_cpu_count() -> None:
    assert parallel.default_jobs() >= 1
    assert parallel._workers_for(1000, 0) == parallel.default_jobs()
    assert parallel._workers_for(1000, 1) == 1
    assert parallel._workers_for(parallel.PARALLEL_MIN_FILES - 1, 8) == 1
    assert parallel._workers_for(1000, 3) == 3
    assert parallel._workers_for(1000, 3, parallel.PARALLEL_MIN_BYTES - 1) == 1  # too little code


def test_without_fork_a_pool_needs_more_code(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "_can_fork", lambda: False)
    assert parallel._workers_for(1000, 2, parallel.SPAWN_MIN_BYTES - 1) == 1
    assert parallel._workers_for(1000, 2, parallel.SPAWN_MIN_BYTES) == 2
