"""The whole repository: discovery of every file kind, findings with paths, lines and
notebook cells, fixes, and every output format on notebook findings, on the mini repository
in tests/fixtures/minirepo (each kind of file a migration touches)."""

from __future__ import annotations

import io
import json
import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import shipped_ruleset
from portlint.config import Settings, parse_settings
from portlint.discovery import discover
from portlint.engine import Linter
from portlint.errors import ConfigError
from portlint.kinds import KINDS, kind_of
from portlint.reporters import get_reporter

MINIREPO = Path(__file__).parent / "fixtures" / "minirepo"

ALL_FILES = {
    ".github/workflows/ci.yml", "configs/accelerate.yaml", "configs/ds_config.json", "configs/train.yaml",
    "csrc/add.cu", "csrc/add.cuh", "docker/Dockerfile", "environment.yml", "notebooks/explore.ipynb",
    "notebooks/train.ipynb", "pyproject.toml", "requirements.txt", "requirements/gpu.txt",
    "scripts/launch.sh", "scripts/train", "train.py",
}

# (path, cell, line, column, code, replacement, applicability) for the npu target, judged by hand.
EXPECTED_NPU = {
    (".github/workflows/ci.yml", None, 6, 14, "PRT922", None, "manual"),
    (".github/workflows/ci.yml", None, 14, 7, "PRT701", "ASCEND_RT_VISIBLE_DEVICES", "unsafe"),
    (".github/workflows/ci.yml", None, 16, 14, "PRT920", None, "manual"),
    ("configs/accelerate.yaml", None, 2, 19, "PRT942", "MULTI_NPU", "safe"),
    ("configs/ds_config.json", None, 3, 29, "PRT941", "hccl", "safe"),
    ("configs/train.yaml", None, 5, 16, "PRT943", None, "manual"),
    ("configs/train.yaml", None, 9, 11, "PRT940", "npu:0", "safe"),
    ("configs/train.yaml", None, 11, 17, "PRT941", "hccl", "safe"),
    ("csrc/add.cu", None, 1, 1, "PRT950", None, "manual"),
    ("csrc/add.cuh", None, 1, 1, "PRT950", None, "manual"),
    ("docker/Dockerfile", None, 1, 6, "PRT922", None, "manual"),
    ("docker/Dockerfile", None, 2, 5, "PRT701", "ASCEND_RT_VISIBLE_DEVICES", "unsafe"),
    ("docker/Dockerfile", None, 3, 44, "PRT931", None, "manual"),
    ("docker/Dockerfile", None, 4, 21, "PRT930", None, "manual"),
    ("docker/Dockerfile", None, 5, 17, "PRT932", None, "manual"),
    ("docker/Dockerfile", None, 6, 6, "PRT920", None, "manual"),
    ("environment.yml", None, 4, 5, "PRT930", None, "manual"),
    ("environment.yml", None, 7, 5, "PRT931", None, "manual"),
    ("environment.yml", None, 9, 9, "PRT932", None, "manual"),
    ("notebooks/explore.ipynb", 1, 2, 10, "PRT408", '"npu" if torch.npu.is_available() else "cpu"', "safe"),
    ("notebooks/explore.ipynb", 2, 1, 22, "PRT401", "'npu'", "safe"),
    ("notebooks/train.ipynb", 2, 2, 2, "PRT920", None, "manual"),
    ("notebooks/train.ipynb", 2, 3, 6, "PRT701", "ASCEND_RT_VISIBLE_DEVICES", "unsafe"),
    ("notebooks/train.ipynb", 3, 1, 23, "PRT404", "npu()", "safe"),
    ("notebooks/train.ipynb", 3, 4, 5, "PRT103", "torch.npu.synchronize", "safe"),
    ("notebooks/train.ipynb", 6, 2, 8, "PRT701", "ASCEND_RT_VISIBLE_DEVICES", "unsafe"),
    ("pyproject.toml", None, 6, 6, "PRT932", None, "manual"),
    ("requirements.txt", None, 2, 19, "PRT930", None, "manual"),
    ("requirements.txt", None, 3, 13, "PRT931", None, "manual"),
    ("requirements.txt", None, 5, 1, "PRT932", None, "manual"),
    ("requirements/gpu.txt", None, 1, 1, "PRT932", None, "manual"),
    ("scripts/launch.sh", None, 4, 8, "PRT701", "ASCEND_RT_VISIBLE_DEVICES", "unsafe"),
    ("scripts/launch.sh", None, 5, 8, "PRT920", None, "manual"),
    ("scripts/launch.sh", None, 6, 14, "PRT701", "ASCEND_RT_VISIBLE_DEVICES", "unsafe"),
    ("scripts/launch.sh", None, 8, 1, "PRT705", None, "manual"),
    ("scripts/launch.sh", None, 9, 14, "PRT940", "npu", "safe"),
    ("scripts/launch.sh", None, 9, 34, "PRT941", "hccl", "safe"),
    ("scripts/launch.sh", None, 10, 25, "PRT943", None, "manual"),
    ("scripts/train", None, 2, 1, "PRT702", "ASCEND_LAUNCH_BLOCKING", "safe"),
    ("train.py", None, 3, 31, "PRT404", "npu()", "safe"),
}


def linter(target: str = "npu", root: Path = MINIREPO, **values) -> Linter:
    return Linter(Settings(target=target, root=root, **values), shipped_ruleset())


def relative(paths, root: Path = MINIREPO) -> set[str]:
    return {Path(os.path.relpath(Path(p).resolve(), root.resolve())).as_posix() for p in paths}


def row(finding, root: Path = MINIREPO):
    fix = finding.fix
    return (relative([finding.path], root).pop(), finding.cell, finding.line, finding.column, finding.code,
            fix.replacement if fix else None, fix.applicability if fix else None)


# --------------------------------------------------------------------------- discovery


def test_discovery_finds_every_kind_and_nothing_else() -> None:
    found = discover([str(MINIREPO)], Settings(root=MINIREPO))
    assert not found.errors
    assert relative(found.files) == ALL_FILES  # README.md is not read
    kinds = {kind_of(path, Path(path).read_bytes()[:256]) for path in found.files}
    assert kinds == set(KINDS)


def test_include_drops_kinds_and_extend_include_adds_them() -> None:
    only_code = discover([str(MINIREPO)], Settings(root=MINIREPO, include=("python", "notebook")))
    assert relative(only_code.files) == {"train.py", "notebooks/explore.ipynb", "notebooks/train.ipynb"}
    settings = parse_settings({"include": ["python"], "extend-include": ["shell", "python"]},
                              MINIREPO / "portlint.toml")
    assert settings.kinds == ("python", "shell")
    found = discover([str(MINIREPO)], settings)
    assert relative(found.files) == {"train.py", "scripts/launch.sh", "scripts/train"}


@pytest.mark.parametrize("table", [{"include": ["python", "markdown"]}, {"extend-include": "yaml"},
                                   {"include": [1]}])
def test_unknown_kinds_are_configuration_errors(table) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings(table, MINIREPO / "portlint.toml")
    assert "include" in str(caught.value)


def test_extensionless_files_need_a_shell_shebang_and_the_executable_bit(tmp_path: Path) -> None:
    for name, text, mode in [("run", "#!/bin/sh\nnvidia-smi\n", 0o755), ("tool", "#!/usr/bin/env python\n", 0o755),
                             ("notes", "#!/bin/bash\nnvidia-smi\n", 0o644), ("LICENSE", "MIT\n", 0o644)]:
        (tmp_path / name).write_text(text)
        (tmp_path / name).chmod(mode)
    found = discover([str(tmp_path)], Settings(root=tmp_path))
    assert relative(found.files, tmp_path) == {"run"}


def test_a_named_file_is_checked_by_its_kind() -> None:
    report = linter().check_paths([str(MINIREPO / "scripts" / "train")])
    assert [f.code for f in report.findings] == ["PRT702"]
    assert not report.errors


# --------------------------------------------------------------------------- findings


def test_findings_of_every_kind_with_paths_lines_and_cells() -> None:
    report = linter().check_paths([str(MINIREPO)])
    assert not report.errors
    assert {row(f) for f in report.findings} == EXPECTED_NPU
    assert report.files_checked == len(ALL_FILES)


def test_agnostic_target_has_no_kernel_findings_and_advice_for_configs() -> None:
    report = linter("agnostic").check_paths([str(MINIREPO)])
    rows = {row(f) for f in report.findings}
    assert not any(code == "PRT950" for *_, code, _, _ in rows)
    assert ("configs/train.yaml", None, 5, 16, "PRT943", "auto", "safe") in rows  # accelerator: gpu -> auto
    assert ("configs/train.yaml", None, 9, 11, "PRT940", None, "manual") in rows


def test_kernel_findings_name_the_size() -> None:
    report = linter().check_paths([str(MINIREPO / "csrc")])
    messages = sorted(f.message for f in report.findings)
    assert messages == ["CUDA source add.cu (6 lines, 1 __global__ kernel) must be ported by hand",
                        "CUDA source add.cuh (2 lines, 0 __global__ kernels) must be ported by hand"]


def test_the_prefilter_applies_to_every_kind(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("lr: 0.1\nepochs: 3\n")
    (tmp_path / "run.sh").write_text("python train.py\n")
    (tmp_path / "notebook.ipynb").write_text(json.dumps({"cells": [
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": "print(1)"}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    report = linter(root=tmp_path).check_paths([str(tmp_path)])
    assert report.files_checked == 3 and report.files_parsed == 0 and not report.findings


def test_noqa_works_in_scripts_and_configs(tmp_path: Path) -> None:
    (tmp_path / "run.sh").write_text("export CUDA_VISIBLE_DEVICES=0  # noqa: PRT701\nnvidia-smi\n")
    (tmp_path / "config.yaml").write_text("device: cuda  # noqa\n")
    report = linter(root=tmp_path).check_paths([str(tmp_path)])
    assert [(f.line, f.code) for f in report.findings] == [(2, "PRT920")]


def test_bad_files_give_one_line_errors_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "broken.ipynb").write_text("{not json")
    (tmp_path / "v3.ipynb").write_text(json.dumps({"worksheets": []}))
    (tmp_path / "syntax.ipynb").write_text(json.dumps({"cells": [
        {"cell_type": "code", "metadata": {}, "outputs": [], "source": "import torch\nx = torch.ones(1).cuda()\n"},
        {"cell_type": "code", "metadata": {}, "outputs": [], "source": "print 'python 2'\n"}], "metadata": {},
        "nbformat": 4, "nbformat_minor": 5}))
    (tmp_path / "latin1.sh").write_bytes(b"export CUDA_VISIBLE_DEVICES=\xe9\n")
    (tmp_path / "template.json").write_text('{"device": "cuda", // comment\n}')
    (tmp_path / "big.json").write_text('{"device": "cuda", "pad": "' + "x" * (1 << 20) + '"}')
    (tmp_path / "run.sh").write_text("nvidia-smi\n")
    report = linter(root=tmp_path).check_paths([str(tmp_path)])
    reasons = {Path(e.path).name: e.reason for e in report.errors}
    assert set(reasons) == {"broken.ipynb", "v3.ipynb", "syntax.ipynb", "latin1.sh"}
    assert all("\n" not in reason for reason in reasons.values())
    assert "cell 2, line 1" in reasons["syntax.ipynb"]
    assert sorted((Path(f.path).name, f.cell) for f in report.findings) == [("run.sh", None), ("syntax.ipynb", 1)]


# --------------------------------------------------------------------------- output formats


@pytest.fixture(scope="module")
def notebook_report():
    lint = linter()
    report = lint.check_paths([str(MINIREPO / "notebooks" / "train.ipynb")])
    assert {f.cell for f in report.findings} == {2, 3, 6}
    return report, lint


def render(report, lint, output_format: str) -> str:
    stream = io.StringIO()
    get_reporter(output_format)(report, lint.ruleset.rules, stream, {"quiet": False, "root": MINIREPO})
    return stream.getvalue()


def test_text_output_names_the_cell_and_shows_the_cell_line(notebook_report) -> None:
    text = render(*notebook_report, "text")
    assert "  cell 3:1:23 PRT404 " in text
    assert "    1 | x = torch.randn(8, 4).cuda()  # données" in text
    assert "  cell 2:2:2 PRT920 " in text and "    2 | !nvidia-smi" in text
    assert notebook_report[0].findings[0].location().endswith("train.ipynb:cell 2:2:2")


def test_json_output_carries_the_cell(notebook_report) -> None:
    data = json.loads(render(*notebook_report, "json"))
    assert [(d["cell"], d["line"], d["column"], d["code"]) for d in data] == [
        (2, 2, 2, "PRT920"), (2, 3, 6, "PRT701"), (3, 1, 23, "PRT404"), (3, 4, 5, "PRT103"), (6, 2, 8, "PRT701")]


def test_github_output_names_the_cell(notebook_report) -> None:
    lines = render(*notebook_report, "github").splitlines()
    assert lines[2].startswith("::error file=notebooks/train.ipynb,line=1,col=23,endLine=1,endColumn=29,")
    assert "::cell 3: `.cuda()`" in lines[2]


def test_sarif_output_names_the_cell_and_offers_no_region_fix(notebook_report) -> None:
    data = json.loads(render(*notebook_report, "sarif"))
    results = data["runs"][0]["results"]
    assert [r["properties"]["cell"] for r in results] == [2, 2, 3, 3, 6]
    assert results[2]["message"]["text"].startswith("cell 3: `.cuda()`")
    assert all("fixes" not in r for r in results)  # a region edit of the .ipynb would corrupt it


def test_gitlab_output_names_the_cell(notebook_report) -> None:
    data = json.loads(render(*notebook_report, "gitlab"))
    assert data[2]["description"].startswith("PRT404 cell 3: ")
    assert data[2]["location"] == {"path": "notebooks/train.ipynb", "lines": {"begin": 1, "end": 1}}
    assert len({d["fingerprint"] for d in data}) == 5


def test_junit_output_names_the_cell(notebook_report) -> None:
    root = ET.fromstring(render(*notebook_report, "junit"))
    failure = root.find(".//failure")
    assert failure is not None and "cell 3: 1:23 PRT404" in (failure.text or "")


# --------------------------------------------------------------------------- fixes


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    target = tmp_path / "repo"
    shutil.copytree(MINIREPO, target, symlinks=True)
    return target


def test_fix_rewrites_names_and_values_and_keeps_everything_else(repo_copy: Path) -> None:
    from portlint.fixer import fix_paths

    before = {p: p.read_bytes() for p in repo_copy.rglob("*") if p.is_file()}
    modes = {p: p.stat().st_mode for p in before}
    run = fix_paths(linter(root=repo_copy), [str(repo_copy)], unsafe=True)
    assert not run.report.errors
    changed = {p.relative_to(repo_copy).as_posix() for p in before if p.read_bytes() != before[p]}
    assert changed == {".github/workflows/ci.yml", "configs/accelerate.yaml", "configs/ds_config.json",
                       "configs/train.yaml", "docker/Dockerfile", "notebooks/explore.ipynb",
                       "notebooks/train.ipynb", "scripts/launch.sh", "scripts/train", "train.py"}
    assert all(p.stat().st_mode == modes[p] for p in before)
    launch = (repo_copy / "scripts" / "launch.sh").read_text()
    assert "export ASCEND_RT_VISIBLE_DEVICES=0,1,2,3\n" in launch
    assert 'echo "using $ASCEND_RT_VISIBLE_DEVICES"' in launch
    assert "--device npu --dist-backend hccl" in launch
    assert "# Launch on all GPUs (a comment mentioning CUDA_VISIBLE_DEVICES" in launch  # comments untouched
    assert "trainer.accelerator=gpu" in launch  # advice only for npu
    config = (repo_copy / "configs" / "train.yaml").read_text()
    assert "  device: npu:0\n" in config and "  dist_backend: hccl\n" in config
    assert 'notes: "device: cuda in a string is not a key"' in config
    assert "    device: cuda inside a block scalar is text" in config
    assert json.loads((repo_copy / "configs" / "ds_config.json").read_text())["communication_backend"] == "hccl"
    assert "distributed_type: MULTI_NPU\n" in (repo_copy / "configs" / "accelerate.yaml").read_text()
    assert (repo_copy / "scripts" / "train").read_text() == "#!/bin/bash\nASCEND_LAUNCH_BLOCKING=1 python train.py\n"
    # the fixed repository is a fixed point: only advice remains
    again = linter(root=repo_copy).check_paths([str(repo_copy)])
    assert all(f.fix is None or f.fix.replacement is None for f in again.findings)


def test_fix_diff_does_not_write(repo_copy: Path) -> None:
    from portlint.fixer import fix_paths

    before = (repo_copy / "configs" / "train.yaml").read_bytes()
    run = fix_paths(linter(root=repo_copy), [str(repo_copy / "configs")], write=False)
    assert (repo_copy / "configs" / "train.yaml").read_bytes() == before
    diff = "".join(outcome.diff() for outcome in run.changed_files)
    assert "-  device: cuda:0\n+  device: npu:0\n" in diff


def test_cli_checks_a_notebook_and_a_script(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from portlint.cli import app

    shutil.copy(MINIREPO / "notebooks" / "train.ipynb", tmp_path / "train.ipynb")
    shutil.copy(MINIREPO / "scripts" / "launch.sh", tmp_path / "run.sh")
    (tmp_path / "portlint.toml").write_text("")
    result = CliRunner().invoke(app, ["check", "--no-cache", "--output-format", "json", str(tmp_path)])
    assert result.exit_code == 1, result.output
    cells = {(Path(d["path"]).name, d["cell"]) for d in json.loads(result.stdout)}
    assert ("train.ipynb", 3) in cells and ("run.sh", None) in cells


def test_the_readiness_report_lists_kernel_files_as_npu_blockers() -> None:
    from portlint.report.collect import TargetsLinter

    lint = TargetsLinter(Settings(root=MINIREPO), shipped_ruleset(), ("agnostic", "npu"))
    result = lint.check_bytes((MINIREPO / "csrc" / "add.cu").read_bytes(), "csrc/add.cu")
    assert [(f.code, f.target) for f in result.findings] == [("PRT950", "npu")]
    result = lint.check_bytes((MINIREPO / "configs" / "train.yaml").read_bytes(), "configs/train.yaml")
    assert sorted((f.code, f.target) for f in result.findings) == [
        ("PRT940", "agnostic"), ("PRT940", "npu"), ("PRT941", "agnostic"), ("PRT941", "npu"),
        ("PRT943", "agnostic"), ("PRT943", "npu")]
