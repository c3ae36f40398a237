"""Change-to-diagnostics latency of ``portlint server`` on a 1,000-line file, with
``ruff server`` measured in the same run as a peer (when ruff is installed).

    python benchmarks/lsp_latency.py                 # 60 edits per server
    python benchmarks/lsp_latency.py --edits 200 --file some/big_file.py

Each server is started as an editor starts it (stdio), initialised, and given the file
with ``didOpen``; then, ``--edits`` times, one line of the file is edited (a line with a
CUDA call toggles between ``.cuda()`` and ``.to(device)``, so the set of findings changes
each time) and sent as ``didChange`` with the whole text. The latency of an edit is the
time from writing the ``didChange`` to reading the ``publishDiagnostics`` of that version
(or, for a server that publishes without a version, the next one for the file). Edits
are ``--pause`` seconds apart (typing speed), so each is measured on its own.

Reported per server: median, 90th and 99th percentile, min and max latency (wall clock),
and the server's CPU time (user+sys from ``/proc``, all threads) per edit. The machine may
be shared: CPU time per edit is the steadier figure. A small JSON-RPC client of its own
(standard library only) talks to both servers alike.
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
import threading
import time
from pathlib import Path
from queue import Empty, Queue

BLOCK = '''\
def train_step_{n}(model, batch, optimizer, scaler):
    """One step of a training loop, written for CUDA only."""
    inputs = batch["input"].cuda()
    labels = batch["label"].to("cuda:0")
    with torch.cuda.amp.autocast():
        output = model(inputs)
        loss = torch.nn.functional.cross_entropy(output, labels)
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    optimizer.zero_grad(set_to_none=True)
    if step_{n}_logging_enabled():
        used = torch.cuda.memory_allocated() / 2**20
        print(f"step {n}: loss={{loss.item():.4f}} memory={{used:.1f}} MiB")
    return loss.detach()


def evaluate_{n}(model, loader):
    model.eval()
    total = 0.0
    with torch.no_grad():
        for batch in loader:
            total += float(model(batch["input"].to(device)).sum())
    return total / max(len(loader), 1)

'''
HEADER = '''\
"""A synthetic training module (benchmark input for portlint server)."""
import os

import torch
import torch.distributed as dist

device = "cuda" if torch.cuda.is_available() else "cpu"
dist.init_process_group("nccl")
torch.backends.cudnn.benchmark = True


'''


PORTABLE = {'.cuda()': '.to(device)', '.to("cuda:0")': '.to(device)', "torch.cuda.amp.autocast()":
            "torch.autocast(device.type)", "torch.cuda.memory_allocated()": "torch.accelerator.memory_allocated()"}


def synthetic_file(lines: int = 1000, cuda_every: int = 1) -> str:
    """``lines`` lines of training code; every ``cuda_every``-th function is CUDA-only,
    the others are already portable (1: the dense worst case)."""
    text, n = HEADER, 0
    while text.count("\n") + BLOCK.count("\n") <= lines:
        block = BLOCK.format(n=n)
        if n % cuda_every:
            for old, new in PORTABLE.items():
                block = block.replace(old, new)
        text += block
        n += 1
    return text + "\n" * (lines - text.count("\n"))


class Server:
    """A language server subprocess and a minimal JSON-RPC client for it."""

    def __init__(self, command: list[str], cwd: Path, nice: int = 0) -> None:
        self.process = subprocess.Popen(command, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL,
                                        preexec_fn=(lambda: os.nice(nice)) if nice else None)
        self.messages: Queue = Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            assert length is not None
            self.messages.put((time.perf_counter(), json.loads(stream.read(length))))

    def send(self, message: dict) -> float:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        assert self.process.stdin is not None
        sent = time.perf_counter()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()
        return sent

    def request(self, method: str, params: dict, timeout: float = 60) -> dict:
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        while True:
            _, message = self.messages.get(timeout=timeout)
            if message.get("id") == self.next_id and "method" not in message:
                return message
            self._answer(message)

    def _answer(self, message: dict) -> None:
        """Answer the server's own requests (configuration, registrations) with nothing."""
        if "id" in message and "method" in message:
            result = [None] * len(message["params"].get("items", [])) if message["method"] == "workspace/configuration" else None
            self.send({"id": message["id"], "result": result})

    def diagnostics(self, uri: str, version: int | None, timeout: float = 60) -> tuple[float, list]:
        """(arrival time, diagnostics) of the next publication for ``uri`` at ``version``."""
        deadline = time.perf_counter() + timeout
        while True:
            arrived, message = self.messages.get(timeout=max(0.01, deadline - time.perf_counter()))
            self._answer(message)
            if message.get("method") != "textDocument/publishDiagnostics":
                continue
            params = message["params"]
            if params["uri"] == uri and params.get("version") in (None, version):
                return arrived, params["diagnostics"]

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        try:
            self.request("shutdown", None, timeout=10)  # type: ignore[arg-type]
            self.send({"method": "exit"})
            self.process.wait(timeout=10)
        except (Empty, OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()


def edited(text: str, edit: int) -> str:
    """The text with the ``edit``-th CUDA call line toggled (findings change every time)."""
    lines = text.split("\n")
    targets = [i for i, line in enumerate(lines) if ".cuda()" in line or "].to(device)" in line]
    index = targets[(edit * 7) % len(targets)]
    line = lines[index]
    lines[index] = line.replace(".cuda()", ".to(device)") if ".cuda()" in line else line.replace(
        "].to(device)", "].cuda()")
    return "\n".join(lines)


def measure(name: str, command: list[str], text: str, edits: int, pause: float, workdir: Path,
            nice: int = 0) -> dict:
    path = workdir / "train_module.py"
    path.write_text(text, encoding="utf-8")
    uri = path.as_uri()
    server = Server(command, workdir, nice)
    try:
        server.request("initialize", {"processId": os.getpid(), "rootUri": workdir.as_uri(), "capabilities": {
            "textDocument": {"publishDiagnostics": {"versionSupport": True}},
            "general": {"positionEncodings": ["utf-16"]}}})
        server.send({"method": "initialized", "params": {}})
        opened = server.send({"method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": uri, "languageId": "python", "version": 1, "text": text}}})
        arrived, found = server.diagnostics(uri, 1)
        first = arrived - opened
        latencies, counts = [], []
        cpu_before = server.cpu_seconds()
        for edit in range(edits):
            text = edited(text, edit)
            version = edit + 2
            sent = server.send({"method": "textDocument/didChange", "params": {
                "textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}})
            arrived, found = server.diagnostics(uri, version)
            latencies.append(arrived - sent)
            counts.append(len(found))
            time.sleep(pause)
        cpu = server.cpu_seconds() - cpu_before
    finally:
        server.close()
    ordered = sorted(latencies)

    def percentile(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

    return {"server": name, "command": " ".join(command), "edits": edits, "open_ms": first * 1000,
            "median_ms": statistics.median(latencies) * 1000, "p90_ms": percentile(90) * 1000,
            "p99_ms": percentile(99) * 1000, "min_ms": ordered[0] * 1000, "max_ms": ordered[-1] * 1000,
            "cpu_ms_per_edit": cpu / edits * 1000, "diagnostics": [min(counts), max(counts)]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=60)
    parser.add_argument("--pause", type=float, default=0.15, help="seconds between edits")
    parser.add_argument("--file", type=Path, help="a Python file to edit instead of the synthetic one")
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--nice", type=int, default=0,
                        help="run the servers at this niceness (negative, as root: ahead of other work on a "
                             "busy machine, which approximates a free core)")
    args = parser.parse_args(argv)
    if args.file:
        files = {args.file.name: args.file.read_text(encoding="utf-8")}
    else:  # a typical module (1 function in 8 CUDA-only) and the dense worst case
        files = {"typical": synthetic_file(args.lines, 8), "dense": synthetic_file(args.lines, 1)}
    if any(".cuda()" not in text for text in files.values()):
        parser.error("the file needs at least one `.cuda()` line to edit")
    servers = [("portlint", [sys.executable, "-m", "portlint", "server"])]
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff:
        version = subprocess.run([ruff, "--version"], capture_output=True, text=True).stdout.strip()
        servers.append((version, [ruff, "server"]))
    results = []
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        (workdir / "pyproject.toml").write_text("[tool.portlint]\n", encoding="utf-8")
        for label, text in files.items():
            for name, command in servers:  # the servers alternate on each file
                result = measure(name, command, text, args.edits, args.pause, workdir, args.nice)
                result["file"] = label
                result["lines"] = text.count("\n") + (not text.endswith("\n"))
                results.append(result)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"change-to-diagnostics latency, {args.edits} edits {args.pause * 1000:.0f} ms apart, "
          f"{os.cpu_count()} CPUs, load average {load:.1f}, servers at niceness {args.nice}\n")
    print("| file | server | median | p90 | p99 | min | max | server CPU per edit | first (didOpen) | diagnostics |")
    print("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|")
    for r in results:
        print(f"| {r['file']} ({r['lines']} lines) | {r['server']} | {r['median_ms']:.1f} ms | {r['p90_ms']:.1f} ms | "
              f"{r['p99_ms']:.1f} ms | {r['min_ms']:.1f} ms | {r['max_ms']:.1f} ms | {r['cpu_ms_per_edit']:.1f} ms | "
              f"{r['open_ms']:.0f} ms | {r['diagnostics'][0]}-{r['diagnostics'][1]} |")
    if args.json:
        args.json.write_text(json.dumps({"load": load, "results": results}, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
