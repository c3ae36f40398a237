"""What a project declares about the versions it supports.

Fixes must work on the oldest torch and the oldest Python the project supports. Where the
configuration does not say (``min-torch``, ``target-version``), those are the lower bounds
the project declares itself, read (never executed) from the project files nearest to a
checked file: its directory or the nearest one above it whose ``pyproject.toml``,
``setup.cfg``, ``setup.py`` or ``requirements*.txt`` declare a bound (the walk stops at a
repository root, a directory with ``.git``):

- ``pyproject.toml``: ``[project]`` ``dependencies``, ``optional-dependencies`` and
  ``requires-python``; ``[tool.poetry.dependencies]`` ``torch`` and ``python``;
- ``setup.cfg``: ``[options]`` ``install_requires``, ``python_requires`` and
  ``[options.extras_require]``;
- ``setup.py``: string literals that are a torch requirement (``"torch>=2.0.0"``) and the
  ``python_requires=`` keyword;
- ``requirements*.txt``: torch requirement lines.

In one directory the lowest bound found wins (a project that allows torch 2.0 anywhere
supports 2.0). A requirement without a lower bound (``torch``, ``torch<3``) bounds nothing,
and a directory whose files bound nothing defers to the directories above it.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path
from typing import Any, NamedTuple

from portlint.versions import Version, parse_version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PROJECT_FILES = ("pyproject.toml", "setup.cfg", "setup.py")
# A requirement on torch: the name, extras, then the version clauses (markers cut off).
_TORCH_REQUIREMENT = re.compile(r"^\s*torch\s*(?:\[[^\]]*\])?\s*(?P<spec>(?:[<>=!~]=?|===)[^;#]*)?\s*(?:[;#].*)?$",
                                re.IGNORECASE)
_LOWER = re.compile(r"^\s*(?:>=|>|==|~=|===)\s*v?(\d+(?:\.\d+){0,2})")
_POETRY_LOWER = re.compile(r"^\s*[\^~]?\s*(\d+(?:\.\d+){0,2})")
_PYTHON_LOWER = re.compile(r"(?:>=|~=|==|\^|~)\s*3\.(\d+)")
_MAX_FILE = 1 << 20  # project files bigger than this are not read


class Declared(NamedTuple):
    """The lowest torch and Python a project declares, each with where it was read."""

    torch: Version | None = None
    torch_where: str = ""
    python: tuple[int, int] | None = None
    python_where: str = ""


NOTHING = Declared()


def declared_for(directory: Path, known: dict[Path, Declared] | None = None) -> Declared:
    """What the project of ``directory`` declares: the torch bound of the nearest directory
    at or above it whose project files declare one, and likewise the Python bound (an
    example's own ``requirements.txt`` without a torch line does not hide the repository's
    ``pyproject.toml``). The walk ends at a repository root (a directory with ``.git``).
    ``known``: answers of earlier calls, extended with every directory walked."""
    known = {} if known is None else known
    found = known.get(directory)
    if found is not None:
        return found
    try:
        names = {p.name for p in directory.iterdir()}
    except OSError:
        names = set()
    own = declared_in(directory, names)
    above = NOTHING
    if (own.torch is None or own.python is None) and ".git" not in names and directory.parent != directory:
        above = declared_for(directory.parent, known)
    found = Declared(*(own[:2] if own.torch is not None else above[:2]),
                     *(own[2:] if own.python is not None else above[2:]))
    known[directory] = found
    return found


def _is_requirements(name: str) -> bool:
    return name.startswith("requirements") and name.endswith(".txt")


def declared_in(root: Path, names: "set[str] | None" = None) -> Declared:
    """What the project files of ``root`` declare (``names``: its entries, when the caller
    has listed it already). Files that cannot be read or parsed declare nothing: the defaults
    then hold, as for a project without such files."""
    if names is None:
        try:
            names = {p.name for p in root.iterdir()}
        except OSError:
            names = set()
    project_files = sorted(n for n in names if n in PROJECT_FILES or _is_requirements(n))
    if not project_files:
        return NOTHING
    torch: list[tuple[Version, str]] = []
    python: list[tuple[tuple[int, int], str]] = []
    for name in project_files:
        path = root / name
        text = _read(path)
        if text is None:
            continue
        if name == "pyproject.toml":
            requirements, pythons = _pyproject(text)
        elif name == "setup.cfg":
            requirements, pythons = _setup_cfg(text)
        elif name == "setup.py":
            requirements, pythons = _setup_py(text)
        else:
            requirements, pythons = _requirements_file(path, text, depth=0), []
        for requirement in requirements:
            bound = torch_lower_bound(requirement)
            if bound is not None:
                torch.append((bound, f"{path}: {requirement.strip()!r}"))
        for spec in pythons:
            found = python_lower_bound(spec)
            if found is not None:
                python.append((found, f"{path}: python {spec.strip()!r}"))
    low_torch = min(torch, key=lambda item: item[0], default=None)
    low_python = min(python, key=lambda item: item[0], default=None)
    return Declared(low_torch[0] if low_torch else None, low_torch[1] if low_torch else "",
                    low_python[0] if low_python else None, low_python[1] if low_python else "")


def torch_lower_bound(requirement: str) -> Version | None:
    """``"torch>=2.0.0"`` -> (2,); ``"torch==2.4.*; sys_platform != 'darwin'"`` -> (2, 4);
    ``"torch"``, ``"torch<3"``, ``"torchvision>=0.15"`` -> None."""
    found = _TORCH_REQUIREMENT.match(requirement)
    if found is None or not found.group("spec"):
        return None
    bounds = [parse_version(m.group(1)) for clause in found.group("spec").split(",") if (m := _LOWER.match(clause))]
    return max(bounds) if bounds else None


def python_lower_bound(spec: str) -> tuple[int, int] | None:
    """``">=3.10, <4"`` -> (3, 10); ``"^3.9"`` -> (3, 9)."""
    bounds = [int(m.group(1)) for m in _PYTHON_LOWER.finditer(spec)]
    return (3, max(bounds)) if bounds else None


def _read(path: Path) -> str | None:
    try:
        if path.stat().st_size > _MAX_FILE:
            return None
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _requirements_file(path: Path, text: str, depth: int) -> list[str]:
    """The lines of a requirements file, with those of the files it includes (``-r other.txt``)."""
    lines = []
    for line in text.splitlines():
        include = re.match(r"^\s*(?:-r|--requirement)[\s=]+(\S+)", line)
        if include is None:
            lines.append(line)
            continue
        other = path.parent / include.group(1)
        other_text = _read(other) if depth < 3 and other.suffix == ".txt" else None
        if other_text is not None:
            lines.extend(_requirements_file(other, other_text, depth + 1))
    return lines


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    return []


def _pyproject(text: str) -> tuple[list[str], list[str]]:
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError):
        return [], []
    project = data.get("project") if isinstance(data.get("project"), dict) else {}
    requirements = _strings(project.get("dependencies")) + _strings(project.get("optional-dependencies"))
    pythons = _strings(project.get("requires-python"))
    tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
    poetry = tool.get("poetry") if isinstance(tool.get("poetry"), dict) else {}
    dependencies = poetry.get("dependencies") if isinstance(poetry.get("dependencies"), dict) else {}
    torch = dependencies.get("torch")
    if isinstance(torch, dict):
        torch = torch.get("version")
    if isinstance(torch, str):  # poetry: "^2.0", "~2.1", ">=2.0,<3", "2.1.*"
        found = _POETRY_LOWER.match(torch)
        requirements.append(f"torch>={found.group(1)}" if found and torch.strip()[:1] in "^~0123456789"
                            else f"torch{torch}")
    python = dependencies.get("python")
    if isinstance(python, str):
        pythons.append(python)
    return requirements, pythons


def _setup_cfg(text: str) -> tuple[list[str], list[str]]:
    import configparser

    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        return [], []
    requirements = parser.get("options", "install_requires", fallback="").splitlines()
    if parser.has_section("options.extras_require"):
        for _, value in parser.items("options.extras_require"):
            requirements.extend(value.splitlines())
    python = parser.get("options", "python_requires", fallback="")
    return requirements, [python] if python else []


def _setup_py(text: str) -> tuple[list[str], list[str]]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return [], []
    requirements = [node.value for node in ast.walk(tree)
                    if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) < 200
                    and node.value.lstrip()[:5].lower() == "torch"]
    pythons = [keyword.value.value for node in ast.walk(tree) if isinstance(node, ast.Call)
               for keyword in node.keywords
               if keyword.arg == "python_requires" and isinstance(keyword.value, ast.Constant)
               and isinstance(keyword.value.value, str)]
    return requirements, pythons

