"""Run several Python programs as ``__main__``, each in a child forked from one process
that has already imported torch.

Importing torch costs a child process 1.5-2 s of CPU; the runtime tests run about thirty
programs, so paying it once per batch instead of once per program keeps them fast. Each
program still gets its own process (fresh globals, its own exit code, stdout and stderr,
its own working directory and ``sys.argv``), exactly as ``python program.py`` would run it,
except that ``import torch`` finds the module already loaded. Linux only (forking after
importing torch is not safe on macOS); the tests fall back to one ``python`` per program.

Usage: python forkrun.py --cwd DIR [--jobs N] [--timeout S] PROGRAM... ; prints JSON
``{program: {"returncode": int, "stdout": str, "stderr": str}}``.
"""

from __future__ import annotations

import argparse
import json
import os
import runpy
import signal
import sys
import tempfile
import traceback


def _child(program: str, cwd: str, out: str, err: str, timeout: int) -> None:
    code = 1
    try:
        signal.alarm(timeout)  # the default action of SIGALRM ends the child
        os.chdir(cwd)
        for fd, path in ((1, out), (2, err)):
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(handle, fd)
            os.close(handle)
        sys.argv = [program]
        sys.path[0] = os.path.dirname(os.path.abspath(program))
        try:
            runpy.run_path(program, run_name="__main__")
            code = 0
        except SystemExit as exc:
            if exc.code is None or isinstance(exc.code, int):
                code = exc.code or 0
            else:
                sys.stderr.write(f"{exc.code}\n")
                code = 1
        except BaseException:  # noqa: BLE001 - report it like the interpreter would
            traceback.print_exc()
            code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def run_all(programs: list[str], cwd: str, jobs: int, timeout: int) -> dict[str, dict]:
    import torch  # noqa: F401 - the one import every child shares

    results: dict[str, dict] = {}
    pending = list(enumerate(programs))
    running: dict[int, tuple[str, str, str]] = {}
    with tempfile.TemporaryDirectory(prefix="forkrun-") as tmp:
        while pending or running:
            while pending and len(running) < jobs:
                number, program = pending.pop(0)
                out = os.path.join(tmp, f"{number}.out")
                err = os.path.join(tmp, f"{number}.err")
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:
                    _child(program, cwd, out, err, timeout)
                running[pid] = (program, out, err)
            pid, status = os.waitpid(-1, 0)
            if pid not in running:
                continue
            program, out, err = running.pop(pid)
            returncode = os.waitstatus_to_exitcode(status)
            with open(out, encoding="utf-8", errors="replace") as handle:
                stdout = handle.read()
            with open(err, encoding="utf-8", errors="replace") as handle:
                stderr = handle.read()
            if returncode == -signal.SIGALRM:
                stderr += f"\ntimed out after {timeout}s\n"
            results[program] = {"returncode": returncode, "stdout": stdout, "stderr": stderr}
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cwd", required=True)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--timeout", type=int, default=120)
    parser.add_argument("programs", nargs="+")
    args = parser.parse_args()
    results = run_all([os.path.abspath(p) for p in args.programs], args.cwd, max(1, args.jobs), args.timeout)
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
