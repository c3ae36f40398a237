"""The command line as users meet it: exit codes, formats, selection, config errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from portlint.cli import app

runner = CliRunner()

CUDA_CODE = 'import torch\nx = torch.zeros(2, device="cuda")\ny = x.cuda()\n'


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "train.py").write_text(CUDA_CODE)
    (tmp_path / "clean.py").write_text("import torch\nx = torch.zeros(2)\n")
    return tmp_path


def invoke(*args: str):
    return runner.invoke(app, list(args))


def test_findings_exit_1_and_clean_exit_0(project: Path) -> None:
    assert invoke("check", "train.py").exit_code == 1
    result = invoke("check", "clean.py")
    assert result.exit_code == 0, result.output
    assert "All checks passed" in result.output


def test_exit_zero(project: Path) -> None:
    assert invoke("check", "train.py", "--exit-zero").exit_code == 0


def test_default_path_is_current_directory(project: Path) -> None:
    result = invoke("check", "-f", "json")
    assert result.exit_code == 1
    paths = {item["path"] for item in json.loads(result.stdout)}
    assert paths == {"train.py"}


def test_json_has_stable_fields(project: Path) -> None:
    result = invoke("check", "train.py", "--output-format", "json")
    data = json.loads(result.stdout)
    assert [d["code"] for d in data] == ["PRT401", "PRT404"]
    first = data[0]
    for key in ("code", "message", "path", "line", "column", "end_line", "end_column", "target", "fix"):
        assert key in first
    assert (first["line"], first["column"], first["end_line"], first["end_column"]) == (2, 27, 2, 33)
    assert first["target"] == "agnostic"
    assert first["fix"]["replacement"] == "DEVICE"  # the device variable the fixer defines once
    assert first["fix"]["defines"] == [
        'DEVICE = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"']


def test_target_npu_changes_fix(project: Path) -> None:
    data = json.loads(invoke("check", "train.py", "-f", "json", "--target", "npu").stdout)
    assert data[0]["target"] == "npu"
    assert data[0]["fix"]["replacement"] == '"npu"'
    assert data[1]["fix"]["replacement"] == "npu()"


def test_select_ignore_and_prefixes(project: Path) -> None:
    only = json.loads(invoke("check", "train.py", "-f", "json", "--select", "PRT404").stdout)
    assert [d["code"] for d in only] == ["PRT404"]
    ignored = json.loads(invoke("check", "train.py", "-f", "json", "--ignore", "PRT40").stdout)
    assert ignored == []
    # The more specific selection wins over a broader ignore.
    both = json.loads(invoke("check", "train.py", "-f", "json", "--ignore", "PRT4",
                             "--extend-select", "PRT401").stdout)
    assert [d["code"] for d in both] == ["PRT401"]
    comma = json.loads(invoke("check", "train.py", "-f", "json", "--select", "PRT401,PRT404").stdout)
    assert len(comma) == 2


def test_bad_code_is_usage_error(project: Path) -> None:
    result = invoke("check", "train.py", "--select", "not-a-code")
    assert result.exit_code == 2
    assert "not a rule code" in result.stderr


def test_bad_target_is_usage_error(project: Path) -> None:
    assert invoke("check", "train.py", "--target", "tpu").exit_code == 2


def test_statistics(project: Path) -> None:
    result = invoke("check", "train.py", "--statistics")
    assert result.exit_code == 1
    lines = [line.split() for line in result.stdout.strip().splitlines()]
    assert ["1", "PRT401"] == lines[0][:2]
    assert {line[1] for line in lines} == {"PRT401", "PRT404"}


def test_text_output_shows_source_and_fix(project: Path) -> None:
    result = invoke("check", "train.py")
    assert "train.py" in result.stdout
    assert 'x = torch.zeros(2, device="cuda")' in result.stdout
    assert "^^^^^^" in result.stdout
    assert "unsafe fix: DEVICE" in result.stdout


def test_quiet_drops_source_lines(project: Path) -> None:
    result = invoke("check", "train.py", "-q")
    assert "PRT401" in result.stdout
    assert "^^^" not in result.stdout


def test_config_in_pyproject(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.portlint]\nignore = ["PRT404"]\ntarget = "npu"\n')
    data = json.loads(invoke("check", "train.py", "-f", "json").stdout)
    assert [(d["code"], d["target"]) for d in data] == [("PRT401", "npu")]


def test_unknown_config_key_names_the_key(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.portlint]\nmin_torch = "2.6"\n')
    result = invoke("check", "train.py")
    assert result.exit_code == 2
    assert "min_torch" in result.stderr and "min-torch" in result.stderr
    assert "Traceback" not in result.output


def test_bad_config_value(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.portlint]\ntarget = "gpu"\n')
    result = invoke("check", "train.py")
    assert result.exit_code == 2
    assert "'target'" in result.stderr


def test_missing_config_file(project: Path) -> None:
    result = invoke("check", "train.py", "--config", "nope.toml")
    assert result.exit_code == 2
    assert "config file not found" in result.stderr


def test_per_file_ignores_and_exclude(project: Path) -> None:
    (project / "sub").mkdir()
    (project / "sub" / "a.py").write_text(CUDA_CODE)
    (project / "gen").mkdir()
    (project / "gen" / "b.py").write_text(CUDA_CODE)
    (project / "pyproject.toml").write_text(
        '[tool.portlint]\nexclude = ["gen"]\n[tool.portlint.per-file-ignores]\n"sub/*.py" = ["PRT401"]\n')
    data = json.loads(invoke("check", ".", "-f", "json").stdout)
    found = sorted((d["path"], d["code"]) for d in data)
    assert ("sub/a.py", "PRT404") in found
    assert ("sub/a.py", "PRT401") not in found
    assert not any(path.startswith("gen") for path, _ in found)


def test_extra_ruleset_from_config(project: Path) -> None:
    (project / "team.toml").write_text('''
[[rule]]
code = "ACM001"
name = "no-legacy-helper"
family = "team"
summary = "Our legacy CUDA helper"
message = "use the shared device helper instead of {name}"
rationale = "The helper hard-codes CUDA."
flagged = ["import acme.gpu\\nacme.gpu.to_gpu(x)"]
clean = ["to_gpu(x)"]
[[rule.symbol]]
name = "acme.gpu.to_gpu"
agnostic = "acme.device.to_device"
''')
    (project / "pyproject.toml").write_text('[tool.portlint]\nrulesets = ["team.toml"]\n')
    (project / "use.py").write_text("from acme.gpu import to_gpu as g\ng(1)\n")
    data = json.loads(invoke("check", "use.py", "-f", "json").stdout)
    assert [(d["code"], d["line"], d["fix"]["replacement"]) for d in data] == [
        ("ACM001", 2, "acme.device.to_device")]
    assert "ACM001" in invoke("rules").stdout


def test_bad_extra_ruleset_is_reported_with_file_and_rule(project: Path) -> None:
    (project / "team.toml").write_text('[[rule]]\ncode = "ACM001"\nname = "x"\n')
    (project / "pyproject.toml").write_text('[tool.portlint]\nrulesets = ["team.toml"]\n')
    result = invoke("check", "train.py")
    assert result.exit_code == 2
    assert "team.toml" in result.stderr and "ACM001" in result.stderr


def test_rules_and_rule_commands(project: Path) -> None:
    listing = invoke("rules")
    assert listing.exit_code == 0
    assert "PRT401" in listing.stdout and "device" in listing.stdout
    as_json = json.loads(invoke("rules", "-f", "json").stdout)
    assert {"code", "name", "family", "summary", "targets"} <= set(as_json[0])
    doc = invoke("rule", "PRT401")
    assert doc.exit_code == 0
    for heading in ("What it does", "Why is this bad?", "Example", "Fix per target"):
        assert heading in doc.stdout
    assert invoke("rule", "hard-coded-cuda-device").exit_code == 0
    unknown = invoke("rule", "PRT999")
    assert unknown.exit_code == 2 and "unknown rule" in unknown.stderr


def test_version() -> None:
    from portlint import __version__

    result = invoke("--version")
    assert result.exit_code == 0 and __version__ in result.stdout


def test_real_subprocess_no_traceback(tmp_path: Path) -> None:
    """The installed entry point, end to end, on a mix of good and bad input."""
    (tmp_path / "ok.py").write_text(CUDA_CODE)
    (tmp_path / "broken.py").write_text("x = y.cuda(\n")
    proc = subprocess.run([sys.executable, "-m", "portlint", "check", str(tmp_path)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    errors = proc.stderr.strip().splitlines()
    assert any("broken.py" in line and "syntax error" in line for line in errors)
    assert "PRT401" in proc.stdout
    # A path that does not exist is a usage error, as in ruff (not "0 files checked").
    proc = subprocess.run([sys.executable, "-m", "portlint", "check", str(tmp_path), "missing_dir"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == "portlint: error: missing_dir: no such file or directory\n"


def test_force_exclude_flag_and_config(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.portlint]\nexclude = ["train.py"]\n')
    assert invoke("check", "train.py").exit_code == 1
    assert invoke("check", "train.py", "--force-exclude").exit_code == 0
    (project / "pyproject.toml").write_text('[tool.portlint]\nexclude = ["train.py"]\nforce-exclude = true\n')
    assert invoke("check", "train.py").exit_code == 0
    (project / "pyproject.toml").write_text('[tool.portlint]\nforce-exclude = "yes"\n')
    assert invoke("check", "train.py").exit_code == 2
