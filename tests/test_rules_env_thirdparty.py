"""Environment (PRT7xx), third-party (PRT8xx), tooling (PRT9xx) and trap (PRT0xx) rules:
exact codes and positions for the contexts and edge cases, every torch_npu name the rules
emit checked against the torch_npu API list, and every code replacement applied to the
rules' own flagged examples (the result must parse and no longer be flagged there)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from conftest import REPO, lint, shipped_ruleset

MY_RULESETS = ("backends", "distributed", "environment", "third-party", "tooling", "traps")


def hits(code: str, target: str = "agnostic", prefix: str = "PRT") -> list[tuple[str, int, int]]:
    return [(f.code, f.line, f.column) for f in lint(code, target) if f.code.startswith(prefix)]


def my_rules():
    return [r for r in shipped_ruleset().rules if Path(r.source).stem in MY_RULESETS]


# ---------------------------------------------------------------- environment variables


def test_env_names_in_every_spelling() -> None:
    source = (
        "import os, subprocess\n"
        "os.environ['CUDA_VISIBLE_DEVICES'] = '0'\n"
        "gpus = os.getenv(\"CUDA_VISIBLE_DEVICES\")\n"
        "os.environ.setdefault('PYTORCH_CUDA_ALLOC_CONF', 'expandable_segments:True')\n"
        "subprocess.run(cmd, env={**os.environ, 'CUDA_LAUNCH_BLOCKING': '1'})\n"
        "env = dict(os.environ, CUDA_VISIBLE_DEVICES='1')\n"
    )
    assert hits(source, prefix="PRT7") == [
        ("PRT701", 2, 12), ("PRT701", 3, 18), ("PRT703", 4, 23), ("PRT702", 5, 40), ("PRT701", 6, 24),
    ]


def test_env_npu_substitutions_keep_quotes_and_keywords() -> None:
    source = (
        "import os\n"
        "os.environ['CUDA_VISIBLE_DEVICES'] = '0'\n"
        "env = dict(os.environ, CUDA_VISIBLE_DEVICES='1')\n"
        "os.environ['PYTORCH_NO_CUDA_MEMORY_CACHING'] = '1'\n"
        "os.environ['TORCH_NCCL_BLOCKING_WAIT'] = '1'\n"
        "os.environ['NCCL_ASYNC_ERROR_HANDLING'] = '1'\n"
    )
    fixes = [f.fix.replacement for f in lint(source, "npu") if f.code.startswith("PRT7")]
    assert fixes == [
        "'ASCEND_RT_VISIBLE_DEVICES'",
        "ASCEND_RT_VISIBLE_DEVICES='1'",
        "'PYTORCH_NO_NPU_MEMORY_CACHING'",
        "'TORCH_HCCL_BLOCKING_WAIT'",
        "'TORCH_HCCL_ASYNC_ERROR_HANDLING'",
    ]


def test_alloc_conf_agnostic_rename_needs_torch_2_9() -> None:
    source = "import os\nos.environ['PYTORCH_CUDA_ALLOC_CONF'] = 'expandable_segments:True'\n"
    (new,) = [f for f in lint(source, min_torch="2.9") if f.code == "PRT703"]
    assert new.fix.replacement == "'PYTORCH_ALLOC_CONF'"
    (old,) = [f for f in lint(source, min_torch="2.6") if f.code == "PRT703"]
    assert old.fix.replacement is None and "PYTORCH_ALLOC_CONF" in old.fix.hint


def test_each_env_name_goes_to_the_most_specific_rule() -> None:
    source = (
        "names = ['TORCH_NCCL_ASYNC_ERROR_HANDLING', 'NCCL_BLOCKING_WAIT', 'NCCL_DEBUG',\n"
        "         'CUDA_HOME', 'TORCH_CUDA_ARCH_LIST', 'CUBLAS_WORKSPACE_CONFIG',\n"
        "         'CUDA_DEVICE_ORDER', 'PYTORCH_NVML_BASED_CUDA_CHECK', 'TORCH_NCCL_NEW_THING']\n"
    )
    assert [code for code, _, _ in hits(source, prefix="PRT7")] == [
        "PRT704", "PRT704", "PRT705", "PRT706", "PRT706", "PRT707", "PRT708", "PRT708", "PRT704",
    ]


def test_prose_mentioning_env_names_is_clean() -> None:
    source = (
        "print('set CUDA_VISIBLE_DEVICES=0 before running')\n"
        "msg = f'CUDA_VISIBLE_DEVICES={gpus}'\n"
        "doc = 'NCCL_DEBUG=INFO helps'\n"
        "key = 'MY_CUDA_VISIBLE_DEVICES'\n"
        "x = 'cuda_visible_devices'\n"
    )
    assert hits(source, prefix="PRT7") == []


# ---------------------------------------------------------------- third-party libraries


def test_module_imports_and_aliases() -> None:
    source = (
        "import apex.amp as amp\n"
        "from apex import amp as amp2, parallel\n"
        "from apex.optimizers import FusedAdam, FusedLAMB\n"
        "import apex\n"
        "from numba import cuda\n"
        "from numba import jit\n"
        "import pynvml\n"
        "from nvidia import dali\n"
    )
    assert hits(source, prefix="PRT8") == [
        ("PRT801", 1, 8), ("PRT801", 2, 18), ("PRT804", 2, 31), ("PRT802", 3, 29), ("PRT802", 3, 40),
        ("PRT805", 4, 8), ("PRT812", 5, 19), ("PRT813", 7, 8), ("PRT814", 8, 20),
    ]


def test_apex_optimizer_specific_advice() -> None:
    source = "from apex.optimizers import FusedAdam, FusedLAMB, FusedSGD\n"
    npu = {f.matched: f.fix.hint for f in lint(source, "npu") if f.code == "PRT802"}
    assert "NpuFusedAdamW" in npu["apex.optimizers.FusedAdam"]
    assert "NpuFusedLamb" in npu["apex.optimizers.FusedLAMB"]
    assert "NpuFusedSGD" in npu["apex.optimizers.FusedSGD"]
    agnostic = {f.matched: f.fix.hint for f in lint(source) if f.code == "PRT802"}
    assert "AdamW" in agnostic["apex.optimizers.FusedAdam"]


def test_user_modules_with_similar_names_are_clean() -> None:
    source = (
        "import apex_utils\n"
        "from apex_utils import amp\n"
        "from .apex import helpers\n"
        "import tritonclient.http\n"
        "import numba\n"
        "from mylib import pynvml\n"
        "import cupy_helpers\n"
    )
    assert hits(source, prefix="PRT8") == []


def test_flash_attention_implementation_contexts() -> None:
    source = (
        "m = AutoModel.from_pretrained(n, attn_implementation='flash_attention_2')\n"
        "config._attn_implementation = \"flash_attention_2\"\n"
        "kw = {'attn_implementation': 'flash_attention_3'}\n"
        "impl = 'flash_attention_2'\n"
        "print('flash_attention_2 missing')\n"
    )
    assert hits(source, prefix="PRT8") == [("PRT815", 1, 54), ("PRT815", 2, 31), ("PRT815", 3, 30)]
    fixes = [f.fix.replacement for f in lint(source) if f.code == "PRT815"]
    assert fixes == ["'sdpa'", '"sdpa"', "'sdpa'"]


# ---------------------------------------------------------------- tooling


def test_cpp_extension_symbols_and_keywords() -> None:
    source = (
        "import torch.utils.cpp_extension as ext\n"
        "e = ext.CUDAExtension('x', ['x.cu'])\n"
        "m = ext.load('x', ['x.cpp'], with_cuda=True)\n"
        "n = ext.load('x', ['x.cpp'], with_cuda=False)\n"
        "o = ext.load_inline('x', cpp, cuda_sources=cu)\n"
        "p = other.load('x', with_cuda=True)\n"
    )
    assert hits(source, prefix="PRT9") == [("PRT901", 2, 5), ("PRT901", 3, 30), ("PRT901", 5, 31)]


def test_profiler_use_cuda_per_profiler() -> None:
    source = (
        "import torch\n"
        "with torch.autograd.profiler.profile(use_cuda=True):\n"
        "    pass\n"
        "with torch.profiler.profile(use_cuda=True):\n"
        "    pass\n"
    )
    found = {f.line: f.fix for f in lint(source, "npu") if f.code == "PRT903"}
    assert found[2].replacement == "use_device='npu'"
    assert found[4].replacement is None and "torch_npu.profiler.profile" in found[4].hint


def test_experimental_config_only_on_npu() -> None:
    source = "import torch\ncfg = torch._C._profiler._ExperimentalConfig(verbose=True)\n"
    assert hits(source, "npu", prefix="PRT9") == [("PRT905", 2, 7)]
    assert hits(source, "agnostic", prefix="PRT9") == []


# ---------------------------------------------------------------- traps


def test_float64_is_flagged_on_both_targets() -> None:
    source = "import torch as th\nx = th.zeros(2, dtype=th.float64)\ny = x.double()\nz = x.double(1)\n"
    assert hits(source, "npu", prefix="PRT0") == [("PRT001", 2, 23), ("PRT001", 3, 7)]
    assert hits(source, "agnostic", prefix="PRT0") == [("PRT001", 2, 23), ("PRT001", 3, 7)]
    fixes = [f.fix.replacement for f in lint(source, "npu") if f.code == "PRT001"]
    assert fixes == ["th.float32", "float()"]


def test_jit_script_decorator_and_call_on_npu() -> None:
    source = "import torch\n@torch.jit.script\ndef f(x):\n    return x\ng = torch.jit.script(m)\n"
    assert hits(source, "npu", prefix="PRT0") == [("PRT002", 2, 2), ("PRT002", 5, 5)]
    assert hits(source, "agnostic", prefix="PRT0") == []


def test_transfer_to_npu_import_and_switch() -> None:
    source = (
        "import torch_npu\n"
        "from torch_npu.contrib import transfer_to_npu\n"
        "os.environ['TORCH_TRANSFER_TO_NPU'] = '1'\n"
    )
    assert hits(source, prefix="PRT0") == [("PRT003", 2, 31), ("PRT003", 3, 12)]


# ---------------------------------------------------------------- names and fixes the rules emit

NPU_NAME = re.compile(r"\btorch(?:_npu|\.npu)(?:\.[A-Za-z_][A-Za-z0-9_]*)+")


def _npu_api(reference_dir: Path) -> tuple[set[str], set[str]]:
    listed, complete = set(), set()
    for line in (reference_dir / "torch_npu_api.txt").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith(".*"):
            complete.add(line[:-2])
        else:
            listed.add(line)
    return listed, complete


def _exists(name: str, listed: set[str], complete: set[str]) -> bool:
    """Listed, or below a listed module whose members the list does not enumerate."""
    name = name.replace("torch_npu.npu.", "torch.npu.", 1)
    parts = name.split(".")
    for size in range(len(parts), 0, -1):
        prefix = ".".join(parts[:size])
        if prefix in listed or prefix in complete:
            return size == len(parts) or prefix not in complete
    return False


def _emitted_texts() -> list[tuple[str, str]]:
    texts = []
    for rule in my_rules():
        texts += [(rule.code, text) for text in rule.use_instead.values()]
        texts += [(rule.code, rule.rationale)]
        for matcher in rule.matchers:
            for target in rule.targets:
                for option in matcher.fix_options(target):
                    texts += [(rule.code, t) for t in (option.replace, option.hint) if t]
                    if option.substitute:
                        texts.append((rule.code, option.substitute[1]))
    return texts


def test_every_torch_npu_name_exists(reference_dir: Path) -> None:
    listed, complete = _npu_api(reference_dir)
    names = {(code, n.rstrip(".")) for code, text in _emitted_texts() for n in NPU_NAME.findall(text)}
    assert len(names) > 20  # the check must see the names
    missing = sorted((code, n) for code, n in names if not _exists(n, listed, complete))
    assert not missing, f"torch_npu names not in torch_npu_api.txt: {missing}"


def test_the_npu_name_check_rejects_unknown_names(reference_dir: Path) -> None:
    listed, complete = _npu_api(reference_dir)
    assert _exists("torch.npu.matmul.allow_hf32", listed, complete)
    assert _exists("torch_npu.optim.NpuFusedAdamW", listed, complete)
    assert not _exists("torch.npu.sdp_kernel", listed, complete)
    assert not _exists("torch_npu._C._distributed_c10d.ProcessGroupHCCL", listed, complete)


def _apply(source: str, finding) -> str:
    lines = source.split("\n")
    start = len("\n".join(lines[: finding.line - 1])) + (1 if finding.line > 1 else 0) + finding.column - 1
    end = len("\n".join(lines[: finding.end_line - 1])) + (1 if finding.end_line > 1 else 0) + finding.end_column - 1
    return source[:start] + finding.fix.replacement + source[end:]


CASES = [(rule.code, target, example) for rule in my_rules() for target in rule.targets
         for example in rule.flagged]


@pytest.mark.parametrize(("code", "target", "example"), CASES,
                         ids=[f"{c}-{t}-{i}" for i, (c, t, _) in enumerate(CASES)])
def test_replacements_parse_and_clear_the_finding(code: str, target: str, example: str) -> None:
    for finding in lint(example, target, min_torch="2.13"):
        if finding.code != code or finding.fix is None or finding.fix.replacement is None:
            continue
        fixed = _apply(example, finding)
        ast.parse(fixed)
        again = [(f.line, f.column) for f in lint(fixed, target, min_torch="2.13") if f.code == code]
        assert (finding.line, finding.column) not in again, f"{code}: {fixed!r} is still flagged"


def test_my_rulesets_are_shipped() -> None:
    shipped = {Path(p).stem for p in shipped_ruleset().files}
    assert set(MY_RULESETS) <= shipped
    assert {p.stem for p in (REPO / "rulesets").glob("*.toml")} >= set(MY_RULESETS)
