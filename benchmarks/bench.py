#!/usr/bin/env python3
"""portlint benchmark: a pinned real-world corpus, portlint against ruff and TorchFix.

    python benchmarks/bench.py                 # everything (TorchFix takes a few minutes)
    python benchmarks/bench.py --reps 3 --skip-torchfix
    python benchmarks/bench.py --compare-rev ca180fe --cold-only --skip-torchfix --reps 7

What it does, all in one run, so that every figure shares the machine's state:

1. Builds the corpus (once): ``pip download --no-deps`` of exact package versions
   (``CORPUS``), unpacked into ``benchmarks/corpus/`` (git-ignored), with an empty
   ``portlint.toml`` at its root so that no outer configuration applies.
2. Installs the tools it compares with, each in its own virtualenv under
   ``benchmarks/.venvs/`` (git-ignored): ruff (``RUFF_VERSION``) and TorchFix
   (``pip install --no-deps torchfix==0.7.0`` plus ``libcst<1.6`` and ``flake8``).
3. Times, alternating the commands within each repetition, after one untimed warm-up run
   of each: portlint cold (``--no-cache``), portlint warm (cache, nothing changed),
   portlint after editing one file, ``ruff check --no-cache --isolated`` (its default
   rules) on the whole corpus; portlint cold and TorchFix on one subset (the accelerate
   sources: TorchFix is far too slow for the whole corpus); ``portlint check`` on one
   small file, as pre-commit runs it. Every time includes interpreter start-up.
4. Reports medians, peak memory and ratios as a Markdown table on stdout and as JSON
   (``--json``, default ``benchmarks/results/latest.json``; ``latest.md`` beside it).

``--compare-rev REV`` also times the portlint of another git revision, cold on the whole
corpus, alternating with this checkout's cold run in every repetition: the revision is
exported (``git archive``) into ``benchmarks/.venvs/rev-<commit>/`` and run with this
interpreter and its installed dependencies (``python -m portlint`` from that directory).
Each run's CPU time (user + system of the command's whole process tree, from ``wait4``)
is reported next to its wall time: on a shared machine CPU time is the steadier measure.
``--cold-only`` skips every other command.

Peak memory is measured two ways: the largest resident set of any process of the
command's process tree (``wait4`` resource usage: what one process needs), and the sum
of the tree's resident sets sampled every 20 ms from ``/proc`` (what a process pool needs
in total; Linux only, and a sample can miss a short peak).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tarfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CORPUS_DIR = HERE / "corpus"
DOWNLOADS = CORPUS_DIR / "_downloads"
VENVS = HERE / ".venvs"
RESULTS = HERE / "results"

CORPUS = [("transformers", "4.46.3"), ("accelerate", "1.1.1"), ("deepspeed", "0.15.4")]
SUBSET = "accelerate"  # the package TorchFix and portlint are compared on
TOUCHED = "accelerate/state.py"  # the file edited for the "one file changed" run
RUFF_VERSION = "0.17.6"
TORCHFIX_VERSION = "0.7.0"
TORCHFIX_EXTRAS = ["libcst<1.6", "flake8"]

# The targets of issue 5, checked at the end of the report.
TARGETS = {
    "cold_vs_torchfix_min_speedup": 50.0,
    "cold_vs_ruff_max_ratio": 3.0,
    "warm_max_seconds": 1.0,
    "single_file_max_seconds": 0.35,
    "peak_memory_max_mb": 400.0,
}

SINGLE_FILE = '''\
"""A small training step, as a pre-commit hook would see one changed file."""
import torch
import torch.nn as nn

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.layer = nn.Linear(16, 4)

    def forward(self, x):
        return self.layer(x)


def train_step(model, batch, optimizer):
    model.train()
    inputs, targets = batch
    inputs, targets = inputs.cuda(), targets.cuda()
    with torch.cuda.amp.autocast():
        loss = nn.functional.cross_entropy(model(inputs), targets)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    torch.cuda.synchronize()
    return loss.item()
'''


# --------------------------------------------------------------------------- setup


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    print("+ " + " ".join(command), file=sys.stderr)
    return subprocess.run(command, check=True, **kwargs)


def package_dir(name: str, version: str) -> Path:
    return CORPUS_DIR / f"{name}-{version}"


def ensure_corpus() -> dict:
    DOWNLOADS.mkdir(parents=True, exist_ok=True)
    (CORPUS_DIR / "portlint.toml").write_text("# benchmark corpus root: default settings\n")
    packages = []
    for name, version in CORPUS:
        target = package_dir(name, version)
        if not (target / ".complete").exists():
            archive = _download(name, version)
            if target.exists():
                shutil.rmtree(target)
            target.mkdir(parents=True)
            _unpack(archive, target)
            (target / ".complete").write_text(archive.name + "\n")
        files, lines = _count(target)
        packages.append({"name": name, "version": version, "archive": (target / ".complete").read_text().strip(),
                         "files": files, "lines": lines})
    single = CORPUS_DIR / "_single" / "train_step.py"
    single.parent.mkdir(exist_ok=True)
    single.write_text(SINGLE_FILE)
    return {"packages": packages, "files": sum(p["files"] for p in packages),
            "lines": sum(p["lines"] for p in packages)}


def _download(name: str, version: str) -> Path:
    normalized = name.replace("-", "_").lower()

    def existing() -> list[Path]:
        return [p for p in DOWNLOADS.iterdir()
                if p.name.lower().replace("-", "_").startswith(f"{normalized}_{version}".lower().replace("-", "_"))
                or p.name.lower().startswith(f"{name.lower()}-{version}")]

    if not existing():
        run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", f"{name}=={version}",
             "-d", str(DOWNLOADS)])
    found = sorted(existing(), key=lambda p: (not p.name.endswith(".whl"), p.name))
    if not found:
        raise SystemExit(f"bench: pip download of {name}=={version} produced no archive")
    return found[0]


def _unpack(archive: Path, target: Path) -> None:
    if archive.name.endswith(".whl") or archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(target)
        return
    with tarfile.open(archive) as tarred:
        if hasattr(tarfile, "data_filter"):
            tarred.extractall(target, filter="data")
        else:  # pragma: no cover - Python < 3.10.12
            tarred.extractall(target)  # noqa: S202 - a pinned archive from the registry


def _count(directory: Path) -> tuple[int, int]:
    files = lines = 0
    for path in directory.rglob("*"):
        if path.suffix in (".py", ".pyi") and path.is_file():
            files += 1
            with open(path, "rb") as handle:
                lines += handle.read().count(b"\n")
    return files, lines


def venv_bin(name: str, executable: str) -> Path:
    return VENVS / name / ("Scripts" if os.name == "nt" else "bin") / executable


def ensure_venv(name: str, installs: list[list[str]]) -> None:
    marker = VENVS / name / ".bench-installed"
    wanted = json.dumps(installs)
    if marker.exists() and marker.read_text() == wanted:
        return
    if (VENVS / name).exists():
        shutil.rmtree(VENVS / name)
    run([sys.executable, "-m", "venv", str(VENVS / name)])
    python = str(venv_bin(name, "python"))
    for arguments in installs:
        run([python, "-m", "pip", "install", "--quiet", *arguments])
    marker.write_text(wanted)


def ensure_tools(with_torchfix: bool) -> dict:
    ensure_venv("ruff", [[f"ruff=={RUFF_VERSION}"]])
    versions = {"ruff": _output([str(venv_bin("ruff", "ruff")), "--version"])}
    if with_torchfix:
        ensure_venv("torchfix", [["--no-deps", f"torchfix=={TORCHFIX_VERSION}"], TORCHFIX_EXTRAS])
        python = str(venv_bin("torchfix", "python"))
        versions["torchfix"] = _output([python, "-c", "import importlib.metadata as m; "
                                        "print(' '.join(f'{p}=={m.version(p)}' for p in "
                                        "('torchfix', 'libcst', 'flake8')))"])
    return versions


def _output(command: list[str]) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()


# --------------------------------------------------------------------------- measuring


@dataclass
class Sample:
    seconds: float
    max_rss_mb: float  # largest single process of the tree (wait4)
    sum_rss_mb: float  # largest sampled sum over the tree (/proc), 0 when unavailable
    cpu_seconds: float = 0.0  # user + system time of the process and its waited-for children


@dataclass
class Command:
    key: str
    label: str
    argv: list[str]
    before: object = None  # callable run (untimed) before each timed run
    reps: int = 5
    samples: list[Sample] = field(default_factory=list)
    cwd: Path = REPO

    def summary(self) -> dict:
        times = [s.seconds for s in self.samples]
        cpu = [s.cpu_seconds for s in self.samples]
        return {
            "label": self.label, "argv": self.argv, "runs": len(times),
            "median_s": statistics.median(times), "min_s": min(times), "max_s": max(times),
            "median_cpu_s": statistics.median(cpu), "min_cpu_s": min(cpu),
            "peak_rss_mb": max(s.max_rss_mb for s in self.samples),
            "peak_tree_rss_mb": max(s.sum_rss_mb for s in self.samples),
        }


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found.extend(int(child) for child in handle.read().split())
    except OSError:
        return []
    return found


def _tree_rss_mb(root: int) -> float:
    total = 0
    pending = [root]
    while pending:
        pid = pending.pop()
        try:
            with open(f"/proc/{pid}/statm") as handle:
                total += int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            continue
        pending.extend(_children(pid))
    return total / 2**20


# The warm-up run writes the ``.pyc`` files of every checkout timed, as installing a package
# does: an environment's PYTHONDONTWRITEBYTECODE would make every timed run compile the tool's
# source again (~0.1 s per run for portlint, less for a smaller revision).
_ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def measure(argv: list[str], cwd: Path = REPO) -> Sample:
    peak_sum = 0.0
    done = threading.Event()
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd, env=_ENV)

    def sample() -> None:
        nonlocal peak_sum
        while not done.wait(0.02):
            peak_sum = max(peak_sum, _tree_rss_mb(process.pid))

    sampler = None
    if sys.platform.startswith("linux"):
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
    if hasattr(os, "wait4"):
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        # ru_maxrss: KiB on Linux, bytes on macOS; the max over the waited process tree.
        max_rss = usage.ru_maxrss / (2**20 if sys.platform == "darwin" else 2**10)
        cpu = usage.ru_utime + usage.ru_stime  # includes the pool workers the command waited for
    else:  # pragma: no cover - Windows: no rusage
        process.wait()
        elapsed = time.perf_counter() - start
        max_rss = 0.0
        cpu = 0.0
    done.set()
    if sampler is not None:
        sampler.join()
    if process.returncode not in (0, 1):
        raise SystemExit(f"bench: {' '.join(argv)} exited {process.returncode}")
    return Sample(elapsed, max_rss, max(peak_sum, 0.0), cpu)


# --------------------------------------------------------------------------- the run


def portlint_argv() -> list[str]:
    # `python -m portlint` run in this checkout (``measure``'s cwd) times this checkout's code,
    # not whatever the environment has installed (an editable install of another worktree).
    return [sys.executable, "-m", "portlint"]


def build_commands(args: argparse.Namespace) -> tuple[list[Command], Path, bytes]:
    """The commands, and the edited file with its original content (to restore)."""
    dirs = [str(package_dir(name, version)) for name, version in CORPUS]
    subset_version = dict(CORPUS)[SUBSET]
    subset = str(package_dir(SUBSET, subset_version))
    cache_dir = str(CORPUS_DIR / ".portlint_cache")
    portlint = portlint_argv()
    touched = package_dir(SUBSET, subset_version) / TOUCHED
    original = touched.read_bytes()
    counter = iter(range(10**6))

    def edit_one_file() -> None:
        touched.write_bytes(original + f"\n# benchmark edit {next(counter)}\n".encode())

    commands = [
        Command("portlint_cold", "portlint check --no-cache (whole corpus)",
                [*portlint, "check", "--no-cache", "--exit-zero", *dirs], reps=args.reps),
    ]
    if args.compare_rev:
        source, commit = export_revision(args.compare_rev)
        commands.append(Command(
            "revision_cold", f"portlint {commit} check --no-cache (whole corpus)",
            [sys.executable, "-m", "portlint", "check", "--no-cache", "--exit-zero", *dirs],
            reps=args.reps, cwd=source))
    if args.cold_only:
        return commands, touched, original
    commands += [
        Command("portlint_warm", "portlint check, warm cache, nothing changed",
                [*portlint, "check", "--cache-dir", cache_dir, "--exit-zero", *dirs], reps=args.reps),
        Command("portlint_one_changed", "portlint check, warm cache, one file edited",
                [*portlint, "check", "--cache-dir", cache_dir, "--exit-zero", *dirs],
                before=edit_one_file, reps=args.reps),
        Command("ruff", f"ruff check --no-cache --isolated (ruff {RUFF_VERSION} default rules)",
                [str(venv_bin("ruff", "ruff")), "check", "--no-cache", "--isolated", "--exit-zero", *dirs],
                reps=args.reps),
        Command("portlint_subset", f"portlint check --no-cache ({SUBSET} only)",
                [*portlint, "check", "--no-cache", "--exit-zero", subset], reps=args.reps),
        Command("portlint_single", "portlint check one small file (pre-commit)",
                [*portlint, "check", "--no-cache", "--exit-zero", str(CORPUS_DIR / "_single" / "train_step.py")],
                reps=args.reps * 2),
    ]
    if not args.skip_torchfix:
        commands.append(Command(
            "torchfix_subset", f"TorchFix {TORCHFIX_VERSION} -j {args.torchfix_jobs} ({SUBSET} only)",
            [str(venv_bin("torchfix", "torchfix")), "-j", str(args.torchfix_jobs), subset],
            reps=args.torchfix_reps))
    return commands, touched, original


def export_revision(revision: str) -> tuple[Path, str]:
    """``git archive`` of a revision into ``benchmarks/.venvs/rev-<commit>/`` (once)."""
    commit = _output(["git", "-C", str(REPO), "rev-parse", "--short", f"{revision}^{{commit}}"])
    target = VENVS / f"rev-{commit}"
    marker = target / ".bench-exported"
    if not marker.exists():
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", commit],
                                 capture_output=True, check=True).stdout
        import io

        with tarfile.open(fileobj=io.BytesIO(archive)) as tarred:
            if hasattr(tarfile, "data_filter"):
                tarred.extractall(target, filter="data")
            else:  # pragma: no cover - Python < 3.10.12
                tarred.extractall(target)  # noqa: S202 - our own repository
        marker.write_text(commit + "\n")
    return target, commit


def run_benchmark(commands: list[Command]) -> None:
    for command in commands:  # warm-up: file system cache, .pyc files, the portlint cache
        if command.before:
            command.before()  # type: ignore[operator]
        print(f"warm-up: {command.label}", file=sys.stderr)
        measure(command.argv, command.cwd)
    for rep in range(max(c.reps for c in commands)):
        for command in commands:
            if rep >= command.reps:
                continue
            if command.before:
                command.before()  # type: ignore[operator]
            sample = measure(command.argv, command.cwd)
            command.samples.append(sample)
            print(f"rep {rep + 1}: {command.key:22s} {sample.seconds:8.3f} s  cpu {sample.cpu_seconds:7.3f} s  "
                  f"max {sample.max_rss_mb:6.1f} MB  tree {sample.sum_rss_mb:6.1f} MB", file=sys.stderr)


def report(corpus: dict, tools: dict, commands: list[Command], args: argparse.Namespace) -> dict:
    results = {c.key: c.summary() for c in commands}
    med = {key: value["median_s"] for key, value in results.items()}
    ratios = {}
    if "revision_cold" in med:
        ratios["cold_vs_revision"] = med["portlint_cold"] / med["revision_cold"]
        ratios["cold_vs_revision_cpu"] = (results["portlint_cold"]["median_cpu_s"]
                                          / results["revision_cold"]["median_cpu_s"])
    if args.cold_only:
        return {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": _machine(),
                "python": platform.python_version(), "portlint": _portlint_version(), "tools": tools,
                "corpus": corpus, "results": results, "ratios": ratios, "targets": {}, "reps": args.reps}
    ratios["cold_vs_ruff"] = med["portlint_cold"] / med["ruff"]
    if "torchfix_subset" in med:
        ratios["torchfix_vs_portlint_subset"] = med["torchfix_subset"] / med["portlint_subset"]
    portlint_keys = [k for k in results if k.startswith("portlint")]
    peak = max(max(results[k]["peak_rss_mb"], results[k]["peak_tree_rss_mb"]) for k in portlint_keys)
    checks = {
        "cold at least 50x faster than TorchFix on the subset":
            None if "torchfix_vs_portlint_subset" not in ratios
            else ratios["torchfix_vs_portlint_subset"] >= TARGETS["cold_vs_torchfix_min_speedup"],
        "cold at most 3x ruff on the whole corpus": ratios["cold_vs_ruff"] <= TARGETS["cold_vs_ruff_max_ratio"],
        "warm re-scan under 1 s": med["portlint_warm"] < TARGETS["warm_max_seconds"],
        "one small file under 0.35 s": med["portlint_single"] < TARGETS["single_file_max_seconds"],
        "peak memory under 400 MB": peak < TARGETS["peak_memory_max_mb"],
    }
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": _machine(),
        "python": platform.python_version(),
        "portlint": _portlint_version(),
        "tools": tools,
        "corpus": corpus,
        "results": results,
        "ratios": ratios,
        "portlint_peak_memory_mb": peak,
        "targets": checks,
        "reps": args.reps,
    }


def _machine() -> dict:
    model = ""
    try:
        with open("/proc/cpuinfo") as handle:
            model = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), "")
    except OSError:
        pass
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count() or 0
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {"cpus": cpus, "cpu_model": model, "platform": platform.platform(), "load_before": load}


def _portlint_version() -> str:
    version = _output([*portlint_argv(), "--version"])
    try:
        commit = _output(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
        dirty = _output(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no",
                         "--", ".", ":!benchmarks/results"])
        return f"{version} ({commit}{' + local changes' if dirty else ''})"
    except (OSError, subprocess.CalledProcessError):
        return version


def markdown(data: dict) -> str:
    corpus = data["corpus"]
    packages = ", ".join(f"{p['name']} {p['version']}" for p in corpus["packages"])
    subset = next(p for p in corpus["packages"] if p["name"] == SUBSET)
    lines = [
        f"Corpus: {packages}: {corpus['files']:,} files, {corpus['lines']:,} lines "
        f"(subset: {SUBSET} {subset['version']}, {subset['files']} files, {subset['lines']:,} lines).",
        f"Machine: {data['machine']['cpus']} CPUs ({data['machine']['cpu_model'] or 'unknown CPU'}), "
        f"Python {data['python']}, {data['portlint']}; {data['date']}.",
        "",
        "| command | median | min | max | median CPU | runs | peak RSS (largest process) | peak RSS (process tree) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in data["results"].values():
        lines.append(f"| {result['label']} | {result['median_s']:.2f} s | {result['min_s']:.2f} s | "
                     f"{result['max_s']:.2f} s | {result.get('median_cpu_s', 0):.2f} s | {result['runs']} | "
                     f"{result['peak_rss_mb']:.0f} MB | {result['peak_tree_rss_mb']:.0f} MB |")
    lines.append("")
    ratios = data["ratios"]
    if "cold_vs_revision" in ratios:
        lines.append(f"- portlint cold / the compared revision's cold: **{ratios['cold_vs_revision']:.3f}x** "
                     f"wall, **{ratios['cold_vs_revision_cpu']:.3f}x** CPU (target <= 1.10x)")
    if "cold_vs_ruff" in ratios:
        lines.append(f"- portlint cold / ruff: **{ratios['cold_vs_ruff']:.2f}x** (target <= 3x)")
    if "torchfix_vs_portlint_subset" in ratios:
        lines.append(f"- TorchFix / portlint cold on {SUBSET}: **{ratios['torchfix_vs_portlint_subset']:.0f}x** "
                     f"faster (target >= 50x)")
    for name, ok in data["targets"].items():
        lines.append(f"- {name}: {'n/a' if ok is None else ('met' if ok else 'MISSED')}")
    lines.append("")
    lines.append("Tools: " + "; ".join(f"{k}: {v}" for k, v in data["tools"].items()))
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=5, help="timed runs per command (default 5)")
    parser.add_argument("--torchfix-reps", type=int, default=3, help="timed TorchFix runs (default 3)")
    parser.add_argument("--torchfix-jobs", type=int, default=2, help="TorchFix -j (default 2)")
    parser.add_argument("--skip-torchfix", action="store_true", help="do not install or run TorchFix")
    parser.add_argument("--json", type=Path, default=RESULTS / "latest.json", help="where to write the JSON")
    parser.add_argument("--setup-only", action="store_true", help="build the corpus and tools, then stop")
    parser.add_argument("--compare-rev", metavar="REV",
                        help="also time the portlint of this git revision (cold, whole corpus), side by side")
    parser.add_argument("--cold-only", action="store_true",
                        help="time only the cold whole-corpus runs (with --compare-rev: this checkout vs REV)")
    args = parser.parse_args()
    corpus = ensure_corpus()
    tools = ensure_tools(not args.skip_torchfix) if not args.cold_only else {}
    if args.setup_only:
        print(json.dumps(corpus, indent=2))
        return
    commands, touched, original = build_commands(args)
    try:
        run_benchmark(commands)
    finally:
        touched.write_bytes(original)
    data = report(corpus, tools, commands, args)
    text = markdown(data)
    sys.stdout.write(text)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(data, indent=2) + "\n")
    args.json.with_suffix(".md").write_text(text)


if __name__ == "__main__":
    main()
