"""Guard context and the reporting policy ("What portlint reports" in the README): code
that already has a working non-CUDA path is not reported; guards are never rewritten on
their own; fallbacks are kept. Every case runs on both targets, with a flagged twin."""

from __future__ import annotations

import ast
import textwrap

import pytest

from conftest import lint, linter_for
from portlint.fixer import fix_text
from portlint.semantic import guards as g

TARGETS = ("agnostic", "npu")


def found(code: str, target: str, **kwargs) -> list[tuple[str, int]]:
    return [(f.code, f.line) for f in lint(code, target, **kwargs)]


# (already portable: nothing reported, same code without the non-CUDA path: reported)
CASES = {
    "1-ladder": (
        """
        import torch
        if torch.cuda.is_available():            # 1 ladder: nothing to report or rewrite
            dev = "cuda"
        elif torch.backends.mps.is_available():
            dev = "mps"
        else:
            dev = "cpu"
        """,
        """
        import torch
        if torch.cuda.is_available():
            dev = "cuda"
        else:
            dev = "cpu"
        """,
    ),
    "2-fast-path": (
        """
        import torch
        if x.device.type == "cuda":              # 2 CUDA fast path with a CPU path
            torch.cuda.synchronize()
        """,
        """
        import torch
        torch.cuda.synchronize()
        """,
    ),
    "4-rebinding": (
        """
        from torch import cuda                   # 4 rebinding: no finding
        for cuda in backends:
            cuda.synchronize()
        """,
        """
        from torch import cuda
        for backend in backends:
            cuda.synchronize()
        """,
    ),
    "5-dtype-test": (
        """
        import torch
        if t.dtype == torch.float64: ...         # 5 a dtype test, not float64 data
        """,
        """
        import torch
        t = t.to(torch.float64)
        """,
    ),
    "7-several-backends": (
        """
        if device_type in ("cuda", "xpu", "hpu"): ...   # 7 already lists several backends
        """,
        """
        if device_type in ("cuda",): ...
        """,
    ),
    "sibling-branches": (
        """
        import torch
        def info():
            if is_torch_cuda_available():
                print(torch.cuda.get_device_name())
            if is_torch_npu_available():
                print(torch.npu.get_device_name())
        """,
        """
        import torch
        def info():
            if is_torch_cuda_available():
                print(torch.cuda.get_device_name())
        """,
    ),
    "default-rung-of-other-backends": (
        """
        import torch
        if is_npu_available():
            torch.npu.manual_seed_all(0)
        elif is_xpu_available():
            torch.xpu.manual_seed_all(0)
        else:
            torch.cuda.manual_seed_all(0)
        """,
        """
        import torch
        if use_gpu:
            torch.cuda.manual_seed_all(0)
        """,
    ),
    "is-cuda": (
        """
        import torch
        def f(x):
            if x.is_cuda:
                torch.cuda.synchronize()
        """,
        """
        import torch
        def f(x):
            if x.is_leaf:
                torch.cuda.synchronize()
        """,
    ),
    "in-str-device": (
        """
        import torch
        if "cuda" in str(device):
            torch.cuda.empty_cache()
        """,
        """
        import torch
        if "cuba" in str(device):
            torch.cuda.synchronize()
        """,
    ),
    "startswith": (
        """
        import torch
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        """,
        """
        import torch
        if device.startswith("cpu"):
            pass
        torch.cuda.synchronize()
        """,
    ),
    "enum-member": (
        """
        import torch
        if rng_type == RNGType.CUDA:
            state = torch.cuda.get_rng_state()
        elif rng_type == RNGType.NPU:
            state = torch.npu.get_rng_state()
        """,
        """
        import torch
        if rng_type == RNGType.TORCH:
            state = torch.cuda.get_rng_state()
        """,
    ),
    "early-return": (
        """
        import torch
        def sync(x):
            if not x.is_cuda:
                return
            torch.cuda.synchronize()
        """,
        """
        import torch
        def sync(x):
            if not x.is_cuda:
                print("cpu")
            torch.cuda.synchronize()
        """,
    ),
    "assert": (
        """
        import torch
        def sync(x):
            assert x.is_cuda, "CUDA tensors only"
            torch.cuda.synchronize()
        """,
        """
        import torch
        def sync(x):
            assert x.is_contiguous()
            torch.cuda.synchronize()
        """,
    ),
    "name-bound-to-a-test": (
        """
        import torch
        is_nvidia = device_platform == "cuda"
        tf32 = is_nvidia and torch.cuda.get_device_capability()[0] >= 8
        """,
        """
        import torch
        is_nvidia = device_platform == "linux"
        tf32 = is_nvidia and torch.cuda.get_device_capability()[0] >= 8
        """,
    ),
    "optional-import": (
        """
        try:
            import pynvml
        except ImportError:
            pynvml = None
        """,
        """
        import pynvml
        """,
    ),
    "handled-failure": (
        """
        import torch
        try:
            name = torch.cuda.get_device_name()
        except Exception:
            name = "cpu"
        """,
        """
        import torch
        try:
            name = torch.cuda.get_device_name()
        finally:
            pass
        """,
    ),
    "getattr-default": (
        """
        import torch
        module = getattr(torch, device_type, torch.cuda)
        """,
        """
        import torch
        module = getattr(torch, device_type, None) or torch.cuda
        """,
    ),
    "table-by-device-type": (
        """
        import torch
        activities = {"cuda": torch.profiler.ProfilerActivity.CUDA, "xpu": torch.profiler.ProfilerActivity.XPU}
        """,
        """
        import torch
        activities = {"gpu": torch.profiler.ProfilerActivity.CUDA}
        """,
    ),
    "rocm-branch": (
        """
        device = backend if backend != "hip" else "cuda"
        """,
        """
        device = backend if backend != "linux" else "cuda"
        """,
    ),
    "and-of-other-backend-tests": (
        """
        device_type = "cuda" if (kind == DistributedType.XLA and is_torch_xla_available()) else dev.type
        """,
        """
        device_type = "cuda" if (kind == DistributedType.FSDP and is_fast()) else dev.type
        """,
    ),
    "rocm-build": (
        """
        import torch
        def is_rocm():
            return torch.version.hip is not None and torch.cuda.is_available()
        """,
        """
        import torch
        def is_rocm():
            return torch.version.git is not None and torch.cuda.is_available()
        """,
    ),
    "table-with-cpu": (
        """
        import torch
        ACTIVITIES = {"cpu": torch.profiler.ProfilerActivity.CPU, "cuda": torch.profiler.ProfilerActivity.CUDA}
        """,
        """
        import torch
        ACTIVITIES = {"host": torch.profiler.ProfilerActivity.CPU, "gpu": torch.profiler.ProfilerActivity.CUDA}
        """,
    ),
    "helper-predicate-definition": (
        """
        import torch
        def is_cuda_available():
            return torch.cuda.is_available()
        """,
        """
        import torch
        def gpu_count():
            return torch.cuda.is_available()
        """,
    ),
    "else-holding-an-if-is-still-the-default-rung": (
        """
        import torch
        if is_npu_available():
            scaler = torch.npu.amp.GradScaler()
        else:
            if is_torch_version(">=", "2.3"):
                scaler = torch.amp.GradScaler("cuda")
            else:
                scaler = torch.cuda.amp.GradScaler()
        """,
        """
        import torch
        if is_npu_available():
            scaler = torch.npu.amp.GradScaler()
        elif is_torch_version(">=", "2.3"):
            scaler = torch.amp.GradScaler("cuda")
        else:
            scaler = torch.cuda.amp.GradScaler()
        """,
    ),
    "version-gate-else": (
        """
        import torch
        from packaging import version
        if version.parse(torch.__version__) >= version.parse("2.4"):
            autocast = torch.amp.autocast
        else:
            autocast = torch.cuda.amp.autocast
        """,
        """
        import torch
        autocast = torch.cuda.amp.autocast
        """,
    ),
    "hasattr-gate-else": (
        """
        import torch
        if hasattr(torch, "accelerator"):
            n = torch.accelerator.device_count()
        else:
            n = torch.cuda.device_count()
        """,
        """
        import torch
        if hasattr(torch, "accelerator"):
            pass
        n = torch.cuda.device_count()
        """,
    ),
}


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_portable_code_is_not_reported(case: str, target: str) -> None:
    portable, _ = CASES[case]
    assert found(textwrap.dedent(portable), target) == []


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_the_same_code_without_its_non_cuda_path_is_reported(case: str, target: str) -> None:
    _, cuda_only = CASES[case]
    assert found(textwrap.dedent(cuda_only), target) != []


@pytest.mark.parametrize("target", TARGETS)
def test_case_3_fallback_for_old_torch_is_kept(target: str) -> None:
    code = textwrap.dedent("""
        import functools
        import torch
        try:                                     # 3 fallback for old torch: keep it as it is
            custom_fwd = functools.partial(torch.amp.custom_fwd, device_type="cuda")
        except AttributeError:
            custom_fwd = torch.cuda.amp.custom_fwd
        """)
    findings = lint(code, target)
    # the except branch runs only where torch.amp.custom_fwd is missing: nothing there
    assert [f for f in findings if f.line == 7] == []
    # the try body is the code that runs on current torch: custom_fwd(device_type="cuda")
    # follows the CUDA autocast state only, so under torch.autocast("npu") cast_inputs is
    # not applied (silently different numerics off CUDA). Policy: reported (issue 8, case 3).
    assert [(f.code, f.line) for f in findings] == [("PRT402", 5)]
    # the fallback keeps its old API after fixing (no "fix" to the API its gate excludes)
    fixed = fix_text(code, linter_for(target), unsafe=True).text
    assert "custom_fwd = torch.cuda.amp.custom_fwd" in fixed
    # without the try, the same line is reported
    assert [f.code for f in lint("import torch\ncustom_fwd = torch.cuda.amp.custom_fwd\n", target)] == ["PRT303"]


@pytest.mark.parametrize("target", TARGETS)
def test_case_6_assigning_own_attribute_is_not_a_tensor_read(target: str) -> None:
    code = 'class A:\n    def __init__(self, device):\n        self.is_cuda = device.type == "cuda"\n'
    assert "PRT405" not in [f.code for f in lint(code, target)]
    assert "PRT405" in [f.code for f in lint("on_gpu = self.weight.is_cuda\n", target)]
    outcome = fix_text(code, linter_for(target), unsafe=True)
    assert outcome.error is None
    ast.parse(outcome.text)  # never "cannot assign to comparison"
    assert "self.is_cuda = " in outcome.text


@pytest.mark.parametrize("target", TARGETS)
def test_case_1_ladder_is_not_rewritten(target: str) -> None:
    code = textwrap.dedent(CASES["1-ladder"][0])
    assert fix_text(code, linter_for(target), unsafe=True).text == code


@pytest.mark.parametrize("target", TARGETS)
def test_ladder_rung_is_never_rewritten_on_its_own(target: str) -> None:
    """A guard protecting CUDA code that keeps no code fix loses its own code fix."""
    code = "import torch\nok = torch.cuda.is_available() and torch.cuda.get_device_capability()[0] >= 8\n"
    guard = [f for f in lint(code, target) if f.code == "PRT102"]
    assert guard and guard[0].fix is not None and guard[0].fix.replacement is None
    fixed = fix_text(code, linter_for(target), unsafe=True).text
    assert "torch.cuda.is_available() and torch.cuda.get_device_capability()" in fixed
    # alone, the same call keeps its fix
    alone = [f for f in lint("import torch\nok = torch.cuda.is_available()\n", target) if f.code == "PRT102"]
    assert alone[0].fix is not None and alone[0].fix.replacement is not None


def test_guard_fix_is_no_more_applicable_than_what_it_guards() -> None:
    code = "import torch\nif torch.cuda.is_available():\n    torch.cuda.manual_seed_all(0)\n"
    by_code = {f.code: f for f in lint(code, "agnostic")}
    assert by_code["PRT106"].fix.applicability == "unsafe"
    assert by_code["PRT102"].fix.applicability == "unsafe"  # safe alone, unsafe as a guard
    safe_only = fix_text(code, linter_for("agnostic"), unsafe=False).text
    assert safe_only == code  # never only the guard
    both = fix_text(code, linter_for("agnostic"), unsafe=True).text
    assert "torch.cuda" not in both


@pytest.mark.parametrize("target", TARGETS)
def test_several_device_types_are_never_replaced_by_the_device_variable(target: str) -> None:
    code = 'DEVICES = ["cuda", "xpu", "hpu"]\nif device in ("cuda", "npu"):\n    pass\n'
    assert lint(code, target) == []
    assert fix_text(code, linter_for(target), unsafe=True).text == code


@pytest.mark.parametrize("target", TARGETS)
def test_float64_data_still_reported_comparisons_never_rewritten(target: str) -> None:
    code = ("import torch\nif t.dtype == torch.float64:\n    t = t.to(torch.float64)\n"
            "SIZES = {torch.float64: 8}\nok = x.dtype in [torch.float32, torch.double]\n")
    assert [(f.code, f.line) for f in lint(code, target)] == [("PRT001", 3)]
    fixed = fix_text(code, linter_for(target), unsafe=True).text
    assert "if t.dtype == torch.float64:" in fixed and "{torch.float64: 8}" in fixed


def test_opt_in_fast_path_code_lists_cuda_only_branches_for_npu() -> None:
    code = textwrap.dedent(CASES["2-fast-path"][0])
    assert found(code, "npu") == []  # off by default, also with ALL
    assert found(code, "npu", extend_select=("PRT0",)) == []  # a prefix does not enable it
    assert found(code, "npu", extend_select=("PRT005",)) == [("PRT005", 3)]
    assert found(code, "agnostic", extend_select=("PRT005",)) == []  # an npu-target rule
    # a branch with no CUDA-specific code in it is not a fast path
    plain = 'if x.device.type == "cuda":\n    y = 1\n'
    assert "PRT005" not in [c for c, _ in found(plain, "npu", extend_select=("PRT005",))]


def test_guards_setting_adds_helper_predicates(tmp_path) -> None:
    from portlint.config import load_settings
    from portlint.engine import Linter
    from conftest import shipped_ruleset

    code = "import torch\nif torch.npu.is_available():\n    pass\nif have_gpu():\n    torch.cuda.synchronize()\n"
    assert [f.code for f in lint(code, "agnostic")] == ["PRT103"]
    config = tmp_path / "portlint.toml"
    config.write_text('guards = ["have_gpu"]\n')
    settings = load_settings(config)
    assert settings.guards == ("have_gpu",)
    assert Linter(settings, shipped_ruleset()).check_text(code).findings == []


def test_guards_setting_rejects_non_names(tmp_path) -> None:
    from portlint.config import load_settings
    from portlint.errors import ConfigError

    config = tmp_path / "portlint.toml"
    config.write_text('guards = ["not a name"]\n')
    with pytest.raises(ConfigError, match="guards"):
        load_settings(config)


@pytest.mark.parametrize(("test", "kind", "negated"), [
    ("torch.cuda.is_available()", "cuda", False),
    ("not torch.cuda.is_available()", "cuda", True),
    ("torch.accelerator.is_available()", "accelerator", False),
    ("x.is_cuda", "cuda", False),
    ('x.device.type == "cuda"', "cuda", False),
    ('device != "cuda:0"', "cuda", True),
    ('"cuda" in str(device)', "cuda", False),
    ('device.startswith("cuda")', "cuda", False),
    ("is_torch_cuda_available()", "cuda", False),
    ("torch.backends.mps.is_available()", "other", False),
    ("is_torch_npu_available()", "other", False),
    ('x.device.type in ("cuda", "xpu")', "several", False),
    ('version.parse(torch.__version__) >= version.parse("2.4")', "version", False),
    ('hasattr(torch, "accelerator")', "version", False),
    ("torch.cuda.is_available() and use_amp", "cuda", False),
    ("check_cuda_p2p_ib_support()", "cuda-specific", False),
    ("not check_cuda_p2p_ib_support()", "cuda-specific", True),
    ('os.environ.get("PJRT_DEVICE", "") == "TPU"', "other", False),
    ('os.environ.get("HIP_VISIBLE_DEVICES") is not None', "other", False),
    ('os.environ.get("TPU_NAME") is None', "other", True),
    ('os.getenv("TPU_NAME") is not None or os.environ.get("PJRT_DEVICE") == "TPU"', "other", False),
])
def test_classify(test: str, kind: str, negated: bool) -> None:
    tree = ast.parse("import os\nimport torch\nfrom packaging import version\n" + test)
    from portlint.semantic import build_model

    model = build_model(tree)
    expression = tree.body[-1].value
    result = g.classify(expression, model.resolve)
    assert result is not None and (result[0].kind, result[1]) == (kind, negated)


@pytest.mark.parametrize("target", TARGETS)
def test_a_second_test_in_an_and_chain_is_not_under_the_first(target: str) -> None:
    """`device.type == "cuda" and torch.cuda.is_available()`: the availability check is a
    condition, not CUDA code in a fast path; the device comparison stays reported."""
    code = 'import torch\nif device.type == "cuda" and torch.cuda.is_available():\n    model.to(device)\n'
    assert [c for c, _ in found(code, target)] == ["PRT403", "PRT102"]
    assert found('import torch\nok = x.is_cuda and torch.cuda.get_device_capability()[0] >= 8\n', target) == []


def test_family_siblings_replace_the_cuda_word_in_its_case() -> None:
    assert "get_max_npu_memory" in g.family_siblings("get_max_cuda_memory")
    assert "to_NPU" in g.family_siblings("to_CUDA")
    assert g.family_siblings("_gpu_gather") == []  # accelerate: beside _tpu_gather, every non-XLA device's path
    assert g.family_siblings("get_max_cuda_memory", g.NPU_FAMILY_WORDS) == ["get_max_npu_memory", "get_max_ascend_memory"]
    assert "init_hccl" in g.family_siblings("init_nccl")
    assert g.family_siblings("cudagraph_step") == []  # a word, not a part of one
    assert g.family_siblings("collect_results_cpu") == []


@pytest.mark.parametrize("target", TARGETS)
def test_cuda_and_cpu_rung_of_a_ladder_with_an_npu_rung(target: str) -> None:
    """`if device in ["cpu", "cuda"]: ... elif device == "npu": ...` (InternLM/xtuner's
    rms_norm): the ladder already has its NPU rung. The list is not reported, and never
    rewritten: "npu" there would shadow that rung and send CUDA to the `else`."""
    ladder = textwrap.dedent("""\
        def pick(device):
            if device in ["cpu", "cuda"]:
                return native
            elif device == "npu":
                return npu_kernel
            else:
                raise NotImplementedError(device)
        """)
    assert "PRT403" not in [f.code for f in lint(ladder, target)]
    assert fix_text(ladder, linter_for(target), unsafe=True).text == ladder
    later = ladder.replace('if device in ["cpu", "cuda"]', 'if device == "npu"', 1).replace(
        'elif device == "npu"', 'elif device in ("cpu", "cuda")', 1)
    assert "PRT403" not in [f.code for f in lint(later, target)]
    # without a rung for another backend, NPU reaches the `raise`: reported
    alone = ladder.replace('    elif device == "npu":\n        return npu_kernel\n', "")
    assert [f.line for f in lint(alone, target) if f.code == "PRT403"] == [2]


@pytest.mark.parametrize("target", TARGETS)
def test_a_cuda_precondition_is_reported_but_never_rewritten(target: str) -> None:
    """`if not q.is_cuda or not k.is_cuda: raise ...` declares a CUDA kernel's entry
    (InternLM/xtuner's TileLang indexer): `is_npu` there would let NPU tensors into it."""
    code = textwrap.dedent("""\
        def indexer(q, k):
            if not q.is_cuda or not k.is_cuda:
                raise RuntimeError("requires CUDA tensors")
            return cuda_kernel(q, k)
        """)
    found = [f for f in lint(code, target) if f.code == "PRT405"]
    assert len(found) == 2 and all(f.fix is not None and f.fix.applicability == "manual" for f in found)
    assert fix_text(code, linter_for(target), unsafe=True).text == code
    single = code.replace("not q.is_cuda or not k.is_cuda", 'q.device.type != "cuda"')
    assert all(f.fix is None or f.fix.applicability == "manual" for f in lint(single, target))
    assert fix_text(single, linter_for(target), unsafe=True).text == single
    # not a precondition (the branch moves the data): the check keeps its rewrite
    moves = code.replace('raise RuntimeError("requires CUDA tensors")', "q, k = q.cuda(), k.cuda()")
    assert fix_text(moves, linter_for(target), unsafe=True).text != moves
