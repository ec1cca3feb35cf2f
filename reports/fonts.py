"""Find and register a CJK font for the printed documents, once per process.

Order (TOOLCHAIN.md, "Chinese text in PDFs"):

1. the path given to :func:`get_fonts` or named by the ``ASSIST_PDF_FONT`` environment variable;
2. the TrueType CJK faces Debian installs (:data:`SYSTEM_FONTS`): WenQuanYi Micro Hei, WenQuanYi
   Zen Hei, AR PL UMing, Droid Sans Fallback;
3. the built-in CID font ``STSong-Light``, with a warning: it needs nothing to *write* but is not
   embedded, so a viewer without poppler-data and a Chinese system font shows blanks.

An embedded TrueType face makes a self-contained PDF that any viewer renders. Noto CJK is
deliberately absent: its CFF outlines raise "postscript outlines are not supported" in reportlab,
and a font that fails like that is skipped with a warning rather than breaking the print.
"""
from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import threading

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont

log = logging.getLogger(__name__)

ENV_VAR = "ASSIST_PDF_FONT"
FALLBACK_FONT = "STSong-Light"

# (path, subfont index for .ttc collections, name to register under)
SYSTEM_FONTS: tuple[tuple[str, int, str], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0, "WQYMicroHei"),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0, "WQYZenHei"),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0, "ARPLUMing"),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0, "DroidSansFallback"),
)


@dataclasses.dataclass(frozen=True)
class FontInfo:
    """The registered face: use ``name`` as the reportlab font name everywhere."""

    name: str
    path: str | None  # None for the built-in CID font
    embedded: bool


_lock = threading.Lock()
_resolved: dict[tuple, FontInfo] = {}  # (requested path, candidate list) -> font
_faces: dict[tuple[str, int], str] = {}  # (path, subfont index) -> registered name


def get_fonts(path: str | os.PathLike | None = None) -> FontInfo:
    """Return the CJK font to draw with, registering it with reportlab on first use.

    Resolution is cached per (requested path, :data:`SYSTEM_FONTS`), so the warning for a missing
    font is logged once per process and a TrueType file is parsed once.
    """
    requested = os.fspath(path) if path is not None else (os.environ.get(ENV_VAR) or None)
    key = (requested, SYSTEM_FONTS)
    info = _resolved.get(key)
    if info is not None:
        return info
    with _lock:
        info = _resolved.get(key)
        if info is None:
            info = _resolve(requested)
            _resolved[key] = info
        return info


def _resolve(requested: str | None) -> FontInfo:
    candidates: list[tuple[str, int, str]] = []
    if requested:
        if os.path.isfile(requested):
            # Named after the path, so two files never overwrite each other's registration.
            digest = hashlib.sha1(os.path.abspath(requested).encode()).hexdigest()[:8]
            candidates.append((requested, 0, f"AssistCJK-{digest}"))
        else:
            log.warning("%s=%s: no such font file; looking for an installed CJK font instead",
                        ENV_VAR, requested)
    candidates.extend((p, i, n) for p, i, n in SYSTEM_FONTS if os.path.isfile(p))
    for font_path, index, name in candidates:
        registered = _register_ttf(font_path, index, name)
        if registered:
            return FontInfo(name=registered, path=font_path, embedded=True)
    log.warning("No TrueType CJK font found (set %s or install fonts-wqy-microhei); using the "
                "built-in %s, which is NOT embedded in the PDF", ENV_VAR, FALLBACK_FONT)
    if FALLBACK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
        _map_family(FALLBACK_FONT)
    return FontInfo(name=FALLBACK_FONT, path=None, embedded=False)


def _register_ttf(path: str, index: int, name: str) -> str | None:
    known = _faces.get((path, index))
    if known:
        return known
    try:
        pdfmetrics.registerFont(TTFont(name, path, subfontIndex=index))
    except (TTFError, OSError, ValueError, KeyError) as exc:  # CFF outlines, truncated file, ...
        log.warning("Cannot use %s as a PDF font: %s", path, exc)
        return None
    _map_family(name)
    _faces[(path, index)] = name
    return name


def _map_family(name: str) -> None:
    # CJK faces come without bold/italic; mapping them to the regular face lets <b> in a
    # Paragraph fall back instead of raising "Can't map determine family/bold/italic".
    for bold in (0, 1):
        for italic in (0, 1):
            addMapping(name, bold, italic, name)
