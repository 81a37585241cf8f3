"""The Korean font charts are drawn with: NanumGothic, shipped inside the koreanize-matplotlib package.

The font files are located through the package's installed-file list (importlib.metadata) rather than by importing
it: importing koreanize_matplotlib rewrites matplotlib's global rcParams (and needs distutils, gone in Python
3.12). Only the files are registered with matplotlib's font manager, once; every chart names the family itself.
"""

from __future__ import annotations

import threading
from importlib.metadata import PackageNotFoundError, files
from pathlib import Path

from matplotlib import font_manager

FONT_PACKAGE = "koreanize-matplotlib"
REGULAR, BOLD = "NanumGothic.ttf", "NanumGothicBold.ttf"
# Glyphs the Korean font lacks fall back to matplotlib's bundled DejaVu Sans (matplotlib >= 3.6 falls back per glyph).
FALLBACK = "DejaVu Sans"

_lock = threading.Lock()
_family: str | None = None


class FontMissing(RuntimeError):
    """The packaged Korean font is not installed: Hangul would render as empty boxes."""


def font_file(name: str = REGULAR) -> Path:
    """The path of one of the package's font files."""
    try:
        found = [f for f in files(FONT_PACKAGE) or () if f.name == name]
    except PackageNotFoundError:
        found = []
    if not found:
        raise FontMissing(f"{name} not found: install {FONT_PACKAGE} (requirements.txt)")
    return Path(str(found[0].locate())).resolve()


def korean_family() -> str:
    """Register the packaged fonts with matplotlib (once per process) and return their family name."""
    global _family
    with _lock:
        if _family is None:
            for name in (REGULAR, BOLD):
                font_manager.fontManager.addfont(str(font_file(name)))
            _family = font_manager.FontProperties(fname=str(font_file(REGULAR))).get_name()
        return _family


def families() -> list[str]:
    """The font family list a chart's text uses: the packaged Korean font first, then the fallback."""
    return [korean_family(), FALLBACK]
