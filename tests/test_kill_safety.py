"""Killing ``portlint fix`` is safe: its workers die with it and never write after it is
gone, temporary files of an earlier killed run are removed, Ctrl-C still stops a run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux process model (/proc)")

BLOCK = ('x{n} = torch.zeros(2, device="cuda")\nm{n} = nn.Linear(2, 2).cuda()\n'
         "torch.cuda.synchronize()\nwith torch.cuda.amp.autocast():\n    y{n} = 1\n")


def make_tree(directory: Path, files: int = 500) -> None:
    directory.mkdir()
    for number in range(files):
        body = "".join(BLOCK.format(n=i) for i in range(15))
        (directory / f"mod_{number:03d}.py").write_text("import torch\nimport torch.nn as nn\n" + body)


def group_members(group: int) -> list[int]:
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            members.append(int(entry))
    return members


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in directory.iterdir() if p.is_file()}


def rewritten(directory: Path) -> int:
    return sum(1 for p in directory.glob("mod_*.py") if "cuda()" not in p.read_text())


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL, signal.SIGHUP])
def test_workers_die_with_the_main_process(tmp_path: Path, signum: int) -> None:
    directory = tmp_path / "tree"
    make_tree(directory)
    process = subprocess.Popen([sys.executable, "-m", "portlint", "fix", "--unsafe-fixes", "--no-cache",
                                "--jobs", "2", str(directory)], start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while rewritten(directory) < 5 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.01)
        assert process.poll() is None, "finished before it could be killed: make the tree bigger"
        assert len(group_members(process.pid)) >= 2, "no worker processes to test"
        os.kill(process.pid, signum)  # the main process only, as a supervisor would
        process.wait(timeout=30)
        deadline = time.monotonic() + 10
        while group_members(process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert group_members(process.pid) == [], "worker processes outlived the main process"
        before = snapshot(directory)
        time.sleep(1.0)
        assert snapshot(directory) == before, "files changed after portlint was killed"
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_stale_temporary_files_are_removed(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("import torch\nx = torch.zeros(3).cuda()\n")
    (tmp_path / "pkg" / "b.py").write_text("x = 1\n")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = [tmp_path / "pkg" / f".portlint-a.py.{dead.pid}.k2j3.tmp",   # a killed run's
             tmp_path / "pkg" / ".portlint-b.py.x7_1q0.tmp"]             # an older version's
    live = tmp_path / "pkg" / f".portlint-a.py.{os.getpid()}.zz9.tmp"    # a running fix's
    for path in [*stale, live]:
        path.write_text("half a file")
    old = time.time() - 3600
    os.utime(stale[1], (old, old))
    proc = subprocess.run([sys.executable, "-m", "portlint", "fix", "--unsafe-fixes", str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode in (0, 1), proc.stderr
    assert [p.exists() for p in stale] == [False, False]
    assert live.exists()
    assert "internal error" not in proc.stderr


def test_sigint_still_stops_a_run(tmp_path: Path) -> None:
    directory = tmp_path / "tree"
    make_tree(directory, 300)
    process = subprocess.Popen([sys.executable, "-m", "portlint", "fix", "--unsafe-fixes", "--no-cache",
                                "--jobs", "2", str(directory)], start_new_session=True,
                               # a background job of a non-interactive shell (as .ci/run starts the
                               # other Pythons' runs) inherits SIGINT ignored: give the run the default
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while rewritten(directory) < 5 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.01)
        assert process.poll() is None
        os.kill(process.pid, signal.SIGINT)
        _, err = process.communicate(timeout=30)
        assert process.returncode == 130, err  # as before this issue: exit 130, no traceback
        assert "Traceback" not in err
        time.sleep(0.5)
        assert group_members(process.pid) == []
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
