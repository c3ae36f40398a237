"""Killing ``portlint fix`` at any moment never leaves a half-written file.

200 generated files are fixed by a real ``portlint fix`` process, which is killed with
SIGKILL (with its worker processes) at several points while it works. Every file must then be byte-identical either
to its original or to its fully fixed form (computed beforehand, in this process). A
second, uninterrupted run must then finish the job.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import linter_for
from portlint.fixer import fix_text

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")

FILES = 200
KILL_AFTER = (1, 40, 110)  # kill once at least this many files have been rewritten

BLOCKS = [
    'x{n} = torch.zeros(2, device="cuda")',
    "m{n} = nn.Linear(2, 2).cuda()",
    'device = "cuda" if torch.cuda.is_available() else "cpu"',
    "def f{n}(batch):\n    return batch.to(\"cuda:0\", non_blocking=True)",
    "with torch.cuda.amp.autocast():\n    y{n} = 1",
    "from torch.cuda.amp import GradScaler as GS{n}\nscaler{n} = GS{n}()",
    "torch.cuda.synchronize()",
    "# a comment about cuda {n}\nv{n} = {n} * 2",
    'label{n} = "not a device: cuda"',
]


def make_sources(seed: int = 7) -> dict[str, bytes]:
    rng = random.Random(seed)
    sources = {}
    for number in range(FILES):
        blocks = [rng.choice(BLOCKS).format(n=i) for i in range(rng.randint(8, 25))]
        text = "import torch\nimport torch.nn as nn\n\n" + "\n\n".join(blocks) + "\n"
        if number % 5 == 0:
            text = text.replace("\n", "\r\n")
        sources[f"mod_{number:03d}.py"] = text.encode("utf-8")
    return sources


def expected_fixed(sources: dict[str, bytes]) -> dict[str, bytes]:
    linter = linter_for("agnostic")
    fixed = {}
    for name, data in sources.items():
        outcome = fix_text(data.decode("utf-8"), linter, name, unsafe=True)
        assert outcome.error is None, outcome.error
        assert outcome.text.encode("utf-8") != data, f"{name}: nothing to fix, the test would prove nothing"
        fixed[name] = outcome.text.encode("utf-8")
    return fixed


def write_tree(directory: Path, sources: dict[str, bytes]) -> None:
    directory.mkdir()
    for name, data in sources.items():
        (directory / name).write_bytes(data)


def command(directory: Path) -> list[str]:
    return [sys.executable, "-m", "portlint", "fix", "--unsafe-fixes", "--quiet", str(directory)]


def count_rewritten(directory: Path, sources: dict[str, bytes]) -> int:
    count = 0
    for name, data in sources.items():
        try:
            if (directory / name).read_bytes() != data:
                count += 1
        except FileNotFoundError:  # pragma: no cover - would be a failure below anyway
            count += 1
    return count


def test_sigkill_mid_run_leaves_each_file_old_or_fully_fixed(tmp_path: Path) -> None:
    sources = make_sources()
    fixed = expected_fixed(sources)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    interrupted = 0
    for point, threshold in enumerate(KILL_AFTER):
        directory = tmp_path / f"run{point}"
        write_tree(directory, sources)
        process = subprocess.Popen(command(directory), cwd=tmp_path, env=env, start_new_session=True,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        try:
            while process.poll() is None and time.monotonic() < deadline:
                if count_rewritten(directory, sources) >= threshold:
                    break
                time.sleep(0.002)
        finally:  # the whole process group: portlint and its worker processes
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:  # pragma: no cover - already gone
                pass
            process.wait()
        states = {"original": 0, "fixed": 0}
        for name in sources:
            data = (directory / name).read_bytes()
            if data == sources[name]:
                states["original"] += 1
            else:
                assert data == fixed[name], f"run {point}: {name} is neither the original nor the fixed file"
                states["fixed"] += 1
        assert states["fixed"] >= threshold
        if states["original"]:
            interrupted += 1
        leftovers = [p.name for p in directory.iterdir() if p.name not in sources and p.name != ".portlint_cache"]
        assert all(p.startswith(".portlint-") and p.endswith(".tmp") for p in leftovers), leftovers
        if point != len(KILL_AFTER) - 1:
            continue
        # An uninterrupted second run finishes the job.
        finish = subprocess.run(command(directory), cwd=tmp_path, env=env, capture_output=True, text=True,
                                timeout=300)
        assert finish.returncode == 1 or finish.returncode == 0, finish.stderr
        for name in sources:
            assert (directory / name).read_bytes() == fixed[name], f"{name} not fixed by the second run"
    assert interrupted >= 2, "the process finished before it could be killed: make the files bigger"
