"""CUDA variant modules (portlint/variants.py): a module the project imports only
conditionally, and only where CUDA is, keeps none of its findings; flagged and clean twins
as project trees, for both targets."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from conftest import shipped_ruleset
from portlint.config import Settings
from portlint.engine import Linter
from portlint.workspace import Workspace

TARGETS = ["agnostic", "npu"]
OLD = time.time() - 3600

# A module that cannot be imported off CUDA (cupy at its top level), with CUDA calls.
CUPY_ENGINE = """\
import cupy as cp
import torch


class Engine:
    def send(self, x):
        torch.cuda.synchronize()
        return cp.asarray(x)
"""
# The same without cupy: it imports fine on an NPU, where its CUDA call runs.
PLAIN_ENGINE = """\
import torch


class Engine:
    def send(self, x):
        torch.cuda.synchronize()
        return x
"""
NVTX_PROFILER = """\
import torch


class Profiler:
    def start(self):
        torch.cuda.profiler.start()
"""
NPU_PROFILER = """\
class Profiler:
    def start(self):
        pass
"""
OPTIONAL_IMPORT = """\
try:
    from .fastpath import Engine
except ImportError:
    Engine = None
"""


def make_tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        os.utime(path, (OLD, OLD))


def check(root: Path, target: str, paths: list[str] | None = None, cache: object = False) -> dict[str, list[str]]:
    linter = Linter(Settings(root=root, target=target), shipped_ruleset())
    report = linter.check_paths(paths or [str(root)], jobs=1, cache=cache)
    found: dict[str, list[str]] = {}
    for finding in report.findings:
        found.setdefault(Path(finding.path).resolve().relative_to(root.resolve()).as_posix(), []).append(finding.code)
    return found


@pytest.mark.parametrize("target", TARGETS)
def test_module_imported_only_under_an_import_error_fallback_is_a_variant(tmp_path: Path, target: str) -> None:
    make_tree(tmp_path, {"pkg/__init__.py": OPTIONAL_IMPORT, "pkg/fastpath.py": CUPY_ENGINE,
                         "train.py": "import torch\nimport pkg\nx = torch.zeros(2).cuda()\n"})
    found = check(tmp_path, target)
    assert "pkg/fastpath.py" not in found
    assert "train.py" in found  # an entry script: never imported, still reported


@pytest.mark.parametrize("target", TARGETS)
def test_the_importer_that_names_no_cuda_is_read_only_when_needed(tmp_path: Path, target: str) -> None:
    make_tree(tmp_path, {"pkg/__init__.py": OPTIONAL_IMPORT, "pkg/fastpath.py": CUPY_ENGINE})
    linter = Linter(Settings(root=tmp_path, target=target), shipped_ruleset())
    report = linter.check_paths([str(tmp_path)], jobs=1)
    init = next(path for path in report.imports if path.endswith("__init__.py"))
    assert report.imports[init] is None  # the prefilter skipped it: no traversal
    assert report.findings == []


@pytest.mark.parametrize("target", TARGETS)
def test_an_unconditional_import_anywhere_keeps_the_findings(tmp_path: Path, target: str) -> None:
    make_tree(tmp_path, {"pkg/__init__.py": OPTIONAL_IMPORT, "pkg/fastpath.py": CUPY_ENGINE,
                         "tools/use.py": "from pkg.fastpath import Engine\nprint(Engine)\n"})
    assert "pkg/fastpath.py" in check(tmp_path, target)


@pytest.mark.parametrize("target", TARGETS)
def test_an_unconditional_relative_import_keeps_the_findings(tmp_path: Path, target: str) -> None:
    make_tree(tmp_path, {"pkg/__init__.py": OPTIONAL_IMPORT, "pkg/fastpath.py": CUPY_ENGINE,
                         "pkg/other.py": "from . import fastpath\n"})
    assert "pkg/fastpath.py" in check(tmp_path, target)


@pytest.mark.parametrize("target", TARGETS)
def test_an_optional_module_that_imports_off_cuda_stays_reported(tmp_path: Path, target: str) -> None:
    # An ImportError fallback protects the import only: this module imports fine on an NPU
    # machine, and its CUDA call runs there.
    make_tree(tmp_path, {"pkg/__init__.py": OPTIONAL_IMPORT, "pkg/fastpath.py": PLAIN_ENGINE})
    assert check(tmp_path, target)["pkg/fastpath.py"] == ["PRT103"]


@pytest.mark.parametrize("target", TARGETS)
def test_a_handler_that_raises_is_no_fallback(tmp_path: Path, target: str) -> None:
    importer = "try:\n    from .fastpath import Engine\nexcept ImportError as e:\n    raise RuntimeError('pip install cupy') from e\n"
    make_tree(tmp_path, {"pkg/__init__.py": importer, "pkg/fastpath.py": CUPY_ENGINE})
    assert "pkg/fastpath.py" in check(tmp_path, target)


@pytest.mark.parametrize("target", TARGETS)
def test_absolute_import_under_a_fallback(tmp_path: Path, target: str) -> None:
    importer = "try:\n    from pkg.fastpath import Engine\nexcept ImportError:\n    Engine = None\n"
    make_tree(tmp_path, {"pkg/__init__.py": "", "pkg/fastpath.py": CUPY_ENGINE, "pkg/registry.py": importer})
    assert "pkg/fastpath.py" not in check(tmp_path, target)


LADDER = """\
class Dispatcher:
    def __init__(self, tool):
        if tool == "nsys":
            from .nvtx_profile import Profiler
        elif tool == "npu":
            from .npu_profile import Profiler
        else:
            Profiler = None
        self.impl = Profiler
"""


# The dispatcher also does CUDA work of its own (so portlint parses it).
PARSED_LADDER = "import torch\n\nSYNC = torch.cuda.synchronize\n\n\n" + LADDER


@pytest.mark.parametrize("target", TARGETS)
def test_module_imported_only_on_the_cuda_rung_of_a_backend_ladder_is_a_variant(tmp_path: Path, target: str) -> None:
    make_tree(tmp_path, {"prof/__init__.py": "", "prof/dispatch.py": PARSED_LADDER,
                         "prof/nvtx_profile.py": NVTX_PROFILER, "prof/npu_profile.py": NPU_PROFILER})
    found = check(tmp_path, target)
    assert "prof/nvtx_profile.py" not in found and "prof/dispatch.py" in found


@pytest.mark.parametrize("target", TARGETS)
def test_a_ladder_the_prefilter_skipped_counts_for_a_module_that_needs_cuda(tmp_path: Path, target: str) -> None:
    # The dispatcher names nothing CUDA: it is not parsed, and it is read again only for a
    # module that cannot be imported off CUDA (here `import nvtx`) - the cost of the step.
    make_tree(tmp_path, {"prof/__init__.py": "", "prof/dispatch.py": LADDER, "prof/npu_profile.py": NPU_PROFILER,
                         "prof/nvtx_profile.py": "import nvtx\n" + NVTX_PROFILER})
    assert "prof/nvtx_profile.py" not in check(tmp_path, target)
    (tmp_path / "prof/nvtx_profile.py").write_text(NVTX_PROFILER)
    assert "prof/nvtx_profile.py" in check(tmp_path, target)


@pytest.mark.parametrize("target", TARGETS)
def test_module_imported_on_a_cuda_branch_without_another_backend_stays_reported(tmp_path: Path, target: str) -> None:
    # Only a CPU path beside it: on an NPU machine the project silently takes the CPU path.
    dispatch = PARSED_LADDER.replace('elif tool == "npu":\n            from .npu_profile import Profiler\n        ', "")
    assert dispatch != PARSED_LADDER
    make_tree(tmp_path, {"prof/__init__.py": "", "prof/dispatch.py": dispatch,
                         "prof/nvtx_profile.py": NVTX_PROFILER})
    assert "prof/nvtx_profile.py" in check(tmp_path, target)


@pytest.mark.parametrize("target", TARGETS)
def test_module_never_imported_stays_reported(tmp_path: Path, target: str) -> None:
    make_tree(tmp_path, {"prof/__init__.py": "", "prof/nvtx_profile.py": NVTX_PROFILER})
    assert "prof/nvtx_profile.py" in check(tmp_path, target)


@pytest.mark.parametrize("target", TARGETS)
def test_a_file_checked_alone_is_judged_alone(tmp_path: Path, target: str) -> None:
    make_tree(tmp_path, {"pkg/__init__.py": OPTIONAL_IMPORT, "pkg/fastpath.py": CUPY_ENGINE})
    alone = check(tmp_path, target, [str(tmp_path / "pkg/fastpath.py")])
    assert "pkg/fastpath.py" in alone
    # The editor and --stdin check one buffer: the same answer.
    result = Workspace(cwd=tmp_path, overrides={"target": target}).check_text(
        CUPY_ENGINE, str(tmp_path / "pkg/fastpath.py"))
    assert result.findings


@pytest.mark.parametrize("target", TARGETS)
def test_cached_results_keep_the_import_facts(tmp_path: Path, target: str) -> None:
    make_tree(tmp_path / "src", {"pkg/__init__.py": OPTIONAL_IMPORT, "pkg/fastpath.py": CUPY_ENGINE,
                                 "pkg/loader.py": "import torch\ntry:\n    from . import fastpath\nexcept ImportError:\n"
                                                  "    fastpath = None\nx = torch.zeros(1).cuda()\n"})
    cache = tmp_path / "cache"
    cold = check(tmp_path / "src", target, cache=cache)
    warm = check(tmp_path / "src", target, cache=cache)
    assert cold == warm and "pkg/fastpath.py" not in warm and "pkg/loader.py" in warm
    # The importer changes, the module does not: its cached findings are judged again.
    loader = tmp_path / "src/pkg/loader.py"
    loader.write_text("import torch\nfrom . import fastpath\nx = torch.zeros(1).cuda()\n")
    assert "pkg/fastpath.py" in check(tmp_path / "src", target, cache=cache)


def test_report_drops_them_as_check_does(tmp_path: Path) -> None:
    from portlint.report.collect import check_targets

    make_tree(tmp_path, {"pkg/__init__.py": OPTIONAL_IMPORT, "pkg/fastpath.py": CUPY_ENGINE,
                         "train.py": "import torch\nx = torch.zeros(2).cuda()\n"})
    reports = check_targets(Workspace(cwd=tmp_path), [str(tmp_path)], ("agnostic", "npu"), jobs=1)
    for target, report in reports.items():
        paths = {Path(f.path).name for f in report.findings}
        assert paths == {"train.py"}, target


@pytest.mark.parametrize("target", TARGETS)
def test_nsys_is_a_cuda_test(target: str) -> None:
    from conftest import codes

    ladder = ("import torch\n\ndef start(tool):\n    if tool == 'nsys':\n        torch.cuda.profiler.start()\n"
              "    elif tool == 'npu':\n        pass\n")
    assert codes(ladder, target) == []
    alone = "import torch\n\ndef start(tool):\n    if tool == 'nsys':\n        torch.cuda.profiler.start()\n"
    assert codes(alone, target) == ["PRT109"]  # a CUDA test with no other path beside it


@pytest.mark.parametrize("target", TARGETS)
def test_a_skipped_file_with_a_parenthesized_unconditional_import_keeps_the_findings(tmp_path: Path, target: str) -> None:
    # plain.py names nothing CUDA (the prefilter skips it); its import spans lines
    plain = "from pkg import (\n    fastpath,\n)\n\nprint(fastpath)\n"
    make_tree(tmp_path, {"pkg/__init__.py": OPTIONAL_IMPORT, "pkg/fastpath.py": CUPY_ENGINE, "plain.py": plain})
    assert "pkg/fastpath.py" in check(tmp_path, target)
    (tmp_path / "plain.py").write_text("import pkg.fastpath_tools\n# fastpath is optional\n")
    assert "pkg/fastpath.py" not in check(tmp_path, target)


@pytest.mark.parametrize("target", TARGETS)
def test_two_levels_up(tmp_path: Path, target: str) -> None:
    make_tree(tmp_path, {"pkg/__init__.py": "", "pkg/engines/__init__.py": "", "pkg/engines/fastpath.py": CUPY_ENGINE,
                         "pkg/sub/__init__.py": "", "pkg/sub/load.py": "from ..engines import fastpath\n"})
    assert "pkg/engines/fastpath.py" in check(tmp_path, target)
    (tmp_path / "pkg/sub/load.py").write_text(
        "try:\n    from ..engines import fastpath\nexcept ImportError:\n    fastpath = None\n")
    assert "pkg/engines/fastpath.py" not in check(tmp_path, target)


@pytest.mark.parametrize("target", TARGETS)
def test_a_module_with_its_own_cupy_fallback_imports_off_cuda(tmp_path: Path, target: str) -> None:
    engine = CUPY_ENGINE.replace("import cupy as cp\n", "try:\n    import cupy as cp\nexcept ImportError:\n    cp = None\n")
    make_tree(tmp_path, {"pkg/__init__.py": OPTIONAL_IMPORT, "pkg/fastpath.py": engine})
    assert check(tmp_path, target)["pkg/fastpath.py"] == ["PRT103"]
