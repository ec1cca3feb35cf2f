"""Images uploaded from phones: checked by content, re-encoded (EXIF and anything else dropped) and
stored outside the web root under ``UPLOAD_DIR``, named by their SHA-256.

Limits: JPEG or PNG by content (not by name), at most ``UPLOAD_MAX_BYTES`` and
``UPLOAD_MAX_PIXELS`` (a decompression bomb is refused before it is decoded). Files are written to a
temporary name and renamed, and :func:`discard` removes them again when the database write fails,
so no orphan file is left behind.
"""
from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from dataclasses import dataclass

from flask import current_app, g, has_request_context
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from assist.core.errors import TooLarge, ValidationError

FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png")}


@dataclass
class StoredImage:
    path: str  # relative to UPLOAD_DIR
    sha256: str
    content_type: str
    size: int
    width: int
    height: int


def _invalid(field: str, message) -> ValidationError:
    from assist.core.validation import field_error
    return field_error(field, message)


def store_image(data: bytes, folder: str, field: str = "file") -> StoredImage:
    cfg = current_app.config
    max_bytes = cfg.get("UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
    max_pixels = cfg.get("UPLOAD_MAX_PIXELS", 40_000_000)
    if not data:
        raise _invalid(field, _("is empty"))
    if len(data) > max_bytes:
        raise TooLarge(_("The file is larger than %(mb)d MB.", mb=max_bytes // (1024 * 1024)))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format
                width, height = probe.size
                if fmt not in FORMATS:
                    raise _invalid(field, _("must be a JPEG or PNG image"))
                if width * height > max_pixels:
                    raise _invalid(field, _("has too many pixels (%(w)d × %(h)d)", w=width, h=height))
                probe.verify()
            with Image.open(io.BytesIO(data)) as img:
                img.load()
                # Turn the pixels upright first: the orientation tag goes with the rest of the EXIF.
                upright = ImageOps.exif_transpose(img)
                width, height = upright.size
                clean = _reencode(upright, fmt)
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning):
        raise _invalid(field, _("is not a readable JPEG or PNG image"))
    content_type, ext = FORMATS[fmt]
    digest = hashlib.sha256(clean).hexdigest()
    rel = os.path.join(folder, f"{digest}.{ext}")
    root = cfg["UPLOAD_DIR"]
    target = os.path.join(root, rel)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    if not os.path.exists(target):
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".upload-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(clean)
        os.replace(tmp, target)
        _track(rel)
    return StoredImage(rel, digest, content_type, len(clean), width, height)


def _track(rel: str) -> None:
    if has_request_context():
        g.setdefault("assist_new_files", []).append(rel)


def keep() -> None:
    """The transaction that references this request's new files committed: keep them."""
    if has_request_context():
        g.pop("assist_new_files", None)


def cleanup_request(exc=None) -> None:
    """Teardown: files written by a request that did not commit are removed (no orphans)."""
    for rel in g.pop("assist_new_files", []) if has_request_context() else []:
        discard(rel)


def _reencode(img: Image.Image, fmt: str) -> bytes:
    """A fresh image with the pixels only: EXIF (GPS, camera serials), ICC and comments are dropped."""
    out = io.BytesIO()
    if fmt == "JPEG":
        img.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    else:
        mode = img.mode if img.mode in ("RGB", "RGBA", "L", "LA", "P") else "RGBA"
        img.convert(mode).save(out, "PNG", optimize=True)
    return out.getvalue()


def absolute(rel: str) -> str:
    root = os.path.realpath(current_app.config["UPLOAD_DIR"])
    path = os.path.realpath(os.path.join(root, rel))
    if not path.startswith(root + os.sep):
        raise ValueError("path outside the upload folder")
    return path


def discard(rel: str, still_referenced: bool = False) -> None:
    """Remove a stored file after a failed transaction (unless another record uses the same bytes)."""
    if still_referenced:
        return
    try:
        os.remove(absolute(rel))
    except (FileNotFoundError, ValueError):
        pass
