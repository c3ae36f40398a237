"""Shell scripts (launch scripts, ``RUN`` lines, notebook ``!`` lines) as occurrences.

A small tokenizer that knows what matters for finding CUDA in a script: quotes (a
single-quoted word or a comment is text, not code), line continuations, operators that
start a new command (``;``, ``&&``, ``|``, ``$(`` ...) and here-documents. A
here-document body is read in the language of the command that receives it (see
``heredoc_kind``): a script for ``bash``/``sh``, Python for ``python -``, and the kind of
the file written for ``cat > NAME <<EOF`` / ``tee NAME`` (``config.yaml``, ``run.sh``,
``train.py``); any other body (a usage text for ``cat``) is skipped. From each simple
command it reports:

* ``env``: ``NAME=value`` prefixes, ``export``/``unset``/``declare`` arguments and
  ``$NAME``/``${NAME}`` reads;
* ``command``: the command word (after ``sudo``, ``env``, ``exec`` ...), with its arguments;
* ``requirement`` and ``index``: the arguments of ``pip install`` (also ``python -m pip``,
  ``uv pip``) and ``conda``/``mamba install`` (``-c`` channels are indexes);
* ``config-key``: ``--name value``/``--name=value`` options and ``a.b=value`` overrides
  (Hydra) given to a program: ``--device cuda``, ``trainer.accelerator=gpu``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Callable, Iterator

from portlint.kinds.matching import Occurrence, could_match, find
from portlint.noqa import file_is_exempt
from portlint.kinds.requirements import requirement_occurrence
from portlint.source import SourceError

if TYPE_CHECKING:
    from portlint.findings import Finding
    from portlint.index import RuleIndex

KINDS = ("env", "command", "requirement", "index", "image", "config-key")
_OPERATORS = ("&&", "||", ";;", "$(", ";", "|", "&", "(", ")", "`", "{", "}", "\n")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(\+?=)")
_READ = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")
_HEREDOC = re.compile(r"<<-?[ \t]*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1")
_OVERRIDE = re.compile(r"\+{0,2}([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)=(.*)", re.DOTALL)
_OPTION = re.compile(r"--([A-Za-z][A-Za-z0-9_-]*)(?:=(.*))?", re.DOTALL)
# Words that run the next word as the command.
_PREFIXES = frozenset({"sudo", "exec", "nohup", "time", "command", "builtin", "xargs", "watch", "nice",
                       "env", "stdbuf", "then", "do", "else", "elif", "if", "while", "until", "!"})
_DECLARE = frozenset({"export", "unset", "declare", "typeset", "local", "readonly"})
_PIP = re.compile(r"pip(?:3(?:\.\d+)?)?")
_CONDA = frozenset({"conda", "mamba", "micromamba"})
_INDEX_OPTIONS = frozenset({"--index-url", "-i", "--extra-index-url", "-f", "--find-links"})
_PIP_VALUE_OPTIONS = frozenset({"-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-t", "--target",
                                "--prefix", "--root", "--python-version", "--platform", "--trusted-host",
                                "--cache-dir", "--src", "--upgrade-strategy", "--progress-bar", "-n", "--name",
                                "-p", "--prefix", "--python", "--only-binary", "--no-binary", "--config-settings"})


@dataclass(frozen=True, slots=True)
class Heredoc:
    start: int  # the body's span in the text (whole lines, the terminator line excluded)
    end: int
    token: int  # index of the ``<<WORD`` token in the token list


@dataclass(frozen=True, slots=True)
class Token:
    start: int  # raw offsets in the text
    end: int
    value: str  # with quotes and escapes removed ("" for an operator)
    op: str = ""  # the operator, for operator tokens
    quoted: bool = False  # some part was quoted (not a plain word)


def check(text: str, path: str, index: "RuleIndex", check_python: "Callable | None" = None,
          **_: object) -> "list[Finding] | None":
    heredocs = "<<" in text
    if not heredocs and not could_match(text, index, KINDS):
        return None
    python: list[tuple[int, int]] = []
    findings = find(scan(text, python_bodies=python), text, path, index)
    if python and check_python is not None and not file_is_exempt(text):
        findings.extend(_python_findings(text, python, path, index, check_python))
        findings.sort(key=lambda f: f.sort_key())
    return findings


def _python_findings(text: str, bodies: list[tuple[int, int]], path: str, index: "RuleIndex",
                     check_python: Callable) -> "list[Finding]":
    """Findings of Python here-document bodies (``python - <<EOF``, ``cat > x.py <<EOF``),
    moved to their lines in the script. A body that is not valid Python (an unquoted
    here-document may hold ``$VARS``) gives nothing. Its fixes are advice: the script is not
    rewritten by the Python fixer (imports, ``DEVICE`` definitions)."""
    from portlint.findings import Fix

    found: list[Finding] = []
    for start, end in bodies:
        result = check_python(text[start:end], path, index)
        if result.error is not None:
            continue
        lines = text.count("\n", 0, start)
        for finding in result.findings:
            fix = finding.fix
            if fix is not None and fix.replacement is not None:
                hint = fix.hint or f"use `{fix.replacement.strip()}`"
                fix = Fix(None, hint, "manual", fix.min_torch)
            found.append(replace(finding, line=finding.line + lines, end_line=finding.end_line + lines, fix=fix))
    return found


def scan(text: str, base: int = 0, python_bodies: list[tuple[int, int]] | None = None) -> list[Occurrence]:
    """Every occurrence in a shell script (offsets shifted by ``base``); here-document
    bodies that are Python are added to ``python_bodies`` (when given) as spans."""
    tokens, literal, heredocs = tokenize(text)
    occurrences = [Occurrence("env", m.group(1), base + m.start(1), base + m.end(1))
                   for m in _READ.finditer(text) if not _inside(literal, m.start())]
    for command in _simple_commands(tokens):
        occurrences.extend(_command_occurrences(command, text, base))
    for heredoc in heredocs:
        kind = heredoc_kind(tokens, heredoc.token)
        if kind == "python":
            if python_bodies is not None and base == 0:
                python_bodies.append((heredoc.start, heredoc.end))
        elif kind is not None:
            occurrences.extend(_body_occurrences(kind, text[heredoc.start:heredoc.end], base + heredoc.start))
    # $(...) and `...` inside double quotes: the tokenizer kept them in one word.
    for token in tokens:
        if token.quoted and ("$(" in text[token.start:token.end] or "`" in text[token.start:token.end]):
            raw = text[token.start:token.end]
            for match in re.finditer(r"\$\(([^()]*)\)|`([^`]*)`", raw):
                group = 1 if match.group(1) is not None else 2
                inner = scan(match.group(group), base + token.start + match.start(group))
                occurrences.extend(o for o in inner if o.kind != "env")
    return occurrences


def _inside(regions: list[tuple[int, int]], offset: int) -> bool:
    return any(start <= offset < end for start, end in regions)


def tokenize(text: str) -> tuple[list[Token], list[tuple[int, int]], list[Heredoc]]:
    """Words and operators, the regions that are plain text (single quotes, comments,
    here-document bodies), and the here-documents."""
    tokens: list[Token] = []
    literal: list[tuple[int, int]] = []
    heredocs: list[tuple[str, int]] = []  # (terminator, token index) on the current line
    bodies: list[Heredoc] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char in " \t\r":
            i += 1
            continue
        if char == "\\" and text.startswith("\n", i + 1):
            i += 2
            continue
        if char == "\\" and text.startswith("\r\n", i + 1):
            i += 3
            continue
        if char == "#":
            end = text.find("\n", i)
            end = n if end == -1 else end
            literal.append((i, end))
            i = end
            continue
        if char == "\n" and heredocs:
            i = _skip_heredocs(text, i + 1, heredocs, literal, bodies)
            heredocs = []
            tokens.append(Token(i, i, "", op="\n"))
            continue
        op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
        if op is not None and not (op in "{}" and _word_continues(text, i)):
            tokens.append(Token(i, i + len(op), "", op=op))
            i += len(op)
            continue
        token, i = _word(text, i, literal)
        heredoc = _HEREDOC.match(text, token.start)
        if heredoc is not None and heredoc.end() <= i + 1:
            heredocs.append((heredoc.group(2), len(tokens)))
        tokens.append(token)
    return tokens, literal, bodies


def _word_continues(text: str, i: int) -> bool:
    # `{` and `}` are operators only as separate words (`${X}` and `a{b,c}` are words)
    before = text[i - 1] if i else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    return not (before in " \t\n;&|" and after in " \t\n;&|")


def _skip_heredocs(text: str, i: int, terminators: list[tuple[str, int]], literal: list[tuple[int, int]],
                   bodies: list[Heredoc]) -> int:
    start = i
    for terminator, token in terminators:
        pattern = re.compile(r"^[ \t]*" + re.escape(terminator) + r"[ \t]*\r?$", re.MULTILINE)
        found = pattern.search(text, i)
        bodies.append(Heredoc(i, len(text) if found is None else found.start(), token))
        i = len(text) if found is None else found.end()
    literal.append((start, i))
    return i


_PYTHON = re.compile(r"python(?:\d+(?:\.\d+)?)?")
_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh"})
_BODY_KINDS = frozenset({"shell", "yaml", "json", "dockerfile", "requirements"})


def heredoc_kind(tokens: list[Token], at: int) -> str | None:
    """The language of the here-document whose ``<<WORD`` is ``tokens[at]``: "python",
    "shell", a text kind of ``portlint.kinds`` (the file ``cat``/``tee`` writes), or None."""
    from portlint.kinds import kind_of

    first = at
    while first > 0 and not tokens[first - 1].op:
        first -= 1
    words = [token.value for token in tokens[first:at]]
    last = at + 1
    while last < len(tokens) and not tokens[last].op:
        last += 1
    after = [token.value for token in tokens[at + 1:last]]
    while words and (_ASSIGNMENT.match(words[0]) or words[0] in _PREFIXES):
        words.pop(0)
    if not words:
        return None
    name = words[0].rsplit("/", 1)[-1]
    args = [word for word in words[1:] + after if not word.startswith(">")]
    scripts = [word for word in args if not word.startswith("-")]
    if _PYTHON.fullmatch(name):
        return "python" if not scripts or scripts[0] == "-" else None
    if name in _SHELLS:
        return "shell" if not scripts or (scripts[0] == "-" or "-s" in args) else None
    if name in ("cat", "tee"):
        target = _written_file(words + after, name)
        kind = kind_of(target) if target else None
        return kind if kind == "python" or kind in _BODY_KINDS else None
    return None


def _written_file(words: list[str], command: str) -> str | None:
    for position, word in enumerate(words):
        if word in (">", ">>") and position + 1 < len(words):
            return words[position + 1]
        if word.startswith(">") and word.lstrip(">"):
            return word.lstrip(">")
    if command == "tee":
        names = [word for word in words[1:] if not word.startswith(("-", "<"))]
        return names[0] if names else None
    return None


def _body_occurrences(kind: str, body: str, base: int) -> list[Occurrence]:
    """The occurrences of a here-document body of a text kind, at their offsets in the script."""
    from portlint.kinds import configs, docker, requirements

    if kind == "shell":
        return scan(body, base)
    try:
        if kind == "yaml":
            found = list(configs.occurrences(list(configs.entries(body)), body, False))
        elif kind == "json":
            found = list(configs.occurrences(list(configs.json_entries(configs.jsonspan.parse(body))), body, False))
        elif kind == "dockerfile":
            found = list(docker.scan(body))
        else:
            found = list(requirements.requirements_occurrences(body))
    except (ValueError, SourceError):
        return []
    return [_moved(occurrence, base) for occurrence in found]


def _moved(occurrence: Occurrence, base: int) -> Occurrence:
    return replace(occurrence, start=occurrence.start + base, end=occurrence.end + base,
                   extra_start=occurrence.extra_start + base)


def _word(text: str, i: int, literal: list[tuple[int, int]]) -> tuple[Token, int]:
    start = i
    value: list[str] = []
    quoted = False
    n = len(text)
    while i < n:
        char = text[i]
        if char in " \t\r\n" or (char in ";&|()`" and not text.startswith("$(", i - 1)):
            break
        if char == "$" and text.startswith("$(", i):
            break
        if char == "\\" and i + 1 < n:
            if text[i + 1] == "\n":
                i += 2
                continue
            value.append(text[i + 1])
            i += 2
            continue
        if char == "'":
            end = text.find("'", i + 1)
            end = n if end == -1 else end
            literal.append((i, end + 1))
            value.append(text[i + 1:end])
            quoted = True
            i = end + 1
            continue
        if char == '"':
            j = i + 1
            while j < n and text[j] != '"':
                if text[j] == "\\" and j + 1 < n:
                    value.append(text[j + 1] if text[j + 1] in '"\\$`' else text[j:j + 2])
                    j += 2
                    continue
                value.append(text[j])
                j += 1
            quoted = True
            i = j + 1
            continue
        value.append(char)
        i += 1
    return Token(start, min(i, n), "".join(value), quoted=quoted), i


def _simple_commands(tokens: list[Token]) -> Iterator[list[Token]]:
    current: list[Token] = []
    for token in tokens:
        if token.op:
            if current:
                yield current
            current = []
        else:
            current.append(token)
    if current:
        yield current


def _command_occurrences(words: list[Token], text: str, base: int) -> Iterator[Occurrence]:
    position = 0
    prefixed = False
    while position < len(words):  # NAME=value prefixes and prefix commands
        word = words[position]
        assignment = _ASSIGNMENT.match(word.value) if not text.startswith(("'", '"'), word.start) else None
        if assignment is not None:
            yield Occurrence("env", assignment.group(1), base + word.start, base + word.start + assignment.end(1))
            position += 1
            continue
        if word.value in _PREFIXES or (prefixed and word.value.startswith("-")):
            prefixed = True  # `sudo -E -u x cmd`: options of the prefix command
            position += 1
            continue
        break
    if position >= len(words):
        return
    command = words[position]
    name = command.value.rsplit("/", 1)[-1]
    args = words[position + 1:]
    arg_start = args[0].start if args else command.end
    arg_end = args[-1].end if args else command.end
    yield Occurrence("command", name, base + command.start, base + command.end,
                     extra=text[arg_start:arg_end], extra_start=base + arg_start)
    if name in _DECLARE:
        for word in args:
            found = _NAME.match(word.value)
            if found is not None and not word.value.startswith("-"):
                yield Occurrence("env", found.group(0), base + word.start, base + word.start + found.end())
        return
    if len(args) >= 2 and args[0].value == "-m" and _PIP.fullmatch(args[1].value):
        # any interpreter: python3.10, $PYTHON, a notebook's !{sys.executable} -m pip
        name, args = "pip", args[2:]
    elif name == "uv" and args and args[0].value == "pip":
        name, args = "pip", args[1:]
    if (_PIP.fullmatch(name) or name in _CONDA) and args and args[0].value == "install":
        yield from _install_occurrences(args[1:], text, base, conda=name in _CONDA)
        return
    yield from _option_occurrences(args, base)


def _install_occurrences(args: list[Token], text: str, base: int, conda: bool) -> Iterator[Occurrence]:
    skip_next = False
    for position, word in enumerate(args):
        if skip_next:
            skip_next = False
            continue
        value = word.value
        option, _, attached = value.partition("=")
        if value.startswith("-"):
            is_index = option in _INDEX_OPTIONS or (conda and option in ("-c", "--channel"))
            if is_index:
                if attached:
                    offset = text.find(attached, word.start, word.end)
                    yield Occurrence("index", attached, base + max(offset, word.start), base + word.end)
                elif position + 1 < len(args):
                    target = args[position + 1]
                    yield Occurrence("index", target.value, base + target.start, base + target.end)
                skip_next = not attached
            elif option in _PIP_VALUE_OPTIONS and not attached:
                skip_next = True
            continue
        occurrence = requirement_occurrence(value, base + word.start, text[word.start:word.end])
        if occurrence is not None:
            yield occurrence


def _option_occurrences(args: list[Token], base: int) -> Iterator[Occurrence]:
    for position, word in enumerate(args):
        value = word.value
        option = _OPTION.fullmatch(value)
        if option is not None:
            key = option.group(1).replace("-", "_")
            if option.group(2) is not None:
                offset = word.end - len(option.group(2)) if not word.quoted else word.start
                yield Occurrence("config-key", option.group(2), base + offset, base + word.end, key=key, path=key)
            elif position + 1 < len(args) and not args[position + 1].value.startswith("-"):
                target = args[position + 1]
                yield Occurrence("config-key", target.value, base + target.start, base + target.end, key=key, path=key)
            continue
        override = _OVERRIDE.fullmatch(value)
        if override is not None and not word.quoted:
            path = override.group(1)
            start = word.end - len(override.group(2))
            yield Occurrence("config-key", override.group(2), base + start, base + word.end,
                             key=path.rsplit(".", 1)[-1], path=path)
