"""``--output-format github`` (workflow commands), the job summary, and action.yml's steps."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from portlint.cli import app
from portlint.findings import Finding, Fix
from portlint.reporters.github import annotation, escape_data, escape_property

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()

TRAIN = 'import torch\n\nx = torch.zeros(2).cuda()\nif x.device.type == "cuda":\n    pass\n'
COMMAND = re.compile(r"^::(?P<command>error|warning|notice) (?P<properties>[^:]*)::(?P<message>.*)$")


def unescape(text: str) -> str:
    for encoded, plain in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(encoded, plain)
    return text


def parse(line: str) -> tuple[str, dict[str, str], str]:
    """A workflow command as the runner reads it: properties split on ',' then '='."""
    match = COMMAND.match(line)
    assert match, line
    properties = dict(item.split("=", 1) for item in match["properties"].split(","))
    return match["command"], {k: unescape(v) for k, v in properties.items()}, unescape(match["message"])


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text(TRAIN, encoding="utf-8")
    monkeypatch.chdir(tmp_path / "src")
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    return tmp_path


def test_escaping_follows_the_workflow_command_rules() -> None:
    assert escape_data("50% done\r\nnext: a,b") == "50%25 done%0D%0Anext: a,b"
    assert escape_property("50% done\r\nnext: a,b") == "50%25 done%0D%0Anext%3A a%2Cb"
    assert escape_property("%3A") == "%253A"  # escaping '%' first keeps it reversible


def test_annotation_fields() -> None:
    finding = Finding(code="PRT404", rule="cuda-method", message="`.cuda()`: 100% CUDA, x,y",
                      path="whatever.py", line=3, column=19, end_line=4, end_column=2, target="agnostic",
                      severity="error", matched="cuda",
                      fix=Fix("to(device)", None, "unsafe", "2.6"))
    command, properties, message = parse(annotation(finding, "dir,with:odd/na%me.py"))
    assert command == "error"
    assert properties == {"file": "dir,with:odd/na%me.py", "line": "3", "col": "19", "endLine": "4",
                          "endColumn": "2", "title": "PRT404 (cuda-method)"}
    assert message == "`.cuda()`: 100% CUDA, x,y\nunsafe fix: to(device)"


def test_cli_output_is_one_command_per_finding_with_root_relative_paths(project: Path) -> None:
    result = runner.invoke(app, ["check", ".", "--output-format", "github"])
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    (c1, p1, m1), (c2, p2, m2) = (parse(line) for line in lines)
    assert (c1, p1["file"], p1["line"], p1["col"], p1["endColumn"]) == ("error", "src/train.py", "3", "20", "26")
    assert p1["title"].startswith("PRT404") and "fix: " in m1
    assert (c2, p2["file"], p2["line"]) == ("warning", "src/train.py", "4")  # PRT403 is a warning
    assert p2["title"].startswith("PRT403") and "help: " in m2


def test_file_errors_are_annotated(project: Path) -> None:
    (project / "src" / "bad.py").write_bytes(b"x = 1\x00\n")
    result = runner.invoke(app, ["check", "bad.py", "--output-format", "github"])
    assert result.exit_code == 1
    command, properties, message = parse(result.stdout.splitlines()[0])
    assert command == "error" and properties["file"] == "src/bad.py" and "binary" in message


def test_job_summary_when_github_step_summary_is_set(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = project / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    runner.invoke(app, ["check", ".", "--output-format", "github"])
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n")  # appended, not overwritten
    assert "### portlint: 2 findings in 1 file (target `agnostic`)" in text
    assert "| PRT404 | cuda-method | error | 1 | 1 |" in text
    assert "| PRT403 | cuda-device-comparison | warning | 1 | 0 |" in text
    assert "| agnostic | 2 |" in text
    assert "| `src/train.py` | 2 |" in text

    runner.invoke(app, ["check", ".", "--output-format", "github", "--target", "npu"])
    assert "(target `npu`)" in summary.read_text(encoding="utf-8")

    before = summary.read_text(encoding="utf-8")
    runner.invoke(app, ["check", ".", "--output-format", "json"])  # other formats: no summary
    assert summary.read_text(encoding="utf-8") == before


def test_job_summary_clean_run(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "src" / "train.py").write_text("import torch\n", encoding="utf-8")
    summary = project / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = runner.invoke(app, ["check", ".", "--output-format", "github"])
    assert result.exit_code == 0 and result.stdout == ""
    assert "### portlint: no findings (target `agnostic`)" in summary.read_text(encoding="utf-8")


def test_errors_are_printed_first_then_file_errors_then_warnings(project: Path) -> None:
    (project / "src" / "a.py").write_text('import torch\nif x.device.type == "cuda":\n    pass\n', encoding="utf-8")
    (project / "src" / "z.py").write_text("import torch\nx = torch.zeros(2).cuda()\n", encoding="utf-8")
    (project / "src" / "bad.py").write_bytes(b"x = 1\x00\n")
    result = runner.invoke(app, ["check", ".", "--output-format", "github"])
    commands = [(command, properties["file"], int(properties.get("line", 0)))
                for command, properties, _ in map(parse, result.stdout.splitlines())]
    assert commands == [  # errors by path and line, unreadable files, then warnings
        ("error", "src/train.py", 3), ("error", "src/z.py", 2), ("error", "src/bad.py", 0),
        ("warning", "src/a.py", 2), ("warning", "src/train.py", 4)]


def test_job_summary_counts_what_github_will_not_annotate(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = project / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    runner.invoke(app, ["check", ".", "--output-format", "github"])
    assert "not shown as annotations" not in summary.read_text(encoding="utf-8")  # 1 error, 1 warning

    many = "import torch\n" + "x = torch.zeros(2).cuda()\n" * 13 + 'if x.device.type == "cuda":\n    pass\n' * 11
    (project / "src" / "train.py").write_text(many, encoding="utf-8")
    summary.write_text("", encoding="utf-8")
    result = runner.invoke(app, ["check", ".", "--output-format", "github"])
    lines = result.stdout.splitlines()
    assert len(lines) == 24 and all(line.startswith("::error") for line in lines[:13])
    text = summary.read_text(encoding="utf-8")
    assert "**3 errors and 1 warning not shown as annotations**" in text, text
    assert "first 10 errors and 10 warnings" in text and "this step's log" in text and "SARIF" in text


# --------------------------------------------------------------------------- action.yml


def test_action_sets_up_its_own_python() -> None:
    """The runner's python3 may be missing or too old: the action installs its own Python,
    without changing the job's environment, unless an interpreter is given."""
    yaml = pytest.importorskip("yaml")
    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    steps = action["runs"]["steps"]
    setup = steps[0]
    assert setup["uses"].startswith("actions/setup-python@v") and setup["id"] == "python"
    assert setup["with"] == {"python-version": "${{ inputs.python-version }}", "update-environment": False}
    assert setup["if"] == "inputs.python == ''"
    assert action["inputs"]["python"]["default"] == ""
    assert tuple(map(int, action["inputs"]["python-version"]["default"].split("."))) >= (3, 10)
    install = steps[1]
    assert install["id"] == "install"
    assert install["env"]["PORTLINT_PYTHON"] == "${{ inputs.python || steps.python.outputs.python-path }}"
    assert '"$PORTLINT_PYTHON" -m venv' in install["run"]
    assert not any("python3" in str(step.get("run", "")) for step in steps)


def _expand(value: str, inputs: dict[str, str], outputs: dict[str, dict[str, str]]) -> str:
    def replace(match: re.Match) -> str:
        expression = match.group(1).strip()
        if expression.startswith("inputs."):
            return inputs[expression[len("inputs."):]]
        if expression == "github.action_path":
            return str(REPO)
        step, _, name = expression[len("steps."):].partition(".outputs.")
        return outputs[step][name]

    return re.sub(r"\$\{\{(.*?)\}\}", replace, str(value))


def run_action(inputs: dict[str, str], workdir: Path, summary: Path) -> list[subprocess.CompletedProcess]:
    """Run action.yml's check steps as the runner would (bash, step env, `if:` on inputs);
    the install step is replaced by this virtualenv's portlint."""
    yaml = pytest.importorskip("yaml")
    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    values = {name: spec.get("default", "") for name, spec in action["inputs"].items()}
    values.update(inputs)
    portlint = shutil.which("portlint", path=str(Path(sys.executable).parent)) or shutil.which("portlint")
    if portlint is None:
        pytest.skip("the portlint command is not installed")
    outputs = {"install": {"portlint": portlint}, "python": {"python-path": sys.executable}}
    results = []
    for step in action["runs"]["steps"]:
        if "uses" in step:  # setup-python: checked in test_action_sets_up_its_own_python
            continue
        if step.get("id") == "install":
            assert "PORTLINT_SOURCE" in step["run"] and step["env"]["PORTLINT_SOURCE"] == "${{ github.action_path }}"
            continue
        condition = step.get("if")
        if condition is not None:
            name, op, literal = re.fullmatch(r"inputs\.([\w-]+) (!=|==) '(.*)'", condition).groups()
            if (values[name] == literal) != (op == "=="):
                continue
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTLINT", "GITHUB_"))}
        env["GITHUB_STEP_SUMMARY"] = str(summary)
        env.update({key: _expand(value, values, outputs) for key, value in step["env"].items()})
        results.append(subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                                      cwd=workdir, env=env, capture_output=True, text=True, timeout=120))
    return results


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_action_annotates_writes_sarif_and_summary(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text(TRAIN, encoding="utf-8")
    (tmp_path / "src" / "other.py").write_text("import torch\nx = torch.device('cuda')\n", encoding="utf-8")
    summary = tmp_path / "summary.md"
    sarif, check = run_action({"paths": "src/train.py src/other.py", "target": "npu",
                               "args": "--select PRT4 --ignore PRT403", "sarif-file": "out.sarif"},
                              tmp_path, summary)
    assert sarif.returncode == 0, sarif.stderr  # --exit-zero: the check step reports
    import json

    document = json.loads((tmp_path / "out.sarif").read_text(encoding="utf-8"))
    assert {r["ruleId"] for r in document["runs"][0]["results"]} == {"PRT401", "PRT404"}
    assert check.returncode == 1
    files = {parse(line)[1]["file"] for line in check.stdout.splitlines()}
    assert files == {"src/train.py", "src/other.py"}
    assert "PRT403" not in check.stdout
    assert "(target `npu`)" in summary.read_text(encoding="utf-8")


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_action_without_sarif_and_config_errors(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("import torch\n", encoding="utf-8")
    summary = tmp_path / "summary.md"
    results = run_action({}, tmp_path, summary)
    assert len(results) == 1 and results[0].returncode == 0, results[0].stderr  # SARIF step skipped
    assert not list(tmp_path.glob("*.sarif"))
    results = run_action({"args": "--select NOPE!", "sarif-file": "x.sarif"}, tmp_path, summary)
    assert [r.returncode for r in results] == [2, 2]  # a bad option fails even with --exit-zero
