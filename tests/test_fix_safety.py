"""What "safe" means (README "Fix safety"), checked on every fix template and on the
minimal cases of real code that broke machines other than CUDA ones.

A fix that calls ``torch.get_device_module(...).X`` or ``torch.accelerator.X`` is safe only
if every backend has ``X`` at the project's min-torch (portlint/data/backend_api.json,
generated from torch by scripts/generate_backend_api.py).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, lint, linter_for, shipped_ruleset
from portlint.fixer import fix_text
from portlint.config import DEFAULT_MIN_TORCH
from portlint.index import _choose_fix
from portlint.rules import load_rulesets
from portlint.portability import fill_template, missing_on, unportable_uses
from portlint.versions import parse_version

RULES = shipped_ruleset().rules


@pytest.mark.parametrize("min_torch", [DEFAULT_MIN_TORCH, "2.9"])
def test_every_safe_fix_template_uses_only_names_every_backend_has(min_torch: str) -> None:
    """Walk every fix every rule can choose (per matcher and target) at ``min_torch``."""
    version = parse_version(min_torch)
    safe = 0
    problems = []
    for rule in RULES:
        for matcher in rule.matchers:
            for target in rule.targets:
                plan = _choose_fix(matcher, target, version)
                if plan.fix is None or plan.fix.replacement is None or plan.fix.applicability != "safe":
                    continue
                safe += 1
                code = fill_template(plan.fix.replacement, matcher.name)
                problems += [f"{rule.code} {target} {matcher.name or matcher.kind}: {problem}"
                             for problem in unportable_uses(code, version)]
    assert safe > 100
    assert not problems, "safe fixes that fail on some backend:\n" + "\n".join(sorted(set(problems)))


def test_a_safe_fix_calling_what_a_backend_lacks_is_unsafe(tmp_path: Path) -> None:
    """Also for a team's own ruleset that claims "safe"."""
    path = tmp_path / "team.toml"
    path.write_text(TEAM_RULESET)
    ruleset = load_rulesets([path])
    matchers = {m.name: m for m in ruleset.rules[0].matchers}
    version = parse_version("2.6")
    unportable = _choose_fix(matchers["acme.gpu.stats"], "agnostic", version).fix
    assert unportable.applicability == "unsafe"
    assert "torch.mps" in unportable.hint
    portable = _choose_fix(matchers["acme.gpu.sync"], "agnostic", version).fix
    assert portable.applicability == "safe"
    assert _choose_fix(matchers["acme.gpu.cache"], "agnostic", version).fix.applicability == "safe"


TEAM_RULESET = """
[[rule]]
code = "ACM001"
name = "acme"
family = "team"
summary = "s"
message = "m"
rationale = "r"
flagged = ["import acme.gpu\\nacme.gpu.sync()"]
[[rule.symbol]]
name = "acme.gpu.stats"
agnostic = "torch.get_device_module().memory_allocated"
[[rule.symbol]]
name = "acme.gpu.sync"
agnostic = "torch.get_device_module(DEVICE).synchronize"
[[rule.symbol]]
name = "acme.gpu.cache"
agnostic = { replace = "(torch.get_device_module().empty_cache() if torch.accelerator.is_available() else None)", span = "call" }
"""


def test_the_table_knows_the_backends() -> None:
    assert missing_on("synchronize") == []
    assert missing_on("memory_reserved") == ["torch.mps", "torch.cpu"]
    assert "torch.mps" in missing_on("get_device_properties")
    assert "torch.mps" in missing_on("is_bf16_supported")


def test_unportable_uses_reads_templates() -> None:
    version = parse_version("2.6")
    assert unportable_uses("torch.get_device_module(DEVICE).synchronize()", version) == []
    assert unportable_uses("(torch.get_device_module().memory_reserved() if c else 0)", version) == [
        "torch.get_device_module().memory_reserved: not in torch.mps, torch.cpu"]
    assert unportable_uses("torch.accelerator.memory_allocated()", version) == [
        "torch.accelerator.memory_allocated: needs torch >= 2.9"]
    assert unportable_uses("torch.accelerator.memory_allocated()", parse_version("2.9")) == []
    assert unportable_uses("torch.accelerator.no_such_thing()", parse_version("2.13")) == [
        "torch.accelerator.no_such_thing: no such name"]


def test_the_backend_table_is_what_the_generator_makes(reference_dir: Path) -> None:
    pytest.importorskip("torch")
    result = subprocess.run([sys.executable, str(REPO / "scripts" / "generate_backend_api.py"), "--check",
                             "--reference", str(reference_dir)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# --------------------------------------------------------------------------- minimal cases


def _fix(code: str, target: str = "agnostic", min_torch: str = DEFAULT_MIN_TORCH, unsafe: bool = False) -> str:
    outcome = fix_text(code, linter_for(target, min_torch), "example.py", unsafe=unsafe)
    assert outcome.error is None, outcome.error
    return outcome.text


def _fix_of(code: str, rule: str, target: str = "agnostic", min_torch: str = DEFAULT_MIN_TORCH):
    found = [f for f in lint(code, target, min_torch) if f.code == rule]
    assert len(found) == 1, found
    return found[0].fix


def test_bf16_check_is_not_a_safe_fix() -> None:
    """torch.mps has no is_bf16_supported: the rewrite would raise on every Mac."""
    code = "import torch\nbf16 = torch.cuda.is_bf16_supported()\n"
    fix = _fix_of(code, "PRT108")
    assert fix.applicability == "unsafe" and "torch.mps" in fix.hint
    assert _fix(code) == code


@pytest.mark.parametrize("name", ["memory_reserved", "memory_allocated", "max_memory_allocated",
                                  "get_device_properties", "ipc_collect"])
def test_calls_mps_lacks_are_never_safe_before_torch_accelerator_has_them(name: str) -> None:
    code = f"import torch\nvalue = torch.cuda.{name}()\n"
    assert _fix(code) == code


def test_guarded_memory_read_is_left_alone_by_safe_fixes_at_the_default_min_torch() -> None:
    code = "import torch\nmem = torch.cuda.memory_reserved() / 1e9 if torch.cuda.is_available() else 0\n"
    assert _fix_of(code, "PRT102").applicability == "unsafe"  # it guards an unsafe fix
    assert _fix(code) == code


def test_a_check_is_not_rewritten_while_the_cuda_call_it_guards_stays() -> None:
    code = "import torch\nok = torch.cuda.is_available() and torch.cuda.get_device_capability()[0] >= 8\n"
    fix = _fix_of(code, "PRT102")
    assert fix.replacement is None and "together with the CUDA code it guards" in fix.hint
    assert _fix(code, unsafe=True) == code
    npu = _fix_of(code, "PRT102", "npu")
    assert npu.replacement is None


@pytest.mark.parametrize("code", [
    "import torch\nif torch.cuda.is_available():\n    props = torch.cuda.get_device_capability()\n",
    "import torch\ncap = torch.cuda.get_device_capability() if torch.cuda.is_available() else None\n",
    "import torch\nif not torch.cuda.is_available():\n    raise SystemExit('needs a GPU')\ncap = torch.cuda.get_device_capability()\n",
    "import torch, sys\nif not torch.cuda.is_available():\n    sys.exit(1)\ncap = torch.cuda.get_device_capability()\n",
])
def test_every_kind_of_guard_protects_what_it_guards(code: str) -> None:
    assert _fix_of(code, "PRT102").replacement is None
    assert _fix(code, unsafe=True) == code


def test_a_check_whose_guarded_code_is_portable_is_rewritten() -> None:
    code = "import torch\nif torch.cuda.is_available():\n    torch.cuda.synchronize()\n"
    assert _fix_of(code, "PRT102").applicability == "safe"
    assert "torch.accelerator.is_available()" in _fix(code)
    code = "import torch\nif not torch.cuda.is_available():\n    print('no gpu')\nx = torch.cuda.get_device_capability()\n"
    # the if guards no CUDA code (it does not exit): on a Mac the original printed, the
    # rewritten check would not; a value that changes its answer off CUDA is an unsafe fix
    assert _fix_of(code, "PRT102").applicability == "unsafe"


@pytest.mark.parametrize("code", [
    'import torch\nopt_half = torch.cuda.is_available() and device != "cpu"\n',  # yolov5 val.py
    'import torch\nreq = f"tensorflow{\'\' if torch.cuda.is_available() else \'-cpu\'}"\n',  # yolov5 export.py
    "import torch\nclass O: pass\nopt = O()\nopt.half = torch.cuda.is_available()\n",
])
def test_the_availability_check_used_as_a_value_is_an_unsafe_fix(code: str) -> None:
    """On an MPS/XPU/NPU machine the original read False and worked (FP32, the CPU wheel of a
    dependency); the rewritten check reads True there: not the same, so not safe (issue 10)."""
    assert _fix_of(code, "PRT102").applicability == "unsafe"
    assert _fix(code) == code  # `portlint fix` (safe fixes only) leaves it


def test_a_device_choice_for_fork_rng_is_fixed_with_its_device_type() -> None:
    """huggingface/peft psoft: `[w.device] if w.device.type == "cuda" else []` feeds
    `torch.random.fork_rng(devices=...)`, whose device_type is "cuda" before torch 2.13. The
    npu fix of the comparison alone would hand an NPU device to CUDA's get_rng_state (it ran
    before: it forked the CPU only); the safe fixes together pass device_type="npu"."""
    code = ("import torch\n"
            "def init(w, seed):\n"
            "    devices = [w.device] if w.device.type == \"cuda\" else []\n"
            "    with torch.random.fork_rng(devices=devices):\n"
            "        torch.manual_seed(seed)\n")
    fixed = _fix(code, "npu")
    assert 'w.device.type == "npu"' in fixed
    assert 'torch.random.fork_rng(devices=devices, device_type="npu")' in fixed
    assert _fix_of(code, "PRT116", "npu").applicability == "safe"
    assert _fix_of(code, "PRT116").replacement is None  # agnostic: advice (torch.cpu has no get_rng_state)
    assert [f.code for f in lint(code, "npu", "2.13")] == ["PRT403"]  # torch 2.13 forks the current accelerator


@pytest.mark.parametrize("path", ["configs/_base_/default_runtime.py", "tests/data/config/lazy/runtime.py"])
def test_a_lazy_import_config_gets_no_code_that_runs_at_import(path: str) -> None:
    """mmengine tests/data/config/lazy_module_config/_base_/default_runtime.py: a lazy-import
    config cannot call what it imports (LazyAttr.__call__ raises): the agnostic backend fix
    (a call of torch and a DEVICE variable) is advice there; the same lines in a module that
    is not such a config are still rewritten."""
    code = ("from mmengine.hooks import LoggerHook\n\n"
            "default_hooks = dict(logger=dict(type=LoggerHook))\nenv_cfg = dict(dist_cfg=dict(backend='nccl'))\n")
    linter = linter_for("agnostic", DEFAULT_MIN_TORCH)
    assert fix_text(code, linter, path, unsafe=True).text == code
    assert "get_default_backend_for_device" in fix_text(code, linter, "mmengine/runner/defaults.py", unsafe=True).text
    script = code + "print(env_cfg)\n"  # a script, not a config
    assert "get_default_backend_for_device" in fix_text(script, linter, path, unsafe=True).text
    called = code.replace("type=LoggerHook", "hook=LoggerHook()")  # it calls what it imports: not lazy
    assert "get_default_backend_for_device" in fix_text(called, linter, path, unsafe=True).text
    plain = code.replace("from mmengine.hooks import LoggerHook", "").replace("type=LoggerHook", "type='LoggerHook'")
    assert "get_default_backend_for_device" in fix_text(plain, linter, path, unsafe=True).text  # an old-style config
    npu = fix_text(code, linter_for("npu", DEFAULT_MIN_TORCH), path, unsafe=True).text
    assert "backend='hccl'" in npu


def test_a_timestamp_keeps_float64() -> None:
    """mmengine _strategy/base.py and runner/runner.py: `torch.tensor(time.time(),
    dtype=torch.float64)` is broadcast and names the run's directory; float32 rounds a Unix
    time to 128 s, so two runs two minutes apart would share a directory. The npu float32
    fix is advice there; other float64 data still gets it."""
    code = ("import time\nimport torch\nstamp = torch.tensor(time.time(), dtype=torch.float64)\n"
            "other = torch.tensor(3.0, dtype=torch.float64)\n")
    fixed = _fix(code, "npu", unsafe=True)
    assert "torch.tensor(time.time(), dtype=torch.float64)" in fixed
    assert "torch.tensor(3.0, dtype=torch.float32)" in fixed
    assert "float32 rounds a Unix time" in _fix_of(code.split("other")[0], "PRT001", "npu").hint


@pytest.mark.parametrize("target", ["agnostic", "npu"])
@pytest.mark.parametrize(("test", "library"), [
    ('def test_flag(connector):\n    with pytest.raises(ValueError, match="CUDAAccelerator"):\n'
     '        connector.select(torch.cuda.device_count())\n',
     'def select(connector):\n    with open("x"):\n        connector.select(torch.cuda.device_count())\n'),
    ('def test_flag(self, connector):\n    with self.assertRaisesRegex(ValueError, "cuda"):\n'
     '        connector.select(torch.cuda.device_count())\n',
     'def select(connector):\n    with connector.lock():\n        connector.select(torch.cuda.device_count())\n'),
    ('def test_flag(connector):\n    assert connector.devices == torch.cuda.device_count()\n',
     'def check(connector):\n    assert connector.devices == torch.cuda.device_count()\n'),
    ('@pytest.mark.parametrize("n", [torch.cuda.device_count()])\ndef test_flag(connector, n):\n'
     '    connector.select(n)\n',
     '@functools.lru_cache(maxsize=torch.cuda.device_count())\ndef select(connector, n):\n'
     '    connector.select(n)\n'),
])
def test_a_rewrite_of_what_a_test_expects_is_never_safe(target: str, test: str, library: str) -> None:
    """Lightning: `with pytest.raises(MisconfigurationException, match="CUDAAccelerator"):
    Trainer(accelerator="cuda")` and `assert connector._accelerator_flag == "cuda"` test the
    code under test, which still says "cuda": the safe rewrite made those tests fail on every
    machine. In code a test expects to fail, and in a test's assertions, fixes are at most
    unsafe; the same lines elsewhere keep their applicability."""
    header = "import pytest\nimport torch\n"
    expected = [f.fix.applicability for f in lint(header + library, target) if f.fix is not None]
    assert expected and "safe" in expected  # the twin outside a test gets a safe fix ...
    found = [f.fix.applicability for f in lint(header + test, target) if f.fix is not None]
    assert found and "safe" not in found  # ... which the test's expectation does not
