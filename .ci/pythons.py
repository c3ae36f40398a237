"""Helpers for .ci/run.

``python .ci/pythons.py``: the oldest and the newest CPython >= 3.10 of the machine other than
this one (pyenv's ~/.pyenv/versions/3.*, python3.N on PATH), one path per line.
``python .ci/pythons.py --floors``: portlint's dependencies pinned to their floors
(``name==floor``), for an environment without uv.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

MINIMUM = (3, 10)


def version_of(path: str) -> tuple[int, ...] | None:
    try:
        out = subprocess.run([path, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                             capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return tuple(map(int, out.split("."))) if re.fullmatch(r"\d+\.\d+\.\d+", out) else None


def pythons() -> list[str]:
    candidates = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.*/bin/python3")))
    candidates += [found for found in (shutil.which(f"python3.{minor}") for minor in range(10, 30)) if found]
    own = sys.version_info[:2]
    by_version: dict[tuple[int, ...], str] = {}
    for path in candidates:
        version = version_of(path)
        if version is not None and version[:2] >= MINIMUM and version[:2] != own:
            by_version.setdefault(version, path)
    if not by_version:
        return []
    ordered = sorted(by_version)
    return [by_version[ordered[0]]] + ([by_version[ordered[-1]]] if ordered[-1] != ordered[0] else [])


def floors() -> list[str]:
    text = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text(encoding="utf-8")
    block = re.search(r"^dependencies = \[(.*?)^\]", text, re.S | re.M)
    assert block is not None
    pins = []
    for spec in re.findall(r'^\s*"([^"]+)"', block.group(1), re.M):
        requirement, _, marker = spec.partition(";")
        name, _, bounds = requirement.partition(">=")
        pins.append(f"{name.strip()}=={bounds.split(',')[0].strip()}" + (f"; {marker.strip()}" if marker else ""))
    return pins


if __name__ == "__main__":
    print("\n".join(floors() if "--floors" in sys.argv else pythons()))
