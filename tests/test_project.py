"""What a project declares (portlint/project.py): the oldest torch and Python its fixes must
work on, where the configuration does not say."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from portlint.project import declared_for, declared_in, python_lower_bound, torch_lower_bound
from portlint.workspace import Workspace


@pytest.mark.parametrize(("requirement", "bound"), [
    ("torch>=2.0.0", (2,)),
    ("torch >= 2.1, <3", (2, 1)),
    ("torch==2.4.*; sys_platform != 'darwin'", (2, 4)),
    ("torch~=2.2.1", (2, 2, 1)),
    ("torch[opt]>2.3", (2, 3)),
    ("Torch>=1.13  # CPU wheels", (1, 13)),
    ("torch", None),
    ("torch<3", None),
    ("torch!=2.5.0", None),
    ("torchvision>=0.15", None),
    ("torch-geometric>=2.0", None),
    ("pytorch-lightning>=2.0", None),
])
def test_torch_lower_bound(requirement: str, bound) -> None:
    assert torch_lower_bound(requirement) == bound


@pytest.mark.parametrize(("spec", "bound"), [
    (">=3.10, <4", (3, 10)),
    ("^3.9", (3, 9)),
    ("~=3.8", (3, 8)),
    ("<4", None),
])
def test_python_lower_bound(spec: str, bound) -> None:
    assert python_lower_bound(spec) == bound


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


@pytest.mark.parametrize(("files", "torch", "python"), [
    ({"pyproject.toml": """
        [project]
        name = "x"
        requires-python = ">=3.9"
        dependencies = ["numpy", "torch>=2.1"]
        [project.optional-dependencies]
        old = ["torch>=1.13"]
        """}, (1, 13), (3, 9)),
    ({"pyproject.toml": """
        [tool.poetry.dependencies]
        python = "^3.10"
        torch = "^2.2"
        """}, (2, 2), (3, 10)),
    ({"pyproject.toml": """
        [tool.poetry.dependencies]
        torch = { version = ">=2.3", source = "pytorch" }
        """}, (2, 3), None),
    ({"setup.cfg": """
        [options]
        python_requires = >=3.8
        install_requires =
            numpy
            torch>=2.0
        """}, (2,), (3, 8)),
    ({"setup.py": """
        from setuptools import setup
        REQUIRES = ["torch>=1.12.0", "torchvision"]
        setup(name="x", install_requires=REQUIRES, python_requires=">=3.7")
        """}, (1, 12), (3, 7)),
    ({"requirements.txt": "-r requirements/runtime.txt\n", "requirements/runtime.txt": "torch>=1.8  # old\n"},
     (1, 8), None),
    ({"requirements.txt": "numpy\ntorch\n"}, None, None),
    ({"pyproject.toml": "not [valid toml\n", "requirements.txt": "torch==2.0.1\n"}, (2, 0, 1), None),
])
def test_declared_in(tmp_path: Path, files: dict[str, str], torch, python) -> None:
    write(tmp_path, files)
    declared = declared_in(tmp_path)
    assert (declared.torch, declared.python) == (torch, python)


def test_each_bound_comes_from_the_nearest_directory_that_declares_it(tmp_path: Path) -> None:
    write(tmp_path, {
        "repo/pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.9"\ndependencies = ["torch>=2.1"]\n',
        "repo/.git/HEAD": "",
        "repo/examples/rl/requirements.txt": "lightning>=1.9\n",  # no torch line: the repository's holds
        "repo/examples/old/requirements.txt": "torch>=1.13\n",
        "repo/src/pkg/m.py": "",
        "setup.py": 'setup(install_requires=["torch>=1.0"])\n',  # above the repository root: not read
    })
    repo = tmp_path / "repo"
    assert declared_for(repo / "src" / "pkg")[::2] == ((2, 1), (3, 9))
    assert declared_for(repo / "examples" / "rl")[::2] == ((2, 1), (3, 9))
    assert declared_for(repo / "examples" / "old")[::2] == ((1, 13), (3, 9))
    write(tmp_path, {"bare/.git/HEAD": "", "bare/pkg/m.py": ""})
    assert declared_for(tmp_path / "bare" / "pkg")[::2] == (None, None)


PROGRAM = """\
import torch

def wait(x):
    torch.cuda.synchronize()
    return x
"""


def _fix_of_synchronize(workspace: Workspace, path: Path) -> str | None:
    found = [f for f in workspace.check_text(PROGRAM, str(path)).findings if f.code == "PRT103"]
    assert len(found) == 1
    return found[0].fix.replacement if found[0].fix is not None else None


def test_fixes_use_only_apis_of_the_oldest_torch_the_project_declares(tmp_path: Path) -> None:
    write(tmp_path, {"setup.py": 'setup(install_requires=["torch>=2.0.0"], python_requires=">=3.8")\n'})
    module = tmp_path / "pkg" / "m.py"
    write(tmp_path, {"pkg/m.py": PROGRAM})
    workspace = Workspace(cwd=tmp_path)
    settings = workspace.settings_for(module)
    assert settings.min_torch == (2,) and settings.target_version == (3, 8)
    assert "setup.py" in dict(settings.sources)["min_torch"]
    replacement = _fix_of_synchronize(workspace, module)
    assert replacement is None or "torch.accelerator" not in replacement  # torch.accelerator: 2.6


def test_without_a_declaration_the_default_min_torch_holds(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "torch\n", "pkg/m.py": PROGRAM})
    workspace = Workspace(cwd=tmp_path)
    assert workspace.settings_for(tmp_path / "pkg" / "m.py").min_torch == (2, 6)
    assert "torch.accelerator" in (_fix_of_synchronize(workspace, tmp_path / "pkg" / "m.py") or "")


def test_the_configuration_and_the_command_line_win_over_the_declaration(tmp_path: Path) -> None:
    write(tmp_path, {
        "pyproject.toml": """
            [project]
            name = "x"
            requires-python = ">=3.8"
            dependencies = ["torch>=2.0"]
            [tool.portlint]
            min-torch = "2.6"
            """,
        "pkg/m.py": PROGRAM,
    })
    module = tmp_path / "pkg" / "m.py"
    settings = Workspace(cwd=tmp_path).settings_for(module)
    assert (settings.min_torch, settings.target_version) == ((2, 6), (3, 8))
    assert Workspace(cwd=tmp_path, overrides={"min_torch": "2.4"}).settings_for(module).min_torch == (2, 4)


def test_files_are_grouped_by_their_projects_declaration(tmp_path: Path) -> None:
    write(tmp_path, {
        "a/setup.py": 'setup(install_requires=["torch>=2.1"])\n', "a/m.py": PROGRAM,
        "b/requirements.txt": "torch>=2.6\n", "b/m.py": PROGRAM,
    })
    workspace = Workspace(cwd=tmp_path)
    groups = workspace.groups([str(tmp_path / "a" / "m.py"), str(tmp_path / "b" / "m.py")])
    assert sorted(linter.settings.min_torch for linter, _ in groups) == [(2, 1), (2, 6)]


def test_answers_are_remembered_for_every_directory_walked(tmp_path: Path) -> None:
    write(tmp_path, {"setup.py": 'setup(install_requires=["torch>=2.2"])\n', "a/b/c/m.py": "", "a/d/m.py": ""})
    known: dict = {}
    assert declared_for(tmp_path / "a" / "b" / "c", known).torch == (2, 2)
    assert known[tmp_path / "a" / "b"].torch == (2, 2) and known[tmp_path / "a"].torch == (2, 2)
    (tmp_path / "a" / "requirements.txt").write_text("torch>=2.0\n")
    assert declared_for(tmp_path / "a" / "d", known).torch == (2, 2)  # answered from what was walked
    assert declared_for(tmp_path / "a" / "d").torch == (2,)
