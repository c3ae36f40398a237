"""``portlint fix`` and ``portlint check --fix/--diff/--unsafe-fixes/--show-fixes``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from portlint.cli import app

try:  # click >= 8.2 keeps stderr apart by default; older versions need mix_stderr=False
    runner = CliRunner(mix_stderr=False)
except TypeError:  # pragma: no cover
    runner = CliRunner()

SAFE_AND_UNSAFE = ('import torch\ndevice = "cuda" if torch.cuda.is_available() else "cpu"\n'
                   "model = torch.nn.Linear(2, 2).cuda()\n")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "train.py").write_text(SAFE_AND_UNSAFE)
    (tmp_path / "clean.py").write_text("import torch\nx = torch.zeros(2)\n")
    return tmp_path


def invoke(*args: str):
    return runner.invoke(app, list(args))


def test_fix_applies_safe_fixes_and_reports_the_rest(project: Path) -> None:
    result = invoke("fix", "train.py", "--select", "PRT4")
    assert result.exit_code == 1  # the unsafe .cuda() finding remains
    text = (project / "train.py").read_text()
    assert "torch.accelerator.is_available()" in text and ".cuda()" in text
    assert "Fixed: 1 fix applied in 1 file (1 finding remaining)." in result.stdout
    assert "1 more fix available with --unsafe-fixes." in result.stdout
    assert "PRT404" in result.stdout


def test_check_fix_is_the_same_command(project: Path) -> None:
    result = invoke("check", "--fix", "train.py", "--select", "PRT4", "--unsafe-fixes")
    assert result.exit_code == 0, result.stdout
    text = (project / "train.py").read_text()
    assert ".cuda()" not in text and "model = torch.nn.Linear(2, 2).to(device)" in text
    assert "All checks passed" in result.stdout


def test_show_fixes_lists_rules_per_file(project: Path) -> None:
    result = invoke("fix", "train.py", "--select", "PRT4", "--unsafe-fixes", "--show-fixes")
    assert "Fixed in train.py:" in result.stdout
    assert "1 \u00d7 PRT404 (cuda-method)" in result.stdout
    assert "1 \u00d7 PRT408 (cuda-or-cpu-device-choice)" in result.stdout


def test_diff_prints_and_writes_nothing(project: Path) -> None:
    result = invoke("check", "--diff", "train.py", "--select", "PRT4")
    assert result.exit_code == 1
    assert (project / "train.py").read_text() == SAFE_AND_UNSAFE
    assert result.stdout.startswith("--- a/train.py\n+++ b/train.py\n")
    assert '-device = "cuda" if torch.cuda.is_available() else "cpu"' in result.stdout
    assert "Would apply 1 fix in 1 file" in result.stderr


def test_diff_without_changes_exits_0(project: Path) -> None:
    result = invoke("check", "--diff", "clean.py")
    assert result.exit_code == 0 and result.stdout == ""


def test_fix_exit_0_when_nothing_remains(project: Path) -> None:
    assert invoke("fix", "clean.py").exit_code == 0


def test_unparsable_file_is_reported_and_untouched(project: Path) -> None:
    (project / "bad.py").write_text("import torch\nx = torch.ones(1).cuda(\n")
    result = invoke("fix", "bad.py", "--unsafe-fixes")
    assert result.exit_code == 1
    assert "syntax error" in result.stderr
    assert (project / "bad.py").read_text() == "import torch\nx = torch.ones(1).cuda(\n"


def test_json_output_after_fix_stays_valid_json(project: Path) -> None:
    result = invoke("fix", "train.py", "--select", "PRT4", "-f", "json")
    data = json.loads(result.stdout)
    assert [d["code"] for d in data] == ["PRT404"]
    assert "Fixed: 1 fix applied" in result.stderr


def test_npu_target_adds_torch_npu(project: Path) -> None:
    result = invoke("fix", "train.py", "--target", "npu", "--unsafe-fixes", "--select", "PRT4")
    assert result.exit_code == 0, result.stdout
    text = (project / "train.py").read_text()
    assert text.startswith("import torch\nimport torch_npu  # noqa: F401\n")
    assert '"npu" if torch.npu.is_available() else "cpu"' in text and ".npu()" in text
