"""The readers behind the file kinds: shell tokens, YAML key paths, dependency specifiers."""

from __future__ import annotations

from portlint.kinds import kind_of, kind_of_name
from portlint.kinds.requirements import pyproject_occurrences, requirements_occurrences
from portlint.kinds.shell import scan
from portlint.kinds.yamlscan import entries


def spans(text: str, occurrences) -> list[tuple[str, str, str]]:
    return [(o.kind, o.value, text[o.start:o.end]) for o in occurrences]


def test_kinds_by_name() -> None:
    assert kind_of_name("Dockerfile") == kind_of_name("Dockerfile.gpu") == kind_of_name("x.dockerfile") == "dockerfile"
    assert kind_of_name("Containerfile") == "dockerfile"
    assert kind_of_name("requirements-dev.txt") == kind_of_name("constraints.txt") == "requirements"
    assert kind_of_name("base.txt", "requirements") == "requirements" and kind_of_name("notes.txt") is None
    assert kind_of_name("environment.yml") == "yaml" and kind_of_name("ds.json") == "json"
    assert kind_of_name("k.cuh") == "cuda" and kind_of_name("setup.cfg") is None
    assert kind_of("bin/train", b"#!/usr/bin/env bash\n") == "shell"
    assert kind_of("bin/train", b"#!/usr/bin/env python3\n") is None


def test_shell_env_commands_and_options() -> None:
    text = ("export CUDA_VISIBLE_DEVICES=0 NCCL_DEBUG\n"
            "A=1 B=2 sudo -E nvidia-smi -L  # nvidia-smi in a comment\n"
            "echo 'CUDA_HOME=$CUDA_HOME nvidia-smi'\n"
            'N="$(nvidia-smi --list-gpus | wc -l)"; echo ${CUDA_HOME}\n'
            "python train.py --device=cuda:1 --backend nccl trainer.gpus=2\n")
    found = spans(text, scan(text))
    assert ("env", "CUDA_VISIBLE_DEVICES", "CUDA_VISIBLE_DEVICES") in found
    assert ("env", "NCCL_DEBUG", "NCCL_DEBUG") in found
    assert [o for o in found if o[0] == "command" and o[1] == "nvidia-smi"] == [
        ("command", "nvidia-smi", "nvidia-smi"), ("command", "nvidia-smi", "nvidia-smi")]
    assert [o for o in found if o[0] == "env" and o[1] == "CUDA_HOME"] == [("env", "CUDA_HOME", "CUDA_HOME")]
    assert ("config-key", "cuda:1", "cuda:1") in found
    assert ("config-key", "nccl", "nccl") in found
    assert ("config-key", "2", "2") in found


def test_shell_pip_install_requirements_and_indexes() -> None:
    text = ("python -m pip install -U 'torch==2.3.0+cu121' -r req.txt --extra-index-url=https://x/whl/cu121 \\\n"
            "    flash_attn && conda install -c nvidia pytorch-cuda=12.1\n")
    found = [(o.kind, o.value, text[o.start:o.end], o.extra) for o in scan(text) if o.kind in ("requirement", "index")]
    assert found == [
        ("requirement", "torch", "torch", "==2.3.0+cu121"),
        ("index", "https://x/whl/cu121", "https://x/whl/cu121", ""),
        ("requirement", "flash-attn", "flash_attn", ""),
        ("index", "nvidia", "nvidia", ""),
        ("requirement", "pytorch-cuda", "pytorch-cuda", "=12.1"),
    ]


def test_shell_heredoc_bodies_are_skipped() -> None:
    text = "cat > cfg.yaml <<'EOF'\nexport CUDA_VISIBLE_DEVICES=0\nEOF\nnvidia-smi\n"
    assert [(o.kind, o.value) for o in scan(text) if o.kind in ("env", "command")] == [
        ("command", "cat"), ("command", "nvidia-smi")]


def test_yaml_paths_lists_blocks_and_quotes() -> None:
    text = ("a:\n  b: 1  # comment\n  'c': \"x # y\"\nenv:\n- name: CUDA_VISIBLE_DEVICES\n  value: '0'\n"
            "run: |\n  nvidia-smi\n  echo\nlist:\n  - one\n  - k: v\n---\ntop: &anchor cuda\n")
    got = [(e.path, e.key, e.value, text[e.start:e.end] if not e.block else "BLOCK", e.item) for e in entries(text)]
    assert got == [
        ("a.b", "b", "1", "1", False),
        ("a.c", "c", "x # y", "x # y", False),
        ("env.name", "name", "CUDA_VISIBLE_DEVICES", "CUDA_VISIBLE_DEVICES", False),
        ("env.value", "value", "0", "0", False),
        ("run", "run", "  nvidia-smi\n  echo", "BLOCK", False),
        ("list", "list", "one", "one", True),
        ("list.k", "k", "v", "v", False),
        ("top", "top", "cuda", "cuda", False),
    ]


def test_requirements_lines() -> None:
    text = "-i https://x/cu118\nFlash_Attn[full]>=2 ; python_version>'3.8' # c\n\n# only a comment\n-r other.txt\n"
    assert [(o.kind, o.value, text[o.start:o.end]) for o in requirements_occurrences(text)] == [
        ("index", "https://x/cu118", "https://x/cu118"), ("requirement", "flash-attn", "Flash_Attn")]


def test_pyproject_dependency_arrays_poetry_and_indexes() -> None:
    text = ('[project]\nname = "x"\ndependencies = ["torch>=2", # c\n  "cupy-cuda12x",\n]\n'
            '[project.optional-dependencies]\ngpu = ["flash-attn"]\n[tool.poetry.dependencies]\npython = "^3.10"\n'
            'xformers = {version = "*"}\n[[tool.uv.index]]\nurl = "https://x/whl/cu121"\n[tool.other]\nz = ["nvidia-nccl-cu12"]\n')
    assert [(o.kind, o.value) for o in pyproject_occurrences(text)] == [
        ("requirement", "torch"), ("requirement", "cupy-cuda12x"), ("requirement", "flash-attn"),
        ("requirement", "xformers"), ("index", "https://x/whl/cu121")]


def test_dockerfile_images_args_and_non_cuda_variants() -> None:
    from portlint.kinds.docker import scan as docker_scan

    text = "ARG BASE=pytorch/pytorch:2.6.0-cuda12.4-cudnn9-devel\nFROM ${BASE}\nENV CUDA_HOME=/usr/local/cuda\n"
    found = [(o.kind, o.value, text[o.start:o.end]) for o in docker_scan(text)]
    assert ("image", "pytorch/pytorch:2.6.0-cuda12.4-cudnn9-devel", "pytorch/pytorch:2.6.0-cuda12.4-cudnn9-devel") in found
    assert ("env", "CUDA_HOME", "CUDA_HOME") in found
    rocm = "ARG BASE_IMAGE=rocm/pytorch:rocm7.2\nFROM ${BASE_IMAGE}\nRUN pip install flash-attn\n"
    assert list(docker_scan(rocm)) == []  # the ROCm variant is the project's non-CUDA path


def test_ci_matrices_list_variants_and_select_nothing() -> None:
    from portlint.kinds.configs import occurrences

    text = "jobs:\n  build:\n    strategy:\n      matrix:\n        include:\n          - device: cuda\n    env:\n      device: cuda\n"
    found = [(o.kind, o.path, o.value) for o in occurrences(list(entries(text)), text, conda=False)]
    assert ("config-key", "jobs.build.env.device", "cuda") in found
    assert not any("matrix" in path for _, path, _ in found)
