"""Baselines: --write-baseline records today's findings, --baseline reports only new ones."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import linter_for
from typer.testing import CliRunner

from portlint.baseline import Baseline, apply_baseline, identities
from portlint.cli import app

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture
def examples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of examples/ in a project of its own (a git root), as the cwd."""
    (tmp_path / ".git").mkdir()
    shutil.copytree(REPO / "examples", tmp_path / "examples", ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def findings(*args: str) -> list[dict]:
    result = invoke("check", *args, "--output-format", "json")
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def test_only_the_new_finding_is_reported(examples: Path) -> None:
    everything = findings("examples")
    assert len(everything) > 5, "examples/ should be full of CUDA code"
    written = invoke("check", "examples", "--write-baseline", "portlint-baseline.json")
    assert written.exit_code == 0, written.output
    assert f"wrote {len(everything)} findings" in written.stderr
    assert findings("examples", "--baseline", "portlint-baseline.json") == []
    assert invoke("check", "examples", "--baseline", "portlint-baseline.json").exit_code == 0

    # Unrelated lines above every existing finding, re-indentation elsewhere, one new CUDA call.
    target = examples / "examples" / "train_amp.py"
    lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
    first_import = next(i for i, line in enumerate(lines) if line.startswith(("import ", "from ")))
    lines[first_import:first_import] = ["import os\n", "import sys\n", "\n", "SEED_ENV = os.environ.get('SEED')\n"]
    lines.append("\n\nextra_buffer = torch.ones(8).cuda()\n")
    target.write_text("".join(lines), encoding="utf-8")
    shifted = findings("examples")
    assert len(shifted) == len(everything) + 1
    assert any(f["path"].endswith("train_amp.py") and f["line"] != e["line"]
               for f, e in zip(shifted, everything))  # the old findings did move

    new = findings("examples", "--baseline", "portlint-baseline.json")
    assert len(new) == 1, new
    assert new[0]["code"] == "PRT404"
    assert new[0]["line"] == len(lines) + 2  # the appended line
    result = invoke("check", "examples", "--baseline", "portlint-baseline.json")
    assert result.exit_code == 1


def test_works_from_another_directory(examples: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    invoke("check", "examples", "--write-baseline", "baseline.json")
    monkeypatch.chdir(examples / "examples")  # paths in the baseline are relative to the git root
    assert findings(".", "--baseline", "../baseline.json") == []


def test_stale_entries_in_statistics(examples: Path) -> None:
    target = examples / "examples" / "extra.py"
    target.write_text("import torch\na = torch.ones(1).cuda()\nb = torch.ones(2).cuda()\n", encoding="utf-8")
    invoke("check", "examples", "--write-baseline", "baseline.json")
    target.write_text("import torch\nb = torch.ones(2).cuda()\n", encoding="utf-8")
    result = invoke("check", "examples", "--baseline", "baseline.json", "--statistics")
    assert result.exit_code == 0, result.output
    assert "1 stale" in result.stdout
    assert "examples/extra.py: PRT404 a = torch.ones(1).cuda()" in result.stdout
    assert "b = torch.ones(2)" not in result.stdout

    clean = invoke("check", "examples", "--baseline", "baseline.json", "--statistics", "-f", "json")
    assert json.loads(clean.stdout) == [] and "1 stale" in clean.stderr  # machine output stays clean


def test_identical_lines_are_counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "dup.py"
    path.write_text("import torch\nx = torch.ones(1)\ny = x.cuda()\ny = x.cuda()\n", encoding="utf-8")
    invoke("check", "dup.py", "--write-baseline", "b.json")
    data = json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))
    assert data["version"] == 1
    assert [(e["code"], e["path"], e["count"], e["text"]) for e in data["fingerprints"]] == [
        ("PRT404", "dup.py", 2, "y = x.cuda()")]
    path.write_text("import torch\nx = torch.ones(1)\ny = x.cuda()\n\ny = x.cuda()\nif x:\n    y = x.cuda()\n",
                    encoding="utf-8")
    new = findings("dup.py", "--baseline", "b.json")
    assert [f["line"] for f in new] == [7]  # a third occurrence is new; the first two are known


@pytest.mark.parametrize("content, reason", [
    (None, "baseline file not found"),
    ("{", "not valid JSON"),
    ("[]", "not a portlint baseline"),
    ('{"version": 99, "fingerprints": []}', "unsupported version"),
    ('{"version": 1, "fingerprints": [{"code": "PRT404"}]}', "entry 1 needs"),
    ('{"version": 1, "fingerprints": [{"code": "A1", "path": "p", "text": "t", "count": 0}]}', "positive integer"),
])
def test_bad_baseline_is_a_one_line_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          content: str | None, reason: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text("import torch\nx = torch.ones(1).cuda()\n", encoding="utf-8")
    if content is not None:
        (tmp_path / "b.json").write_text(content, encoding="utf-8")
    result = invoke("check", "a.py", "--baseline", "b.json")
    assert result.exit_code == 2
    assert result.stderr.startswith("portlint: error: ") and result.stderr.count("\n") == 1
    assert reason in result.stderr
    assert "Traceback" not in result.output


def test_unwritable_baseline_is_a_one_line_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text("import torch\nx = torch.ones(1).cuda()\n", encoding="utf-8")
    result = invoke("check", "a.py", "--write-baseline", "no/such/dir/b.json")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "cannot write baseline" in result.stderr


def test_apply_baseline_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text("import torch\na = torch.ones(1).cuda()\nb = a.cuda()\n", encoding="utf-8")
    found = linter_for().check_file(str(path)).findings
    baseline = Baseline.from_data(json.loads(Baseline.from_findings(found, tmp_path).to_json()), "memory")
    result = apply_baseline(found, baseline, tmp_path)
    assert result.new == [] and result.known == len(found) == 2 and result.stale == []
    assert [i.path for i in identities(found, tmp_path)] == ["m.py", "m.py"]
