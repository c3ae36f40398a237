"""The real pre-commit, installing portlint's hooks from a clone of this working tree.

Slow (pre-commit builds a virtualenv and pip-installs portlint from the clone, which needs
the package index for the build backend and dependencies; about a minute the first time):
marked ``precommit``, run it alone with ``pytest -m precommit``. PRE_COMMIT_HOME lives in
one temporary directory for the whole module, so the hook environment is built once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

CUDA_CODE = "import torch\n\nx = torch.zeros(3).cuda()\n"
CLEAN_CODE = "import torch\n\n\ndef make(device):\n    return torch.zeros(3, device=device)\n"


def _env(home: Path, cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRE_COMMIT", "GIT_"))}
    gitconfig = home / "gitconfig"
    gitconfig.write_text("[init]\n\tdefaultBranch = main\n", encoding="utf-8")
    env.update({
        "PRE_COMMIT_HOME": str(cache),
        "GIT_CONFIG_GLOBAL": str(gitconfig),  # no user hooksPath, templates or signing
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "portlint tests", "GIT_AUTHOR_EMAIL": "tests@example.invalid",
        "GIT_COMMITTER_NAME": "portlint tests", "GIT_COMMITTER_EMAIL": "tests@example.invalid",
        "PORTLINT_DEBUG": "1",
    })
    return env


def _run(args: list[str], cwd: Path, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"{args} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def _snapshot_of_working_tree(destination: Path, env: dict[str, str]) -> str:
    """A git repository holding what pip needs to install portlint from the current working
    tree (committed or not), plus .pre-commit-hooks.yaml; returns its commit."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".*cache")
    for name in ("pyproject.toml", "README.md", "CHANGELOG.md", ".pre-commit-hooks.yaml"):
        shutil.copy2(REPO / name, destination / name)
    for name in ("portlint", "rulesets"):
        shutil.copytree(REPO / name, destination / name, ignore=ignore)
    _run(["git", "init", "-q"], destination, env)
    _run(["git", "add", "-A"], destination, env)
    _run(["git", "commit", "-q", "--no-verify", "-m", "portlint working tree snapshot"], destination, env)
    return _run(["git", "rev-parse", "HEAD"], destination, env).stdout.strip()


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    pytest.importorskip("pre_commit", reason="pre-commit is not installed (pip install -e '.[test]')")
    base = tmp_path_factory.mktemp("precommit")
    env = _env(base, base / "pre-commit-home")
    source = base / "portlint-src"
    source.mkdir()
    rev = _snapshot_of_working_tree(source, env)
    return env, source, rev, base


def _project(base: Path, name: str, env: dict[str, str], source: Path, rev: str, hooks: str) -> Path:
    project = base / name
    project.mkdir()
    _run(["git", "init", "-q"], project, env)
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {source.as_posix()}\n  rev: {rev}\n  hooks:\n{hooks}", encoding="utf-8")
    _run(["git", "add", ".pre-commit-config.yaml"], project, env)
    _run(["git", "commit", "-q", "--no-verify", "-m", "config"], project, env)
    _run([sys.executable, "-m", "pre_commit", "install"], project, env)
    return project


def _commit(project: Path, env: dict[str, str], files: dict[str, str]) -> subprocess.CompletedProcess:
    for name, text in files.items():
        (project / name).write_text(text, encoding="utf-8")
    _run(["git", "add", *files], project, env)
    return _run(["git", "commit", "-m", "change"], project, env, check=False)


@pytest.mark.precommit
@needs_git
def test_check_hook_blocks_cuda_code_and_passes_clean_code(setup):
    env, source, rev, base = setup
    project = _project(base, "check", env, source, rev, "  - id: portlint\n")

    failed = _commit(project, env, {"train.py": CUDA_CODE})
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0, output
    assert "portlint" in output and "Failed" in output
    assert "train.py" in output and "PRT404" in output  # portlint's own finding, through the hook
    assert "x = torch.zeros(3).cuda()" in output
    assert _run(["git", "rev-list", "--count", "HEAD"], project, env).stdout.strip() == "1"

    _run(["git", "rm", "-q", "--cached", "train.py"], project, env)
    (project / "train.py").unlink()
    passed = _commit(project, env, {"model.py": CLEAN_CODE})
    output = passed.stdout + passed.stderr
    assert passed.returncode == 0, output
    assert "portlint" in output and "Passed" in output
    assert _run(["git", "rev-list", "--count", "HEAD"], project, env).stdout.strip() == "2"


@pytest.mark.precommit
@needs_git
def test_check_hook_checks_pyi_stubs_in_one_process(setup):
    """pre-commit's `python` type leaves .pyi stubs out (their type is `pyi`): the hooks use
    types_or. require_serial: one portlint run gets every file, so one summary line."""
    env, source, rev, base = setup
    project = _project(base, "stubs", env, source, rev, "  - id: portlint\n")
    # (a type annotation never runs and is not reported: the stub's finding is a default)
    stub = "import torch\n\ndef make(device: str = \"cuda:0\") -> torch.Tensor: ...\n"
    files = {"api.pyi": stub, **{f"m{i}.py": CUDA_CODE for i in range(12)}}
    failed = _commit(project, env, files)
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0, output
    assert "api.pyi" in output and "PRT401" in output, output
    assert output.count("files checked") == 1 and "13 files checked" in output, output


@pytest.mark.precommit
@needs_git
def test_hook_without_python_files_is_skipped_or_checks_nothing(setup):
    """pre-commit skips the hook when no Python file is staged; with ``always_run`` it runs it
    with no file names, and portlint must then check nothing (not scan the repository,
    which here holds a committed CUDA file)."""
    env, source, rev, base = setup
    project = _project(base, "nofiles", env, source, rev,
                       "  - id: portlint\n  - id: portlint\n    name: portlint-always\n    always_run: true\n")
    (project / "legacy.py").write_text(CUDA_CODE, encoding="utf-8")
    _run(["git", "add", "legacy.py"], project, env)
    _run(["git", "commit", "-q", "--no-verify", "-m", "legacy CUDA code"], project, env)

    result = _commit(project, env, {"notes.txt": "no python here\n"})
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "(no files to check)Skipped" in output.replace(".", "")
    assert "portlint-always" in output and "Passed" in output
    assert "PRT404" not in output


NOTEBOOK = ('{"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["Call `x.cuda()`"]},\n'
            ' {"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [],\n'
            '  "source": ["import torch\\n", "!nvidia-smi\\n", "x = torch.zeros(3).cuda()"]}],\n'
            ' "metadata": {}, "nbformat": 4, "nbformat_minor": 5}\n')


@pytest.mark.precommit
@needs_git
def test_hooks_check_and_fix_staged_notebooks(setup):
    """The hooks pass notebooks (pre-commit type `jupyter`): findings name the cell, and the
    fix hook rewrites the code cell only."""
    env, source, rev, base = setup
    project = _project(base, "notebooks", env, source, rev, "  - id: portlint\n")
    failed = _commit(project, env, {"explore.ipynb": NOTEBOOK})
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0, output
    assert "explore.ipynb" in output and "cell 2:3:" in output and "PRT404" in output and "PRT920" in output

    fixing = _project(base, "notebooks-fix", env, source, rev, "  - id: portlint-fix\n    args: [--target, npu]\n")
    result = _commit(fixing, env, {"explore.ipynb": NOTEBOOK})
    assert result.returncode != 0  # the hook changed the file: pre-commit fails the commit
    fixed = (fixing / "explore.ipynb").read_text(encoding="utf-8")
    assert "x = torch.zeros(3).npu()" in fixed and "Call `x.cuda()`" in fixed


FIXABLE_CODE = "import torch\n\nn = torch.cuda.device_count()\n"
FIXED_CODE = "import torch\n\nn = torch.accelerator.device_count()\n"


@pytest.mark.precommit
@needs_git
def test_fix_hook_rewrites_the_staged_file(setup):
    env, source, rev, base = setup
    project = _project(base, "fix", env, source, rev, "  - id: portlint-fix\n  - id: portlint\n")

    first = _commit(project, env, {"count.py": FIXABLE_CODE})
    output = first.stdout + first.stderr
    assert first.returncode != 0, output  # pre-commit fails a commit whose files a hook changed
    assert "files were modified by this hook" in output
    assert (project / "count.py").read_text(encoding="utf-8") == FIXED_CODE

    second = _commit(project, env, {"count.py": FIXED_CODE})  # review, re-stage, commit
    assert second.returncode == 0, second.stdout + second.stderr
    assert _run(["git", "show", "HEAD:count.py"], project, env).stdout == FIXED_CODE


# --------------------------------------------------------------------------- no file names


def _portlint(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "PRE_COMMIT"}
    environ.update(env)
    return subprocess.run([sys.executable, "-m", "portlint", *args], cwd=cwd, env=environ,
                          capture_output=True, text=True, timeout=60, check=False)


def test_no_paths_under_pre_commit_or_after_double_dash_checks_nothing(tmp_path: Path) -> None:
    (tmp_path / "legacy.py").write_text(CUDA_CODE, encoding="utf-8")
    assert _portlint(["check"], tmp_path).returncode == 1  # plain: the current directory
    under_hook = _portlint(["check", "--target", "npu"], tmp_path, PRE_COMMIT="1")
    assert under_hook.returncode == 0, under_hook.stdout + under_hook.stderr
    assert "0 files checked" in under_hook.stdout and "nothing to check" in under_hook.stderr
    dashes = _portlint(["check", "--target", "npu", "--"], tmp_path)
    assert dashes.returncode == 0 and "0 files checked" in dashes.stdout
    named = _portlint(["check", "--", "legacy.py"], tmp_path, PRE_COMMIT="1")
    assert named.returncode == 1 and "PRT404" in named.stdout  # files given: checked as usual
