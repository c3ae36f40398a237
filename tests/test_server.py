"""``portlint server``, driven as an editor drives it: the server runs as a subprocess
(``python -m portlint server``) and pygls's language client talks LSP to it over stdio.

Open a file, receive diagnostics, change it, receive the update, request code actions,
resolve and apply their edits, and compare the edited text with what ``portlint fix`` makes.
"""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls", reason="the language server needs pygls (pip install -e '.[server]')")

from lsprotocol import types  # noqa: E402
from pygls.lsp.client import LanguageClient  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from conftest import shipped_ruleset  # noqa: E402
from portlint.cli import app  # noqa: E402
from portlint.docs import RULES_URL  # noqa: E402

TIMEOUT = 60
TRAIN = """\
import torch as th

n = th.cuda.device_count()
if th.cuda.is_available():
    th.cuda.synchronize()
x = th.zeros(2).cuda()  # é😀 before nothing
"""
CHANGED = """\
import torch as th

\x0c
n = th.cuda.device_count()
s = "😀😀"; y = th.zeros(2, device="cuda")
"""


def utf16_offset(text: str, position: types.Position) -> int:
    """An LSP position (UTF-16 code units) as an offset; lines end at \\r\\n, \\r or \\n."""
    starts = [0, *(m.end() for m in re.finditer(r"\r\n|\r|\n", text))]
    start = starts[position.line]
    units = 0
    offset = start
    while units < position.character:
        units += 2 if ord(text[offset]) > 0xFFFF else 1
        offset += 1
    return offset


def apply_edit(text: str, edit: types.WorkspaceEdit, uri: str) -> str:
    if edit.document_changes:
        (change,) = edit.document_changes
        assert isinstance(change, types.TextDocumentEdit) and change.text_document.uri == uri
        edits = change.edits
    else:
        edits = edit.changes[uri]
    spans = [(utf16_offset(text, e.range.start), utf16_offset(text, e.range.end), e.new_text) for e in edits]
    for start, end, new in sorted(spans, reverse=True):  # LSP: all ranges refer to the original text
        text = text[:start] + new + text[end:]
    return text


def portlint_fix(path: Path, text: str, *args: str) -> str:
    copy = path.parent / f"copy_of_{path.name}"
    copy.write_bytes(text.encode("utf-8"))
    try:
        CliRunner().invoke(app, ["fix", str(copy), "--no-cache", *args])
        return copy.read_bytes().decode("utf-8")
    finally:
        copy.unlink()


class Session:
    """A started server and the diagnostics it published, per URI."""

    def __init__(self, client: LanguageClient) -> None:
        self.client = client
        self.published: dict[str, asyncio.Queue] = {}
        self.registrations: list[types.Registration] = []

    def queue(self, uri: str) -> asyncio.Queue:
        return self.published.setdefault(uri, asyncio.Queue())

    async def diagnostics(self, uri: str, version: int | None = None) -> types.PublishDiagnosticsParams:
        """The next diagnostics for ``uri`` (of ``version``, skipping older ones)."""
        while True:
            params = await asyncio.wait_for(self.queue(uri).get(), TIMEOUT)
            if version is None or params.version == version:
                return params

    def open(self, path: Path, text: str, version: int = 1) -> str:
        uri = path.as_uri()
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=version, text=text)))
        return uri

    def change(self, uri: str, text: str, version: int) -> None:
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))

    async def actions(self, uri: str, line: int, only: list[str] | None = None) -> list[types.CodeAction]:
        position = types.Position(line=line, character=0)
        result = await asyncio.wait_for(self.client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=position, end=position),
            context=types.CodeActionContext(diagnostics=[], only=only))), TIMEOUT)
        return list(result or [])

    async def resolved(self, action: types.CodeAction) -> types.CodeAction:
        if action.edit is not None:
            return action
        return await asyncio.wait_for(self.client.code_action_resolve_async(action), TIMEOUT)


def run_session(workdir: Path, scenario, resolve_support: bool = True) -> None:
    async def main() -> None:
        client = LanguageClient("portlint-tests", "1")
        session = Session(client)

        @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
            session.queue(params.uri).put_nowait(params)

        @client.feature(types.CLIENT_REGISTER_CAPABILITY)
        def on_register(params: types.RegistrationParams) -> None:
            session.registrations.extend(params.registrations)

        await client.start_io(sys.executable, "-m", "portlint", "server", cwd=str(workdir))
        try:
            code_action = types.CodeActionClientCapabilities(
                resolve_support=types.ClientCodeActionResolveOptions(properties=["edit"]) if resolve_support else None)
            capabilities = types.ClientCapabilities(
                text_document=types.TextDocumentClientCapabilities(code_action=code_action),
                workspace=types.WorkspaceClientCapabilities(
                    workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=resolve_support),
                    did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(dynamic_registration=True)))
            result = await asyncio.wait_for(client.initialize_async(types.InitializeParams(
                capabilities=capabilities, root_uri=workdir.as_uri(), process_id=None)), TIMEOUT)
            assert result.server_info is not None and result.server_info.name == "portlint"
            client.initialized(types.InitializedParams())
            await scenario(session)
        finally:
            try:
                await asyncio.wait_for(client.shutdown_async(None), TIMEOUT)
                client.exit(None)
            finally:
                await client.stop()

    asyncio.run(main())


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[tool.portlint]\nexclude = ["generated"]\n', encoding="utf-8")
    (tmp_path / "npu").mkdir()
    (tmp_path / "npu" / "portlint.toml").write_text('target = "npu"\nignore = ["PRT404"]\n', encoding="utf-8")
    (tmp_path / "generated").mkdir()
    return tmp_path


@pytest.mark.parametrize("resolve_support", [True, False], ids=["lazy-edits", "eager-edits"])
def test_open_change_and_apply_code_actions(project: Path, resolve_support: bool) -> None:
    path = project / "train.py"
    path.write_text(TRAIN, encoding="utf-8")

    async def scenario(session: Session) -> None:
        uri = session.open(path, TRAIN)
        first = await session.diagnostics(uri, 1)
        assert [(d.code, d.range.start.line) for d in first.diagnostics] == [
            ("PRT101", 2), ("PRT102", 3), ("PRT103", 4), ("PRT404", 5)]
        names = {rule.code: rule.name for rule in shipped_ruleset().rules}
        for diagnostic in first.diagnostics:
            assert diagnostic.source == "portlint" and diagnostic.severity == types.DiagnosticSeverity.Error
            assert diagnostic.code_description.href == f"{RULES_URL}#{diagnostic.code.lower()}-{names[diagnostic.code]}"
        count = first.diagnostics[0]
        assert (count.range.start.character, count.range.end.character) == (4, 24)  # th.cuda.device_count
        assert "fix: torch.accelerator.device_count" in count.message

        # a change: one finding gone, a new one on a line with astral characters (UTF-16)
        session.change(uri, CHANGED, 2)
        second = await session.diagnostics(uri, 2)
        assert [(d.code, d.range.start.line) for d in second.diagnostics] == [("PRT101", 3), ("PRT401", 4)]
        device = second.diagnostics[1]
        line = re.split(r"\r\n|\r|\n", CHANGED)[4]  # (str.splitlines() also splits at the \x0c)
        assert line[utf16_offset(line, types.Position(line=0, character=device.range.start.character)):
                    utf16_offset(line, types.Position(line=0, character=device.range.end.character))] == '"cuda"'

        # the quick fix of the new finding: its replacement plus the DEVICE definition
        actions = await session.actions(uri, 4)
        titles = [a.title for a in actions]
        assert any(t.startswith("portlint: fix PRT401") for t in titles), titles
        assert "portlint: ignore PRT401 on this line (# noqa)" in titles
        assert "portlint: fix all safe fixes" in titles
        fix = await session.resolved(next(a for a in actions if a.title.startswith("portlint: fix PRT401")))
        assert fix.kind == types.CodeActionKind.QuickFix and fix.diagnostics[0].code == "PRT401"
        fixed = apply_edit(CHANGED, fix.edit, uri)
        assert 'y = th.zeros(2, device=DEVICE)' in fixed
        assert "\nimport torch\n" in fixed and "\nDEVICE = torch.accelerator" in fixed
        assert fix.title.endswith("(unsafe: review the change)") and not fix.is_preferred  # as in `portlint rule`
        assert fixed == portlint_fix(path, CHANGED, "--select", "PRT401", "--unsafe-fixes"), fixed
        assert "th.cuda.device_count()" in fixed  # the quick fix fixes this finding only

        # fix all safe fixes == `portlint fix`
        (fix_all,) = await session.actions(uri, 0, only=["source.fixAll"])
        fix_all = await session.resolved(fix_all)
        assert fix_all.kind == "source.fixAll.portlint"
        assert apply_edit(CHANGED, fix_all.edit, uri) == portlint_fix(path, CHANGED)

        # add noqa, then the editor holds the edited text: the finding is gone
        noqa = next(a for a in actions if "(# noqa)" in a.title)
        suppressed = apply_edit(CHANGED, noqa.edit, uri)
        assert re.split(r"\r\n|\r|\n", suppressed)[4].endswith('"cuda")  # noqa: PRT401')
        session.change(uri, suppressed, 3)
        third = await session.diagnostics(uri, 3)
        assert [d.code for d in third.diagnostics] == ["PRT101"]

    run_session(project, scenario, resolve_support)


def test_configuration_per_file_exclusion_and_errors(project: Path) -> None:
    npu_file = project / "npu" / "model.py"
    npu_file.write_text(TRAIN, encoding="utf-8")
    excluded = project / "generated" / "gen.py"
    excluded.write_text(TRAIN, encoding="utf-8")
    broken = project / "broken.py"

    async def scenario(session: Session) -> None:
        uri = session.open(npu_file, TRAIN)
        published = await session.diagnostics(uri, 1)
        codes = [d.code for d in published.diagnostics]
        assert codes == ["PRT101", "PRT102", "PRT103"]  # npu/portlint.toml ignores PRT404
        assert "torch.npu.device_count" in published.diagnostics[0].message  # target npu

        assert list((await session.diagnostics(session.open(excluded, TRAIN), 1)).diagnostics) == []

        uri = session.open(broken, "import torch\nx = torch.zeros(2).cuda(\n")  # (parsed: it may match)
        (notice,) = (await session.diagnostics(uri, 1)).diagnostics
        assert notice.severity == types.DiagnosticSeverity.Warning and "syntax error" in notice.message
        assert notice.range.start.line == 1

        # the configuration changes on disk (the server asked to be told): re-checked with it;
        # an invalid key is an error, never a silent pass
        (registration,) = session.registrations
        assert registration.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
        assert {w["globPattern"] for w in registration.register_options["watchers"]} == {
            "**/pyproject.toml", "**/portlint.toml"}
        config = project / "npu" / "portlint.toml"
        config.write_text('target = "npu"\nignore_codes = ["PRT404"]\n', encoding="utf-8")
        session.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
            types.FileEvent(uri=config.as_uri(), type=types.FileChangeType.Changed)]))
        (error,) = (await session.diagnostics(npu_file.as_uri())).diagnostics
        assert error.severity == types.DiagnosticSeverity.Error and "ignore_codes" in error.message
        assert str(config) in error.message

        config.write_text('target = "agnostic"\n', encoding="utf-8")  # saved in the editor
        session.client.text_document_did_save(types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=config.as_uri())))
        fixed = (await session.diagnostics(npu_file.as_uri())).diagnostics
        assert [d.code for d in fixed] == ["PRT101", "PRT102", "PRT103", "PRT404"]
        assert "torch.accelerator.device_count" in fixed[0].message

    run_session(project, scenario)


def test_server_without_pygls_is_a_clear_error() -> None:
    import subprocess

    for blocked in ("pygls", "lsprotocol"):
        done = subprocess.run([sys.executable, "-c", f"import sys; sys.modules[{blocked!r}] = None; "
                               "sys.argv = ['portlint', 'server']; from portlint.cli import main; main()"],
                              capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert done.returncode == 2, done.stderr
        assert done.stderr == "portlint: error: the language server needs pygls: pip install 'portlint[server]'\n"


def test_malformed_messages_are_one_line_errors() -> None:
    import subprocess

    done = subprocess.run([sys.executable, "-m", "portlint", "server"], input=b"Content-Length: 5\r\n\r\n{bad}",
                          capture_output=True, timeout=60)
    assert done.returncode == 0
    errors = done.stderr.decode().splitlines()
    assert errors == ["portlint server: ERROR: Unable to handle message: JSONDecodeError: "
                      "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"], errors
    assert b'"method": "window/showMessage"' in done.stdout  # the editor is told too


def test_a_lone_change_is_checked_at_once_and_a_burst_is_coalesced(monkeypatch: pytest.MonkeyPatch) -> None:
    """The debounce only holds back changes that follow another within QUIET."""
    from portlint import server as module

    checks: list[tuple[str, float]] = []

    async def scenario() -> None:
        ls = module.PortlintServer()
        loop = asyncio.get_running_loop()
        monkeypatch.setattr(ls, "check", lambda uri: checks.append((uri, loop.time())))
        start = loop.time()
        ls.schedule("file:///a.py")  # a lone change: checked as soon as the loop turns
        await asyncio.sleep(0)
        assert checks == [("file:///a.py", checks[0][1])] and checks[0][1] - start < module.QUIET
        await asyncio.sleep(module.QUIET * 2)
        checks.clear()
        for _ in range(5):  # a burst (a paste sent as several events): the first, then the rest once
            ls.schedule("file:///a.py")
        await asyncio.sleep(module.QUIET * 5)
        assert len(checks) == 1  # (the first one's immediate check was replaced by the later ones)
        checks.clear()
        ls.schedule("file:///a.py")
        await asyncio.sleep(0)
        ls.schedule("file:///a.py")  # within QUIET of the first: waits for quiet
        await asyncio.sleep(0)
        assert len(checks) == 1
        await asyncio.sleep(module.QUIET * 5)
        assert len(checks) == 2

    asyncio.run(scenario())
