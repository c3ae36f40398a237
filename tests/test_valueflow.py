"""Devices that reach their use through variables (portlint/valueflow.py), integer
devices, and distributed code on a machine without an accelerator: the snippets of
issue 9, each flagged and fixed for both targets; with a CPU-only torch installed the
agnostic fixes are also run.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap

import pytest

from conftest import REPO, lint, linter_for
from portlint import fixer


# PRT406 (integer devices) is fixed on the NPU from torch 2.5.1 on (``fixed_in``): the
# snippets follow integer devices for the npu target of a project that supports torch 2.5.
MIN_TORCH = {"agnostic": "2.6", "npu": "2.5"}


def _fix(code: str, target: str) -> str:
    result = fixer.fix_text(textwrap.dedent(code), linter_for(target, MIN_TORCH[target]), "example.py", unsafe=True)
    assert result.error is None, result.error
    return result.text


def _unwrapped(text: str) -> str:
    """``text`` with the statements a fix wrapped (black's style) joined again."""
    text = re.sub(r"\(\s*\n\s*", "(", text)
    text = re.sub(r",?\s*\n\s*\)", ")", text)
    return re.sub(r",\s*\n\s+", ", ", text)


# name: (program, {target: (codes flagged, a line of the fixed program)}). Each program is
# complete: on a CPU-only torch the agnostic fix must run it.
SNIPPETS: dict[str, tuple[str, dict[str, tuple[list[str], str]]]] = {
    "int-variable": (
        """
        import torch
        gpu_id = 0
        model = torch.nn.Linear(2, 2).to(gpu_id)
        x = torch.ones(1, 2).to(gpu_id)
        assert model(x).shape == (1, 2)
        """,
        {"agnostic": (["PRT406", "PRT406"], "model = torch.nn.Linear(2, 2).to(torch.device(DEVICE, gpu_id))"),
         "npu": (["PRT406", "PRT406"], 'model = torch.nn.Linear(2, 2).to(torch.device("npu", gpu_id))')},
    ),
    "ddp-variable-index": (
        """
        import os, socket
        import torch
        import torch.distributed as dist
        from torch.nn.parallel import DistributedDataParallel as DDP
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        dist.init_process_group("nccl", init_method=f"tcp://127.0.0.1:{port}", rank=0, world_size=1)
        gpu_id = int(os.environ.get("LOCAL_RANK", "0"))
        model = torch.nn.Linear(2, 2).to(gpu_id)
        model = DDP(model, device_ids=[gpu_id], output_device=gpu_id)
        model(torch.ones(1, 2).to(gpu_id)).sum().backward()
        dist.destroy_process_group()
        """,
        {"agnostic": (["PRT601", "PRT406", "PRT608", "PRT608", "PRT406"],
                      'model = DDP(model, device_ids=[gpu_id] if DEVICE != "cpu" else None, '
                      'output_device=gpu_id if DEVICE != "cpu" else None)'),
         "npu": (["PRT601", "PRT406", "PRT608", "PRT608", "PRT406"], 'dist.init_process_group("hccl"')},
    ),
    "cuda-index-argument": (
        """
        import torch
        local_rank = 0
        x = torch.ones(2).cuda(local_rank)
        y = torch.ones(2).cuda(device=local_rank)
        z = torch.ones(2).cuda(non_blocking=True)
        assert (x + y + z).sum().item() == 6
        """,
        {"agnostic": (["PRT404", "PRT404", "PRT404"], "y = torch.ones(2).to(torch.device(DEVICE, local_rank))"),
         "npu": (["PRT404", "PRT404", "PRT404"], "y = torch.ones(2).npu(device=local_rank)")},
    ),
    "fstring-map-location": (
        """
        import io
        import torch
        class Trainer:
            def __init__(self, gpu_id=0):
                self.gpu_id = gpu_id
            def load(self, handle):
                loc = f"cuda:{self.gpu_id}"
                return torch.load(handle, map_location=loc)
        buffer = io.BytesIO()
        torch.save({"w": torch.ones(2)}, buffer)
        buffer.seek(0)
        assert Trainer().load(buffer)["w"].sum().item() == 2
        """,
        {"agnostic": (["PRT401"], 'loc = (f"{DEVICE}:{self.gpu_id}" if DEVICE != "cpu" else DEVICE)'),
         "npu": (["PRT401"], 'loc = f"npu:{self.gpu_id}"')},
    ),
    "kwargs-get-default": (
        """
        import torch
        def build(**kwargs):
            device = kwargs.get("device", "cuda")
            return torch.nn.Linear(2, 2).to(device)
        assert build().weight.shape == (2, 2)
        """,
        {"agnostic": (["PRT401"], 'device = kwargs.get("device", DEVICE)'),
         "npu": (["PRT401"], 'device = kwargs.get("device", "npu")')},
    ),
    "getattr-default": (
        """
        import argparse
        import torch
        args = argparse.Namespace()
        device = getattr(args, "device", "cuda")
        x = torch.zeros(2, device=device)
        assert x.sum().item() == 0
        """,
        {"agnostic": (["PRT401"], 'device = getattr(args, "device", DEVICE)'),
         "npu": (["PRT401"], 'device = getattr(args, "device", "npu")')},
    ),
    "dict-get-unnamed": (
        """
        import torch
        config = {}
        where = config.get("device", "cuda:0")
        x = torch.zeros(2, device=where)
        assert x.sum().item() == 0
        """,
        {"agnostic": (["PRT401"], 'where = config.get("device", DEVICE)'),
         "npu": (["PRT401"], 'where = config.get("device", "npu:0")')},
    ),
    "keyword-torch-device": (
        """
        import torch
        dev = torch.device(type="cuda", index=0)
        assert torch.zeros(2, device=dev).sum().item() == 0
        """,
        {"agnostic": (["PRT401"], "dev = torch.device(type=DEVICE, index=0)"),
         "npu": (["PRT401"], 'dev = torch.device(type="npu", index=0)')},
    ),
    "device-count-world-size": (
        """
        import torch
        import torch.multiprocessing as mp
        def main(rank, world):
            pass
        if __name__ == "__main__":
            world = torch.cuda.device_count()
            mp.spawn(main, args=(world,), nprocs=world)
            assert world >= 1
        """,
        {"agnostic": (["PRT609"], "world = max(1, torch.accelerator.device_count())"),
         "npu": (["PRT609"], "world = max(1, torch.npu.device_count())")},
    ),
    "pin-memory": (
        """
        import torch
        device = "cuda"
        batch = torch.ones(2)
        batch = batch.pin_memory().to(device, non_blocking=True)
        assert batch.sum().item() == 2
        """,
        {"agnostic": (["PRT401", "PRT409"],
                      'batch = (batch.pin_memory() if device != "cpu" else batch).to(device, non_blocking=True)'),
         "npu": (["PRT401", "PRT409"], 'device = "npu"')},
    ),
    "int-device-keyword": (
        """
        import torch
        gpu = 0
        x = torch.zeros(2, device=gpu)
        y = torch.ones(2, device=1)
        assert (x + y).sum().item() == 2
        """,
        {"agnostic": (["PRT406", "PRT406"], "x = torch.zeros(2, device=torch.device(DEVICE, gpu))"),
         "npu": (["PRT406", "PRT406"], 'x = torch.zeros(2, device=torch.device("npu", gpu))')},
    ),
    "int-torch-device": (
        """
        import torch
        rank = int("0")
        dev = torch.device(rank)
        assert torch.zeros(2, device=dev).sum().item() == 0
        """,
        {"agnostic": (["PRT406"], "dev = torch.device(DEVICE, rank)"),
         "npu": (["PRT406"], 'dev = torch.device("npu", rank)')},
    ),
    "argparse-defaults": (
        """
        import argparse
        import torch
        parser = argparse.ArgumentParser()
        parser.add_argument("--device", default="cuda")
        parser.add_argument("--gpu-id", type=int, default=0)
        args = parser.parse_args([])
        model = torch.nn.Linear(2, 2).to(args.device)
        x = torch.ones(1, 2).to(args.gpu_id)
        assert model(x.to(args.device)).shape == (1, 2)
        """,
        {"agnostic": (["PRT401", "PRT406"], "model = torch.nn.Linear(2, 2).to(args.device)"),
         "npu": (["PRT401", "PRT406"], 'parser.add_argument("--device", default="npu")')},
    ),
    "dataclass-config": (
        """
        from dataclasses import dataclass
        import torch
        @dataclass
        class TrainConfig:
            device: str = "cuda"
            gpu_id: int = 0
        cfg = TrainConfig()
        other = TrainConfig(device="cuda:0")
        x = torch.ones(2).to(cfg.device) + torch.ones(2).to(cfg.gpu_id)
        y = torch.ones(2).to(other.device)
        assert (x + y).sum().item() == 6
        """,
        {"agnostic": (["PRT401", "PRT406", "PRT401"],
                      'device: str = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"'),
         "npu": (["PRT401", "PRT406", "PRT401"], 'other = TrainConfig(device="npu:0")')},
    ),
}


@pytest.mark.parametrize("target", ["agnostic", "npu"])
@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_snippet_is_flagged_and_fixed(name: str, target: str) -> None:
    program, expected = SNIPPETS[name]
    codes, fixed_line = expected[target]
    found = sorted(f.code for f in lint(program, target, MIN_TORCH[target]))
    assert found == sorted(codes)
    fixed = _fix(program, target)
    assert fixed_line in fixed, fixed
    compile(fixed, "fixed.py", "exec")
    assert _fix(fixed, target) == fixed  # fixing again changes nothing


def test_value_flow_reports_at_the_definition_naming_the_use() -> None:
    findings = lint("""
        import torch
        loc = "cuda:1"
        state = torch.load("x.pt", map_location=loc)
        again = torch.load("y.pt", map_location=loc)
    """)
    assert [(f.code, f.line) for f in findings] == [("PRT401", 3)]  # once, at the definition
    assert "used as a device on line 4" in findings[0].message


@pytest.mark.parametrize("code", [
    # a name bound twice has no single value
    "import torch\nd = 'cuda'\nd = 'cpu'\nx = torch.zeros(2, device=d)\n",
    # a parameter without a known int type is not an index
    "def move(x, gpu):\n    return x.to(gpu)\n",
    # a loop variable
    "import torch\nfor d in ['cuda', 'cpu']:\n    x = torch.zeros(2, device=d)\n",
    # only used in a comparison: no device use
    "label = 'cuda'\nif kind == label:\n    pass\n",
    # another object's attribute
    "import torch\nx = torch.zeros(2, device=other.device)\n",
    # process count from anything but device_count
    "import torch.multiprocessing as mp\nn = 2\nmp.spawn(f, nprocs=n)\n",
    # pinned only on an accelerator
    "y = x.pin_memory() if device != 'cpu' else x\n",
    # a pinning DataLoader only warns on a CPU-only torch (decided: not flagged, see PRT409)
    "from torch.utils.data import DataLoader\nfor b in DataLoader(ds, pin_memory=True):\n"
    "    b = b.to(device, non_blocking=True)\n",
])
def test_value_flow_stays_quiet(code: str) -> None:
    assert [f.code for f in lint(code) if f.code in {"PRT401", "PRT406", "PRT609", "PRT409"}] == []


def test_self_attribute_flows_from_init_parameter_annotation() -> None:
    findings = lint("""
        class Trainer:
            def __init__(self, model, gpu_id: int):
                self.gpu_id = gpu_id
                self.model = model.to(self.gpu_id)
            def step(self, x):
                return self.model(x.to(self.gpu_id))
    """)
    assert [(f.code, f.line) for f in findings] == [("PRT406", 5), ("PRT406", 7)]


def test_fixed_snippets_run_on_cpu_only_torch(tmp_path) -> None:
    torch = pytest.importorskip("torch")
    if not hasattr(torch, "accelerator") or torch.accelerator.is_available():
        pytest.skip("proves behaviour on a CPU-only torch >= 2.6")
    programs = {}
    for name, (program, _) in SNIPPETS.items():
        path = tmp_path / f"{name}.py"
        path.write_text(_fix(program, "agnostic"), encoding="utf-8")
        programs[name] = str(path)
    runner = REPO / "tests" / "runtime" / "forkrun.py"
    done = subprocess.run([sys.executable, str(runner), "--cwd", str(tmp_path), *programs.values()],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    failed = {name: results[path]["stderr"][-800:] for name, path in programs.items()
              if results[path]["returncode"] != 0}
    assert not failed, failed


def _fix_safe(code: str, target: str) -> str:
    result = fixer.fix_text(textwrap.dedent(code), linter_for(target), "example.py", unsafe=False)
    assert result.error is None, result.error
    return result.text


# A guard and the CUDA value it selects: never one rewritten without the other (the wrong
# fixes of issue 10: pytorch/examples language_translation, nanoGPT's device_type).
GUARDED_VALUES = {
    "availability-and-flag": (
        """
        import argparse
        import torch
        parser = argparse.ArgumentParser()
        parser.add_argument("--cuda", action="store_true")
        args = parser.parse_args(["--cuda"])
        device = "cuda" if args.cuda and torch.cuda.is_available() else "cpu"
        assert torch.zeros(2).to(device).sum().item() == 0
        """, "device = "),
    "feature-switch": (
        """
        import torch
        device = "cuda"
        device_type = "cuda" if "cuda" in device else "cpu"
        x = torch.zeros(2).to(device)
        """, "device_type = "),
    "startswith-switch": (
        """
        import torch
        device = "cuda:0"
        device_type = "cuda" if device.startswith("cuda") else "cpu"
        x = torch.zeros(2).to(device)
        """, "device_type = "),
    "statement-if": (
        """
        import torch
        if torch.cuda.is_available() and True:
            device = "cuda"
        else:
            device = "cpu"
        print(device)
        """, None),
}


def _consistent(text: str, prefix: str | None) -> None:
    lines = [line for line in text.splitlines() if prefix is None or line.startswith(prefix)]
    body = "\n".join(lines)
    kept_test = "torch.cuda.is_available" in body or "in device" in body and '"cuda" in' in body \
        or 'startswith("cuda")' in body
    kept_value = '"cuda"' in body.split(" if ")[0] if prefix else 'device = "cuda"' in body
    rewritten_test = not kept_test
    rewritten_value = not kept_value
    assert rewritten_test <= rewritten_value, text  # a rewritten guard has its value rewritten too


@pytest.mark.parametrize("unsafe", [False, True])
@pytest.mark.parametrize("target", ["agnostic", "npu"])
@pytest.mark.parametrize("name", sorted(GUARDED_VALUES))
def test_guard_is_never_rewritten_without_its_value(name: str, target: str, unsafe: bool) -> None:
    program, prefix = GUARDED_VALUES[name]
    fixed = (_fix if unsafe else _fix_safe)(program, target)
    _consistent(fixed, prefix)
    assert any(f.code in {"PRT102", "PRT403", "PRT401"} for f in lint(program, target))


def test_language_translation_guard_fixed_consistently() -> None:
    program, _ = GUARDED_VALUES["availability-and-flag"]
    safe = _fix_safe(program, "agnostic")
    assert 'device = "cuda" if args.cuda and torch.cuda.is_available() else "cpu"' in safe
    unsafe = _fix(program, "agnostic")
    assert 'device = DEVICE if args.cuda and torch.accelerator.is_available() else "cpu"' in unsafe
    assert 'device = "npu" if args.cuda and torch.npu.is_available() else "cpu"' in _fix_safe(program, "npu")


# Item 5: one device variable per file.
def test_fixes_reuse_the_files_device_variable() -> None:
    fixed = _fix("""
        import torch
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        model = torch.nn.Linear(2, 2).cuda()
        scaler = torch.cuda.amp.GradScaler()
        def step(x):
            dev = "cuda" if torch.cuda.is_available() else "cpu"
            with torch.autocast("cuda"):
                return model(x.cuda()).to(dev)
        class Trainer:
            def __init__(self):
                self.device = "cuda"
            def go(self, x):
                return x.cuda()
        step(torch.ones(1, 2))
        Trainer().go(torch.ones(2))
    """, "agnostic")
    assert "DEVICE" not in fixed, fixed
    assert "model = torch.nn.Linear(2, 2).to(device)" in fixed  # a torch.device as it is
    assert "scaler = torch.amp.GradScaler(device.type)" in fixed  # its type where a type is wanted
    assert "with torch.autocast(dev):" in fixed and "x.to(dev)" in fixed  # the local one
    assert "return x.to(self.device)" in fixed  # self.device in the methods of its class
    compile(fixed, "fixed.py", "exec")


def test_reused_string_variable_and_module_order() -> None:
    fixed = _fix("""
        import torch
        x = torch.zeros(2).cuda()
        device = "cuda"
        y = torch.zeros(2).cuda()
    """, "agnostic")
    # before its definition the variable does not exist yet: the file gets DEVICE there
    assert "x = torch.zeros(2).to(DEVICE)" in fixed and "y = torch.zeros(2).to(device)" in fixed


def test_a_rebound_device_variable_is_not_reused() -> None:
    fixed = _fix("""
        import torch
        device = "cuda"
        if torch.distributed.is_initialized():
            device = "cuda:1"
        y = torch.zeros(2).cuda()
    """, "agnostic")
    assert "y = torch.zeros(2).to(DEVICE)" in fixed


def test_reuse_follows_the_variables_value() -> None:
    # `device = "cuda"` holds the device once fixed: reused, with the site's own applicability
    plain = {f.line: f.fix for f in lint("import torch\ndevice = 'cuda'\nx = torch.zeros(2).cuda()\n")}
    assert (plain[3].replacement, plain[3].applicability) == ("to(device)", "unsafe")
    # "cuda:1" does not (its fix keeps the index): a file-level DEVICE instead
    indexed = {f.line: f.fix for f in lint("import torch\ndevice = 'cuda:1'\nx = torch.zeros(2).cuda()\n")}
    assert indexed[3].replacement == "to(DEVICE)"


def test_harvested_globals_get_a_private_device_name() -> None:
    # nanoGPT: `config_keys = [k for k, v in globals().items() if not k.startswith('_') ...]`
    program = """
        import torch
        from torch.nn.parallel import DistributedDataParallel as DDP
        batch_size = 2
        device = 'cuda'
        if batch_size > 1:
            device = f'cuda:{0}'
        config_keys = [k for k, v in globals().items() if not k.startswith('_') and isinstance(v, (int, str))]
        config = {k: globals()[k] for k in config_keys}
        scaler = torch.cuda.amp.GradScaler(enabled=False)
        assert not any(key.upper().endswith("DEVICE") and key != "device" for key in config), config
    """
    for target in ("agnostic",):
        fixed = _fix(program, target)
        assert "_DEVICE = " in fixed and "\nDEVICE = " not in fixed, fixed
        pytest.importorskip("torch")  # the fixed program runs on CPU torch
        namespace: dict = {}
        exec(compile(fixed, "fixed.py", "exec"), namespace)  # runs on CPU torch: the assert holds


def test_device_is_defined_after_the_whole_import_block() -> None:
    fixed = _fix('''
        """Doc."""
        import os
        import sys
        sys.path.insert(0, os.path.dirname(__file__))
        import torch
        try:
            import apex
        except ImportError:
            apex = None
        from torch.nn.parallel import (
            DistributedDataParallel as DDP,
        )
        x = torch.zeros(2, device="cuda")
    ''', "agnostic")
    lines = fixed.splitlines()
    define = next(i for i, line in enumerate(lines) if line.startswith("DEVICE = "))
    last_import = max(i for i, line in enumerate(lines) if line.startswith((")", "import ", "from ", "except")))
    assert define > last_import, fixed


def test_hard_gpu_requirement_is_advice() -> None:
    for target in ("agnostic", "npu"):
        findings = lint("import torch\nassert torch.cuda.is_available(), 'needs a GPU'\n", target)
        required = [f for f in findings if f.code == "PRT115"]
        assert len(required) == 1 and (required[0].fix is None or required[0].fix.replacement is None)
    # still reported once the check itself is portable: the CPU is still refused
    assert [f.code for f in lint("import torch\nassert torch.accelerator.is_available()\n")] == ["PRT115"]


@pytest.mark.parametrize("code", [
    # an int keyword of a non-torch function is not a device
    "def f(device=0):\n    pass\nf(device=0)\n",
    # argparse option never used as a device
    "import argparse\nimport torch\np = argparse.ArgumentParser()\np.add_argument('--gpu', type=int, default=0)\n"
    "a = p.parse_args()\nx = torch.zeros(2).to(a.rank)\n",
    # a class built with positional arguments: its default is not its value
    "import torch\nclass C:\n    where = 'cuda'\nc = C('cpu')\nx = torch.zeros(2).to(c.where)\n",
])
def test_object_flow_stays_quiet(code: str) -> None:
    assert [f.code for f in lint(code) if f.code in {"PRT401", "PRT406"}] == []


def test_args_device_is_the_files_device_variable() -> None:
    fixed = _fix("""
        import argparse
        import torch
        parser = argparse.ArgumentParser()
        parser.add_argument("--device", default="cuda")
        args = parser.parse_args([])
        model = torch.nn.Linear(2, 2).cuda()
        def step(x):
            return model(x.cuda())
        assert step(torch.ones(1, 2)).shape == (1, 2)
    """, "agnostic")
    assert "DEVICE" not in fixed
    assert 'parser.add_argument("--device", default=torch.accelerator.current_accelerator().type if ' in _unwrapped(fixed)
    assert "model = torch.nn.Linear(2, 2).to(args.device)" in _unwrapped(fixed) and "model(x.to(args.device))" in _unwrapped(fixed)
    pytest.importorskip("torch")  # the fixed program runs on CPU torch
    exec(compile(fixed, "fixed.py", "exec"), {})
    # the user may pass another device than the one `.cuda()` used: at most unsafe
    findings = lint("import argparse\nimport torch\np = argparse.ArgumentParser()\n"
                    "p.add_argument('--device', default='cuda')\na = p.parse_args()\n"
                    "s = torch.cuda.amp.GradScaler()\n")
    scaler = [f for f in findings if f.line == 6 and f.fix is not None and f.fix.replacement
              and "a.device" in f.fix.replacement]
    assert all(f.fix.applicability != "safe" for f in scaler)


def test_device_object_variable_is_fixed_in_place_and_reused() -> None:
    # jia-zhuang single_gpu_train.py: `device = torch.device('cuda')` is the file's variable
    fixed = _fix("""
        import torch
        device = torch.device("cuda")
        model = torch.nn.Linear(2, 2).to(device)
        scaler = torch.cuda.amp.GradScaler()
        x = torch.zeros(2).cuda()
    """, "agnostic")
    assert "DEVICE" not in fixed
    assert 'device = torch.device(torch.accelerator.current_accelerator().type if ' in _unwrapped(fixed)
    assert "scaler = torch.amp.GradScaler(device.type)" in _unwrapped(fixed) and "x = torch.zeros(2).to(device)" in _unwrapped(fixed)


def test_npu_feature_switch_and_its_value_change_together() -> None:
    # nanoGPT: `device_type = 'cuda' if 'cuda' in device else 'cpu'` after `device = 'cuda'`
    program = """
        device = 'cuda'
        device_type = 'cuda' if 'cuda' in device else 'cpu'
    """
    assert "device_type = 'npu' if 'npu' in device else 'cpu'" in _fix_safe(program, "npu")
    # agnostic: advice only (a "not cpu" switch would turn CUDA-tuned features on for MPS/XPU)
    assert "device_type = 'cuda' if 'cuda' in device else 'cpu'" in _fix(program, "agnostic")


def test_args_received_as_a_parameter_follow_the_modules_parser() -> None:
    fixed = _fix("""
        import argparse
        import torch
        def train(args, model):
            model.to(args.device)
            return torch.ones(2).to(args.gpu)
        def main():
            parser = argparse.ArgumentParser()
            parser.add_argument("--device", default="cuda")
            parser.add_argument("--gpu", type=int, default=0)
            args = parser.parse_args([])
            assert train(args, torch.nn.Linear(2, 2)).sum().item() == 2
        main()
    """, "agnostic")
    assert 'parser.add_argument("--device", default=torch.accelerator.current_accelerator().type' in _unwrapped(fixed)
    assert "return torch.ones(2).to(torch.device(DEVICE, args.gpu))" in _unwrapped(fixed)
    pytest.importorskip("torch")  # the fixed program runs on CPU torch
    exec(compile(fixed, "fixed.py", "exec"), {})
