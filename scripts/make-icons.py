"""Draw Linli's icons (favicon, home-screen icons) with Debian's Chromium; the PNGs are
committed under static/icons/, so this runs only when the icon changes.

Usage: .venv/bin/python scripts/make-icons.py
"""
from __future__ import annotations

import struct
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parents[1] / "static" / "icons"
RED, PAPER = "#a61b1b", "#fbf8f3"


def svg(size: int, *, maskable: bool = False) -> str:
    """The icon: 邻 in white on the site's red; a maskable icon keeps the glyph in the safe zone."""
    radius = 0 if maskable else size * 0.18
    glyph = size * (0.5 if maskable else 0.66)
    return f"""<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 {size} {size}">
  <rect width="{size}" height="{size}" rx="{radius}" fill="{RED}"/>
  <text x="50%" y="50%" dy=".36em" text-anchor="middle" font-size="{glyph}" font-weight="700"
        font-family="Noto Sans CJK SC, Noto Serif CJK SC, sans-serif" fill="{PAPER}">邻</text>
</svg>"""


def ico(pngs: list[tuple[int, bytes]]) -> bytes:
    """A .ico file holding PNG images (read by every browser since 2007)."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = 6 + 16 * len(pngs)
    entries, data = b"", b""
    for size, png in pngs:
        entries += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(png), offset + len(data))
        data += png
    return header + entries + data


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page()

        def draw(size: int, maskable: bool = False) -> bytes:
            page.set_viewport_size({"width": size, "height": size})
            page.set_content(f"<html><body style='margin:0;background:transparent'>{svg(size, maskable=maskable)}</body></html>")
            return page.locator("svg").screenshot(omit_background=True)

        for name, size in [("icon-32.png", 32), ("icon-192.png", 192), ("icon-512.png", 512),
                           ("apple-touch-icon.png", 180)]:
            (OUT / name).write_bytes(draw(size))
        (OUT / "icon-maskable-512.png").write_bytes(draw(512, maskable=True))
        (OUT / "favicon.ico").write_bytes(ico([(16, draw(16)), (32, draw(32)), (48, draw(48))]))
        browser.close()


if __name__ == "__main__":
    main()
