"""Render a ``portlint report`` HTML file in a real headless browser and check the picture.

    python benchmarks/report_screenshot.py                     # docs/report-examples.png from examples/
    python benchmarks/report_screenshot.py REPORT.html OUT.png  # any report

Uses Debian's ``chromium`` (``apt-get install chromium``), isolated: a throw-away profile,
no network services, no GPU. ``tests/test_report_browser.py`` runs the same check and
skips when no browser is installed. The PNG is decoded here (no imaging library) to check
that the page is not blank: enough distinct colours and enough non-background pixels.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_browser() -> str | None:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def screenshot(html: Path, png: Path, width: int = 1280, height: int = 2000, browser: str | None = None) -> None:
    browser = browser or find_browser()
    if browser is None:
        raise RuntimeError("no chromium found (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="portlint-chromium-") as profile:
        done = subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
             "--hide-scrollbars", f"--user-data-dir={profile}", f"--window-size={width},{height}",
             f"--screenshot={png}", html.resolve().as_uri()],
            capture_output=True, text=True, timeout=120)
    if not png.exists() or png.stat().st_size == 0:
        raise RuntimeError(f"the browser wrote no screenshot: {done.stderr[-500:]}")


def decode_png(data: bytes) -> tuple[int, int, int, list[bytes]]:
    """(width, height, bytes per pixel, rows) of an 8-bit RGB/RGBA, non-interlaced PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat = 8, []
    width = height = channels = 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or colour not in (2, 6) or interlace:
                raise ValueError(f"unsupported PNG (depth {depth}, colour type {colour}, interlace {interlace})")
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + length
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif kind == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, previous))
        elif kind == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b = previous[i]
                c = previous[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows


def picture_stats(png: Path) -> dict[str, float]:
    """Distinct colours and the share of pixels unlike the most common one (the background)."""
    width, height, channels, rows = decode_png(png.read_bytes())
    counts: dict[bytes, int] = {}
    for row in rows[::4]:  # every 4th row and pixel: plenty for a blank/not blank verdict
        for x in range(0, width * channels, 4 * channels):
            pixel = row[x:x + 3]
            counts[pixel] = counts.get(pixel, 0) + 1
    total = sum(counts.values())
    background = max(counts.values())
    return {"width": width, "height": height, "colours": len(counts), "non_background": 1 - background / total}


def is_not_blank(stats: dict[str, float]) -> bool:
    return stats["colours"] >= 20 and stats["non_background"] >= 0.05


def main(argv: list[str]) -> int:
    if argv:
        html, png = Path(argv[0]), Path(argv[1])
    else:
        html = Path(tempfile.mkdtemp(prefix="portlint-report-")) / "examples.html"
        png = REPO / "docs" / "report-examples.png"
        subprocess.run([str(Path(sys.executable).with_name("portlint")), "report", "examples", "--no-cache",
                        "-o", str(html)], cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    screenshot(html, png)
    stats = picture_stats(png)
    print(f"{png}: {stats}")
    return 0 if is_not_blank(stats) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
