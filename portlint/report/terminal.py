"""The short terminal summary after ``portlint report`` (rich)."""

from __future__ import annotations

from typing import Any, TextIO

from portlint.report.model import APPLICABILITIES


def render(model: dict[str, Any], written: str, stream: TextIO) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(file=stream, highlight=False, soft_wrap=True)
    table = Table(title=f"portlint readiness: {model['project']} ({model['files_checked']:,} files, "
                        f"{model['lines']:,} lines)", title_justify="left", show_edge=False)
    table.add_column("target")
    table.add_column("ready after fix", justify="right")
    table.add_column("findings", justify="right")
    for kind in APPLICABILITIES:
        table.add_column(kind, justify="right")
    table.add_column("blockers", justify="right")
    for name, t in model["targets"].items():
        blockers = t["blockers"]
        hard = sum(1 for b in blockers["libraries"] if not b["npu_build"]) + len(blockers["kernels"])
        table.add_row(name, f"[bold]{t['readiness']['percent']:g}%[/]", f"{t['findings']:,}",
                      *(f"{t['by_applicability'][k]:,}" for k in APPLICABILITIES), str(hard))
    console.print(table)
    for name, t in model["targets"].items():
        console.print(f"Estimated effort ({name}): {t['effort']['text']}")
    console.print("[dim]ready after fix: share of files with nothing left after `portlint fix` (safe fixes).[/]")
    if model["errors"]:
        console.print(f"[yellow]{len(model['errors'])} files could not be checked[/] (listed in the report).")
    console.print(f"Report written to [bold]{written}[/]")
