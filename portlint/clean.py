"""``portlint clean``: remove the result caches under a directory.

Only directories portlint made are removed: a ``.portlint_cache`` (or the ``--cache-dir``
given) that holds portlint's ``CACHEDIR.TAG`` and nothing but cache files. Anything else
in it is a sign it is not ours, and it is left alone with a message.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from portlint.cache import DEFAULT_DIRNAME
from portlint.discovery import SKIP_DIRS

_SIGNATURE = "Signature: 8a477f597d28d172789f06886806bc55"
_OURS = {".gitignore", "CACHEDIR.TAG"}


def find_caches(start: Path) -> list[Path]:
    """The ``.portlint_cache`` directories at or below ``start`` (not inside other skipped
    directories such as ``.git`` or virtualenvs)."""
    found = []
    for directory, subdirs, _files in os.walk(start):
        if DEFAULT_DIRNAME in subdirs:
            found.append(Path(directory) / DEFAULT_DIRNAME)
        subdirs[:] = sorted(d for d in subdirs if d not in SKIP_DIRS and not os.path.islink(os.path.join(directory, d)))
    return found


def is_portlint_cache(directory: Path) -> bool:
    if directory.is_symlink() or not directory.is_dir():
        return False
    try:
        tag = (directory / "CACHEDIR.TAG").read_text(encoding="utf-8", errors="replace")
        names = os.listdir(directory)
    except OSError:
        return False
    if not tag.startswith(_SIGNATURE) or "portlint" not in tag:
        return False
    return all(name in _OURS or (name.startswith(("v", ".tmp-")) and name.endswith(".json")) for name in names)


def clean(directories: list[Path]) -> tuple[list[Path], list[str]]:
    """Remove these caches; (removed, one-line problems)."""
    removed, problems = [], []
    for directory in directories:
        if not is_portlint_cache(directory):
            problems.append(f"{directory}: not a portlint cache (no portlint CACHEDIR.TAG, or other files), left alone")
            continue
        try:
            shutil.rmtree(directory)
        except OSError as exc:
            problems.append(f"{directory}: cannot remove: {exc.strerror or exc}")
            continue
        removed.append(directory)
    return removed, problems
