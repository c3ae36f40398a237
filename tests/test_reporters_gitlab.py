"""``--output-format gitlab``: GitLab Code Quality issues, checked field by field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from portlint.cli import app

runner = CliRunner()

TRAIN = 'import torch\n\nx = torch.zeros(2).cuda()\ny = x.cuda()\ny = x.cuda()\nif x.device.type == "cuda":\n    pass\n'
SEVERITIES = {"info", "minor", "major", "critical", "blocker"}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text(TRAIN, encoding="utf-8")
    monkeypatch.chdir(tmp_path / "src")
    return tmp_path


def report(*args: str) -> list[dict]:
    result = runner.invoke(app, ["check", *args, "--output-format", "gitlab"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def test_issue_fields(project: Path) -> None:
    issues = report(".")
    assert [issue["check_name"] for issue in issues] == ["PRT404", "PRT404", "PRT404", "PRT403"]
    for issue in issues:
        assert isinstance(issue["description"], str) and issue["description"].startswith(issue["check_name"])
        assert isinstance(issue["fingerprint"], str) and len(issue["fingerprint"]) == 32
        assert issue["severity"] in SEVERITIES
        assert issue["location"]["path"] == "src/train.py"  # relative to the git root, not the cwd
        assert isinstance(issue["location"]["lines"]["begin"], int)
    assert [issue["location"]["lines"]["begin"] for issue in issues] == [3, 4, 5, 6]
    assert {issue["check_name"]: issue["severity"] for issue in issues} == {"PRT404": "major", "PRT403": "minor"}
    assert len({issue["fingerprint"] for issue in issues}) == 4  # GitLab drops duplicate fingerprints


def test_fingerprints_match_sarif_and_survive_line_shifts(project: Path) -> None:
    before = [issue["fingerprint"] for issue in report(".")]
    sarif = json.loads(runner.invoke(app, ["check", ".", "-f", "sarif"]).stdout)
    assert [r["partialFingerprints"]["portlint/v1"] for r in sarif["runs"][0]["results"]] == before
    path = project / "src" / "train.py"
    path.write_text("# a new comment\n\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    after = report(".")
    assert [issue["fingerprint"] for issue in after] == before
    assert [issue["location"]["lines"]["begin"] for issue in after] == [5, 6, 7, 8]


def test_clean_run_is_an_empty_array(project: Path) -> None:
    (project / "src" / "train.py").write_text("import torch\n", encoding="utf-8")
    assert report(".") == []
