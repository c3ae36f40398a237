"""The result cache stays inside the project and is never trusted blindly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

CUDA = "import torch\nx = torch.zeros(3).cuda()\n"


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "portlint", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=60)


def project(tmp_path: Path) -> Path:
    root = tmp_path / "outer" / "project"
    root.mkdir(parents=True)
    (root / "portlint.toml").write_text("")
    (root / "a.py").write_text(CUDA)
    return root


def test_cache_symlinked_outside_the_project_is_refused(tmp_path: Path) -> None:
    root = project(tmp_path)
    os.symlink("../..", root / ".portlint_cache")  # the reproduction
    before = sorted(p.name for p in tmp_path.iterdir())
    proc = run(root, "check", ".")
    assert proc.returncode == 1 and "PRT404" in proc.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert not (tmp_path / "CACHEDIR.TAG").exists() and not (tmp_path / ".gitignore").exists()
    assert not list(tmp_path.glob("v*.json"))
    [line] = proc.stderr.splitlines()
    assert line.startswith("portlint: warning: ") and ".portlint_cache" in line and "outside" in line, line


def test_cache_symlinked_inside_the_project_is_used(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "build-cache").mkdir()
    os.symlink("build-cache", root / ".portlint_cache")
    proc = run(root, "check", ".")
    assert proc.returncode == 1 and proc.stderr == ""
    assert list((root / "build-cache").glob("v*.json"))


def test_cache_that_is_not_a_directory_is_refused(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / ".portlint_cache").write_text("mine\n")
    proc = run(root, "check", ".")
    assert proc.returncode == 1 and "PRT404" in proc.stdout
    assert (root / ".portlint_cache").read_text() == "mine\n"
    [line] = proc.stderr.splitlines()
    assert "not a directory" in line, line


def test_cache_dir_that_is_not_portlints_gets_no_gitignore(tmp_path: Path) -> None:
    """``--cache-dir .`` must not write a '*' .gitignore into the project."""
    root = project(tmp_path)
    proc = run(root, "check", "--cache-dir", ".", ".")
    assert proc.returncode == 1
    assert not (root / ".gitignore").exists() and not (root / "CACHEDIR.TAG").exists()
    assert not list(root.glob("v*.json"))
    assert "not a portlint cache" in proc.stderr
    (root / "fresh").mkdir()
    proc = run(root, "check", "--cache-dir", "fresh", ".")  # empty: becomes the cache
    assert proc.stderr == "" and (root / "fresh" / "CACHEDIR.TAG").exists()


def _tamper(root: Path, change) -> None:
    [cache_file] = (root / ".portlint_cache").glob("v*.json")
    data = json.loads(cache_file.read_text())
    for entry in data["entries"].values():
        change(entry[4]["findings"][0])
    cache_file.write_text(json.dumps(data))


def test_cache_entries_out_of_range_are_not_used(tmp_path: Path) -> None:
    root = project(tmp_path)
    first = run(root, "check", "-f", "json", ".")
    expected = json.loads(first.stdout)
    for field, value in (("column", 10**9), ("line", 0), ("end_line", -5), ("end_column", 10**12),
                         ("line", 10**9)):
        _tamper(root, lambda finding: finding.__setitem__(field, value))
        proc = run(root, "check", ".")  # text output: no MemoryError
        assert "internal error" not in proc.stderr, proc.stderr
        assert f"{expected[0]['line']}:{expected[0]['column']} PRT404" in proc.stdout, (field, proc.stdout)
        again = run(root, "check", "-f", "json", ".")
        assert json.loads(again.stdout) == expected, field
