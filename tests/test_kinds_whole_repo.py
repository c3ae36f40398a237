"""The whole repository, second round (issue 11): shown values are not findings, test data
is not configuration, here-document bodies and bare device indexes in launch commands,
standard input and the language server read each file by its kind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import shipped_ruleset
from portlint.config import Settings
from portlint.discovery import discover
from portlint.engine import Linter

MINIREPO = Path(__file__).parent / "fixtures" / "minirepo"


def linter(target: str = "npu", root: Path | None = None) -> Linter:
    return Linter(Settings(target=target, **({"root": root} if root else {})), shipped_ruleset())


def notebook(*cells: str) -> str:
    return json.dumps({"cells": [{"cell_type": "code", "execution_count": None, "id": str(n), "metadata": {},
                                  "outputs": [], "source": source} for n, source in enumerate(cells)],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)


def codes(report) -> list[tuple[str, int | None, int, str]]:
    return [(Path(f.path).name, f.cell, f.line, f.code) for f in report.findings]


# --------------------------------------------------------------------------- precision


def test_a_shown_availability_check_is_not_a_finding(tmp_path: Path) -> None:
    """The false alarm of the last sample: `print(torch.cuda.is_available())` in a notebook."""
    (tmp_path / "nb.ipynb").write_text(notebook(
        "import torch, logging\nprint(torch.cuda.is_available())\ntorch.cuda.is_available()",
        'print(f"GPUs: {torch.cuda.device_count()}, CUDA {torch.version.cuda}")\n'
        'logging.info("cuda=%s", torch.cuda.is_available())',
        "if torch.cuda.is_available():\n    x = torch.zeros(1).cuda()\nuse = torch.cuda.is_available()"))
    found = codes(linter().check_paths([str(tmp_path)]))
    assert found == [("nb.ipynb", 3, 1, "PRT102"), ("nb.ipynb", 3, 2, "PRT404"), ("nb.ipynb", 3, 3, "PRT102")]


def test_configs_below_test_directories_are_test_data(tmp_path: Path) -> None:
    """accelerate's tests/test_configs/*.yaml (inputs of its config-loader tests) were flagged."""
    for name in ("tests/test_configs/fp8.yaml", "tests/fixtures/ds.json", "configs/accelerate.yaml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("distributed_type: MULTI_GPU\n" if name.endswith("yaml")
                                     else '{"communication_backend": "nccl"}')
    (tmp_path / "tests" / "run_gpu.sh").write_text("export CUDA_VISIBLE_DEVICES=0\n")
    found = discover([str(tmp_path)], Settings(root=tmp_path))
    names = {Path(p).resolve().relative_to(tmp_path.resolve()).as_posix() for p in found.files}
    assert names == {"configs/accelerate.yaml", "tests/run_gpu.sh"}
    # a test directory named on the command line (or a file in it) is checked
    found = discover([str(tmp_path / "tests" / "test_configs")], Settings(root=tmp_path))
    assert [Path(p).name for p in found.files] == ["fp8.yaml"]
    found = discover([str(tmp_path / "tests" / "fixtures" / "ds.json")], Settings(root=tmp_path))
    assert [Path(p).name for p in found.files] == ["ds.json"]


def test_cuda_variants_beside_another_accelerators_are_skipped(tmp_path: Path) -> None:
    """LLaMA-Factory's docker/docker-cuda/ beside docker/docker-npu/, tests_cuda.yml beside
    tests_npu.yml: the CUDA path of a ladder whose other rungs exist."""
    files = {"docker/docker-cuda/Dockerfile": "FROM nvidia/cuda:12.4.0-devel\n",
             "docker/docker-cuda/run.py": "import torch\nx = torch.zeros(1).cuda()\n",
             "docker/docker-npu/Dockerfile": "FROM ascendai/cann:8.0\n",
             "wf/tests_cuda.yml": "jobs:\n  t:\n    steps:\n      - run: nvidia-smi\n",
             "wf/tests_npu.yml": "jobs: {}\n",
             "img/accelerate-gpu/Dockerfile": "FROM nvidia/cuda:12.4.0-devel\n",
             "img/accelerate-cpu/Dockerfile": "FROM python:3.11\n",
             "solo/docker-cuda/Dockerfile": "FROM nvidia/cuda:12.4.0-devel\n",
             "requirements-cuda.txt": "cupy-cuda12x\n", "requirements-rocm.txt": "cupy-rocm-5-0\n"}
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    found = discover([str(tmp_path)], Settings(root=tmp_path))
    names = {Path(p).resolve().relative_to(tmp_path.resolve()).as_posix() for p in found.files}
    assert names == {"docker/docker-cuda/run.py", "docker/docker-npu/Dockerfile", "wf/tests_npu.yml",
                     "img/accelerate-gpu/Dockerfile", "img/accelerate-cpu/Dockerfile",
                     "solo/docker-cuda/Dockerfile", "requirements-rocm.txt"}
    found = discover([str(tmp_path / "docker" / "docker-cuda")], Settings(root=tmp_path))
    assert sorted(Path(p).name for p in found.files) == ["Dockerfile", "run.py"]
    # for the npu target only an NPU sibling counts (a ROCm one does not help an NPU user)
    found = discover([str(tmp_path)], Settings(root=tmp_path, target="npu"))
    names = {Path(p).resolve().relative_to(tmp_path.resolve()).as_posix() for p in found.files}
    assert "requirements-cuda.txt" in names and "docker/docker-cuda/Dockerfile" not in names


# --------------------------------------------------------------------------- recall

HEREDOCS = """\
#!/bin/bash
python - <<PY
import torch
x = torch.zeros(2).cuda()
print(torch.cuda.is_available())
PY
cat > ds.json <<'EOF'
{"communication_backend": "nccl"}
EOF
cat <<EOF
usage: run with --device cuda and CUDA_VISIBLE_DEVICES=0
EOF
bash <<EOF
export CUDA_VISIBLE_DEVICES=0
EOF
cat > cfg.yaml <<EOF
trainer:
  accelerator: gpu
EOF
python3 - <<EOF
x = $VALUE.cuda()
EOF
cat >> requirements.txt <<EOF
cupy-cuda12x
EOF
"""


def test_here_document_bodies_are_read_in_their_language(tmp_path: Path) -> None:
    (tmp_path / "run.sh").write_text(HEREDOCS)
    report = linter("agnostic").check_paths([str(tmp_path / "run.sh")])
    assert not report.errors
    assert [(f.line, f.code) for f in report.findings] == [
        (4, "PRT404"), (8, "PRT941"), (14, "PRT701"), (18, "PRT943"), (24, "PRT932")]
    python = report.findings[0]
    assert python.column == 20 and python.fix is not None and python.fix.applicability == "manual"
    # the usage text of `cat <<EOF` (no file written) and a body that is not Python give nothing


def test_fixing_a_script_leaves_here_document_python_alone(tmp_path: Path) -> None:
    from portlint.kinds.fixing import fix_document

    outcome = fix_document(HEREDOCS, linter("npu"), str(tmp_path / "run.sh"), "shell", unsafe=True)
    assert outcome.error is None
    assert "x = torch.zeros(2).cuda()" in outcome.text  # advice only
    assert '{"communication_backend": "hccl"}' in outcome.text and "ASCEND_RT_VISIBLE_DEVICES=0" in outcome.text


def test_a_bare_device_index_in_launch_commands(tmp_path: Path) -> None:
    (tmp_path / "train.sh").write_text("python train.py --img 640 --device 0,1 --batch 64\n"
                                       "python detect.py --device=0\npython detect.py --device cpu\n"
                                       "python train.py --devices 2 --num_gpus 8\n"
                                       "accelerate launch --gpu_ids 0,1 train.py\n")
    (tmp_path / "nb.ipynb").write_text(notebook("!python train.py --data coco.yaml --device 0"))
    found = codes(linter().check_paths([str(tmp_path)]))
    assert found == [("nb.ipynb", 1, 1, "PRT940"), ("train.sh", None, 1, "PRT940"), ("train.sh", None, 2, "PRT940")]
    finding = linter().check_paths([str(tmp_path / "nb.ipynb")]).findings[0]
    assert finding.column == 44 and "bare device index" in finding.message
    assert finding.fix is not None and finding.fix.replacement is None  # advice: the script decides


def test_a_cell_that_is_a_pasted_terminal_session_is_read_as_a_script(tmp_path: Path) -> None:
    """ms-swift's notebooks hold `CUDA_VISIBLE_DEVICES=0 swift sft ...` in Python code cells."""
    (tmp_path / "nb.ipynb").write_text(notebook("import torch", "CUDA_VISIBLE_DEVICES=0 \\\nswift sft \\\n"
                                                "    --learning_rate 1e-4 --device 0"))
    report = linter().check_paths([str(tmp_path)])
    assert [error.reason for error in report.errors] == ["syntax error (cell 2, line 2, column 1): invalid syntax"]
    assert codes(report) == [("nb.ipynb", 2, 1, "PRT701"), ("nb.ipynb", 2, 3, "PRT940")]


def test_a_notebook_with_half_its_cells_not_python_still_checks_the_others(tmp_path: Path) -> None:
    """ms-swift's zh.ipynb: 4 of 6 code cells are terminal sessions; the loop that drops bad
    cells stopped after 3 (its bound shrank with the cells), so no Python finding was left."""
    shell = "CUDA_VISIBLE_DEVICES=0 \\\nswift infer \\\n    --max_new_tokens 512"
    (tmp_path / "nb.ipynb").write_text(notebook("import os", shell, shell, shell, shell,
                                                "os.environ['CUDA_VISIBLE_DEVICES'] = '0'"))
    report = linter().check_paths([str(tmp_path)])
    assert len(report.errors) == 1 and report.errors[0].reason.count("syntax error") == 4
    assert [(f.cell, f.code) for f in report.findings] == [(2, "PRT701"), (3, "PRT701"), (4, "PRT701"),
                                                          (5, "PRT701"), (6, "PRT701")]


def test_pip_through_any_interpreter_in_a_notebook(tmp_path: Path) -> None:
    """dinov2's notebooks: `!{sys.executable} -m pip install ... --extra-index-url .../cu117`."""
    (tmp_path / "nb.ipynb").write_text(notebook(
        "import sys\n!{sys.executable} -m pip install -e x --extra-index-url https://download.pytorch.org/whl/cu117"
        " --extra-index-url https://pypi.nvidia.com"))
    assert codes(linter().check_paths([str(tmp_path)])) == [("nb.ipynb", 1, 2, "PRT930"), ("nb.ipynb", 1, 2, "PRT930")]


# --------------------------------------------------------------------------- stdin

STDIN_CASES = {
    "x.ipynb": (notebook("import torch\nx = torch.zeros(1).cuda()", "!nvidia-smi"),
                [("x.ipynb", 1, 2, "PRT404"), ("x.ipynb", 2, 1, "PRT920")]),
    "x.sh": ("export CUDA_VISIBLE_DEVICES=0\npython train.py --device 0\n",
             [("x.sh", None, 1, "PRT701"), ("x.sh", None, 2, "PRT940")]),
    "Dockerfile": ("FROM nvidia/cuda:12.1.0-runtime-ubuntu22.04\nRUN pip install cupy-cuda12x\n",
                   [("Dockerfile", None, 1, "PRT922"), ("Dockerfile", None, 2, "PRT932")]),
    "x.yaml": ("train:\n  device: cuda\n", [("x.yaml", None, 2, "PRT940")]),
    "requirements.txt": ("torch==2.3.0+cu121\n", [("requirements.txt", None, 1, "PRT931")]),
    "x.json": ('{"communication_backend": "nccl"}', [("x.json", None, 1, "PRT941")]),
    "x.py": ("import torch\nx = torch.zeros(1).cuda()\n", [("x.py", None, 2, "PRT404")]),
}


def run(*args: str, stdin: bytes, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "portlint", *args], input=stdin, capture_output=True, cwd=cwd,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"}, timeout=120)


@pytest.mark.parametrize("name", sorted(STDIN_CASES))
def test_stdin_is_read_as_the_kind_of_its_name(tmp_path: Path, name: str) -> None:
    """`portlint check --stdin-filename x.sh -` reported a Python syntax error."""
    text, expected = STDIN_CASES[name]
    (tmp_path / "portlint.toml").write_text('target = "npu"\n')
    proc = run("check", "--stdin-filename", name, "-f", "json", "-", stdin=text.encode(), cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    found = [(d["path"], d.get("cell"), d["line"], d["code"]) for d in json.loads(proc.stdout)]
    assert found == expected


def test_stdin_fix_of_a_config_and_a_notebook(tmp_path: Path) -> None:
    (tmp_path / "portlint.toml").write_text('target = "npu"\n')
    proc = run("fix", "--stdin-filename", "conf/x.yaml", "-", stdin=b"train:\n  device: cuda:0\n", cwd=tmp_path)
    assert proc.stdout == b"train:\n  device: npu:0\n", proc.stderr
    text = notebook("import torch\nx = torch.zeros(1).cuda()")
    proc = run("fix", "--stdin-filename", "nb.ipynb", "-", stdin=text.encode(), cwd=tmp_path)
    fixed = json.loads(proc.stdout)
    assert fixed["cells"][0]["source"] == "import torch\nimport torch_npu  # noqa: F401\nx = torch.zeros(1).npu()"


def test_concise_output_names_the_cell(tmp_path: Path) -> None:
    text, _ = STDIN_CASES["x.ipynb"]
    proc = run("check", "--stdin-filename", "x.ipynb", "-f", "concise", "-", stdin=text.encode(), cwd=tmp_path)
    assert proc.stdout.decode().splitlines()[0].startswith("x.ipynb:cell 1:2:")


# --------------------------------------------------------------------------- the language server


def test_the_server_routes_documents_by_kind() -> None:
    pytest.importorskip("pygls")
    from portlint.server import document_kind

    assert document_kind("file:///p/train.py", "") == "python"
    assert document_kind("untitled:Untitled-1", "") == "python"
    assert document_kind("file:///p/run.sh", "") == "shell"
    assert document_kind("file:///p/bin/launch", "#!/usr/bin/env bash\n") == "shell"
    assert document_kind("file:///p/Dockerfile", "") == "dockerfile"
    assert document_kind("file:///p/configs/a.yaml", "") == "yaml"
    assert document_kind("file:///p/requirements.txt", "") == "requirements"
    # notebooks: not checked in the editor (no diagnostics rather than misplaced ones)
    assert document_kind("file:///p/nb.ipynb", "{}") is None
    assert document_kind("vscode-notebook-cell:/p/nb.ipynb#W0sZmlsZQ%3D%3D", "x.cuda()") is None


def test_buffers_and_code_actions_of_a_script(tmp_path: Path) -> None:
    from portlint.buffers import check_buffer
    from portlint.codeactions import add_noqa, fix_all, quick_fix
    from portlint.fixedits import apply_edits
    from portlint.workspace import Workspace

    (tmp_path / "portlint.toml").write_text('target = "npu"\n')
    text = "#!/bin/bash\nexport CUDA_VISIBLE_DEVICES=0  # it's the first GPU\nNCCL_DEBUG=INFO torchrun x.py\n"
    workspace = Workspace(cwd=tmp_path)
    checked = check_buffer(workspace, text, tmp_path / "run.sh")
    assert checked.error is None and [f.code for f in checked.findings] == ["PRT701", "PRT705"]
    first = checked.findings[0]
    assert apply_edits(text, quick_fix(text, checked.linter, first)) == text.replace("CUDA_VISIBLE", "ASCEND_RT_VISIBLE")
    assert apply_edits(text, [add_noqa(text, first)]).splitlines()[1].endswith("GPU  # noqa: PRT701")
    safe = apply_edits(text, fix_all(text, checked.linter, str(tmp_path / "run.sh"), unsafe=True))
    assert "ASCEND_RT_VISIBLE_DEVICES" in safe
    config = '{"communication_backend": "nccl"}'
    checked = check_buffer(workspace, config, tmp_path / "ds.json")
    assert [f.code for f in checked.findings] == ["PRT941"]
    assert add_noqa(config, checked.findings[0]) is None  # JSON has no comments
