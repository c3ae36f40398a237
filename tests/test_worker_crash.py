"""A worker process that dies hard (``os._exit``, a segfault, the OOM killer) costs the file it
was working on, not the run: ``check`` and ``fix`` report that file and handle every other one
(issue 14). The test hook replaces the per-file function before the pool forks, so the forked
worker runs it; the files whose name contains ``crash`` kill their worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import portlint.fixer as fixer
import portlint.parallel as parallel
from conftest import shipped_ruleset
from portlint.config import Settings
from portlint.engine import Linter

pytestmark = pytest.mark.skipif(not parallel._can_fork(), reason="the hook reaches the workers by fork")

CODE = "import torch\nx = torch.zeros(2).cuda()\ntorch.cuda.synchronize()\n"


def make_tree(root: Path, files: int = 30, crashing: tuple[int, ...] = (7,)) -> list[str]:
    names = []
    for number in range(files):
        name = f"crash_{number:02d}.py" if number in crashing else f"mod_{number:02d}.py"
        (root / name).write_text(CODE)
        names.append(str(root / name))
    return names


def kill_on_crash_files(monkeypatch: pytest.MonkeyPatch, module, attribute: str, how) -> None:  # type: ignore[no-untyped-def]
    real = getattr(module, attribute)

    def hooked(linter, path, *args):  # type: ignore[no-untyped-def]
        if "crash" in os.path.basename(path) and os.getpid() != PARENT:
            how()
        return real(linter, path, *args)

    monkeypatch.setattr(module, attribute, hooked)


PARENT = os.getpid()


def small_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "PARALLEL_MIN_FILES", 2)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(fixer, "PARALLEL_MIN_FIXES", 2)


def segfault() -> None:
    os.kill(os.getpid(), signal.SIGSEGV)


@pytest.mark.parametrize("how, reason", [(lambda: os._exit(3), "exit code 3"), (segfault, "SIGSEGV")])
def test_check_reports_the_file_whose_worker_died(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  how, reason: str) -> None:  # type: ignore[no-untyped-def]
    files = make_tree(tmp_path, crashing=(3, 17))
    small_pool(monkeypatch)
    kill_on_crash_files(monkeypatch, parallel, "check_one", how)
    linter = Linter(Settings(root=tmp_path), shipped_ruleset())
    report = linter.check_files(files, jobs=2)
    assert sorted(os.path.basename(e.path) for e in report.errors) == ["crash_03.py", "crash_17.py"]
    assert all(reason in e.reason and "worker process" in e.reason for e in report.errors)
    checked = {f.path for f in report.findings}
    assert checked == {path for path in files if "crash" not in path}  # every other file was checked
    serial = Linter(Settings(root=tmp_path), shipped_ruleset()).check_files(
        [p for p in files if "crash" not in p], jobs=1)
    assert report.findings == serial.findings


def test_a_worker_that_dies_on_every_file_does_not_hang(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = make_tree(tmp_path, files=12, crashing=tuple(range(12)))
    small_pool(monkeypatch)
    kill_on_crash_files(monkeypatch, parallel, "check_one", lambda: os._exit(1))
    report = Linter(Settings(root=tmp_path), shipped_ruleset()).check_files(files, jobs=2)
    assert len(report.errors) == 12 and not report.findings


def test_fix_reports_the_file_whose_worker_died(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = make_tree(tmp_path, files=20, crashing=(5,))
    small_pool(monkeypatch)
    kill_on_crash_files(monkeypatch, fixer, "fix_file", segfault)
    linter = Linter(Settings(root=tmp_path), shipped_ruleset())
    run = fixer.fix_paths(linter, files, unsafe=True, jobs=2)
    assert [os.path.basename(e.path) for e in run.report.errors] == ["crash_05.py"]
    assert "SIGSEGV" in run.report.errors[0].reason
    assert Path(files[5]).read_text() == CODE  # untouched, and its findings still reported
    assert {os.path.basename(f.path) for f in run.report.findings} == {"crash_05.py"}
    for path in files:
        if "crash" not in path:
            assert "cuda()" not in Path(path).read_text(), path


def test_the_cli_reports_the_file_and_goes_on(tmp_path: Path) -> None:
    make_tree(tmp_path, files=20, crashing=(11,))
    hook = textwrap.dedent("""
        import os, sys
        import portlint.parallel as p
        p.PARALLEL_MIN_FILES, p.PARALLEL_MIN_BYTES = 2, 0
        real, parent = p.check_one, os.getpid()
        def hooked(linter, path, *args):
            if "crash" in path and os.getpid() != parent:
                os._exit(9)
            return real(linter, path, *args)
        p.check_one = hooked
        from portlint.cli import main
        main()
    """)
    result = subprocess.run([sys.executable, "-c", hook, "check", "--no-cache", "--jobs", "2",
                             "--output-format", "concise", str(tmp_path)],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
    assert result.returncode == 1, result.stderr
    assert "crash_11.py" in result.stderr and "exit code 9" in result.stderr, result.stderr
    assert result.stdout.count("mod_") == 19 * 2  # every other file's two findings
