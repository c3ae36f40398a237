"""Hostile input through the real command line: a failure in one file never ends the run,
only regular files are read, any file name works in every output, output is safe to print.

Each test is one reproduction of issue 14, run as a user would run it (a subprocess of
``python -m portlint`` in the directory, with a timeout: a regression that hangs fails
instead of hanging the suite).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

CUDA = "import torch\nx = torch.zeros(3).cuda()\n"
BAD_NAME = os.fsdecode(b"\xff.py")  # not valid UTF-8: a surrogate-escaped str


def run(cwd: Path, *args: str, timeout: float = 60, user: int | None = None,
        env: dict | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "portlint", *args], cwd=cwd, capture_output=True,
                          timeout=timeout, user=user, env={**os.environ, **(env or {})})
    return proc


def text(data: bytes) -> str:
    return data.decode("utf-8")  # strict: the output must be valid UTF-8


def assert_no_crash(proc: subprocess.CompletedProcess) -> None:
    err = proc.stderr.decode("utf-8", "replace")
    assert "internal error" not in err and "Traceback" not in err, err


# --------------------------------------------------------------------------- 1. per-file failures


def test_recursion_in_parse_is_one_file_error_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "deep.py").write_text("x=" + "+".join(["a"] * 100000) + "\ny=x.cuda()\n")
    (tmp_path / "ok.py").write_text(CUDA)
    for command in (["check", "--no-cache", "."], ["fix", "--no-cache", "--unsafe-fixes", "."]):
        proc = run(tmp_path, *command)
        assert_no_crash(proc)
        assert proc.returncode == 1, proc.stderr
        lines = text(proc.stderr).splitlines()
        assert any(line.startswith("portlint: deep.py: ") and "too deep" in line for line in lines), lines
    # the other file was checked, then fixed
    assert ".cuda()" not in (tmp_path / "ok.py").read_text()


def test_internal_error_in_one_file_is_contained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unexpected exception while analysing one file reports that file and goes on."""
    from conftest import linter_for
    import portlint.engine as engine

    (tmp_path / "a.py").write_text(CUDA)
    (tmp_path / "boom.py").write_text(CUDA + "# boom\n")
    real = engine.analyze

    def analyze(tree, text, path, index, *rest):
        if "boom" in path:
            raise KeyError("surprise")
        return real(tree, text, path, index, *rest)

    monkeypatch.setattr(engine, "analyze", analyze)
    report = linter_for("agnostic").check_paths([str(tmp_path)], jobs=1)
    [error] = report.errors
    assert error.path.endswith("boom.py") and "KeyError" in error.reason
    assert [f.path.endswith("a.py") for f in report.findings] == [True]


def test_internal_error_while_fixing_one_file_is_contained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import linter_for
    import portlint.fixer as fixer

    (tmp_path / "a.py").write_text(CUDA)
    (tmp_path / "boom.py").write_text(CUDA)
    real = fixer.fix_text

    def fix_text(text, linter, path="<string>", unsafe=False, *rest):
        if "boom" in path:
            raise RecursionError("maximum recursion depth exceeded")
        return real(text, linter, path, unsafe, *rest)

    monkeypatch.setattr(fixer, "fix_text", fix_text)
    run_ = fixer.fix_paths(linter_for("agnostic"), [str(tmp_path)], unsafe=True, jobs=1)
    assert [e.path.endswith("boom.py") for e in run_.report.errors] == [True]
    assert "too deep" in run_.report.errors[0].reason
    assert ".cuda()" not in (tmp_path / "a.py").read_text()
    assert (tmp_path / "boom.py").read_text() == CUDA


# --------------------------------------------------------------------------- 2. regular files only


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_is_reported_not_opened(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "p.py")
    (tmp_path / "ok.py").write_text(CUDA)
    for args in (["check", "."], ["check", "p.py"], ["fix", "--unsafe-fixes", "p.py", "ok.py"]):
        proc = run(tmp_path, *args, timeout=30)
        assert_no_crash(proc)
        assert proc.returncode == 1
        assert "portlint: p.py: not a regular file" in text(proc.stderr)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_device_file_is_not_read(tmp_path: Path) -> None:
    os.symlink("/dev/zero", tmp_path / "z.py")
    (tmp_path / "ok.py").write_text(CUDA)
    os.symlink("/dev/zero", tmp_path / "zero.toml")
    proc = run(tmp_path, "check", ".", timeout=30)
    assert_no_crash(proc)
    assert proc.returncode == 1
    assert "portlint: z.py: not a regular file (character device)" in text(proc.stderr)
    assert "PRT404" in text(proc.stdout)
    # as a ruleset: an error naming the ruleset, exit 2
    (tmp_path / "portlint.toml").write_text('rulesets = ["zero.toml"]\n')
    proc = run(tmp_path, "check", "ok.py", timeout=30)
    assert proc.returncode == 2
    assert "zero.toml" in text(proc.stderr) and "not a regular file" in text(proc.stderr)
    assert len(text(proc.stderr).splitlines()) == 1


def test_files_over_the_size_cap_are_reported_not_read(tmp_path: Path) -> None:
    (tmp_path / "big.py").write_text(CUDA + "# padding\n" * 200)
    (tmp_path / "ok.py").write_text(CUDA)
    (tmp_path / "portlint.toml").write_text("max-file-size = 1000\n")
    proc = run(tmp_path, "check", ".")
    assert_no_crash(proc)
    assert proc.returncode == 1
    assert "portlint: big.py: larger than max-file-size (2" in text(proc.stderr)
    assert text(proc.stdout).count("PRT404") == 1
    for bad in ('"big"', "-1", "true", "1.5"):
        (tmp_path / "portlint.toml").write_text(f"max-file-size = {bad}\n")
        proc = run(tmp_path, "check", ".")
        assert proc.returncode == 2
        assert "max-file-size" in text(proc.stderr) and len(text(proc.stderr).splitlines()) == 1


def _nobody() -> int | None:
    try:
        import pwd

        return pwd.getpwnam("nobody").pw_uid
    except (ImportError, KeyError):
        return None


def _as_non_root(function):
    """Run ``function()`` as a user the file permissions apply to, return its result.

    Root reads everything, so as root a forked child drops to 'nobody' first (no exec:
    the child keeps this interpreter and its imports, which 'nobody' may not be able to
    read). The result comes back through a pipe as JSON.
    """
    if os.geteuid() != 0:
        return function()
    user = _nobody()
    if user is None:
        pytest.skip("no 'nobody' user to drop to")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        status = 0
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(user)
            os.setuid(user)
            data = json.dumps(function()).encode()
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            data = json.dumps({"child error": repr(exc)}).encode()
            status = 1
        with os.fdopen(write_end, "wb") as stream:
            stream.write(data)
        os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as stream:
        data = stream.read()
    os.waitpid(pid, 0)
    return json.loads(data)


@pytest.mark.skipif(not hasattr(os, "geteuid") or not hasattr(os, "fork"), reason="POSIX permissions")
def test_unreadable_directory_is_reported_and_skipped() -> None:
    from conftest import linter_for

    linter = linter_for("agnostic")
    base = Path(tempfile.mkdtemp(prefix="portlint-perm-"))
    try:
        base.chmod(0o777)
        (base / "ok.py").write_text(CUDA)
        (base / "d").mkdir()
        (base / "d" / "hidden.py").write_text(CUDA)
        (base / "d" / "pyvenv.cfg").write_text("")
        (base / "e").mkdir()
        (base / "e" / ".gitignore").write_text("*.py\n")
        (base / "e").chmod(0o311)  # can enter, cannot list
        (base / "d").chmod(0o000)

        def check() -> dict:
            report = linter.check_paths([str(base)], jobs=1)
            return {"errors": [f"{os.path.abspath(e.path)}: {e.reason}" for e in report.errors],
                    "findings": [os.path.abspath(f.path) for f in report.findings]}

        result = _as_non_root(check)
        assert "child error" not in result, result
        assert result["findings"] == [str(base / "ok.py")], result
        assert [e.lower() for e in result["errors"]] == [f"{base / 'd'}: permission denied",
                                                       f"{base / 'e'}: permission denied"], result
    finally:
        (base / "d").chmod(0o755)
        (base / "e").chmod(0o755)
        import shutil

        shutil.rmtree(base)


def test_paths_beyond_path_max_are_reported(tmp_path: Path) -> None:
    (tmp_path / "ok.py").write_text(CUDA)
    # Build a chain longer than PATH_MAX (4096) with relative steps.
    fd = os.open(tmp_path, os.O_RDONLY)
    name = "d" * 200
    try:
        for _ in range(25):
            os.mkdir(name, dir_fd=fd)
            child = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = child
        with open(os.open("deep.py", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w") as handle:
            handle.write(CUDA)
    finally:
        os.close(fd)
    proc = run(tmp_path, "check", "--no-cache", ".")
    assert_no_crash(proc)
    assert proc.returncode == 1
    err = text(proc.stderr).splitlines()
    assert len(err) == 1 and "name too long" in err[0].lower(), err
    assert text(proc.stdout).count("PRT404") == 1
    import shutil

    shutil.rmtree(tmp_path / name)


# --------------------------------------------------------------------------- 3. any file name


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif", "gitlab", "junit"])
def test_non_utf8_file_name_in_every_format(tmp_path: Path, fmt: str) -> None:
    (tmp_path / BAD_NAME).write_text(CUDA)
    proc = run(tmp_path, "check", "-f", fmt, ".")  # with the cache
    assert_no_crash(proc)
    assert proc.returncode == 1
    out = text(proc.stdout)
    assert "PRT404" in out
    if fmt in ("json", "sarif", "gitlab"):
        json.loads(out)
    if fmt == "sarif":
        assert "%FF.py" in out
    elif fmt in ("text", "github", "junit"):
        assert "\\xff.py" in out
    again = run(tmp_path, "check", "-f", fmt, "-o", "report.out", ".")  # cache hit, -o
    assert_no_crash(again)
    assert again.returncode == 1
    assert "PRT404" in text((tmp_path / "report.out").read_bytes())


def test_non_utf8_file_name_baseline_and_fix(tmp_path: Path) -> None:
    (tmp_path / BAD_NAME).write_text(CUDA)
    proc = run(tmp_path, "check", "--write-baseline", "base.json", ".")
    assert_no_crash(proc)
    assert proc.returncode == 0
    json.loads((tmp_path / "base.json").read_bytes().decode("utf-8"))
    proc = run(tmp_path, "check", "--baseline", "base.json", ".")
    assert_no_crash(proc)
    assert proc.returncode == 0, proc.stdout  # the finding is known
    proc = run(tmp_path, "fix", "--diff", "--unsafe-fixes", ".")
    assert_no_crash(proc)
    assert "\\xff.py" in text(proc.stdout)
    proc = run(tmp_path, "fix", "--unsafe-fixes", "--show-fixes", ".")
    assert_no_crash(proc)
    assert ".cuda()" not in (tmp_path / BAD_NAME).read_text()


# --------------------------------------------------------------------------- 8. safe output


def test_file_name_cannot_inject_github_workflow_commands(tmp_path: Path) -> None:
    evil = "x\n::warning file=evil.py::INJECTED\n.py"
    (tmp_path / evil).write_text("x = y.cuda(\n")  # a syntax error: reported on stderr
    (tmp_path / (evil + "2.py")).write_text(CUDA)
    proc = run(tmp_path, "check", "-f", "github", ".")
    assert_no_crash(proc)
    for line in (text(proc.stdout) + text(proc.stderr)).splitlines():
        assert "INJECTED" not in line or not line.startswith("::warning file=evil"), line
        assert not line.startswith("::warning file=evil.py")
    assert "::warning file=evil.py::INJECTED" not in (text(proc.stdout) + text(proc.stderr)).splitlines()


def test_control_characters_never_reach_the_terminal_raw(tmp_path: Path) -> None:
    (tmp_path / "esc.py").write_text('import torch\nx = torch.zeros(1).cuda()  # \x1b[31mred\x1b[0m\x07\n')
    (tmp_path / "n\x1b[2Jame.py").write_text("y = x.cuda(\n")
    for fmt in ("text",):
        proc = run(tmp_path, "check", "-f", fmt, ".")
        assert_no_crash(proc)
        for stream in (proc.stdout, proc.stderr):
            assert b"\x1b" not in stream and b"\x07" not in stream, stream
        assert "\\x1b[31mred" in text(proc.stdout)
        assert "\\x1b[2Jame.py" in text(proc.stderr)


def test_usage_errors_are_one_line(tmp_path: Path) -> None:
    for args in (["check", "--target", "gpu", "."], ["check", "--no-such-option"], ["frobnicate"],
                 ["check", "-j", "-3"]):
        proc = run(tmp_path, *args)
        err = text(proc.stderr).strip().splitlines()
        assert proc.returncode == 2, (args, err)
        assert len(err) == 1 and err[0].startswith("portlint: error: "), err
        assert "╭" not in err[0]
    proc = run(tmp_path)  # no arguments: the help, as before
    assert "Usage" in text(proc.stdout) + text(proc.stderr)
