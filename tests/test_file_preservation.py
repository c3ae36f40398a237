"""``portlint fix`` keeps what files are: read-only files, hard links, owner and group,
and encodings that would not survive a rewrite are left alone (and reported)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

CUDA = "import torch\nx = torch.zeros(3).cuda()\n"


def fix(cwd: Path, *paths: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "portlint", "fix", "--unsafe-fixes", "--no-cache", *paths],
                          cwd=cwd, capture_output=True, text=True, timeout=60)


def test_read_only_file_is_not_rewritten(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(CUDA)
    (tmp_path / "b.py").write_text(CUDA)
    (tmp_path / "a.py").chmod(0o444)
    proc = fix(tmp_path, ".")
    assert proc.returncode == 1
    assert (tmp_path / "a.py").read_text() == CUDA  # even as root
    assert stat.S_IMODE((tmp_path / "a.py").stat().st_mode) == 0o444
    [line] = [line for line in proc.stderr.splitlines() if "a.py" in line]
    assert line.startswith("portlint: a.py: ") and "read-only, not rewritten" in line, line
    assert ".cuda()" not in (tmp_path / "b.py").read_text()


@pytest.mark.skipif(not hasattr(os, "link"), reason="hard links")
def test_hard_linked_file_is_not_split(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(CUDA)
    os.link(tmp_path / "a.py", tmp_path / "b.py")
    proc = fix(tmp_path, "a.py")
    assert proc.returncode == 1
    assert (tmp_path / "a.py").stat().st_ino == (tmp_path / "b.py").stat().st_ino
    assert (tmp_path / "a.py").read_text() == CUDA
    [line] = [line for line in proc.stderr.splitlines() if "a.py" in line]
    assert line.startswith("portlint: a.py: ") and "has 2 hard links; not rewritten" in line, line


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown")
def test_owner_and_group_are_kept_when_running_as_root(tmp_path: Path) -> None:
    target = tmp_path / "a.py"
    target.write_text(CUDA)
    os.chown(target, 65534, 65534)
    target.chmod(0o640)
    proc = fix(tmp_path, "a.py")
    assert proc.returncode in (0, 1), proc.stderr
    assert ".cuda()" not in target.read_text()
    info = target.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (65534, 65534, 0o640)


@pytest.mark.parametrize("data", [
    b"# coding: unicode_escape\nimport torch\nx = torch.zeros(3).cuda()\n",  # rewritten as one line
    b"# coding: utf-7\nimport torch\nx = torch.zeros(3).cuda()  # caf+AOk- ~\n",  # bytes change
    b"# coding: utf-7\nimport torch\nx = torch.zeros(3).cuda()  # caf+AOk ok\n",  # stateful codec
], ids=["unicode_escape", "utf-7", "utf-7-canonical"])
def test_codecs_that_do_not_round_trip_are_not_fixed(tmp_path: Path, data: bytes) -> None:
    (tmp_path / "a.py").write_bytes(data)
    (tmp_path / "b.py").write_text(CUDA)
    proc = fix(tmp_path, ".")
    assert proc.returncode == 1
    assert (tmp_path / "a.py").read_bytes() == data
    [line] = [line for line in proc.stderr.splitlines() if "a.py" in line]
    assert line.startswith("portlint: a.py: not fixed: ") and "encoding" in line, line
    assert ".cuda()" not in (tmp_path / "b.py").read_text()
