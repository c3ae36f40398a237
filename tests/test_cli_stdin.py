"""Standard input (``--stdin-filename``), the concise and json-lines formats,
``--show-settings``, ``--show-files`` and ``portlint clean``, through the real entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CUDA_CODE = 'import torch\nx = torch.zeros(2, device="cuda")\ny = x.cuda()\n'


def run(*args: str, stdin: bytes | None = None, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "portlint", *args], input=stdin, capture_output=True, cwd=cwd,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"}, timeout=120)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "pyproject.toml").write_text('[tool.portlint]\ntarget = "npu"\nexclude = ["gen"]\n'
                                                     '[tool.portlint.per-file-ignores]\n"legacy_*.py" = ["PRT401"]\n')
    (tmp_path / "train.py").write_text(CUDA_CODE)
    return tmp_path


def test_stdin_without_a_name_was_a_false_green(project: Path) -> None:
    """`echo 'x = y.cuda()' | portlint check -` said "All checks passed! (0 files checked)"."""
    proc = run("check", "-", stdin=b"x = y.cuda()\n", cwd=project)
    assert proc.returncode == 1, proc.stderr
    assert b"PRT404" in proc.stdout and b"no such file" not in proc.stderr


def test_stdin_filename_gives_config_ignores_and_name(project: Path) -> None:
    proc = run("check", "--stdin-filename", "pkg/legacy_train.py", "-f", "json", "-", stdin=CUDA_CODE.encode(),
               cwd=project)
    assert proc.returncode == 1, proc.stderr
    found = [(d["path"], d["code"], d["target"]) for d in json.loads(proc.stdout)]
    assert found == [("pkg/legacy_train.py", "PRT404", "npu")]  # npu from pkg/, PRT401 per-file-ignored
    # complete fixes come from the text read, not from a file (there is none)
    edits = json.loads(proc.stdout)[0]["fix"]["edits"]
    assert [(e["line"], e["content"]) for e in edits] == [(2, "import torch_npu  # noqa: F401\n"), (3, "npu")]
    # without "-": --stdin-filename alone reads standard input too (as in ruff)
    proc = run("check", "--stdin-filename", "pkg/a.py", "-f", "concise", stdin=CUDA_CODE.encode(), cwd=project)
    assert proc.stdout.decode().splitlines()[0].startswith("pkg/a.py:2:")


def test_stdin_exclude_applies_only_with_force_exclude(project: Path) -> None:
    assert run("check", "--stdin-filename", "pkg/gen/x.py", "-", stdin=CUDA_CODE.encode(), cwd=project).returncode == 1
    proc = run("check", "--force-exclude", "--stdin-filename", "pkg/gen/x.py", "-", stdin=CUDA_CODE.encode(),
               cwd=project)
    assert proc.returncode == 0, proc.stdout


def test_stdin_errors(project: Path) -> None:
    proc = run("check", "--stdin-filename", "a.py", "-", stdin=b"x = y.cuda(\n", cwd=project)
    assert proc.returncode == 1 and b"a.py: syntax error" in proc.stderr
    proc = run("check", "--stdin-filename", "a.py", "-", stdin=b"\x00\x01", cwd=project)
    assert proc.returncode == 1 and b"binary file" in proc.stderr
    proc = run("check", "-", "train.py", stdin=b"", cwd=project)
    assert proc.returncode == 2 and proc.stderr.count(b"\n") == 1
    proc = run("check", "--stdin-filename", "a.py", "train.py", stdin=b"", cwd=project)
    assert proc.returncode == 2 and b"--stdin-filename" in proc.stderr and proc.stderr.count(b"\n") == 1
    proc = run("check", "--stdin-filename", "a.py", "--select", "PRT9999", "-", stdin=b"", cwd=project)
    assert proc.returncode == 2 and b"PRT9999" in proc.stderr


def test_fix_stdin_prints_the_fixed_source(project: Path) -> None:
    source = "# -*- coding: latin-1 -*-\r\nimport torch\r\ns = 'caf\xe9'\r\nwith torch.cuda.amp.autocast():\r\n    pass\r\n"
    proc = run("fix", "--stdin-filename", "pkg/m.py", "-", stdin=source.encode("latin-1"), cwd=project)
    assert proc.returncode == 0, proc.stderr
    fixed = proc.stdout.decode("latin-1")
    assert 'torch.amp.autocast("npu")' in fixed or "torch_npu" in fixed, fixed  # npu target from pkg/
    assert "torch.cuda.amp" not in fixed and "s = 'caf\xe9'\r\n" in fixed and "\n" not in fixed.replace("\r\n", "")
    assert not (project / "pkg" / "m.py").exists()  # nothing written
    # remaining findings go to stderr (concise), and the exit code says they remain
    proc = run("fix", "--stdin-filename", "m.py", "-", stdin=CUDA_CODE.encode(), cwd=project)
    assert proc.returncode == 1
    assert proc.stdout.decode() == CUDA_CODE  # only unsafe fixes: unchanged
    concise = run("check", "-f", "concise", "--stdin-filename", "m.py", "-", stdin=CUDA_CODE.encode(), cwd=project)
    assert proc.stderr.decode().splitlines() == concise.stdout.decode().splitlines()
    assert [line.split(" ")[:2] for line in proc.stderr.decode().splitlines()] == [
        ["m.py:2:27:", "PRT401"], ["m.py:3:7:", "PRT404"]]
    proc = run("fix", "--unsafe-fixes", "--stdin-filename", "m.py", "-", stdin=CUDA_CODE.encode(), cwd=project)
    assert proc.returncode == 0 and b"cuda()" not in proc.stdout and proc.stderr == b""
    proc = run("check", "--diff", "--unsafe-fixes", "--stdin-filename", "m.py", "-", stdin=CUDA_CODE.encode(),
               cwd=project)
    assert proc.returncode == 1 and proc.stdout.startswith(b"---") and b"+y = x.to(DEVICE)" in proc.stdout


def test_concise_and_json_lines(project: Path) -> None:
    proc = run("check", "-f", "concise", "train.py", cwd=project)
    assert proc.returncode == 1
    lines = proc.stdout.decode().splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == ["train.py:2:27", "train.py:3:7"]
    assert all(len(line.split(" ")) > 2 and line.split(" ")[1] in ("PRT401", "PRT404") for line in lines)
    proc = run("check", "-f", "json-lines", "train.py", cwd=project)
    objects = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    full = json.loads(run("check", "-f", "json", "train.py", cwd=project).stdout)
    assert objects == full and len(objects) == 2


def test_concise_keeps_one_line_per_finding(tmp_path: Path) -> None:
    name = "we\nird.py"
    (tmp_path / name).write_text(CUDA_CODE)
    proc = run("check", "-f", "concise", name, cwd=tmp_path)
    assert proc.stdout.decode().splitlines()[0].startswith("we\\x0aird.py:2:27: PRT401")
    assert len(proc.stdout.decode().splitlines()) == 2


def test_show_settings(project: Path) -> None:
    proc = run("check", "--show-settings", "pkg/a.py", cwd=project)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode()
    assert f"config file: {project / 'pkg' / 'pyproject.toml'}" in out
    target = next(line for line in out.splitlines() if line.startswith("target"))
    assert '"npu"' in target and "pyproject.toml:2:" in target
    assert any(line.startswith("min-torch") and '"2.6"' in line and "# default" in line for line in out.splitlines())
    out = run("check", "--show-settings", "--target", "agnostic", "pkg/a.py", cwd=project).stdout.decode()
    assert any(line.startswith("target") and "--target" in line for line in out.splitlines())
    assert run("check", "--show-settings", "pkg", "train.py", cwd=project).returncode == 2


def test_show_files(project: Path) -> None:
    (project / "pkg" / "gen").mkdir()
    (project / "pkg" / "gen" / "g.py").write_text("x = 1\n")
    (project / "pkg" / "a.py").write_text("x = 1\n")
    proc = run("check", "--show-files", ".", cwd=project)
    assert proc.returncode == 0
    assert proc.stdout.decode().splitlines() == [os.path.join("pkg", "a.py"), os.path.join("pkg", "pyproject.toml"), "train.py"]  # dependency arrays are checked


def test_clean_removes_only_portlint_caches(project: Path) -> None:
    (project / "pkg" / "a.py").write_text(CUDA_CODE)
    assert run("check", "train.py", cwd=project).returncode == 1
    assert run("check", "pkg/a.py", cwd=project).returncode == 1
    caches = sorted(p.relative_to(project).as_posix() for p in project.rglob(".portlint_cache"))
    assert caches == [".portlint_cache", "pkg/.portlint_cache"]
    foreign = project / "other" / ".portlint_cache"
    foreign.mkdir(parents=True)
    (foreign / "precious.txt").write_text("keep me")
    proc = run("clean", cwd=project)
    assert proc.returncode == 1  # the foreign directory is reported
    assert not (project / ".portlint_cache").exists() and not (project / "pkg" / ".portlint_cache").exists()
    assert (foreign / "precious.txt").read_text() == "keep me"
    assert b"not a portlint cache" in proc.stderr
    (foreign / "precious.txt").unlink()
    foreign.rmdir()
    assert run("clean", cwd=project).returncode == 0
