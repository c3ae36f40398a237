"""Bad input: one clear line per problem, the scan goes on, never a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import linter_for

CUDA_LINE = 'x = torch.zeros(2, device="cuda")'


def check(paths: list[Path]):
    return linter_for("agnostic").check_paths([str(p) for p in paths])


def only_error(report, name: str) -> str:
    matching = [str(e) for e in report.errors if name in e.path]
    assert len(matching) == 1, report.errors
    assert "\n" not in matching[0]
    return matching[0]


def test_syntax_error_is_reported_and_scan_continues(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("import torch\nx = torch.zeros(2, device='cuda'\n")
    (tmp_path / "good.py").write_text(f"import torch\n{CUDA_LINE}\n")
    report = check([tmp_path])
    assert "syntax error (line 2" in only_error(report, "bad.py")
    assert [f.path.endswith("good.py") for f in report.findings] == [True]


def test_non_utf8_without_cookie(tmp_path: Path) -> None:
    (tmp_path / "latin.py").write_bytes(b"# caf\xe9\nimport torch\nx.cuda()\n")
    message = only_error(check([tmp_path]), "latin.py")
    assert "not valid utf-8" in message and "line 1" in message and "coding" in message


def test_coding_cookie_is_honoured(tmp_path: Path) -> None:
    data = "# -*- coding: latin-1 -*-\n# café\nimport torch\ny = 'é'; x = t.cuda()\n".encode("latin-1")
    (tmp_path / "cookie.py").write_bytes(data)
    report = check([tmp_path])
    assert report.errors == []
    [finding] = report.findings
    # Character columns: "y = 'é'; x = t." is 15 characters before "cuda".
    assert (finding.line, finding.column) == (4, 16)


def test_binary_file_named_py(tmp_path: Path) -> None:
    (tmp_path / "blob.py").write_bytes(b"\x00\x01cuda\x00\xff" * 20)
    assert "binary file" in only_error(check([tmp_path]), "blob.py")


def test_unknown_encoding_in_cookie(tmp_path: Path) -> None:
    (tmp_path / "odd.py").write_bytes(b"# -*- coding: klingon -*-\nx.cuda()\n")
    message = only_error(check([tmp_path]), "odd.py")
    assert "encoding" in message


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "secret.py"
    target.write_text("x.cuda()\n")
    (tmp_path / "other.py").write_text("x.cuda()\n")
    real_open = os.open

    def guarded_open(file, *args, **kwargs):  # root can read anything, so simulate EACCES
        if str(file).endswith("secret.py"):
            raise PermissionError(13, "Permission denied")
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("portlint.source.os.open", guarded_open)
    report = check([tmp_path])
    assert "permission denied" in only_error(report, "secret.py")
    assert len(report.findings) == 1


def test_missing_path(tmp_path: Path) -> None:
    report = check([tmp_path / "nope", tmp_path])
    assert "no such file" in only_error(report, "nope")


def test_directory_loop(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text("x.cuda()\n")
    os.symlink(tmp_path, tmp_path / "pkg" / "loop")
    report = check([tmp_path])
    assert "directory loop" in only_error(report, "loop")
    assert len(report.findings) == 1


def test_second_link_to_a_walked_directory_is_not_an_error(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "m.py").write_text("x.cuda()\n")
    os.symlink(tmp_path / "real", tmp_path / "zlink")
    report = check([tmp_path])
    assert report.errors == []
    assert len(report.findings) == 1


def test_symlink_loop_as_argument(tmp_path: Path) -> None:
    os.symlink(tmp_path / "b", tmp_path / "a")
    os.symlink(tmp_path / "a", tmp_path / "b")
    report = check([tmp_path / "a"])
    assert len(report.errors) == 1
    assert "\n" not in str(report.errors[0])


def test_bom_crlf_and_tabs(tmp_path: Path) -> None:
    source = "import torch\r\nif True:\r\n\tx = torch.zeros(2, device='cuda')\r\n"
    (tmp_path / "win.py").write_bytes(b"\xef\xbb\xbf" + source.encode("utf-8"))
    report = check([tmp_path])
    assert report.errors == []
    [finding] = report.findings
    assert (finding.line, finding.column, finding.end_column) == (3, 28, 34)


def test_deeply_nested_expression_does_not_crash(tmp_path: Path) -> None:
    expression = "x" + " + x" * 3000
    (tmp_path / "deep.py").write_text(f"y = {expression}\nz.cuda()\n")
    report = check([tmp_path])
    assert len(report.findings) + len(report.errors) >= 1
    for error in report.errors:
        assert "\n" not in str(error)


def test_syntax_that_needs_newer_python_is_an_error_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "py2.py").write_text("print 'cuda'\nx.cuda()\n")
    assert "syntax error" in only_error(check([tmp_path]), "py2.py")


def test_non_python_file_named_explicitly_is_checked(tmp_path: Path) -> None:
    script = tmp_path / "train"
    script.write_text("#!/usr/bin/env python\nimport torch\nm.cuda()\n")
    assert len(check([script]).findings) == 1
