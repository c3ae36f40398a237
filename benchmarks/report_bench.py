"""``portlint report`` against ``portlint check`` on the benchmark corpus, in one run.

    python benchmarks/bench.py --setup-only      # builds benchmarks/corpus once
    python benchmarks/report_bench.py --reps 5   # writes results/report.md and report.json

Commands alternate within each repetition (a slow moment of the shared machine hits them
alike). Each is a full process run. Reported per command: median wall time and median CPU
time (user + sys of the whole process tree, from ``wait4``, which counts pool workers):
on a machine shared with other jobs CPU time is the steadier measure. The report runs for
both targets (its default), the check for one (its default), cold (``--no-cache``) and warm
(cache primed, nothing changed).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
LIMIT = 1.5  # the report may take at most this many times the check


def run(argv: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process tree)."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"failed: {' '.join(argv)}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    if not (args.corpus / "portlint.toml").exists():
        raise SystemExit(f"no corpus at {args.corpus}: run benchmarks/bench.py --setup-only first")
    portlint = str(Path(sys.executable).with_name("portlint"))
    out = Path(tempfile.mkdtemp(prefix="portlint-report-bench-"))
    cache = str(out / "cache")
    corpus = str(args.corpus)
    commands = {
        "check_cold": [portlint, "check", "--no-cache", "--exit-zero", corpus],
        "report_cold": [portlint, "report", "--no-cache", "-o", str(out / "r.html"), corpus],
        "check_warm": [portlint, "check", "--cache-dir", cache, "--exit-zero", corpus],
        "report_warm": [portlint, "report", "--cache-dir", cache, "-o", str(out / "r.html"), corpus],
        "report_json_cold": [portlint, "report", "--no-cache", "-o", str(out / "r.json"), corpus],
    }
    for argv in commands.values():  # untimed: file-system cache, .pyc files, primed caches
        run(argv)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(args.reps):
        for name, argv in commands.items():
            samples[name].append(run(argv))
    results = {name: {"wall_median": statistics.median(w for w, _ in s), "cpu_median": statistics.median(c for _, c in s),
                      "wall": [round(w, 3) for w, _ in s], "cpu": [round(c, 3) for _, c in s]}
               for name, s in samples.items()}
    ratios = {f"{kind}_{measure}": results[f"report_{kind}"][f"{measure}_median"] / results[f"check_{kind}"][f"{measure}_median"]
              for kind in ("cold", "warm") for measure in ("cpu", "wall")}
    files = sum(1 for _ in args.corpus.rglob("*.py"))
    data = {"corpus": corpus, "python_files": files, "reps": args.reps, "cpus": os.cpu_count(),
            "load_average": os.getloadavg(), "results": results, "ratios": ratios, "limit": LIMIT,
            "when": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}
    lines = [f"`portlint report` (both targets) vs `portlint check` (one target) on the benchmark corpus "
             f"({files:,} Python files), {args.reps} alternating runs, {data['when']}, {os.cpu_count()} CPUs "
             f"(load average {data['load_average'][0]:.1f}: a shared machine).", "",
             "| command | median CPU (user+sys, process tree) | median wall |", "|---|--:|--:|"]
    for name, r in results.items():
        lines.append(f"| {' '.join(commands[name][1:3])} ({name}) | {r['cpu_median']:.2f} s | {r['wall_median']:.2f} s |")
    lines.append("")
    for name, value in ratios.items():
        verdict = "met" if value <= LIMIT else "NOT met"
        lines.append(f"- report / check, {name.replace('_', ' ')}: **{value:.2f}x** (limit {LIMIT}x: {verdict})")
    text = "\n".join(lines) + "\n"
    print(text)
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "report.md").write_text(text, encoding="utf-8")
    (HERE / "results" / "report.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
