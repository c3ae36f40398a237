"""Backend (PRT5xx) and distributed (PRT6xx) rules: contexts, aliases and edge cases, with
exact codes and positions; plus the analyzer features they rely on (prefix members,
subscript contexts, argparse option defaults)."""

from __future__ import annotations

from conftest import lint


def hits(code: str, target: str = "agnostic", prefix: str = "PRT") -> list[tuple[str, int, int]]:
    """(code, line, column) of every finding whose code starts with ``prefix``."""
    return [(f.code, f.line, f.column) for f in lint(code, target) if f.code.startswith(prefix)]


# ---------------------------------------------------------------- backends


def test_cudnn_flag_assignment_is_flagged_as_a_store() -> None:
    source = "import torch\ntorch.backends.cudnn.benchmark = True\ntorch.backends.cudnn.deterministic = True\n"
    assert hits(source, prefix="PRT5") == [("PRT501", 2, 1), ("PRT502", 3, 1)]
    finding = lint(source)[0]
    assert (finding.end_line, finding.end_column) == (2, 31)
    assert finding.matched == "torch.backends.cudnn.benchmark"


def test_cudnn_through_module_alias_and_from_import() -> None:
    source = (
        "import torch.backends.cudnn as cudnn\n"
        "from torch.backends import cuda as bc\n"
        "cudnn.benchmark = True\n"
        "bc.matmul.allow_tf32 = True\n"
    )
    assert hits(source, prefix="PRT5") == [("PRT501", 3, 1), ("PRT503", 4, 1)]


def test_tf32_npu_replacement_targets_hf32() -> None:
    source = "import torch\ntorch.backends.cuda.matmul.allow_tf32 = True\ntorch.backends.cudnn.allow_tf32 = True\n"
    fixes = [f.fix.replacement for f in lint(source, "npu") if f.code == "PRT503"]
    assert fixes == ["torch.npu.matmul.allow_hf32", "torch.npu.conv.allow_hf32"]
    # the agnostic target only has advice: the flag is an assignment, not a call
    assert [f.fix.replacement for f in lint(source) if f.code == "PRT503"] == [None, None]


def test_prefix_catch_all_reports_the_member_below_the_prefix() -> None:
    source = "import torch\nx = torch.backends.cudnn.rnn.get_cudnn_mode('LSTM')\ntorch.backends.cuda.future_flag = 1\n"
    found = [(f.code, f.line, f.column, f.end_column, f.matched) for f in lint(source) if f.code.startswith("PRT5")]
    assert found == [
        ("PRT510", 2, 5, 29, "torch.backends.cudnn.rnn"),
        ("PRT511", 3, 1, 32, "torch.backends.cuda.future_flag"),
    ]


def test_specific_backend_names_win_over_the_catch_all() -> None:
    source = "import torch\nwith torch.backends.cuda.sdp_kernel(enable_flash=True):\n    pass\ntorch.backends.cuda.enable_flash_sdp(False)\n"
    assert hits(source, prefix="PRT5") == [("PRT505", 2, 6), ("PRT506", 4, 1)]


def test_is_built_replacement_depends_on_min_torch() -> None:
    source = "import torch\nok = torch.backends.cuda.is_built()\n"
    new = [f for f in lint(source, min_torch="2.6") if f.code == "PRT509"]
    assert new[0].fix.replacement == "torch.accelerator.is_available"
    old = [f for f in lint(source, min_torch="2.4") if f.code == "PRT509"]
    assert old[0].fix.replacement is None and "cuda.is_available" in old[0].fix.hint


def test_other_backends_and_lookalikes_are_clean() -> None:
    source = (
        "import torch\n"
        "torch.backends.mkldnn.enabled = True\n"
        "torch.backends.mps.is_available()\n"
        "cfg.backends.cudnn.benchmark = True\n"
        "torch.set_float32_matmul_precision('high')\n"
    )
    assert hits(source, prefix="PRT5") == []


# ---------------------------------------------------------------- nccl backend strings


def test_nccl_in_every_backend_position() -> None:
    source = (
        "import torch.distributed as dist\n"
        "dist.init_process_group('nccl')\n"
        "dist.init_process_group(backend=\"nccl\", rank=0)\n"
        "g = dist.new_group([0, 1], None, 'nccl')\n"
        "h = dist.new_group(ranks=[0], backend='nccl')\n"
        "b = dist.Backend('nccl')\n"
        "backend = 'nccl'\n"
        "def setup(dist_backend='nccl'):\n"
        "    pass\n"
        "cfg = {'backend': 'nccl'}\n"
    )
    assert hits(source, prefix="PRT6") == [
        ("PRT601", 2, 25), ("PRT601", 3, 33), ("PRT601", 4, 34), ("PRT601", 5, 39),
        ("PRT601", 6, 18), ("PRT601", 7, 11), ("PRT601", 8, 24), ("PRT601", 10, 19),
    ]


def test_nccl_npu_fix_substitutes_hccl_keeping_quotes() -> None:
    source = "import torch.distributed as dist\ndist.init_process_group(backend='nccl')\n"
    (finding,) = [f for f in lint(source, "npu") if f.code == "PRT601"]
    assert finding.fix.replacement == "'hccl'"


def test_nccl_agnostic_fix_needs_torch_2_6() -> None:
    source = "import torch.distributed as dist\ndist.init_process_group(backend='nccl')\n"
    (new,) = [f for f in lint(source, min_torch="2.6") if f.code == "PRT601"]
    assert new.fix.replacement.startswith("torch.distributed.get_default_backend_for_device(")
    (old,) = [f for f in lint(source, min_torch="2.5") if f.code == "PRT601"]
    assert old.fix.replacement is None and old.fix.hint


def test_composite_device_backend_string_anywhere() -> None:
    source = (
        "import torch.distributed as dist\n"
        "dist.init_process_group(backend='cuda:nccl,cpu:gloo')\n"
        "SPEC = \"cpu:gloo,cuda:nccl\"\n"
        "note = 'we use cuda:nccl,cpu:gloo here'\n"
    )
    assert hits(source, prefix="PRT6") == [("PRT601", 2, 33), ("PRT601", 3, 8)]
    npu = [f.fix.replacement for f in lint(source, "npu") if f.code == "PRT601"]
    assert npu == ["'npu:hccl,cpu:gloo'", '"cpu:gloo,npu:hccl"']


def test_nccl_comparisons_are_a_separate_warning() -> None:
    source = (
        "import torch.distributed as dist\n"
        "if dist.get_backend() == 'nccl':\n"
        "    pass\n"
        "ok = 'nccl' in backends\n"
        "same = args.backend != \"nccl\"\n"
    )
    found = [(f.code, f.line, f.column, f.severity) for f in lint(source) if f.code.startswith("PRT6")]
    assert found == [("PRT602", 2, 26, "warning"), ("PRT602", 4, 6, "warning"), ("PRT602", 5, 24, "warning")]


def test_prose_and_other_backends_are_clean() -> None:
    source = (
        "import torch.distributed as dist\n"
        "print('init nccl backend')\n"
        "logger.info('nccl')\n"
        "dist.init_process_group(backend='gloo')\n"
        "name = 'nccl'\n"
        "if msg == 'nccl timeout':\n"
        "    pass\n"
    )
    assert hits(source, prefix="PRT6") == []


def test_argparse_option_default_is_a_named_value() -> None:
    source = (
        "parser.add_argument('--dist-backend', default='nccl', type=str)\n"
        "parser.add_argument('-b', '--backend', default='nccl')\n"
        "parser.add_argument('--comm', dest='backend', default='nccl')\n"
        "parser.add_argument('--log-level', default='nccl')\n"
        "parser.add_argument('--backend', help='nccl')\n"
    )
    assert hits(source, prefix="PRT6") == [("PRT601", 1, 47), ("PRT601", 2, 48), ("PRT601", 3, 55)]


def test_argparse_default_also_feeds_the_device_context() -> None:
    assert ("PRT401", 1, 41) in hits("parser.add_argument('--device', default='cuda')\n")


# ---------------------------------------------------------------- other distributed names


def test_backend_nccl_constant_and_process_group_class() -> None:
    source = (
        "import torch.distributed as dist\n"
        "from torch.distributed import Backend\n"
        "dist.init_process_group(backend=dist.Backend.NCCL)\n"
        "if b == Backend.NCCL:\n"
        "    pass\n"
        "opts = dist.ProcessGroupNCCL.Options()\n"
        "if dist.is_nccl_available():\n"
        "    pass\n"
    )
    assert hits(source, prefix="PRT6") == [
        ("PRT604", 3, 33), ("PRT604", 4, 9), ("PRT605", 6, 8), ("PRT603", 7, 4),
    ]
    npu = {f.code: f.fix.replacement for f in lint(source, "npu") if f.code in ("PRT603", "PRT604")}
    assert npu == {"PRT604": "Backend.HCCL", "PRT603": "dist.is_hccl_available"}


def test_is_nccl_available_agnostic_fix_replaces_the_call() -> None:
    source = "import torch.distributed as dist\nok = dist.is_nccl_available()\n"
    (finding,) = [f for f in lint(source) if f.code == "PRT603"]
    assert (finding.column, finding.end_column) == (6, 30)
    assert finding.fix.replacement.startswith("torch.distributed.is_backend_available(")


def test_backend_map_cuda_key_subscript_and_get() -> None:
    source = (
        "import torch.distributed as dist\n"
        "a = dist.Backend.default_device_backend_map['cuda']\n"
        "b = dist.Backend.default_device_backend_map.get('cuda', 'gloo')\n"
        "c = dist.Backend.default_device_backend_map[device.type]\n"
        "d = dist.Backend.default_device_backend_map['cpu']\n"
        "e = other_map['cuda']\n"
    )
    assert hits(source, prefix="PRT6") == [("PRT606", 2, 45), ("PRT606", 3, 49)]
    npu = [f.fix.replacement for f in lint(source, "npu") if f.code == "PRT606"]
    assert npu == ["'npu'", "'npu'"]


def test_hard_coded_indexes_only_in_parallel_wrappers() -> None:
    source = (
        "import torch\n"
        "from torch.nn.parallel import DistributedDataParallel as DDP\n"
        "from torch.distributed.fsdp import FullyShardedDataParallel as FSDP\n"
        "m1 = DDP(m, device_ids=[0], output_device=0)\n"
        "m2 = torch.nn.DataParallel(m, device_ids=(0, 1))\n"
        "m3 = torch.nn.parallel.DataParallel(m, device_ids=[1, 2])\n"
        "m4 = FSDP(m, device_id=0)\n"
        "m5 = DDP(m, device_ids=[local_rank], output_device=local_rank)\n"
        "m6 = MyWrapper(m, device_ids=[0])\n"
        "m7 = DDP(m, device_ids=None)\n"
    )
    assert hits(source, prefix="PRT6") == [
        ("PRT607", 4, 13), ("PRT607", 4, 29), ("PRT607", 5, 31), ("PRT607", 6, 40), ("PRT607", 7, 14),
        ("PRT608", 8, 13), ("PRT608", 8, 38),  # a variable index: fixed for a model on the CPU
    ]


def test_init_process_group_device_id_int() -> None:
    source = (
        "import torch.distributed as dist\n"
        "dist.init_process_group('gloo', device_id=0)\n"
        "dist.init_process_group('gloo', device_id=local_rank)\n"
    )
    assert hits(source, prefix="PRT6") == [("PRT607", 2, 33)]


def test_device_mesh_and_include_paths_take_a_device_type() -> None:
    # transfer_to_npu does not rebind the torch.distributed.init_device_mesh re-export
    source = (
        "import torch.distributed as dist\n"
        "from torch.distributed.device_mesh import init_device_mesh\n"
        "from torch.utils.cpp_extension import include_paths\n"
        "mesh = dist.init_device_mesh('cuda', (2, 4))\n"
        "mesh2 = init_device_mesh(\"cuda\", (8,))\n"
        "inc = include_paths('cuda')\n"
        "cpu_mesh = dist.init_device_mesh('cpu', (2,))\n"
    )
    assert hits(source, prefix="PRT402") == [("PRT402", 4, 30), ("PRT402", 5, 26), ("PRT402", 6, 21)]
    assert [f.fix.replacement for f in lint(source, "npu") if f.code == "PRT402"] == ["'npu'", '"npu"', "'npu'"]
