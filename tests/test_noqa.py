from __future__ import annotations

from conftest import codes
from portlint.noqa import ALL, noqa_codes


def test_noqa_comment_parsing() -> None:
    assert noqa_codes("x = 1  # noqa") is ALL
    assert noqa_codes("x = 1  # NOQA:PRT401") == {"PRT401"}
    assert noqa_codes("x = 1  # noqa: PRT401, PRT4 E501") == {"PRT401", "PRT4", "E501"}
    assert noqa_codes("x = 1  # a comment") is None
    assert noqa_codes("x = '# no qa'") is None


def test_noqa_suppresses_exact_code_prefix_and_all() -> None:
    assert codes("y = x.cuda()  # noqa\n") == []
    assert codes("y = x.cuda()  # noqa: PRT404\n") == []
    assert codes("y = x.cuda()  # noqa: PRT4\n") == []
    assert codes("y = x.cuda()  # noqa: PRT401\n") == ["PRT404", "PRT990"]  # and PRT401 is unused
    assert codes("y = x.cuda()  # noqa: E501\n") == ["PRT404"]


def test_noqa_on_last_line_of_multiline_finding() -> None:
    source = 'y = torch_thing(device=(\n    "cuda"\n))  # noqa: PRT401\nz = x.cuda()\n'
    assert codes(source) == ["PRT401", "PRT404", "PRT990"]  # the literal sits on line 2: not covered (unused)
    assert codes('y = f(device="cuda:"\n    "0")  # noqa: PRT401\n') == []  # spans lines 1-2: the last one counts
    assert codes('y = f(device="cuda:"\n    "0")\n') == ["PRT401"]


def test_file_level_exemption() -> None:
    assert codes("# portlint: noqa\ny = x.cuda()\n") == []
    assert codes("y = x.cuda()  # portlint: noqa is not a file marker here\n") == ["PRT404"]


def test_noqa_lines_are_found_without_splitting_the_text() -> None:
    """The lines holding "noqa" in any case, numbered as `\r\n`, `\r` and `\n` end them, in
    ASCII text (searched lower-cased) and in other text (searched case-insensitively)."""
    from portlint.noqa import _LINE_BREAK, noqa_lines

    for text in ["a\r\nb  # NOQA: PRT401\rc\n\nd # noqa # NoQa\r\n# noqa", "é\r\n# NoQA\n\rx # noqa: PRT4",
                 "", "noqa", "x\n", "\n\r\n\r# noqa: PRT990\r"]:
        expected = [(n, line) for n, line in enumerate(_LINE_BREAK.split(text), 1) if "noqa" in line.lower()]
        assert noqa_lines(text) == expected, text
    assert noqa_lines("a\r\nb  # NOQA: PRT401\rc\n\nd # noqa # NoQa") == [(2, "b  # NOQA: PRT401"), (5, "d # noqa # NoQa")]


def test_file_exemption_in_any_case() -> None:
    from portlint.noqa import file_is_exempt

    assert file_is_exempt("import torch\n  # PortLint: NOQA  \nx = 1\n")
    assert file_is_exempt("# pörtlich\n# portlint: noqa\n")  # (not ASCII: the pattern alone decides)
    assert not file_is_exempt("# portlint: noqa: PRT401\n# noqa\n")
    assert not file_is_exempt("x = 1  # noqa\n# see the PORTLINT docs\n")
