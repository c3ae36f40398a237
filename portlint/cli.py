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
    concise = "concise"
    json_lines = "json-lines"


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
    min_torch: Optional[str] = typer.Option(None, "--min-torch", help="Oldest torch version the code must run on (default: the project's torch requirement, else 2.6)."),
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
    stdin_filename: Optional[str] = typer.Option(None, "--stdin-filename", help="Read the code from standard input (path '-') and check it as this file: its configuration, and this name in the report."),
    show_settings: bool = typer.Option(False, "--show-settings", help="Print the settings the given file is checked with, and where each comes from; then exit."),
    show_files: bool = typer.Option(False, "--show-files", help="Print the files that would be checked; then exit."),
    add_noqa: bool = typer.Option(False, "--add-noqa", help="Add '# noqa: CODE' comments that suppress every current finding; then exit."),
) -> None:
    """Check files for CUDA-specific code."""
    stdin = paths == ["-"] or (stdin_filename is not None and not paths)
    if not stdin and paths and "-" in paths:
        raise _fail("'-' (standard input) cannot be mixed with other paths")
    if not stdin and stdin_filename is not None:
        raise _fail("--stdin-filename names the code read from standard input: give '-' (or no path)")
    paths = [] if stdin else default_paths(paths)
    fixing = fix or diff or ctx.info_name == "fix"
    if not show_settings:  # the settings of a file not yet written can be shown
        check_paths_exist(paths)
    overrides = {
        "target": target.value if target else None,
        "select": _split_codes(select),
        "extend_select": _split_codes(extend_select),
        "ignore": _split_codes(ignore),
        "min_torch": min_torch,
        "force_exclude": True if force_exclude else None,
    }
    if show_settings or show_files or add_noqa:
        _inspect(paths, config, overrides, show_settings, show_files, add_noqa)
    run = None
    stdin_texts: dict = {}
    try:
        known = None if baseline is None else _read_baseline(baseline)
        workspace = load_workspace(config, overrides)
        linter = workspace.default_linter
        cache = False if no_cache else (cache_dir if cache_dir is not None else True)
        if stdin:
            report, run, stdin_texts = _check_stdin(workspace, stdin_filename or "-", fixing, diff, unsafe_fixes)
        elif fixing:
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
    if stdin and run is not None:  # the fixed source (or the diff) is on stdout; what remains on stderr
        _emit(report, workspace.rules(), "concise", False, True, None, root, stream=sys.stderr)
        for error in report.errors:
            sys.stderr.write(f"portlint: {error}\n")
        changed = diff and bool(run.changed_files)
        raise typer.Exit(0 if exit_zero else int(bool(report.findings or report.errors or changed)))
    if diff:
        _print_diff(run, show_fixes)
        raise typer.Exit(1 if run.changed_files or report.errors else 0)
    fix_edits = None
    if output_format in (OutputFormat.json, OutputFormat.json_lines, OutputFormat.sarif):  # complete fixes
        from portlint.fixedits import complete_fixes

        try:
            fix_edits = complete_fixes(report, workspace, jobs, texts=stdin_texts)
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


def _check_stdin(workspace, path: str, fixing: bool, diff: bool, unsafe: bool):
    """(report, None, {path: text}) for a check of standard input (the text for complete
    fixes); (report, run, {}) after writing the fixed source (or with --diff the diff) to
    standard output."""
    from portlint.stdin import check_stdin, fix_stdin, read_stdin

    data = read_stdin()
    if not fixing:
        report, text = check_stdin(workspace, data, path)
        return report, None, ({} if text is None else {path: text})
    fixed, run = fix_stdin(workspace, data, path, unsafe)
    if diff:
        for outcome in run.changed_files:
            sys.stdout.write(outcome.diff())
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(fixed)
        sys.stdout.flush()
    return run.report, run, {}


def _inspect(paths: List[str], config: Optional[Path], overrides: dict, show_settings: bool,
             show_files: bool, add_noqa: bool) -> None:
    """--show-settings, --show-files and --add-noqa: print (or annotate), then exit."""
    try:
        workspace = load_workspace(config, overrides)
        if show_settings:
            from portlint.explain import settings_lines

            if len(paths) != 1:
                raise _fail("--show-settings takes exactly one file")
            sys.stdout.write("".join(f"{line}\n" for line in settings_lines(workspace, paths[0])))
            raise typer.Exit(0)
        if show_files:
            from portlint.explain import files_lines

            files, problems = files_lines(workspace, paths)
            sys.stdout.write("".join(f"{name}\n" for name in files))
            for problem in problems:
                sys.stderr.write(f"portlint: {problem}\n")
            raise typer.Exit(1 if problems else 0)
        from portlint.noqa import add_noqa_to_files

        report = workspace.check_paths(paths, cache=False)
        added, files, problems = add_noqa_to_files(report.findings)
        for problem in [*map(str, report.errors), *problems]:
            sys.stderr.write(f"portlint: {problem}\n")
        sys.stderr.write(f"Added {added} noqa directive{'s' if added != 1 else ''} to {files} "
                         f"file{'s' if files != 1 else ''}.\n")
        raise typer.Exit(1 if report.errors or problems else 0)
    except PortlintError as exc:
        raise _fail(str(exc)) from None


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
          output_file: Optional[Path], root: Path, fix_edits=None, stream=None) -> None:
    if output_file is None:
        _print_report(report, rules, output_format, statistics, quiet, stream or sys.stdout, root, fix_edits)
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
    min_torch: Optional[str] = typer.Option(None, "--min-torch", help="Oldest torch version the code must run on (default: the project's torch requirement, else 2.6)."),
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


@app.command("clean")
def clean_command(
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Also remove this cache directory."),
) -> None:
    """Remove the result caches (.portlint_cache) in this directory and below."""
    from portlint.clean import clean, find_caches

    directories = find_caches(Path.cwd()) + ([cache_dir] if cache_dir is not None and cache_dir.exists() else [])
    removed, problems = clean(directories)
    for directory in removed:
        sys.stderr.write(f"Removed cache at: {directory}\n")
    for problem in problems:
        sys.stderr.write(f"portlint: {problem}\n")
    if not directories:
        sys.stderr.write("No cache to remove.\n")
    raise typer.Exit(1 if problems else 0)


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
    try:
        from typer.core import _click  # click as typer uses it (vendored in newer typer)
    except ImportError:  # typer < 0.2x (the floor, 0.16) uses click itself
        import click as _click

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
