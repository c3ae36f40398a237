"""``portlint report``: check every target once, build the model, write the file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from portlint.errors import PortlintError
from portlint.rules import TARGETS

FORMATS = {".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown", ".json": "json",
           ".csv": "csv"}
DEFAULT_OUTPUT = "portlint-report.html"


def output_format(path: Path) -> str:
    if is_step_summary(path):
        return "markdown"
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise PortlintError(f"cannot tell the report format from {str(path)!r}: use a file name ending in "
                            ".html, .md, .json or .csv")
    return FORMATS[suffix]


def is_step_summary(path: Path) -> bool:
    """``-o "$GITHUB_STEP_SUMMARY"``: that file has no extension; it gets Markdown, appended."""
    import os

    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    return bool(summary) and os.path.abspath(path) == os.path.abspath(summary)


def run(workspace, paths: list[str], output: Path | None, targets: tuple[str, ...] | None, baseline: Path | None,
        root: Path, *, jobs: int | None, cache: Any, open_browser: bool) -> int:
    """Write the report; return the exit code (0, or 1 when files could not be checked)."""
    from portlint.report import model as model_module
    from portlint.report.collect import check_targets
    output = output or Path(DEFAULT_OUTPUT)
    kind = output_format(output)
    previous = None if baseline is None else model_module.read_baseline(str(baseline))
    reports = check_targets(workspace, paths, targets or TARGETS, jobs=jobs, cache=cache)
    inputs = model_module.Inputs(reports, _ruleset(workspace), root, paths)
    model = model_module.build(inputs, previous)
    text = render(kind, model, inputs)
    if is_step_summary(output):
        from portlint.summary import append

        append(str(output), text)
    else:
        _write(output, text)
    from portlint.report import terminal

    terminal.render(model, str(output), sys.stdout)
    if open_browser:
        import webbrowser

        webbrowser.open(output.resolve().as_uri())
    for error in model["errors"]:
        sys.stderr.write(f"portlint: {error['path']}: {error['reason']}\n")
    return 1 if model["errors"] else 0


def _ruleset(workspace):  # -> Ruleset
    """The working directory's ruleset, with the rules other configurations of the run loaded."""
    import dataclasses

    ruleset = workspace.default_linter.ruleset
    return dataclasses.replace(ruleset, rules=workspace.rules())


def _write(output: Path, text: str) -> None:
    """Atomically; a new file gets the usual permissions (the umask's), not the temp file's 0600."""
    import os

    from portlint.writer import WriteError, write_atomic

    existed = output.exists()
    try:
        write_atomic(str(output), text.encode("utf-8"))
        if not existed:
            mask = os.umask(0)
            os.umask(mask)
            os.chmod(output, 0o666 & ~mask)
    except (WriteError, OSError) as exc:
        raise PortlintError(f"cannot write {output}: {getattr(exc, 'strerror', None) or exc}") from None


def render(kind: str, model: dict[str, Any], inputs) -> str:
    if kind == "html":
        from portlint.report import html

        return html.render(model, inputs.ruleset)
    if kind == "markdown":
        from portlint.report import markdown

        return markdown.render(model)
    from portlint.report import data

    if kind == "json":
        return data.render_json(model)
    return data.render_csv(inputs.reports, inputs.ruleset, inputs.root)
