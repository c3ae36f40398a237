"""``portlint server``: a language server (LSP over standard input/output), built on pygls.

What it does:

* **Diagnostics** when a document is opened, changed and saved: one per finding, with the
  rule code, ``source: "portlint"``, the rule's severity, the fix or advice in the message
  and ``codeDescription.href`` pointing at the rule's documentation. A file that cannot be
  checked (syntax error) gets one warning saying so; a broken configuration one error.
* **Code actions**: per finding, its fix as a quick fix (the same edits ``portlint fix``
  makes for it alone, imports and ``DEVICE = ...`` included; unsafe fixes are labelled)
  and "add ``# noqa``"; per document, "fix all safe fixes" (kind ``source.fixAll.portlint``,
  exactly ``portlint fix``). Edits are computed when the client resolves the action, when
  it can (``codeAction/resolve``), else right away.
* **Configuration** per file: each document is checked with the ``pyproject.toml`` /
  ``portlint.toml`` nearest to it (``portlint.buffers``), reloaded when it changes; files the
  configuration excludes get no diagnostics.

Timing: a change is checked once the document has been quiet for ``QUIET`` (10 ms), and
always on the document's latest text. Changes that arrive together (a paste or a
multi-cursor edit sent as several events, an undo chain) are checked once; changes that
arrive while a check runs wait for it and are then checked once, together. So the
diagnostics of a change follow it after at most the rest of a running check plus its own
check (a 1,000-line file takes 10-50 ms of CPU), and the server never queues more than one
check per document however fast the user types. A longer, fixed debounce would only add
its length to every edit. The text is synchronised in full
(``TextDocumentSyncKind.Full``): each change carries the whole document, so the server's
copy never drifts from the editor's (pygls splits lines as ``str.splitlines`` does, at
form feeds too, which would misplace incremental edits).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from portlint import __version__
from portlint.buffers import Checked, check_buffer
from portlint.codeactions import add_noqa, fix_all, quick_fix
from portlint.findings import Finding
from portlint.fixedits import Positions, TextEdit
from portlint.workspace import Workspace

QUIET = 0.01  # seconds without a change before the document is checked
FIX_ALL_KIND = "source.fixAll.portlint"
CONFIG_NAMES = ("pyproject.toml", "portlint.toml")
SOURCE = "portlint"
logger = logging.getLogger("portlint.server")


@dataclass
class Document:
    """The last check of an open document."""

    uri: str
    version: int | None
    text: str
    checked: Checked
    notices: list[types.Diagnostic] = field(default_factory=list)  # cannot check, bad config
    diagnostics: list[types.Diagnostic] = field(default_factory=list)  # one per finding, in order


class PortlintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("portlint", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Full)
        self.configs: Workspace | None = None  # portlint's settings per file (made at initialize)
        self.documents: dict[str, Document] = {}
        self.timers: dict[str, asyncio.TimerHandle] = {}

    # ------------------------------------------------------------------ checking

    def check(self, uri: str) -> Document:
        """Check the document as the editor has it now, publish, and remember the result."""
        self.timers.pop(uri, None)
        text_document = self.workspace.get_text_document(uri)
        if document_kind(uri, text_document.source) is None:
            checked = Checked()  # not checked in the editor (see document_kind)
        else:
            checked = check_buffer(self.configuration(), text_document.source, uri_to_path(uri))
        document = Document(uri, text_document.version, text_document.source, checked)
        document.notices, document.diagnostics = diagnostics(document, self.workspace.position_encoding)
        self.documents[uri] = document
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, version=document.version, diagnostics=[*document.notices, *document.diagnostics]))
        return document

    def schedule(self, uri: str) -> None:
        """Check once no change has come for ``QUIET`` seconds (see the module docstring)."""
        timer = self.timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        self.timers[uri] = asyncio.get_running_loop().call_later(QUIET, self.check, uri)

    def current(self, uri: str) -> Document | None:
        """The check of the document's current version (checked now if it is stale)."""
        if uri not in self.workspace.text_documents:
            return None
        document = self.documents.get(uri)
        if document is None or document.version != self.workspace.get_text_document(uri).version:
            document = self.check(uri)
        return document

    def configuration(self) -> Workspace:
        if self.configs is None:
            self.configs = Workspace()
        return self.configs

    def recheck_all(self) -> None:
        """A configuration file changed: load configurations again, check open documents."""
        self.configuration().reload()
        for uri in list(self.documents):
            if uri in self.workspace.text_documents:
                self.check(uri)

    # ------------------------------------------------------------------ edits

    def workspace_edit(self, document: Document, edits: list[TextEdit]) -> types.WorkspaceEdit:
        positions = Positions(document.text)
        encoding = self.workspace.position_encoding
        text_edits = [types.TextEdit(range=lsp_range(positions, edit.start, edit.end, encoding), new_text=edit.text)
                      for edit in edits]
        capabilities = self.client_capabilities.workspace
        versioned = bool(capabilities and capabilities.workspace_edit and capabilities.workspace_edit.document_changes)
        if versioned and document.version is not None:
            identifier = types.OptionalVersionedTextDocumentIdentifier(uri=document.uri, version=document.version)
            return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(text_document=identifier,
                                                                                edits=text_edits)])
        return types.WorkspaceEdit(changes={document.uri: text_edits})

    def resolves_edits(self) -> bool:
        text_document = self.client_capabilities.text_document
        action = text_document.code_action if text_document else None
        support = action.resolve_support if action else None
        return bool(support and "edit" in support.properties)


# --------------------------------------------------------------------------- conversions


def uri_to_path(uri: str) -> Path | None:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    path = unquote(parsed.path)
    if re.match(r"^/[A-Za-z]:", path):  # file:///C:/... on Windows
        path = path[1:]
    return Path(path)


def document_kind(uri: str, text: str) -> str | None:
    """The kind of file (``portlint.kinds``) a document is checked as, or None when the
    server does not check it. Scripts, Dockerfiles, requirements, configs and CUDA sources
    are checked as ``portlint check`` reads them (their diagnostics are at their own lines).
    Notebooks are not checked in the editor: an ``.ipynb`` opened as text is JSON whose
    lines are not the cells' lines, and a notebook's cells (``vscode-notebook-cell:``
    documents) are each only part of a module (imports and guards live in other cells), so
    diagnostics there would be misplaced or wrong. ``portlint check`` covers notebooks."""
    from portlint.kinds import kind_of_text

    path = uri_to_path(uri)
    if path is None:
        return None if "notebook" in urlparse(uri).scheme else "python"  # untitled: Python
    kind = kind_of_text(str(path), text)
    return None if kind == "notebook" else kind


def _units(text: str, encoding: Any) -> int:
    if encoding == types.PositionEncodingKind.Utf32:
        return len(text)
    if encoding == types.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)  # UTF-16 code units


def lsp_position(positions: Positions, offset: int, encoding: Any) -> types.Position:
    line, column = positions.position(offset)
    start = positions.starts[line - 1]
    return types.Position(line=line - 1, character=_units(positions.text[start:start + column - 1], encoding))


def lsp_range(positions: Positions, start: int, end: int, encoding: Any) -> types.Range:
    return types.Range(start=lsp_position(positions, start, encoding), end=lsp_position(positions, end, encoding))


def finding_range(positions: Positions, finding: Finding, encoding: Any) -> types.Range:
    start = positions.offset(finding.line, finding.column)
    end = positions.offset(finding.end_line, finding.end_column)
    if start is None or end is None:
        start = end = positions.offset(min(finding.line, len(positions.starts)), 1) or 0
    return lsp_range(positions, start, max(start, end), encoding)


SEVERITIES = {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning}


def diagnostics(document: Document, encoding: Any) -> tuple[list[types.Diagnostic], list[types.Diagnostic]]:
    """(notices, one diagnostic per finding) for a checked document."""
    from portlint.docs import rule_url
    from portlint.reporters.github import message

    checked = document.checked
    start = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0))
    if checked.config_error is not None:
        return [types.Diagnostic(range=start, message=f"portlint: configuration error: {checked.config_error}",
                                 severity=types.DiagnosticSeverity.Error, source=SOURCE)], []
    positions = Positions(document.text)
    notices, result = [], []
    if checked.error is not None:
        where = re.search(r"line (\d+)", checked.error.reason)
        line = min(int(where.group(1)), len(positions.starts)) if where else 1
        at = lsp_range(positions, positions.starts[line - 1], positions.starts[line - 1], encoding)
        notices.append(types.Diagnostic(range=at, message=f"portlint cannot check this file: {checked.error.reason}",
                                        severity=types.DiagnosticSeverity.Warning, source=SOURCE))
    rules = {rule.code: rule for rule in checked.linter.ruleset.rules} if checked.linter else {}
    for finding in checked.findings:
        rule = rules.get(finding.code)
        result.append(types.Diagnostic(
            range=finding_range(positions, finding, encoding),
            message=message(finding),
            severity=SEVERITIES.get(finding.severity, types.DiagnosticSeverity.Error),
            code=finding.code,
            code_description=types.CodeDescription(href=rule_url(rule)) if rule else None,
            source=SOURCE,
        ))
    return notices, result


# --------------------------------------------------------------------------- the server

server = PortlintServer()


@server.feature(types.INITIALIZE)
def initialize(ls: PortlintServer, params: types.InitializeParams) -> None:
    root = ls.workspace.root_path  # files without a configuration above get this directory's
    ls.configs = Workspace(cwd=Path(root)) if root and Path(root).is_dir() else Workspace()


@server.feature(types.INITIALIZED)
async def initialized(ls: PortlintServer, params: types.InitializedParams) -> None:
    """Ask the client to tell us when a configuration file changes outside the editor."""
    workspace = ls.client_capabilities.workspace
    watched = workspace.did_change_watched_files if workspace else None
    if not (watched and watched.dynamic_registration):
        return
    watchers = [types.FileSystemWatcher(glob_pattern=f"**/{name}") for name in CONFIG_NAMES]
    await ls.client_register_capability_async(types.RegistrationParams(registrations=[types.Registration(
        id="portlint-configuration", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
        register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers))]))


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: PortlintServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.check(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: PortlintServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
def did_save(ls: PortlintServer, params: types.DidSaveTextDocumentParams) -> None:
    path = uri_to_path(params.text_document.uri)
    if path is not None and path.name in CONFIG_NAMES:
        ls.recheck_all()  # the configuration of open documents may have changed
    elif params.text_document.uri in ls.workspace.text_documents:
        ls.check(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: PortlintServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    timer = ls.timers.pop(uri, None)
    if timer is not None:
        timer.cancel()
    ls.documents.pop(uri, None)
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def did_change_watched_files(ls: PortlintServer, params: types.DidChangeWatchedFilesParams) -> None:
    if any(change.uri.rsplit("/", 1)[-1] in CONFIG_NAMES for change in params.changes):
        ls.recheck_all()


def _wanted(kind: str, only: list[str] | None) -> bool:
    return only is None or any(kind == k or kind.startswith(k + ".") for k in only)


@server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
    code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND], resolve_provider=True))
def code_action(ls: PortlintServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
    document = ls.current(params.text_document.uri)
    if document is None or document.checked.linter is None:
        return None
    only = [str(kind) for kind in params.context.only] if params.context.only else None
    lazy = ls.resolves_edits()
    first, last = params.range.start.line + 1, params.range.end.line + 1
    actions: list[types.CodeAction] = []
    findings = document.checked.findings
    for index, (finding, diagnostic) in enumerate(zip(findings, document.diagnostics)):
        if finding.end_line < first or finding.line > last or not _wanted(types.CodeActionKind.QuickFix, only):
            continue
        fix = finding.fix
        if fix is not None and fix.replacement is not None and fix.applicability in ("safe", "unsafe"):
            label = "" if fix.applicability == "safe" else " (unsafe: review the change)"
            action = types.CodeAction(
                title=f"portlint: fix {finding.code}: {_short(fix.replacement)}{label}",
                kind=types.CodeActionKind.QuickFix, diagnostics=[diagnostic],
                is_preferred=fix.applicability == "safe",
                data={"uri": document.uri, "version": document.version, "action": "fix", "index": index})
            actions.append(action if lazy else resolve(ls, action))
        noqa = add_noqa(document.text, finding)
        if noqa is not None:
            actions.append(types.CodeAction(
                title=f"portlint: ignore {finding.code} on this line (# noqa)",
                kind=types.CodeActionKind.QuickFix, diagnostics=[diagnostic],
                edit=ls.workspace_edit(document, [noqa])))
    if _wanted(FIX_ALL_KIND, only) and any(
            f.fix is not None and f.fix.replacement is not None and f.fix.applicability == "safe" for f in findings):
        action = types.CodeAction(title="portlint: fix all safe fixes", kind=FIX_ALL_KIND,
                                  data={"uri": document.uri, "version": document.version, "action": "fixAll"})
        actions.append(action if lazy else resolve(ls, action))
    return [action for action in actions if action.edit is not None or action.data is not None]


def _short(code: str) -> str:
    line = code.strip().splitlines()[0] if code.strip() else code
    return f"`{line[:57]}...`" if len(line) > 60 else f"`{line}`"


@server.feature(types.CODE_ACTION_RESOLVE)
def resolve(ls: PortlintServer, action: types.CodeAction) -> types.CodeAction:
    data = action.data if isinstance(action.data, dict) else {}
    document = ls.current(data.get("uri", ""))
    if document is None or document.checked.linter is None or document.version != data.get("version"):
        action.data = None
        return action  # the document changed since: no edit (the client asks again)
    linter = document.checked.linter
    if data.get("action") == "fixAll":
        path = str(uri_to_path(document.uri) or "untitled.py")
        edits = fix_all(document.text, linter, path)
    else:
        index = data.get("index", -1)
        findings = document.checked.findings
        edits = quick_fix(document.text, linter, findings[index]) if 0 <= index < len(findings) else None
    action.data = None
    if edits:
        action.edit = ls.workspace_edit(document, edits)
    return action


class _OneLine(logging.Formatter):
    """Log records as one line each: the exception's message, not its traceback (set
    PORTLINT_DEBUG=1 for tracebacks). The editor shows the server's standard error."""

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info and not os.environ.get("PORTLINT_DEBUG"):
            error = record.exc_info[1]
            record = logging.makeLogRecord({**record.__dict__, "exc_info": None, "exc_text": None})
            record.msg, record.args = f"{record.getMessage()}: {type(error).__name__}: {error}", ()
        return " ".join(super().format(record).split("\n")) if not record.exc_info else super().format(record)


def main() -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(_OneLine("portlint server: %(levelname)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    server.start_io()
