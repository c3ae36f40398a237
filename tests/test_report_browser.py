"""The HTML report in a real headless browser (Debian's chromium): it renders, and not blank.

Skips when no chromium is installed (CI does not install one); the screenshot committed as
docs/report-examples.png comes from ``python benchmarks/report_screenshot.py``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from typer.testing import CliRunner

from portlint.cli import app

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("report_screenshot", REPO / "benchmarks" / "report_screenshot.py")
shots = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(shots)  # type: ignore[union-attr]

needs_browser = pytest.mark.skipif(shots.find_browser() is None, reason="no chromium installed")


@needs_browser
def test_report_of_the_examples_renders_and_is_not_blank(tmp_path: Path) -> None:
    html = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", str(REPO / "examples"), "--no-cache", "-o", str(html)])
    assert result.exit_code == 0, result.output
    png = tmp_path / "report.png"
    shots.screenshot(html, png, width=1000, height=900)
    stats = shots.picture_stats(png)
    assert (stats["width"], stats["height"]) == (1000, 900)
    assert shots.is_not_blank(stats), stats


@needs_browser
def test_a_blank_page_is_caught(tmp_path: Path) -> None:
    html = tmp_path / "blank.html"
    html.write_text("<!DOCTYPE html><html><body></body></html>")
    png = tmp_path / "blank.png"
    shots.screenshot(html, png, width=400, height=300)
    assert not shots.is_not_blank(shots.picture_stats(png))


def test_png_decoder_reads_every_filter_type() -> None:
    import struct
    import zlib

    width, height = 3, 5
    pixels = [[(x * 40 + y, y * 30, (x + y) * 20) for x in range(width)] for y in range(height)]
    raw, previous = b"", bytes(width * 3)
    for y, row in enumerate(pixels):
        line = bytes(v for pixel in row for v in pixel)
        kind = y % 5
        encoded = bytearray(line)
        for i in range(len(line)):
            a = line[i - 3] if i >= 3 else 0
            b = previous[i]
            c = previous[i - 3] if i >= 3 else 0
            predictor = {0: 0, 1: a, 2: b, 3: (a + b) >> 1}.get(kind)
            if predictor is None:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                predictor = a if pa <= pb and pa <= pc else b if pb <= pc else c
            encoded[i] = (line[i] - predictor) & 0xFF
        raw += bytes([kind]) + bytes(encoded)
        previous = line

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    w, h, channels, rows = shots.decode_png(png)
    assert (w, h, channels) == (width, height, 3)
    assert rows == [bytes(v for pixel in row for v in pixel) for row in pixels]
