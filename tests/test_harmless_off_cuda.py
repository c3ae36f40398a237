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


# Helpers of tests skipped off CUDA (peft's tensor-parallel workers): what the case below adds
# decides whether they also run off CUDA.
_SPAWNED_WORKERS = """
        import unittest
        import pytest
        import torch
        import torch.multiprocessing as mp
        def _setup(rank):
            torch.cuda.set_device(rank)
        def _worker(rank, world_size):
            _setup(rank)
            x = torch.ones(2, device=torch.device("cuda", rank))
        def _sync():
            torch.cuda.synchronize()
        @require_torch_gpu
        class TestParallel:
            def _spawn(self, fn):
                mp.spawn(fn, args=(2,), nprocs=2)
            def test_sync(self):
                self._spawn(_worker)
        @pytest.mark.skipif(not torch.cuda.is_available(), reason="a GPU")
        def test_b():
            _sync()
"""

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
    "import-in-a-test-class-that-requires-the-package": (  # accelerate tests/test_quantization.py
        """
        import unittest
        @require_bnb
        class MixedInt8Test(unittest.TestCase):
            def test_memory_footprint(self):
                from bitsandbytes.nn import Int8Params
        """,
        """
        import unittest
        class MixedInt8Test(unittest.TestCase):
            def test_memory_footprint(self):
                from bitsandbytes.nn import Int8Params
        """,
        ["PRT808"],
    ),
    "test-class-that-requires-cuda": (  # accelerate tests/test_quantization.py
        """
        import unittest
        import torch
        @require_cuda_or_xpu
        class MixedInt8Test(unittest.TestCase):
            def test_generate(self):
                ids = self.tokenizer("a", return_tensors="pt")["input_ids"].cuda()
                torch.cuda.synchronize()
        """,
        """
        import unittest
        import torch
        @require_non_cpu
        class MixedInt8Test(unittest.TestCase):
            def test_generate(self):
                ids = self.tokenizer("a", return_tensors="pt")["input_ids"].cuda()
                torch.cuda.synchronize()
        """,
        ["PRT103", "PRT404"],
    ),
    "test-function-that-requires-a-gpu": (  # transformers' @require_torch_gpu
        """
        import torch
        @require_torch_gpu
        def test_sync():
            torch.cuda.synchronize()
        """,
        """
        import torch
        @require_torch_multi_accelerator
        def test_sync():
            torch.cuda.synchronize()
        """,
        ["PRT103"],
    ),
    "skip-test-statement-off-cuda": (  # accelerate tests/test_hooks.py
        """
        import unittest
        import torch
        class T(unittest.TestCase):
            def test_offload(self):
                if not torch.cuda.is_available() and not is_xpu_available():
                    self.skipTest("CUDA or XPU not available")
                torch.cuda.synchronize()
        """,
        """
        import unittest
        import torch
        class T(unittest.TestCase):
            def test_offload(self):
                if not torch.cuda.is_available() and not is_xpu_available():
                    print("CUDA or XPU not available")
                torch.cuda.synchronize()
        """,
        ["PRT102", "PRT103"],
    ),
    "pytest-skip-statement-off-cuda": (
        """
        import pytest
        import torch
        def test_sync():
            if torch.cuda.device_count() < 2:
                pytest.skip("needs two GPUs")
            torch.cuda.synchronize()
        """,
        """
        import pytest
        import torch
        def test_sync():
            if torch.cuda.device_count() > 2:
                pytest.skip("at most two GPUs")
            torch.cuda.synchronize()
        """,
        ["PRT101", "PRT103"],
    ),
    "float64-handed-to-a-function-that-is-not-torch": (  # accelerate tests/test_modeling_utils.py
        """
        import torch
        from accelerate.utils import dtype_byte_size
        assert dtype_byte_size(torch.float64) == 8
        """,
        """
        import torch
        x = torch.ones(3).to(torch.float64)
        """,
        ["PRT001"],
    ),
    "megatron-device-max-connections": (  # ms-swift megatron_args.py
        """
        import os
        os.environ.setdefault("CUDA_DEVICE_MAX_CONNECTIONS", "1")
        """,
        """
        import os
        os.environ.setdefault("CUDA_DEVICE_ORDER", "PCI_BUS_ID")
        """,
        ["PRT708"],
    ),
    "device-ids-chosen-in-a-ladder-that-tests-another-backend": (  # accelerate accelerator.py
        """
        import os
        import torch
        def prepare(self, model):
            if os.environ.get("BYPASS", "false") != "true":
                if self.device.type == "hpu":
                    device_ids, output_device = [self.device.index], self.device.index
                else:
                    device_ids, output_device = [self.local_process_index], self.local_process_index
            else:
                device_ids, output_device = None, None
            return torch.nn.parallel.DistributedDataParallel(model, device_ids=device_ids, output_device=output_device)
        """,
        """
        import os
        import torch
        def prepare(self, model):
            if os.environ.get("BYPASS", "false") != "true":
                device_ids, output_device = [self.local_process_index], self.local_process_index
            else:
                device_ids, output_device = None, None
            return torch.nn.parallel.DistributedDataParallel(model, device_ids=device_ids, output_device=output_device)
        """,
        ["PRT608", "PRT608"],
    ),
    "cuda-default-of-a-conditional-expression": (  # verl utils/device.py
        """
        from transformers.utils import is_torch_npu_available
        def visible_devices_keyword():
            return "CUDA_VISIBLE_DEVICES" if not is_torch_npu_available() else "ASCEND_RT_VISIBLE_DEVICES"
        def again():
            return "ASCEND_RT_VISIBLE_DEVICES" if is_torch_npu_available() else "CUDA_VISIBLE_DEVICES"
        """,
        """
        def visible_devices_keyword(flag):
            return "CUDA_VISIBLE_DEVICES" if not flag else "DEVICES"
        def again(flag):
            return "DEVICES" if flag else "CUDA_VISIBLE_DEVICES"
        """,
        ["PRT701", "PRT701"],
    ),
    "cuda-code-after-an-npu-return": (
        """
        import torch
        from transformers.utils import is_torch_npu_available
        def synchronize():
            if is_torch_npu_available():
                return torch.npu.synchronize()
            torch.cuda.synchronize()
        def synchronize_too():
            if not is_torch_npu_available():
                torch.cuda.synchronize()
            else:
                torch.npu.synchronize()
        """,
        """
        import torch
        from transformers.utils import is_torch_npu_available
        def synchronize():
            if is_torch_npu_available():
                print("an NPU")
            torch.cuda.synchronize()
        def synchronize_too(flag):
            if not flag:
                torch.cuda.synchronize()
            else:
                torch.npu.synchronize()
        def check(device):
            if "npu" in str(device) and not is_torch_npu_available():
                raise ValueError("no NPU")
            torch.cuda.synchronize()
        """,
        ["PRT103", "PRT103", "PRT103"],
    ),
    "rocm-environment-branch": (  # verl single_controller/base/worker.py
        """
        import os
        def visible_devices():
            hip_val = os.environ.get("HIP_VISIBLE_DEVICES", None)
            if hip_val:
                os.environ["CUDA_VISIBLE_DEVICES"] = os.environ.pop("HIP_VISIBLE_DEVICES")
        """,
        """
        import os
        def visible_devices():
            val = os.environ.get("MY_DEVICES", None)
            if val:
                os.environ["CUDA_VISIBLE_DEVICES"] = val
        """,
        ["PRT701"],
    ),
    "body-of-a-test-skipped-off-cuda": (  # mmengine tests: the skip decorator guards the body too
        """
        import unittest
        import pytest
        import torch
        @unittest.skipUnless(torch.cuda.device_count() > 1, "two GPUs")
        def test_a():
            torch.cuda.set_device(0)
        @pytest.mark.skipif(not torch.cuda.is_available(), reason="a GPU")
        def test_b():
            torch.cuda.set_device(0)
        @unittest.skipIf(not torch.cuda.is_available(), "a GPU")
        class T(unittest.TestCase):
            def test_c(self):
                torch.cuda.set_device(0)
        """,
        """
        import unittest
        import pytest
        import torch
        @unittest.skipUnless(torch.cuda.device_count() < 2, "at most one GPU")
        def test_a():
            torch.cuda.set_device(0)
        @pytest.mark.skipif(sys.platform == "win32", reason="not on Windows")
        def test_b():
            torch.cuda.set_device(0)
        @unittest.skipIf(torch.cuda.is_available(), "no GPU")
        class T(unittest.TestCase):
            def test_c(self):
                torch.cuda.set_device(0)
        """,
        ["PRT101", "PRT101", "PRT101", "PRT101", "PRT102"],
    ),
    "test-that-returns-off-cuda": (  # mmengine tests
        """
        import torch
        def test_sync():
            if not torch.cuda.is_available():
                return
            torch.cuda.synchronize()
        """,
        """
        import torch
        def sync():
            if not torch.cuda.is_available():
                return
            torch.cuda.synchronize()
        """,
        ["PRT102", "PRT103"],
    ),
    "helper-used-only-by-tests-skipped-off-cuda": (  # peft tests/test_gpu_examples.py (TP workers)
        _SPAWNED_WORKERS + """
        @unittest.skipUnless(torch.cuda.device_count() > 1, "two GPUs")
        def test_c():
            _sync()
        """,
        _SPAWNED_WORKERS + """
        def test_cpu():
            _sync()
            _setup(0)
        """,
        ["PRT101", "PRT103"],
    ),
    "check-that-rejects-a-cuda-request": (  # peft examples/cartridge_self_study, transformers testing_utils
        """
        import torch
        def pick(device):
            if device == "xpu" and not torch.xpu.is_available():
                raise ValueError("XPU is unavailable")
            if device == "cuda" and not torch.cuda.is_available():
                raise ValueError("Requested device 'cuda' but CUDA is not available.")
            return torch.device(device)
        """,
        """
        import torch
        def pick(device):
            if device == "xpu" and not torch.xpu.is_available():
                raise ValueError("XPU is unavailable")
            if device == "cuda" and not torch.cuda.is_available():
                device = "cpu"  # not rejected: on an NPU the default "cuda" silently runs on the CPU
            return torch.device(device)
        """,
        ["PRT102", "PRT403"],
    ),
    "name-imported-per-backend": (  # mmengine optim/optimizer/amp_optimizer_wrapper.py
        """
        from mmengine.device import is_mlu_available, is_npu_available
        if is_npu_available():
            from torch.npu.amp import GradScaler
        elif is_mlu_available():
            from torch.mlu.amp import GradScaler
        else:
            from torch.cuda.amp import GradScaler
        class Wrapper:
            def __init__(self, fsdp, loss_scale):
                scaler_type = ShardedGradScaler if fsdp else GradScaler
                plain = GradScaler
                self.loss_scaler = plain(init_scale=loss_scale)
                self.other = GradScaler()
        """,
        """
        from mmengine.device import is_mlu_available, is_npu_available
        if is_npu_available():
            print("npu")
        else:
            from torch.cuda.amp import GradScaler
        class Wrapper:
            def __init__(self, fsdp, loss_scale):
                plain = GradScaler
                self.loss_scaler = plain(init_scale=loss_scale)
                self.other = GradScaler()
        """,
        ["PRT302", "PRT302", "PRT302"],
    ),
    "cuda-sub-case-of-a-test": (  # mmengine tests/test_optim/test_optimizer/test_optimizer.py
        """
        import torch
        def test_optimizer():
            model = torch.nn.Linear(2, 2)
            if torch.cuda.is_available() and torch.distributed.is_nccl_available():
                model = torch.nn.DataParallel(model.cuda())
                torch.cuda.synchronize()
        """,
        """
        import torch
        def build_optimizer():
            model = torch.nn.Linear(2, 2)
            if torch.cuda.is_available():
                model = torch.nn.DataParallel(model.cuda())
                torch.cuda.synchronize()
        """,
        ["PRT102", "PRT103", "PRT404"],
    ),
    "cuda-only-assertions": (  # accelerate test_utils/scripts/test_notebook.py
        """
        import torch
        def assert_clean_fork():
            if torch.cuda.is_available():
                assert not torch._C._cuda_isInBadFork(), "tainted"
                assert torch.cuda.device_count() > 0
        """,
        """
        import torch
        def assert_clean_fork():
            if torch.cuda.is_available():
                assert not torch._C._cuda_isInBadFork(), "tainted"
                torch.cuda.synchronize()
        """,
        ["PRT102", "PRT103", "PRT114"],
    ),
    "cuda-test-in-a-rung-after-another-backend": (  # accelerate launchers.py (Colab: TPU, then GPU)
        """
        import os
        import torch
        def launch(function, in_colab):
            if in_colab and (os.environ.get("TPU_NAME") is not None or os.environ.get("PJRT_DEVICE", "") == "TPU"):
                function(tpu=True)
            elif in_colab and (not torch.cuda.is_available() or torch.cuda.device_count() < 2):
                function()
            else:
                function(spawn=True)
        """,
        """
        import os
        import torch
        def launch(function, in_colab):
            if in_colab and os.environ.get("TPU_NAME_OF_MINE") is not None:
                function(tpu=True)
            elif in_colab and (not torch.cuda.is_available() or torch.cuda.device_count() < 2):
                function()
            else:
                function(spawn=True)
        """,
        ["PRT101", "PRT102"],
    ),
    "cuda-method-of-a-per-backend-family": (  # mmengine model/base_model/data_preprocessor.py
        """
        import torch
        from torch import nn
        class Preprocessor(nn.Module):
            def cuda(self, *args, **kwargs):
                self._device = torch.device(torch.cuda.current_device())
                return super().cuda()
            def npu(self, *args, **kwargs):
                self._device = torch.device(torch.npu.current_device())
                return super().npu()
        class Element:
            def to(self, *args, **kwargs):
                return Element(self.data.to(*args, **kwargs))
            def cuda(self):
                return Element(self.data.cuda())
        """,
        """
        import torch
        from torch import nn
        class Preprocessor(nn.Module):
            def cuda(self, *args, **kwargs):
                self._device = torch.device(torch.cuda.current_device())
                return super().cuda()
            def cpu(self, *args, **kwargs):
                self._device = torch.device("cpu")
                return super().cpu()
        class Element:
            def cuda(self):
                return Element(self.data.cuda())
        def npu():
            return torch.device("npu")
        """,
        ["PRT101", "PRT404", "PRT404"],
    ),
    "cuda-function-of-a-per-backend-family": (  # mmengine device/utils.py
        """
        import torch
        def get_max_cuda_memory(device=None):
            mem = torch.cuda.max_memory_allocated(device)
            torch.cuda.reset_peak_memory_stats()
            return mem
        def get_max_npu_memory(device=None):
            return torch.npu.max_memory_allocated(device)
        def init_nccl_group(ranks):
            return torch.distributed.new_group(ranks, backend="nccl")
        def init_hccl_group(ranks):
            return torch.distributed.new_group(ranks, backend="hccl")
        """,
        """
        import torch
        def get_max_cuda_memory(device=None):
            mem = torch.cuda.max_memory_allocated(device)
            torch.cuda.reset_peak_memory_stats()
            return mem
        def get_max_cpu_memory(device=None):
            return 0
        def init_nccl_group(ranks):
            return torch.distributed.new_group(ranks, backend="nccl")
        class Groups:
            def init_hccl_group(self, ranks):
                return torch.distributed.new_group(ranks, backend="hccl")
        """,
        ["PRT201", "PRT201", "PRT601"],
    ),
    "hasattr-asks-about-the-api": (  # mmengine tests/test_optim/test_optimizer/test_optimizer_wrapper.py
        """
        import torch
        HAS_BF16_QUERY = hasattr(torch.cuda, "is_bf16_supported")
        HAS_AMP = hasattr(torch.cuda.amp, "GradScaler")
        """,
        """
        import torch
        BF16_QUERY = getattr(torch.cuda, "is_bf16_supported", None)
        def hasattr(owner, name):
            return owner
        HAS_AMP = hasattr(torch.cuda, "amp")
        """,
        ["PRT100", "PRT100"],
    ),
    "a-name-a-mock-replaces": (  # mmengine tests/test_runner/test_log_processor.py
        """
        from unittest import mock
        from unittest.mock import MagicMock, patch
        import torch
        @patch("torch.cuda.max_memory_allocated", MagicMock())
        def test_get_max_memory():
            torch.cuda.max_memory_allocated.assert_called()
        def test_count():
            with mock.patch.object(torch.cuda, "device_count", return_value=2):
                assert torch.cuda.device_count() == 2
        @patch("torch.cuda.synchronize")
        class TestSync:
            def test_sync(self, sync):
                torch.cuda.synchronize()
        """,
        """
        from unittest import mock
        from unittest.mock import MagicMock, patch
        import torch
        @patch("torch.cuda.reset_peak_memory_stats", MagicMock())
        def test_get_max_memory():
            torch.cuda.max_memory_allocated.assert_called()
        def test_count():
            with mock.patch.object(torch.cuda, "device_count", return_value=2):
                pass
            assert torch.cuda.device_count() == 2
        class TestSync:
            def test_sync(self):
                torch.cuda.synchronize()
        """,
        ["PRT101", "PRT103", "PRT201"],
    ),
    "cuda-among-several-device-types-spelled-out": (  # mmengine runner/amp.py
        """
        def autocast(device_type=None):
            assert (device_type == "cuda" or device_type == "mlu" or device_type is None), "old torch"
            if device_type != "cuda" and device_type != "xpu":
                return None
        """,
        """
        def autocast(device_type=None, other=None):
            assert (device_type == "cuda" or other == "mlu" or device_type is None), "old torch"
            if device_type != "cuda" and device_type != "cpu":
                return None
        """,
        ["PRT403", "PRT403"],
    ),
    "smddp-rung-of-a-backend-ladder": (  # mmengine dist/utils.py get_comm_device
        """
        import torch
        def get_comm_device(backend):
            if backend == "hccl":
                return torch.device("npu", torch.npu.current_device())
            elif backend == "smddp":
                return torch.device("cuda", torch.cuda.current_device())
            return torch.device("cpu")
        """,
        """
        import torch
        def get_comm_device(backend):
            if backend == "gloo":
                return torch.device("cpu")
            elif backend == "smddp2":
                return torch.device("cuda", torch.cuda.current_device())
            return torch.device("cpu")
        """,
        ["PRT101", "PRT401"],
    ),
    "test-decorator-asking-for-cuda-gpus": (  # Lightning tests: @RunIf(min_cuda_gpus=2, standalone=True)
        """
        import torch
        from tests_helpers.runif import RunIf
        @RunIf(min_cuda_gpus=2, standalone=True)
        def test_ddp(tmp_path):
            torch.cuda.set_device(1)
        class TestOnGpu:
            @RunIf(cuda=True)
            def test_one(self):
                torch.cuda.synchronize()
        """,
        """
        import torch
        from tests_helpers.runif import RunIf
        @RunIf(min_cuda_gpus=0, standalone=True)
        def test_ddp(tmp_path):
            torch.cuda.set_device(1)
        class TestOnGpu:
            @RunIf(mps=True)
            def test_one(self):
                torch.cuda.synchronize()
        """,
        ["PRT101", "PRT103"],
    ),
    "device-strings-in-a-test-that-fakes-cuda": (  # Lightning test_accelerator_connector.py, test_throughput.py
        """
        import os
        import torch
        from unittest import mock
        from lightning import Trainer
        def test_device_type(cuda_count_2, mps_count_0):
            trainer = Trainer(accelerator="gpu", devices=2)
        @mock.patch("torch.cuda.get_device_capability", return_value=(7, 0))
        def test_set_device(_):
            CUDAAccelerator().setup_device(torch.device("cuda", 1))
        @mock.patch.dict(os.environ, {"CUDA_VISIBLE_DEVICES": "0,1"})
        def test_visible(monkeypatch):
            with mock.patch("torch.cuda.get_device_name", return_value="H100"):
                assert flops(torch.device("cuda")) > 0
        """,
        """
        import os
        import torch
        from unittest import mock
        from lightning import Trainer
        def test_device_type(cpu_count_2, mps_count_0):
            trainer = Trainer(accelerator="gpu", devices=2)
        @mock.patch("json.loads", return_value=(7, 0))
        def test_set_device(_):
            CUDAAccelerator().setup_device(torch.device("cuda", 1))
        @mock.patch.dict(os.environ, {"HOME": "/tmp"})
        def test_visible(monkeypatch):
            with mock.patch("torch.cuda.get_device_name", return_value="H100"):
                torch.cuda.synchronize()
        """,
        ["PRT103", "PRT401", "PRT943"],
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
def test_cuda_cases_left_out_of_a_test_off_cuda_are_not_reported(target: str) -> None:
    """detectron2 tests/structures/test_rotated_boxes.py: `["cpu"] + (["cuda"] if
    torch.cuda.is_available() else [])` in a test adds CUDA cases where CUDA is; off CUDA
    they are left out, like a CUDA sub-case of the test. Outside a test, or choosing CUDA
    instead of the CPU, the choice is still reported."""
    harmless = """
        import torch
        def test_iou():
            for device in ["cpu"] + (["cuda"] if torch.cuda.is_available() else []):
                boxes = torch.zeros(2, 5, device=device)
            extra = (torch.device("cuda", 0),) if torch.cuda.is_available() else ()
        """
    twin = """
        import torch
        def iou_devices():
            return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
        def test_iou():
            for device in ["cuda"] if torch.cuda.is_available() else ["cpu"]:
                boxes = torch.zeros(2, 5, device=device)
        """
    assert codes(harmless, target) == []
    assert codes(twin, target).count("PRT102") == 2


@pytest.mark.parametrize("target", TARGETS)
def test_a_helper_runs_only_on_cuda_only_when_every_use_does(target: str) -> None:
    """A helper of tests skipped off CUDA gets their guard only when the file uses it nowhere
    else: a helper nothing in the file uses (another module may call it), one read at module
    time, and every helper such helpers use, may run off CUDA."""
    code = """
        import torch
        def _unused():
            torch.cuda.synchronize()
        def _inner():
            torch.cuda.empty_cache()
        def _outer():
            _inner()
        def _used_by_unused():
            torch.cuda.ipc_collect()
        def _unused_caller():
            _used_by_unused()
        def _at_module_time():
            torch.cuda.set_device(0)
        TABLE = {"set": _at_module_time}
        def _cycle_a():
            torch.cuda.reset_peak_memory_stats()
            _cycle_b()
        def _cycle_b():
            _cycle_a()
        @require_torch_gpu
        def test_gpu():
            _inner()
            _used_by_unused()
            _at_module_time()
        def test_cpu():
            _outer()
        """
    assert sorted(codes(code, target)) == ["PRT101", "PRT103", "PRT201", "PRT202", "PRT202"]


@pytest.mark.parametrize("target", TARGETS)
def test_a_public_helper_of_skipped_tests_counts_in_a_test_module_only(target: str) -> None:
    """Nothing imports a test module (``test_x.py``): its public helpers are called only where
    the file calls them. Elsewhere only a private helper (``_x``) is."""
    body = """
        import torch
        def initialize_distributed():
            torch.cuda.set_device(0)
        @require_torch_gpu
        class TestMegatron:
            def setUp(self):
                initialize_distributed()
        """
    for path, expected in (("tests/test_megatron.py", []), ("tests/testing_utils.py", ["PRT101"]),
                           ("megatron_test.py", [])):
        assert codes(f"# file: {path}\n" + textwrap.dedent(body), target) == expected, path


@pytest.mark.parametrize("target", TARGETS)
def test_the_cuda_variant_of_a_file_kept_for_another_backend_is_not_reported(tmp_path, target: str) -> None:
    """docker/docker-cuda/ next to docker/docker-npu/ (LLaMA-Factory), a GPU flavour next to a
    CPU image (accelerate): the project's non-CUDA path is the sibling (kinds.is_cuda_variant,
    applied by discovery). A CPU sibling is a non-CUDA path for the agnostic target only."""
    from conftest import linter_for

    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    for directory in ("docker/docker-cuda", "docker/docker-npu", "alone/docker-cuda", "wf",
                      "images/accelerate-gpu-deepspeed", "images/accelerate-cpu"):
        (tmp_path / directory).mkdir(parents=True)
    dockerfile = "FROM nvcr.io/nvidia/pytorch:24.07-py3\n"
    (tmp_path / "docker/docker-cuda/Dockerfile").write_text(dockerfile)
    (tmp_path / "alone/docker-cuda/Dockerfile").write_text(dockerfile)
    (tmp_path / "images/accelerate-gpu-deepspeed/Dockerfile").write_text(dockerfile)
    script = "import torch\ntorch.cuda.synchronize()\n"
    (tmp_path / "wf/train_gpu.py").write_text(script)
    (tmp_path / "wf/train_cpu.py").write_text("print('cpu')\n")
    (tmp_path / "wf/train_cuda_only.py").write_text(script)
    report = linter_for(target).check_paths([str(tmp_path)], jobs=1)
    reported = sorted({Path(f.path).resolve().relative_to(tmp_path.resolve()).as_posix() for f in report.findings})
    cpu_sibling_only = ["images/accelerate-gpu-deepspeed/Dockerfile", "wf/train_gpu.py"]
    expected = ["alone/docker-cuda/Dockerfile", "wf/train_cuda_only.py"] + (cpu_sibling_only if target == "npu" else [])
    assert reported == sorted(expected)


@pytest.mark.parametrize("target", TARGETS)
def test_container_files_beside_another_accelerators_directory_are_the_cuda_variant(tmp_path, target: str) -> None:
    """verl: docker/ascend/ holds the NPU images, so the Dockerfiles elsewhere in docker/
    (docker/Dockerfile.stable.vllm, docker/verl0.4-cu124-.../Dockerfile.base) are the CUDA
    variants. A directory named for an accelerator without container files in it does not
    count, nor does anything that is not a container file."""
    from conftest import linter_for

    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    cuda_image = "FROM nvcr.io/nvidia/pytorch:24.07-py3\n"
    for directory in ("docker/ascend", "docker/verl0.4-cu124", "docker/rocm", "plain", "plain/npu"):
        (tmp_path / directory).mkdir(parents=True)
    (tmp_path / "docker/ascend/Dockerfile.ascend").write_text("FROM ascendai/cann:8.0\n")
    (tmp_path / "docker/rocm/Dockerfile.rocm").write_text("FROM rocm/pytorch:latest\n")
    (tmp_path / "docker/Dockerfile.stable").write_text(cuda_image)
    (tmp_path / "docker/verl0.4-cu124/Dockerfile.base").write_text(cuda_image)
    (tmp_path / "docker/run.sh").write_text("#!/bin/bash\nexport CUDA_VISIBLE_DEVICES=0\n")
    (tmp_path / "plain/Dockerfile").write_text(cuda_image)
    (tmp_path / "plain/npu/kernel.py").write_text("print('npu')\n")
    report = linter_for(target).check_paths([str(tmp_path)], jobs=1)
    reported = sorted({Path(f.path).resolve().relative_to(tmp_path.resolve()).as_posix() for f in report.findings})
    assert reported == ["docker/run.sh", "plain/Dockerfile"]


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


@pytest.mark.parametrize("target", TARGETS)
def test_a_ci_job_on_nvidia_gpus_is_the_cuda_variant_of_the_ci(target: str) -> None:
    """accelerate .github/workflows/nightly.yml: a job whose container runs with `--gpus all`
    (or a CUDA image, or a GPU runner label) sets CUDA_VISIBLE_DEVICES for NVIDIA GPUs by
    design; the same line in a job on ordinary runners is reported."""
    workflow = textwrap.dedent("""\
        # file: .github/workflows/nightly.yml
        jobs:
          gpu_tests:
            runs-on:
              group: aws-g6-4xlarge-plus
            env:
              CUDA_VISIBLE_DEVICES: "0"
            container:
              image: huggingface/accelerate:gpu-nightly
              options: --gpus all --shm-size "16gb"
          labelled:
            runs-on: [self-hosted, nvidia-a10]
            env:
              CUDA_VISIBLE_DEVICES: "0"
          cuda_image:
            runs-on: ubuntu-latest
            container:
              image: nvidia/cuda:12.4.1-runtime-ubuntu22.04
            env:
              CUDA_VISIBLE_DEVICES: "0"
          cpu_tests:
            runs-on: ubuntu-latest
            env:
              CUDA_VISIBLE_DEVICES: "0"
          l20:
            runs-on: ["${{ needs.setup.outputs.runner-label || 'L20x8' }}"]
            env:
              CUDA_VISIBLE_DEVICES: "0"
          expression:
            runs-on: ${{ matrix.runner }}
            env:
              CUDA_VISIBLE_DEVICES: "0"
        """)
    found = lint(workflow, target)
    # (the CUDA image that makes a job NVIDIA's is still reported: PRT922)
    assert [(f.code, f.line) for f in found] == [("PRT922", 17), ("PRT701", 23), ("PRT701", 31)]
    # the same file outside .github/workflows is a config, not a CI workflow: all four are
    # reported (and the CUDA image, PRT922)
    elsewhere = lint(workflow.replace(".github/workflows/", "ci/"), target)
    assert sorted(f.code for f in elsewhere) == ["PRT701"] * 6 + ["PRT922"]


@pytest.mark.parametrize("target", TARGETS)
def test_a_family_without_an_npu_member_is_no_npu_path(target: str) -> None:
    """mmengine device/utils.py: `get_max_cuda_memory` beside `get_max_musa_memory` only. Any
    other backend's member is a non-CUDA path for the agnostic target; a port to the NPU
    needs an NPU member (as for variant files)."""
    code = """\
        import torch
        def get_max_cuda_memory(device=None):
            return torch.cuda.max_memory_allocated(device)
        def get_max_musa_memory(device=None):
            return torch.musa.max_memory_allocated(device)
        """
    assert codes(code, target) == ([] if target == "agnostic" else ["PRT201"])


@pytest.mark.parametrize("target", TARGETS)
def test_a_cuda_sub_case_in_a_helper_of_a_test_module_is_skipped_off_cuda(target: str) -> None:
    """detectron2 tests/layers/test_roi_align.py `_simple_roialign`, mmengine
    test_optimizer.py `_check_sgd_optimizer`: a helper its tests call compares with CUDA
    when CUDA is there; the same helper in library code is reported."""
    code = textwrap.dedent("""\
        # file: tests/layers/test_roi_align.py
        import torch
        def check_roialign(op, x):
            out = op(x)
            if torch.cuda.is_available():
                assert torch.allclose(out, op(x.cuda()).cpu())
                out = op(x.cuda()).cpu()
            return out
        """)
    assert lint(code, target) == []
    # (a block of asserts alone would be a CUDA-only check anywhere: the library twin computes)
    library = code.replace("tests/layers/test_roi_align.py", "detectron2/layers/roi_align.py")
    assert [(f.code, f.line) for f in lint(library, target)] == [("PRT102", 4), ("PRT404", 5), ("PRT404", 6)]


CIRCLECI = """\
    # file: .circleci/test.yml
    jobs:
      build_cpu:
        docker:
          - image: cimg/python:3.10
        resource_class: large
        steps:
          - run: pytest tests/
      build_cuda:
        machine:
          image: linux-cuda-11:default
        resource_class: gpu.nvidia.small.multi
        steps:
          - run: |
              docker run --gpus all -t -d --name mm mm:gpu
              export CUDA_VISIBLE_DEVICES=0
      build_integration_test:
        machine:
          image: ubuntu-2004-cuda-11.4:202110-01
        resource_class: gpu.nvidia.small
        steps:
          - run: docker run --gpus all -t -d --name mm mm:gpu
      build_docker:
        docker:
          - image: cimg/python:3.10
        steps:
          - run: docker run --gpus all -t -d --name mm mm:gpu
    """


@pytest.mark.parametrize("target", TARGETS)
def test_a_circleci_job_on_nvidia_gpus_is_the_cuda_variant_of_the_ci(target: str) -> None:
    """mmengine .circleci/test.yml: a job on a GPU resource class (or a CUDA machine image)
    runs `docker run --gpus all` by design; its CUDA image is still reported, unless the job
    is the CUDA variant of a job kept for another backend (`build_cuda` beside `build_cpu`:
    for the agnostic target a CPU job counts, for the npu target only an NPU job)."""
    found = [(f.code, f.line) for f in lint(textwrap.dedent(CIRCLECI), target)]
    cuda_image = [("PRT922", 10)] if target == "npu" else []
    assert found == [*cuda_image, ("PRT922", 18), ("PRT921", 26)]
    # outside .circleci/ the same file is a config: everything is reported
    elsewhere = lint(textwrap.dedent(CIRCLECI).replace(".circleci/", "ci/"), target)
    assert sorted(f.code for f in elsewhere) == ["PRT701", "PRT921", "PRT921", "PRT921", "PRT922", "PRT922"]


@pytest.mark.parametrize("target", TARGETS)
def test_a_github_job_testing_the_cuda_build_beside_a_cpu_job_is_a_variant(target: str) -> None:
    """mmengine .github/workflows/merge_stage_test.yml: `build_cu102` runs a CUDA image (the
    CUDA build of torch) beside `build_cpu_py`; without such a sibling the image is reported."""
    workflow = textwrap.dedent("""\
        # file: .github/workflows/merge.yml
        jobs:
          build_cpu_py:
            runs-on: ubuntu-22.04
            steps:
              - run: pytest tests/
          build_cu102:
            runs-on: ubuntu-22.04
            container:
              image: pytorch/pytorch:1.8.1-cuda10.2-cudnn7-devel
            steps:
              - run: pytest tests/
        """)
    found = [(f.code, f.line) for f in lint(workflow, target)]
    assert found == ([("PRT922", 9)] if target == "npu" else [])
    alone = workflow.replace("build_cpu_py", "build_windows")
    assert [(f.code, f.line) for f in lint(alone, target)] == [("PRT922", 9)]
    npu_sibling = workflow.replace("build_cpu_py", "build_npu")
    assert [(f.code, f.line) for f in lint(npu_sibling, target)] == []


@pytest.mark.parametrize(("target", "min_torch", "reported"), [
    ("agnostic", "2.6", True),  # a CPU-only machine has no accelerator for the index
    ("agnostic", "2.4", True),
    ("npu", "2.6", False),  # since torch 2.5.1 an integer is an index of the current accelerator
    ("npu", "2.5.1", False),
    ("npu", "2.5", True),  # before, it was CUDA's: "Torch not compiled with CUDA enabled" on an NPU
    ("npu", "2.1", True),
])
def test_integer_devices_are_fixed_on_the_npu_from_torch_2_5_1(target: str, min_torch: str, reported: bool) -> None:
    code = "import torch\nx = torch.ones(2).to(0)\ny = torch.zeros(2, device=1)\nd = torch.device(0)\n"
    found = [f.code for f in lint(code, target, min_torch)]
    assert found == (["PRT406"] * 3 if reported else [])


def test_fixed_in_is_checked_when_a_ruleset_is_loaded(tmp_path) -> None:
    from portlint.errors import RulesetError
    from portlint.rules import load_rulesets

    rule = ('[[rule]]\ncode = "XYZ1"\nname = "x"\nfamily = "device"\nsummary = "s"\nmessage = "m"\n'
            'rationale = "r"\nflagged = ["x.cuda()"]\n{fixed_in}\n[[rule.attribute]]\nname = "cuda"\n')
    for fixed_in, error in [("fixed_in = { npu = 2.5 }", "must be a string"),
                            ("fixed_in = { rocm = \"2.5\" }", "not among the rule's targets"),
                            ("fixed_in = { npu = \"two\" }", "not a version"),
                            ("fixed_in = \"2.5\"", "must map targets")]:
        path = tmp_path / "r.toml"
        path.write_text(rule.format(fixed_in=fixed_in))
        with pytest.raises(RulesetError, match=error):
            load_rulesets([path])


@pytest.mark.parametrize("target", TARGETS)
def test_code_a_test_expects_to_fail_is_still_reported(target: str) -> None:
    """`with self.assertRaises(...)` is no non-CUDA path: off CUDA the code may stop failing
    (detectron2 tests/structures/test_instances.py: `torch.jit.script` returns its argument
    under transfer_to_npu, so the expected exception never comes), or fail for another
    reason than the one the test is about (`model.to(0)` before torch 2.5.1)."""
    code = """
        import torch
        class T:
            def test_script(self):
                with self.assertRaises(Exception):
                    torch.jit.script(g2())
            def test_move(self):
                with self.assertRaises(RuntimeError):
                    model.cuda()
        """
    assert sorted(codes(code, target)) == (["PRT002", "PRT404"] if target == "npu" else ["PRT404"])


@pytest.mark.parametrize("target", TARGETS)
def test_a_rung_after_another_backend_still_reports_its_body(target: str) -> None:
    # Only the rung's own CUDA test is part of the ladder's choice: its body also runs off
    # CUDA (`not torch.cuda.is_available()`), so CUDA code there is still reported.
    code = """
    import os
    import torch
    def launch(function, in_colab):
        if os.environ.get("PJRT_DEVICE", "") == "TPU":
            function(tpu=True)
        elif in_colab and not torch.cuda.is_available():
            torch.cuda.synchronize()
    """
    assert codes(code, target) == ["PRT103"]


@pytest.mark.parametrize("target", TARGETS)
def test_the_default_of_a_file_kept_for_another_backend_is_the_cuda_variant(tmp_path, target: str) -> None:
    """requirements.txt beside requirements_xpu.txt (huggingface/peft), dockerci.sh beside
    dockerci_npu.sh (ms-swift), Dockerfile beside Dockerfile-cpu (yolov5): the file that names
    no backend is the default, CUDA, variant (kinds.is_default_variant). Python files are
    never: `utils.py` beside `utils_npu.py` is shared code."""
    from conftest import linter_for

    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    files = {
        "sft/requirements.txt": "flash-attn\n", "sft/requirements_xpu.txt": "torch\n",
        "ci/dockerci.sh": "docker run --gpus all image\n", "ci/dockerci_npu.sh": "docker run image\n",
        "img/Dockerfile": "FROM nvcr.io/nvidia/pytorch:24.07-py3\n", "img/Dockerfile-cpu": "FROM python:3.11\n",
        "alone/requirements.txt": "flash-attn\n", "alone/requirements_dev.txt": "pytest\n",
        "cuda_named/requirements-cuda.txt": "flash-attn\n",
        "py/utils.py": "import torch\ntorch.cuda.synchronize()\n", "py/utils_npu.py": "print('npu')\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    report = linter_for(target).check_paths([str(tmp_path)], jobs=1)
    reported = sorted({Path(f.path).resolve().relative_to(tmp_path.resolve()).as_posix() for f in report.findings})
    always = ["alone/requirements.txt", "cuda_named/requirements-cuda.txt", "py/utils.py"]
    # a CPU or XPU sibling is a non-CUDA path for the agnostic target; an NPU user needs an NPU one
    agnostic_only = ["img/Dockerfile", "sft/requirements.txt"]
    assert reported == sorted(always + (agnostic_only if target == "npu" else []))
