"""Proof that the agnostic fixes produce programs that really run.

Every program in ``programs/`` (and the runnable examples in ``examples/``) hard-codes CUDA.
On a CPU-only torch build each ORIGINAL must fail the way a user would see it (or, for the
programs that fall back silently, take its documented CPU path). Then
``portlint fix --target agnostic --unsafe-fixes`` rewrites a copy, and the FIXED program must
exit 0 and print its ``OK <name>`` marker on the same machine.

The programs run in parallel, and on Linux each batch (originals, fixed copies) forks its
programs from one process that imported torch once (``forkrun.py``): thirty separate torch
imports would otherwise dominate the run time. portlint itself never imports torch; only
the program processes do.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

if not hasattr(torch, "accelerator"):  # pragma: no cover - the fixes target torch >= 2.6
    pytest.skip(f"torch {torch.__version__} has no torch.accelerator; install torch==2.13.0",
                allow_module_level=True)
if torch.cuda.is_available() or torch.accelerator.is_available():  # pragma: no cover - GPU hosts
    pytest.skip("these checks prove behaviour on a CPU-only torch build; an accelerator is present",
                allow_module_level=True)

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PROGRAMS = HERE / "programs"
EXAMPLES = REPO / "examples"
TIMEOUT = 120  # seconds per child process; normal runs take 2-4 s

NOT_COMPILED = r"Torch not compiled with CUDA enabled"
NO_ACCELERATOR = r"Cannot access accelerator device when none is available"


@dataclass(frozen=True)
class Case:
    name: str
    source: Path
    # What the ORIGINAL does on CPU-only torch: a regex its stderr must match (it must fail),
    # or, for programs that silently fall back, a regex its stdout must match (it must run).
    fails_with: str | None = None
    silently: str | None = None
    # The fixed program is expected to fail (no agnostic form runs on CPU): regex on stderr.
    # Only for limitations of torch itself (documented in examples/README.md).
    fixed_fails_with: str | None = None
    # Rules whose findings may remain after the fix: advice only, no mechanical rewrite
    # (cuDNN tuning flags, TF32 switches, NCCL_* / CUDA_* variables, the old sdp_kernel).
    manual: frozenset[str] = frozenset()


CUDNN_FLAGS = frozenset({"PRT501", "PRT502"})
CASES = [
    Case("train_loop", PROGRAMS / "train_loop.py", fails_with=NOT_COMPILED),
    Case("amp_scaler", PROGRAMS / "amp_scaler.py", fails_with=NOT_COMPILED),
    Case("timing_sync", PROGRAMS / "timing_sync.py", fails_with=NOT_COMPILED),
    Case("timing_events", PROGRAMS / "timing_events.py", fails_with=NOT_COMPILED,
         # torch.Event exists on CPU builds but recording one raises: event timing has no
         # CPU implementation in torch 2.13, so no rewrite can make this program run there.
         fixed_fails_with=r"cpu backend doesn't support events"),
    Case("memory_logging", PROGRAMS / "memory_logging.py", fails_with=r"_cuda_resetPeakMemoryStats"),
    Case("seeding", PROGRAMS / "seeding.py", fails_with=NOT_COMPILED, manual=CUDNN_FLAGS),
    Case("checkpoint_load", PROGRAMS / "checkpoint_load.py",
         fails_with=r"Attempting to deserialize object on a CUDA device"),
    Case("dataloader_pinned", PROGRAMS / "dataloader_pinned.py", fails_with=NOT_COMPILED),
    Case("distributed_nccl", PROGRAMS / "distributed_nccl.py",
         fails_with=r"Distributed package doesn't have NCCL built in"),
    Case("aliased_imports", PROGRAMS / "aliased_imports.py", fails_with=NOT_COMPILED),
    Case("device_info", PROGRAMS / "device_info.py", fails_with=NOT_COMPILED),
    Case("sdp_kernel", PROGRAMS / "sdp_kernel.py", fails_with=NOT_COMPILED,
         manual=frozenset({"PRT503", "PRT505"})),
    # `"cuda" if torch.cuda.is_available() else "cpu"` never crashes: it silently runs on the
    # CPU with AMP off. The fix keeps that (and picks any accelerator when there is one).
    Case("fallback_idiom", PROGRAMS / "fallback_idiom.py",
         silently=r"device cpu amp False on_gpu False"),
    # Devices that reach their use through variables (value flow), integer devices,
    # distributed runs on a machine without an accelerator (issue 9).
    Case("ddp_single_process", PROGRAMS / "ddp_single_process.py",
         fails_with=r"Distributed package doesn't have NCCL built in"),
    Case("snapshot_resume", PROGRAMS / "snapshot_resume.py",
         fails_with=r"Attempting to deserialize object on a CUDA device"),
    # torch.cuda.device_count() is 0: mp.spawn starts no process and returns (the program
    # itself notices that nothing was trained and exits non-zero).
    Case("spawn_launcher", PROGRAMS / "spawn_launcher.py", fails_with=r"no process was started"),
    Case("pinned_batches", PROGRAMS / "pinned_batches.py", fails_with=NOT_COMPILED),
    Case("int_device", PROGRAMS / "int_device.py", fails_with=NO_ACCELERATOR),
    Case("keyword_device", PROGRAMS / "keyword_device.py", fails_with=NOT_COMPILED),
    Case("kwargs_defaults", PROGRAMS / "kwargs_defaults.py", fails_with=NOT_COMPILED),
    Case("trainer_gpu_id", PROGRAMS / "trainer_gpu_id.py", fails_with=NO_ACCELERATOR),
    Case("cli_config_device", PROGRAMS / "cli_config_device.py", fails_with=NOT_COMPILED),
    Case("train_amp", EXAMPLES / "train_amp.py", fails_with=NOT_COMPILED,
         manual=CUDNN_FLAGS | {"PRT001"}),  # float64 for the loss statistics: a warning
    Case("distributed_setup", EXAMPLES / "distributed_setup.py", fails_with=r"_cuda_setDevice",
         manual=frozenset({"PRT701", "PRT705"})),
    Case("inference", EXAMPLES / "inference.py",
         fails_with=r"Attempting to deserialize object on a CUDA device", manual=CUDNN_FLAGS),
]


# The fixed examples shipped in the repository (generated by `python -m portlint.fixer
# --regen-examples`): the runnable ones must run as they are.
RUNNABLE_EXAMPLES = ("train_amp", "distributed_setup", "inference")
SHIPPED = [path for path in (EXAMPLES / "fixed" / "agnostic" / f"{name}.py" for name in RUNNABLE_EXAMPLES)
           if path.is_file()]


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str

    def describe(self) -> str:
        tail = "\n".join(self.stderr.strip().splitlines()[-15:])
        return f"exit {self.returncode}\n--- stdout\n{self.stdout.strip()}\n--- stderr (tail)\n{tail}"


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("MASTER_ADDR", "MASTER_PORT", "RANK", "LOCAL_RANK", "WORLD_SIZE", "PYTHONSTARTUP"):
        env.pop(name, None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def _run(args: list[str], cwd: Path, timeout: int = TIMEOUT) -> Run:
    try:
        done = subprocess.run(args, check=False, cwd=cwd, env=_child_env(), capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        return Run(-1, str(exc.stdout or ""), f"timed out after {timeout}s\n{exc.stderr or ''}")
    return Run(done.returncode, done.stdout, done.stderr)


def _portlint(*args: str, cwd: Path) -> Run:
    return _run([sys.executable, "-m", "portlint", *args], cwd)


# PORTLINT_RUNTIME_NO_FORK=1 runs every program as its own `python program.py` instead.
FORK = (sys.platform.startswith("linux") and hasattr(os, "fork")
        and not os.environ.get("PORTLINT_RUNTIME_NO_FORK"))
WORKERS = max(2, min(8, os.cpu_count() or 2))


def _run_programs(pool: ThreadPoolExecutor, programs: dict[str, Path], cwd: Path) -> dict[str, Run]:
    """Run each program as `python program.py` in ``cwd``; results by name."""
    if not FORK:
        jobs = {name: pool.submit(_run, [sys.executable, str(path)], cwd) for name, path in programs.items()}
        return {name: job.result() for name, job in jobs.items()}
    runner = _run([sys.executable, str(HERE / "forkrun.py"), "--cwd", str(cwd), "--jobs", str(WORKERS),
                   "--timeout", str(TIMEOUT), *(str(path) for path in programs.values())], cwd,
                  # each program has TIMEOUT; the batch runs WORKERS at a time
                  timeout=TIMEOUT * (1 + len(programs) // WORKERS))
    assert runner.returncode == 0, runner.describe()
    raw = json.loads(runner.stdout)
    return {name: Run(**raw[str(path)]) for name, path in programs.items()}


@dataclass
class Results:
    originals: dict[str, Run]
    fix: Run
    fixed: dict[str, Run]
    check: Run  # `portlint check` on the fixed copies
    remaining: dict[str, list[dict]]  # findings still reported in each fixed file
    fixed_dir: Path
    refix_dir: Path  # a copy of the fixed files, fixed once more


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Results:
    work = tmp_path_factory.mktemp("runtime")
    fixed_dir = work / "fixed"
    fixed_dir.mkdir()
    for case in CASES:
        shutil.copyfile(case.source, fixed_dir / f"{case.name}.py")
    with ThreadPoolExecutor(max_workers=WORKERS + 2) as pool:
        originals_job = pool.submit(_run_programs, pool, {case.name: case.source for case in CASES}, work)
        fix = _portlint("fix", "--target", "agnostic", "--unsafe-fixes", ".", cwd=fixed_dir)
        refix_dir = work / "refixed"
        shutil.copytree(fixed_dir, refix_dir)
        refix_job = pool.submit(_portlint, "fix", "--target", "agnostic", "--unsafe-fixes", ".", cwd=refix_dir)
        check_job = pool.submit(_portlint, "check", "--target", "agnostic", "--output-format", "json",
                                "--exit-zero", ".", cwd=fixed_dir)
        fixed = _run_programs(pool, {**{case.name: fixed_dir / f"{case.name}.py" for case in CASES},
                                     **{f"shipped/{path.stem}": path for path in SHIPPED}}, fixed_dir)
        originals = originals_job.result()
        check = check_job.result()
        refix_job.result()
    remaining: dict[str, list[dict]] = {case.name: [] for case in CASES}
    if check.returncode == 0 and check.stdout.strip():
        for finding in json.loads(check.stdout):
            remaining.setdefault(Path(finding["path"]).stem, []).append(finding)
    return Results(originals, fix, fixed, check, remaining, fixed_dir, refix_dir)


@pytest.mark.parametrize("name", RUNNABLE_EXAMPLES)
def test_shipped_fixed_example_runs(name: str, results: Results) -> None:
    path = EXAMPLES / "fixed" / "agnostic" / f"{name}.py"
    if path not in SHIPPED:
        pytest.skip(f"{path.relative_to(REPO)} is not generated yet")
    run = results.fixed[f"shipped/{name}"]
    assert run.returncode == 0, run.describe()
    assert f"OK {name}" in run.stdout, run.describe()


def _ids(cases: list[Case]) -> list[str]:
    return [case.name for case in cases]


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_original_fails_on_cpu_only_torch(case: Case, results: Results) -> None:
    run = results.originals[case.name]
    if case.silently is not None:
        assert run.returncode == 0, run.describe()
        assert re.search(case.silently, run.stdout), run.describe()
        return
    assert case.fails_with is not None
    assert run.returncode != 0, f"the CUDA-only original unexpectedly ran:\n{run.describe()}"
    assert re.search(case.fails_with, run.stderr), run.describe()
    assert f"OK {case.name}" not in run.stdout


def test_fix_command_succeeds(results: Results) -> None:
    assert results.fix.returncode in (0, 1), results.fix.describe()
    assert "Traceback" not in results.fix.stderr, results.fix.describe()


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_fix_rewrote_the_program(case: Case, results: Results) -> None:
    fixed = (results.fixed_dir / f"{case.name}.py").read_text(encoding="utf-8")
    assert fixed != case.source.read_text(encoding="utf-8"), "the fix changed nothing"
    compile(fixed, f"{case.name}.py", "exec")  # still valid Python


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_fixing_again_changes_nothing(case: Case, results: Results) -> None:
    fixed = (results.fixed_dir / f"{case.name}.py").read_text(encoding="utf-8")
    again = (results.refix_dir / f"{case.name}.py").read_text(encoding="utf-8")
    assert again == fixed


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_no_fixable_finding_remains(case: Case, results: Results) -> None:
    """What is left after `fix --unsafe-fixes` is advice only (no code the fixer could apply)."""
    assert results.check.returncode == 0, results.check.describe()
    left = results.remaining[case.name]
    fixable = [f for f in left if f["fix"] and f["fix"].get("replacement") is not None]
    assert not fixable, "\n".join(
        f"{f['code']} line {f['line']}: {f['message']} -> {f['fix']['replacement']}" for f in fixable)
    unexpected = [f for f in left if f["code"] not in case.manual]
    assert not unexpected, "\n".join(f"{f['code']} line {f['line']}: {f['message']}" for f in unexpected)


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_fixed_program_runs_on_cpu_only_torch(case: Case, results: Results) -> None:
    run = results.fixed[case.name]
    fixed_source = (results.fixed_dir / f"{case.name}.py").read_text(encoding="utf-8")
    detail = f"{run.describe()}\n--- fixed source\n{fixed_source}"
    if case.fixed_fails_with is not None:
        assert run.returncode != 0, detail
        assert re.search(case.fixed_fails_with, run.stderr), detail
        return
    assert run.returncode == 0, detail
    assert f"OK {case.name}" in run.stdout, detail
