"""``portlint fix`` against ``portlint check`` on the benchmark corpus, in one run.

    python benchmarks/bench.py --setup-only        # builds benchmarks/corpus once
    nice -n 10 python benchmarks/fix_bench.py --reps 3   # writes results/fix.md and fix.json

Each repetition copies the corpus twice into a temporary directory (untimed; ``fix``
rewrites files, the corpus itself is never touched), then times ``portlint check
--no-cache`` on one copy and ``portlint fix --no-cache`` on the other, alternating which
runs first, so that a slow moment of the shared machine hits both alike. Both run for the
default target with default settings, as full processes (interpreter start-up included),
with this checkout's code first on the path (``python -m portlint``, ``PYTHONPATH``).
Reported: median wall and CPU time (user + sys of the whole process tree, from ``wait4``,
which counts pool workers) of each, their ratio, and the load average before and after.
Target (issue 10): fix within 3x of check.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CORPUS = HERE / "corpus"
RESULTS = HERE / "results"
LIMIT = 3.0  # fix may take at most this many times the check


def run(argv: list[str], cwd: Path) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the process tree, last line of output)."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        lines = out.read().decode("utf-8", "replace").strip().splitlines()
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"failed: {' '.join(argv)}\n" + "\n".join(lines[-20:]))
    return wall, usage.ru_utime + usage.ru_stime, " / ".join(lines[-3:])


def copy(corpus: Path, into: Path) -> Path:
    shutil.rmtree(into, ignore_errors=True)
    shutil.copytree(corpus, into, symlinks=True)
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3, help="timed runs of each (default 3)")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--json", type=Path, default=RESULTS / "fix.json")
    args = parser.parse_args()
    corpus = args.corpus.resolve()
    if not (corpus / "portlint.toml").exists():
        raise SystemExit(f"no corpus at {corpus}: run benchmarks/bench.py --setup-only first")
    portlint = [sys.executable, "-m", "portlint"]
    commands = {
        "check": [*portlint, "check", "--no-cache", "--exit-zero", "-q", "."],
        "fix": [*portlint, "fix", "--no-cache", "--exit-zero", "-q", "."],
    }
    scratch = Path(tempfile.mkdtemp(prefix="portlint-fix-bench-"))
    load_before = os.getloadavg()
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    summary = {}
    try:
        for name, argv in commands.items():  # untimed: file-system cache, .pyc files
            run(argv, copy(corpus, scratch / name))
        for rep in range(args.reps):
            order = list(commands) if rep % 2 == 0 else list(reversed(commands))
            trees = {name: copy(corpus, scratch / name) for name in commands}
            for name in order:
                wall, cpu, tail = run(commands[name], trees[name])
                samples[name].append((wall, cpu))
                summary[name] = tail
                print(f"{name}: {wall:.2f} s wall, {cpu:.2f} s CPU", file=sys.stderr)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    load_after = os.getloadavg()
    results = {name: {"wall_median": statistics.median(w for w, _ in s), "cpu_median": statistics.median(c for _, c in s),
                      "wall": [round(w, 3) for w, _ in s], "cpu": [round(c, 3) for _, c in s], "output": summary[name]}
               for name, s in samples.items()}
    ratios = {measure: results["fix"][f"{measure}_median"] / results["check"][f"{measure}_median"]
              for measure in ("wall", "cpu")}
    files = sum(1 for _ in corpus.rglob("*.py"))
    data = {"corpus": str(corpus), "python_files": files, "reps": args.reps, "cpus": os.cpu_count(),
            "load_average_before": load_before, "load_average_after": load_after, "results": results,
            "ratios": ratios, "limit": LIMIT, "when": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}
    lines = [f"`portlint fix` vs `portlint check` on the benchmark corpus ({files:,} Python files), "
             f"{args.reps} alternating runs each on fresh copies, {data['when']}, {os.cpu_count()} CPUs "
             f"(load average {load_before[0]:.1f} before, {load_after[0]:.1f} after: a shared machine).", "",
             "| command | median wall | median CPU (user+sys, process tree) | runs (wall) |", "|---|--:|--:|---|"]
    for name, r in results.items():
        lines.append(f"| `portlint {name} --no-cache` | {r['wall_median']:.2f} s | {r['cpu_median']:.2f} s | "
                     f"{', '.join(f'{w:.1f}' for w in r['wall'])} |")
    verdict = "met" if max(ratios.values()) <= LIMIT else "NOT met"
    lines += ["", f"fix / check: wall {ratios['wall']:.2f}x, CPU {ratios['cpu']:.2f}x (limit {LIMIT:.0f}x: {verdict}).",
              "", f"fix output: {results['fix']['output']}"]
    text = "\n".join(lines) + "\n"
    print(text)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(data, indent=2) + "\n")
    args.json.with_suffix(".md").write_text(text)


if __name__ == "__main__":
    main()
