"""``--output-format junit``: one test case per checked file, well-formed and escaped XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from portlint.cli import app
from portlint.engine import Report
from portlint.findings import FileError, Finding
from portlint.reporters.junit import build

runner = CliRunner()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "a_cuda.py").write_text('import torch\nx = torch.zeros(2).cuda()\ny = x.to("cuda")\n', encoding="utf-8")
    (tmp_path / "b_clean.py").write_text("import torch\n", encoding="utf-8")
    (tmp_path / "c_broken.py").write_text("import torch\nx = torch.zeros(1).cuda(\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def junit(*args: str) -> ET.Element:
    result = runner.invoke(app, ["check", *args, "--output-format", "junit"])
    assert result.exit_code in (0, 1), result.output
    assert result.stdout.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(result.stdout.encode("utf-8"))


def test_one_testcase_per_checked_file(project: Path) -> None:
    root = junit(".")
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    cases = {case.get("name"): case for case in suite.findall("testcase")}
    assert set(cases) == {"a_cuda.py", "b_clean.py", "c_broken.py"}
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "1")
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("3", "1", "1")

    failure = cases["a_cuda.py"].find("failure")
    assert failure.get("message") == "2 findings"
    lines = failure.text.splitlines()
    assert len(lines) == 2 and lines[0].startswith("2:20 PRT404 ") and lines[1].startswith("3:10 PRT401 ")
    assert len(cases["b_clean.py"]) == 0  # passed: no children
    error = cases["c_broken.py"].find("error")
    assert error is not None and "syntax error" in error.get("message")
    assert cases["a_cuda.py"].get("file") == "a_cuda.py"


def test_clean_run(project: Path) -> None:
    suite = junit("b_clean.py").find("testsuite")
    assert [case.get("name") for case in suite] == ["b_clean.py"]
    assert suite.get("failures") == "0"


def test_markup_and_control_characters_are_escaped(tmp_path: Path) -> None:
    nasty = 'x < y && "q" \x01\x1b]8;; </failure>'
    finding = Finding(code="PRT401", rule="r", message=nasty, path=str(tmp_path / "a&b<c>.py"), line=1, column=1,
                      end_line=1, end_column=2, target="agnostic", severity="error", fix=None, matched="cuda")
    report = Report([finding], [FileError(str(tmp_path / "e.py"), "bad \x00 byte <here>")], 2, 1,
                    [str(tmp_path / "a&b<c>.py"), str(tmp_path / "e.py")])
    text = ET.tostring(build(report, {"root": tmp_path}), encoding="unicode")
    parsed = ET.fromstring(text)  # well-formed
    case = parsed.find("testsuite/testcase")
    assert case.get("name") == "a&b<c>.py"
    assert case.find("failure").text == '1:1 PRT401 x < y && "q" \\x01\\x1b]8;; </failure>'
    assert parsed.find("testsuite/testcase[@name='e.py']/error").get("message") == "bad \\x00 byte <here>"
