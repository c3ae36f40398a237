"""Files that are the CUDA variant of something the project also keeps for another backend.

``docker/docker-cuda/Dockerfile`` next to ``docker/docker-npu/``, ``tests_cuda.yml`` next to
``tests_npu.yml``, ``multi_gpu.yaml`` next to ``multi_xpu.yaml``: the project already has
its non-CUDA path, a sibling named for another backend, so the CUDA variant is NVIDIA-only
by design and its findings are not reported (README, "What portlint reports"). A path
component is a CUDA variant when one of its words (split at ``-``, ``_`` and ``.``) is
``cuda``, ``gpu`` or ``nvidia`` and the same name with that word replaced by another
backend's (``npu``, ``ascend``, ``xpu``, ``cpu``, ``mps``, ``rocm`` ...) exists next to it,
or (for a flavour such as ``accelerate-gpu-deepspeed``) the name up to that word with the
other backend's word (``accelerate-cpu``).
Only components below the project root count: the configured root, or for a file outside
it the nearest directory above it with a ``.git``, ``pyproject.toml``, ``setup.py`` or
``setup.cfg``.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

CUDA_WORDS = frozenset({"cuda", "gpu", "nvidia"})
OTHER_WORDS = ("npu", "ascend", "xpu", "cpu", "mps", "rocm", "hip", "amd", "hpu", "tpu", "xla", "mlu", "musa")
_SEPARATORS = re.compile(r"([-_.])")


def is_cuda_variant(path: str, root: Path) -> bool:
    """Whether a component of ``path`` below ``root`` is the CUDA variant of a sibling."""
    absolute = Path(os.path.abspath(path))
    top = Path(os.path.abspath(root))
    if top not in absolute.parents:
        found = _project_of(str(absolute.parent))
        if found is None:
            return False
        top = Path(found)
    relative = absolute.relative_to(top)
    parent = top
    for component in relative.parts:
        if _has_other_sibling(str(parent), component):
            return True
        parent = parent / component
    return False


@lru_cache(maxsize=4096)
def _has_other_sibling(parent: str, component: str) -> bool:
    pieces = _SEPARATORS.split(component)
    for position, piece in enumerate(pieces):
        if piece.lower() not in CUDA_WORDS:
            continue
        for other in OTHER_WORDS:
            word = other.upper() if piece.isupper() else other
            names = ["".join([*pieces[:position], word, *pieces[position + 1:]])]
            if position + 1 < len(pieces) and pieces[position + 1] in "-_":
                # accelerate-gpu-deepspeed/ next to accelerate-cpu/: a flavour of the GPU variant
                names.append("".join([*pieces[:position], word]))
            if any(os.path.exists(os.path.join(parent, name)) for name in names):
                return True
    return False


_MARKERS = (".git", "pyproject.toml", "setup.py", "setup.cfg")


@lru_cache(maxsize=1024)
def _project_of(directory: str) -> str | None:
    """The nearest directory at or above ``directory`` that holds a project marker."""
    if any(os.path.exists(os.path.join(directory, marker)) for marker in _MARKERS):
        return directory
    parent = os.path.dirname(directory)
    return None if parent == directory else _project_of(parent)
