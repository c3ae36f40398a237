"""Rule-level policy (issue 8): code that does nothing off CUDA where nothing else is
needed there, skip conditions of tests, type annotations and opt-in Triton kernels.
Every case runs on both targets, with a flagged twin (the same code without what makes
it harmless), so that nothing real is traded away."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conftest import lint

TARGETS = ("agnostic", "npu")


def codes(code: str, target: str, **kwargs) -> list[str]:
    return [f.code for f in lint(textwrap.dedent(code), target, **kwargs)]


# name: (harmless: nothing reported, flagged twin: the codes it must report)
CASES = {
    "seed-next-to-torch-manual-seed": (
        """
        import torch
        def seed_all(seed):
            torch.manual_seed(seed)
            torch.cuda.manual_seed_all(seed)
        """,
        """
        import torch
        def seed_all(seed):
            torch.cuda.manual_seed_all(seed)
        """,
        ["PRT106"],
    ),
    "seed-next-to-npu-seed": (  # LLaMA-Factory v1/utils/helper.py
        """
        import torch
        def enable_full_determinism(seed):
            torch.cuda.manual_seed(seed)
            if is_torch_npu_available():
                torch.npu.manual_seed(seed)
        """,
        """
        import torch
        def enable_full_determinism(seed):
            torch.cuda.manual_seed(seed)
            if is_torch_npu_available():
                print(seed)
        """,
        ["PRT106"],
    ),
    "seed-covered-in-another-function-does-not-count": (
        """
        import torch
        def a(seed):
            torch.manual_seed(seed)
        def b(seed):
            torch.manual_seed(seed)
            torch.cuda.manual_seed(seed)
        """,
        """
        import torch
        def a(seed):
            torch.manual_seed(seed)
        def b(seed):
            torch.cuda.manual_seed(seed)
        """,
        ["PRT106"],
    ),
    "cudnn-deterministic-next-to-portable-switch": (
        """
        import torch
        def determinism():
            torch.use_deterministic_algorithms(True, warn_only=True)
            torch.backends.cudnn.deterministic = True
        """,
        """
        import torch
        def determinism():
            torch.backends.cudnn.deterministic = True
        """,
        ["PRT502"],
    ),
    "cudnn-switched-off": (
        """
        import torch
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.enabled = False
        """,
        """
        import torch
        torch.backends.cudnn.benchmark = True
        torch.backends.cudnn.enabled = True
        """,
        ["PRT501", "PRT507"],
    ),
    "cudnn-tuning-under-cuda-check": (
        """
        import torch
        if torch.cuda.is_available():
            torch.backends.cudnn.benchmark = True
        """,
        """
        import torch
        if args.fast:
            torch.backends.cudnn.benchmark = True
        """,
        ["PRT501"],
    ),
    "nccl-env-under-cuda-named-helper": (  # accelerate commands/launch.py
        """
        def multi_gpu_launcher(env):
            if not check_cuda_p2p_ib_support():
                if "NCCL_P2P_DISABLE" not in env:
                    env["NCCL_P2P_DISABLE"] = "1"
        """,
        """
        def multi_gpu_launcher(env):
            if not args.fast_network:
                if "NCCL_P2P_DISABLE" not in env:
                    env["NCCL_P2P_DISABLE"] = "1"
        """,
        ["PRT705", "PRT705"],
    ),
    "allocator-env-under-cuda-check": (
        """
        import os, torch
        if torch.cuda.is_available():
            os.environ["PYTORCH_CUDA_ALLOC_CONF"] = "expandable_segments:True"
            os.environ["TORCH_NCCL_AVOID_RECORD_STREAMS"] = "1"
        """,
        """
        import os, torch
        if is_env_enabled("OPTIM_TORCH"):
            os.environ["PYTORCH_CUDA_ALLOC_CONF"] = "expandable_segments:True"
            os.environ["TORCH_NCCL_AVOID_RECORD_STREAMS"] = "1"
        """,
        ["PRT703", "PRT704"],
    ),
    "skip-unless-cuda-device-count": (  # accelerate test_utils/testing.py
        """
        import unittest
        import torch
        def require_multi_gpu(test_case):
            return unittest.skipUnless(torch.cuda.device_count() > 1, "test requires multiple GPUs")(test_case)
        """,
        """
        import unittest
        import torch
        def require_multi_gpu(test_case):
            n = torch.cuda.device_count()
            return test_case
        """,
        ["PRT101"],
    ),
    "pytest-skipif-decorator": (
        """
        import pytest
        import torch
        @pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
        def test_x():
            pass
        """,
        """
        import pytest
        import torch
        @pytest.mark.parametrize("n", [torch.cuda.device_count()])
        def test_x(n):
            pass
        """,
        ["PRT101"],
    ),
    "import-under-package-check": (  # accelerate utils/deepspeed.py, utils/imports.py
        """
        def f(optimizer):
            if is_bnb_available() and not is_adamw:
                import bitsandbytes.optim as bnb_opt
            if not is_bnb_available():
                return False
            import bitsandbytes as bnb
            if _is_package_available("transformer_engine"):
                from transformer_engine.pytorch.fp8 import check_mxfp8_support
        """,
        """
        def f(optimizer):
            if use_8bit and not is_adamw:
                import bitsandbytes.optim as bnb_opt
            import bitsandbytes as bnb
            if use_fp8:
                from transformer_engine.pytorch.fp8 import check_mxfp8_support
        """,
        ["PRT808", "PRT808", "PRT816"],
    ),
    "ddp-device-ids-variable-already-handles-cpu": (  # LLaMA-Factory v1/trainers/dpo_trainer.py
        """
        from torch.nn.parallel import DistributedDataParallel as DDP
        device_ids = None if device.type == "cpu" else [device.index]
        model = DDP(model, device_ids=device_ids)
        """,
        """
        from torch.nn.parallel import DistributedDataParallel as DDP
        device_ids = [device.index]
        model = DDP(model, device_ids=device_ids)
        """,
        ["PRT608"],
    ),
    "body-of-a-predicate-named-for-cuda": (  # accelerate utils/environment.py
        """
        import torch
        def check_cuda_fp8_capability():
            try:
                capability = query_nvidia_smi()
            except Exception:
                capability = torch.cuda.get_device_capability()
            return capability >= (8, 9)
        """,
        """
        import torch
        def fp8_capability():
            try:
                capability = query_nvidia_smi()
            except Exception:
                capability = torch.cuda.get_device_capability()
            return capability >= (8, 9)
        """,
        ["PRT108"],
    ),
    "import-in-a-test-that-requires-the-package": (  # accelerate test_utils/scripts/test_notebook.py
        """
        @require_bnb
        def test_problematic_imports():
            import bitsandbytes as bnb
        """,
        """
        def test_problematic_imports():
            import bitsandbytes as bnb
        """,
        ["PRT808"],
    ),
    "type-annotation": (  # accelerate checkpointing.py
        """
        from typing import Optional
        from torch.cuda.amp import GradScaler
        def save(scaler: Optional[GradScaler] = None) -> Optional[GradScaler]:
            kept: GradScaler = scaler
            return kept
        """,
        """
        from typing import Optional
        from torch.cuda.amp import GradScaler
        def save(scaler=None):
            return scaler or GradScaler()
        """,
        ["PRT302"],
    ),
}


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_harmless_code_is_not_reported(case: str, target: str) -> None:
    harmless, _, _ = CASES[case]
    assert codes(harmless, target) == []


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_the_flagged_twin_is_reported(case: str, target: str) -> None:
    _, twin, expected = CASES[case]
    assert sorted(codes(twin, target)) == expected


@pytest.mark.parametrize("target", TARGETS)
def test_a_cuda_named_helper_does_not_hide_code_that_fails(target: str) -> None:
    """Only no-op rules treat a helper named for CUDA as deliberate: a CUDA call under it
    still fails off CUDA (either branch) and is reported."""
    code = """
        import torch
        if check_cuda_support():
            torch.cuda.synchronize()
        if not check_cuda_support():
            torch.cuda.empty_cache()
        """
    assert sorted(codes(code, target)) == ["PRT103", "PRT202"]


@pytest.mark.parametrize("target", TARGETS)
def test_seeding_state_functions_are_not_covered(target: str) -> None:
    """get_rng_state raises off CUDA: torch.manual_seed next to it changes nothing."""
    code = """
        import torch
        def f(seed):
            torch.manual_seed(seed)
            return torch.cuda.get_rng_state()
        """
    assert codes(code, target) == ["PRT106"]


@pytest.mark.parametrize("target", TARGETS)
def test_triton_is_opt_in(target: str) -> None:
    """Triton has NVIDIA, AMD, Intel XPU, Ascend (triton-ascend) and CPU backends: a bare
    import is not a failure off CUDA. PRT809 lists Triton kernels when selected by code."""
    code = "import triton\nimport triton.language as tl\n"
    assert codes(code, target) == []
    assert codes(code, target, extend_select=("PRT809",)) == ["PRT809", "PRT809"]
    assert codes(code, target, extend_select=("PRT8",)) == []


@pytest.mark.parametrize("target", TARGETS)
def test_a_package_check_only_covers_imports(target: str) -> None:
    """Code that runs under `if is_bnb_available():` is still checked: only the import has
    its fallback there."""
    code = """
        import torch
        if is_bnb_available():
            import bitsandbytes
            torch.cuda.synchronize()
        """
    assert codes(code, target) == ["PRT103"]
    code = """
        import torch
        @require_bnb
        def test_x():
            import bitsandbytes
            torch.cuda.synchronize()
        """
    assert codes(code, target) == ["PRT103"]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(("skip", "reported"), [
    ("unittest.skipUnless(torch.cuda.device_count() == 1, 'one GPU')", False),
    ("unittest.skipUnless(torch.cuda.device_count() >= 2, 'two GPUs')", False),
    ("unittest.skipUnless(torch.cuda.is_available() and torch.cuda.device_count() > 1, 'GPUs')", False),
    ("unittest.skipIf(torch.cuda.device_count() < 2, 'two GPUs')", False),
    ("pytest.mark.skipif(torch.cuda.device_count() == 0, reason='GPU')", False),
    # off CUDA these run (the count is 0): the CUDA query decides wrongly there
    ("unittest.skipUnless(torch.cuda.device_count() < 2, '0 or 1 GPU')", True),
    ("unittest.skipIf(torch.cuda.device_count() > 1, 'at most one GPU')", True),
    ("unittest.skipUnless(torch.cuda.device_count() > 1 or on_ci, 'GPUs')", True),
])
def test_a_skip_condition_is_a_non_cuda_path_only_when_it_skips_off_cuda(skip: str, reported: bool, target: str) -> None:
    code = f"import unittest\nimport pytest\nimport torch\ndef deco(test_case):\n    return {skip}(test_case)\n"
    assert (codes(code, target) != []) is reported
