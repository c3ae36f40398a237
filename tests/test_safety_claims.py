"""README "Safety" claims that had no test of their own (issue 14: the section states only
what is tested): a socket is not read; bidirectional overrides and carriage returns in
source text and file names are escaped in text output and on stderr."""

from __future__ import annotations

import shutil
import socket
import sys
import tempfile
from pathlib import Path

import pytest

from test_hostile_input import CUDA, assert_no_crash, run, text


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="needs Unix sockets")
def test_a_socket_is_not_read(tmp_path: Path) -> None:
    short = Path(tempfile.mkdtemp(prefix="pl-sock-", dir="/tmp"))  # socket paths must be short
    try:
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(short / "s.py"))
        (short / "ok.py").write_text(CUDA)
        proc = run(short, "check", ".", timeout=30)
        server.close()
        assert_no_crash(proc)
        assert proc.returncode == 1
        assert "portlint: s.py: not a regular file" in text(proc.stderr), text(proc.stderr)
        assert "PRT404" in text(proc.stdout)
    finally:
        shutil.rmtree(short)


@pytest.mark.skipif(sys.platform == "win32", reason="a carriage return in a file name")
def test_bidi_overrides_and_carriage_returns_are_escaped(tmp_path: Path) -> None:
    (tmp_path / "bidi.py").write_text("import torch\nx = torch.zeros(1).cuda()  # \u202eevil\u2066\n")
    (tmp_path / "a\rb.py").write_text("y = x.cuda(\n")  # a syntax error: its name goes to stderr
    proc = run(tmp_path, "check", "-f", "text", ".")
    assert_no_crash(proc)
    out, err = text(proc.stdout), text(proc.stderr)
    assert "\u202e" not in out and "\u2066" not in out and "\\u202eevil\\u2066" in out, out
    assert "\r" not in err and "a\\rb.py" in err, err
