"""The ``portlint`` command line (typer).

Exit codes: 0 no findings, 1 findings (or files that could not be checked),
2 usage, configuration or ruleset error.
"""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer

from portlint import __version__
from portlint.errors import PortlintError

app = typer.Typer(
    name="portlint",
    help="Find CUDA-only PyTorch code and make it portable (device-agnostic or torch_npu).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Target(str, Enum):
    agnostic = "agnostic"
    npu = "npu"


class OutputFormat(str, Enum):
    text = "text"
    json = "json"
    github = "github"
    sarif = "sarif"
    gitlab = "gitlab"
    junit = "junit"


def _fail(message: str, code: int = 2) -> "typer.Exit":
    from portlint.printable import printable

    sys.stderr.write(f"portlint: error: {printable(message)}\n")
    return typer.Exit(code)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"portlint {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version_callback, is_eager=True,
                                 help="Show the version and exit."),
) -> None:
    """Find CUDA-only PyTorch code and make it portable."""


def _split_codes(values: Optional[List[str]]) -> Optional[List[str]]:
    if values is None:
        return None
    return [code for value in values for code in value.split(",") if code.strip()]


def load_workspace(config: Optional[Path], overrides: dict):
    """The run's settings, per file (hierarchical configuration; see portlint/workspace.py)."""
    from portlint.workspace import Workspace

    workspace = Workspace(config=config, overrides=overrides)
    workspace.default_linter  # a bad configuration or ruleset of the working directory: exit 2 now
    return workspace


def load_linter(paths: List[str], config: Optional[Path], overrides: dict):
    """The working directory's linter (``portlint rules`` / ``rule``)."""
    return load_workspace(config, overrides).default_linter


def check_paths_exist(paths: List[str]) -> None:
    """A path that does not exist is a usage error (exit 2), as in ruff: a typo in CI must
    not pass as "0 files checked"."""
    for path in paths:
        if not os.path.lexists(path):
            raise _fail(f"{path}: no such file or directory")


@app.command()
def check(
    ctx: typer.Context,
    paths: List[str] = typer.Argument(None, help="Files or directories to check [default: .]"),
    target: Optional[Target] = typer.Option(None, "--target", "-t", help="What to port to: agnostic (any device) or npu (torch_npu)."),
    select: Optional[List[str]] = typer.Option(None, "--select", help="Rule codes or prefixes to enable (replaces the config's select)."),
    extend_select: Optional[List[str]] = typer.Option(None, "--extend-select", help="Rule codes or prefixes to enable in addition."),
    ignore: Optional[List[str]] = typer.Option(None, "--ignore", help="Rule codes or prefixes to disable."),
    min_torch: Optional[str] = typer.Option(None, "--min-torch", help="Oldest torch version the code must run on (default 2.6)."),
    output_format: OutputFormat = typer.Option(OutputFormat.text, "--output-format", "-f", help="How to print findings."),
    exit_zero: bool = typer.Option(False, "--exit-zero", help="Exit 0 even when there are findings."),
    statistics: bool = typer.Option(False, "--statistics", help="Print the number of findings per rule."),
    config: Optional[Path] = typer.Option(None, "--config", help="Config file (pyproject.toml or portlint.toml)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print findings only, without source lines or the summary."),
    output_file: Optional[Path] = typer.Option(None, "--output-file", "-o", help="Write the report to this file instead of standard output."),
    baseline: Optional[Path] = typer.Option(None, "--baseline", help="Report only findings not recorded in this baseline file."),
    write_baseline: Optional[Path] = typer.Option(None, "--write-baseline", help="Record the current findings in this baseline file, then exit 0."),
    fix: bool = typer.Option(False, "--fix", help="Apply the safe fixes in place (same as 'portlint fix')."),
    unsafe_fixes: bool = typer.Option(False, "--unsafe-fixes", help="With --fix or --diff: also apply fixes that may change behaviour."),
    show_fixes: bool = typer.Option(False, "--show-fixes", help="With --fix or --diff: list the fixes applied per file."),
    diff: bool = typer.Option(False, "--diff", help="Print the fixes as a unified diff instead of writing them; exit 1 if there are any."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=0, help="Worker processes (default: one per CPU; small runs use one)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Check every file again; do not read or write the result cache."),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Where to keep the result cache (default: .portlint_cache in the project root)."),
    force_exclude: bool = typer.Option(False, "--force-exclude", help="Apply 'exclude' to files named on the command line too (for pre-commit)."),
) -> None:
    """Check files for CUDA-specific code."""
    paths = default_paths(paths)
    fixing = fix or diff or ctx.info_name == "fix"
    check_paths_exist(paths)
    try:
        known = None if baseline is None else _read_baseline(baseline)
        workspace = load_workspace(config, {
            "target": target.value if target else None,
            "select": _split_codes(select),
            "extend_select": _split_codes(extend_select),
            "ignore": _split_codes(ignore),
            "min_torch": min_torch,
            "force_exclude": True if force_exclude else None,
        })
        linter = workspace.default_linter
        cache = False if no_cache else (cache_dir if cache_dir is not None else True)
        if fixing:
            run = workspace.fix_paths(paths, unsafe=unsafe_fixes, write=not diff, jobs=jobs, cache=cache)
            report = run.report
        else:
            from portlint.progress import ProgressBar

            with ProgressBar(output_format is OutputFormat.text and not quiet) as bar:
                report = workspace.check_paths(paths, jobs=jobs, cache=cache, progress=bar.callback)
        root = _report_root(linter)
        if write_baseline is not None:
            _write_baseline(write_baseline, report, root)
        applied = None if known is None else _apply_baseline(report, known, root)
    except PortlintError as exc:
        raise _fail(str(exc)) from None
    if diff:
        _print_diff(run, show_fixes)
        raise typer.Exit(1 if run.changed_files or report.errors else 0)
    fix_edits = None
    if output_format in (OutputFormat.json, OutputFormat.sarif):  # complete fixes: what `portlint fix` does
        from portlint.fixedits import complete_fixes

        try:
            fix_edits = complete_fixes(report, workspace, jobs)
        except PortlintError as exc:
            raise _fail(str(exc)) from None
    _emit(report, workspace.rules(), output_format.value, statistics, quiet, output_file, root, fix_edits)
    if fixing:
        _print_fix_summary(run, show_fixes, output_format is OutputFormat.text and output_file is None)
    if applied is not None and statistics:
        from portlint.baseline import render_stale

        stale_stream = sys.stdout if output_format is OutputFormat.text and output_file is None else sys.stderr
        stale_stream.write(render_stale(applied, str(baseline)))
    if output_format is OutputFormat.github and os.environ.get("GITHUB_STEP_SUMMARY"):
        from portlint import summary

        summary.append(os.environ["GITHUB_STEP_SUMMARY"], summary.markdown(
            report, workspace.rules(), linter.settings.target, root,
            None if applied is None else applied.known))
    for error in report.errors:
        sys.stderr.write(f"portlint: {error}\n")
    if exit_zero:
        raise typer.Exit(0)
    raise typer.Exit(1 if report.findings or report.errors else 0)


app.command("fix", help="Apply the fixes in place: the same as 'portlint check --fix'.")(check)


def _print_diff(run, show_fixes: bool) -> None:
    """--diff: the unified diff on stdout; counts and errors on stderr."""
    from portlint.fixer import show_fixes_lines, summary_lines

    for outcome in run.changed_files:
        sys.stdout.write(outcome.diff())
    lines = (show_fixes_lines(run) if show_fixes else []) + summary_lines(run, diff=True)
    sys.stderr.write("".join(f"{line}\n" for line in lines))
    for error in run.report.errors:
        sys.stderr.write(f"portlint: {error}\n")


def _print_fix_summary(run, show_fixes: bool, to_stdout: bool) -> None:
    """After --fix: what was applied (and how much more --unsafe-fixes would do)."""
    from portlint.fixer import show_fixes_lines, summary_lines

    lines = (show_fixes_lines(run) if show_fixes else []) + summary_lines(run)
    (sys.stdout if to_stdout else sys.stderr).write("".join(f"{line}\n" for line in lines))


def default_paths(paths: Optional[List[str]]) -> List[str]:
    """The paths to check: ``.`` when none are given, except when a pre-commit hook passed
    no files (``PRE_COMMIT=1``) or the command line ends its options with a bare ``--``:
    then nothing is checked, and the run passes."""
    if paths:
        return paths
    if os.environ.get("PRE_COMMIT") == "1":
        sys.stderr.write("portlint: no files given by pre-commit, nothing to check "
                         "(put paths in the hook's 'args' to check a directory)\n")
        return []
    if "--" in sys.argv[1:]:
        return []
    return ["."]


def _report_root(linter) -> Path:
    from portlint.baseline import project_root

    return project_root(linter.settings.root)


def _read_baseline(path: Path):
    from portlint.baseline import Baseline

    return Baseline.read(str(path))


def _write_baseline(path: Path, report, root: Path) -> None:
    from portlint.baseline import Baseline
    from portlint.printable import printable

    Baseline.from_findings(report.findings, root).write(str(path))
    count = len(report.findings)
    sys.stderr.write(f"portlint: wrote {count} finding{'s' if count != 1 else ''} to the baseline {printable(str(path))}\n")
    for error in report.errors:
        sys.stderr.write(f"portlint: {error}\n")
    raise typer.Exit(0)


def _apply_baseline(report, known, root: Path):
    from portlint.baseline import apply_baseline

    result = apply_baseline(report.findings, known, root)
    report.findings = result.new
    return result


def _emit(report, rules, output_format: str, statistics: bool, quiet: bool,
          output_file: Optional[Path], root: Path, fix_edits=None) -> None:
    if output_file is None:
        _print_report(report, rules, output_format, statistics, quiet, sys.stdout, root, fix_edits)
        return
    try:
        with open(output_file, "w", encoding="utf-8", errors="backslashreplace", newline="\n") as stream:
            _print_report(report, rules, output_format, statistics, quiet, stream, root, fix_edits)
    except OSError as exc:
        raise _fail(f"cannot write {output_file}: {exc.strerror or exc}") from None


def _print_report(report, rules, output_format: str, statistics: bool, quiet: bool,
                  stream=None, root: Optional[Path] = None, fix_edits=None) -> None:
    from portlint.reporters import get_reporter

    if statistics and output_format == "text":
        from portlint.reporters.text import render_statistics

        render_statistics(report, rules, stream or sys.stdout)
        return
    options = {"quiet": quiet, "root": root, "fix_edits": fix_edits}
    get_reporter(output_format)(report, rules, stream or sys.stdout, options)


@app.command("report")
def report(
    paths: List[str] = typer.Argument(None, help="Files or directories to report on [default: .]"),
    output_file: Optional[Path] = typer.Option(None, "--output-file", "-o", help="Where to write it; the extension picks the format: .html (default portlint-report.html), .md, .json, .csv."),
    target: Optional[Target] = typer.Option(None, "--target", "-t", help="Only this target (default: both agnostic and npu)."),
    baseline: Optional[Path] = typer.Option(None, "--baseline", help="An earlier 'portlint report -o FILE.json': show the progress since."),
    open_report: bool = typer.Option(False, "--open", help="Open the written report in the browser."),
    config: Optional[Path] = typer.Option(None, "--config", help="Config file (pyproject.toml or portlint.toml)."),
    min_torch: Optional[str] = typer.Option(None, "--min-torch", help="Oldest torch version the code must run on (default 2.6)."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=0, help="Worker processes (default: one per CPU)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Check every file again; do not read or write the result cache."),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Where to keep the result cache."),
) -> None:
    """Write a readiness report (HTML, Markdown, JSON or CSV): how far the code is from running off CUDA."""
    from portlint.report.command import run

    paths = default_paths(paths)
    check_paths_exist(paths)
    try:
        workspace = load_workspace(config, {"min_torch": min_torch})
        code = run(workspace, paths, output_file, (target.value,) if target else None, baseline,
                   _report_root(workspace.default_linter),
                   jobs=jobs, cache=False if no_cache else (cache_dir if cache_dir is not None else True),
                   open_browser=open_report)
    except PortlintError as exc:
        raise _fail(str(exc)) from None
    raise typer.Exit(code)


@app.command("rules")
def list_rules(
    target: Optional[Target] = typer.Option(None, "--target", "-t", help="Only rules that apply to this target."),
    output_format: OutputFormat = typer.Option(OutputFormat.text, "--output-format", "-f"),
    config: Optional[Path] = typer.Option(None, "--config", help="Config file with extra rulesets."),
) -> None:
    """List every rule: code, family, summary and targets."""
    from portlint import docs

    if output_format not in (OutputFormat.text, OutputFormat.json):
        raise _fail("'portlint rules' prints text or json; the other formats are for 'portlint check'")

    try:
        linter = load_linter([], config, {})
    except PortlintError as exc:
        raise _fail(str(exc)) from None
    rules = [r for r in linter.ruleset.rules if target is None or target.value in r.targets]
    if output_format is OutputFormat.json:
        import json

        json.dump([docs.rule_summary(rule) for rule in rules], sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    docs.print_rule_table(rules, sys.stdout)


@app.command("rule")
def show_rule(
    code: str = typer.Argument(..., help="A rule code, like PRT101, or a rule name."),
    config: Optional[Path] = typer.Option(None, "--config", help="Config file with extra rulesets."),
) -> None:
    """Print one rule's documentation."""
    from portlint import docs

    try:
        linter = load_linter([], config, {})
    except PortlintError as exc:
        raise _fail(str(exc)) from None
    wanted = code.strip()
    for rule in linter.ruleset.rules:
        if rule.code == wanted.upper() or rule.name == wanted.lower():
            docs.print_rule(rule, linter.index.min_torch, sys.stdout)
            return
    raise _fail(f"unknown rule {code!r}; 'portlint rules' lists them")


@app.command("server")
def language_server() -> None:
    """Run the language server for editors (LSP over standard input and output)."""
    try:
        from portlint.server import main as serve
    except ImportError as exc:
        if (exc.name or "").split(".")[0] not in ("pygls", "lsprotocol"):
            raise
        raise _fail("the language server needs pygls: pip install 'portlint[server]'") from None
    serve()


def _safe_streams() -> None:
    """Whatever the locale, printing never fails on a character: what the stream cannot
    encode (e.g. the bytes of a file name that is not UTF-8) is written escaped."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
        except (AttributeError, ValueError):
            pass


def _usage_error(exc: Exception) -> int:
    """A usage error (bad option, bad value, unknown command) as one line, like the others."""
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)  # type: ignore[attr-defined]
    context = getattr(exc, "ctx", None)
    command = context.command_path if context is not None else "portlint"
    sys.stderr.write(f"portlint: error: {' '.join(message.split())} (see '{command} -h')\n")
    return int(getattr(exc, "exit_code", 2))


def main() -> None:
    from typer.core import _click  # click as typer uses it (vendored or not)

    _safe_streams()
    try:
        help_only = getattr(_click.exceptions, "NoArgsIsHelpError", ())
        try:
            code = app(standalone_mode=False)
        except help_only as exc:  # 'portlint' alone: the help, as always
            exc.show()
            code = exc.exit_code
        except _click.exceptions.ClickException as exc:  # usage errors and the like
            code = _usage_error(exc)
        except typer.Abort:
            code = 1
        sys.exit(code if isinstance(code, int) else 0)
    except KeyboardInterrupt:
        sys.stderr.write("portlint: interrupted\n")
        sys.exit(130)
    except Exception as exc:  # pragma: no cover - last line of defence: no tracebacks
        if os.environ.get("PORTLINT_DEBUG"):
            raise
        from portlint.printable import printable

        sys.stderr.write(printable(f"portlint: internal error: {type(exc).__name__}: {exc} ")
                         + "(set PORTLINT_DEBUG=1 for a traceback, and please report it)\n")
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
