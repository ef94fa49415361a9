"""Proof photographs from a phone, checked strictly and re-encoded clean.

Only JPEG and PNG are taken, judged by their bytes, never by the name or type the phone
sends. Every file is decoded whole and strictly (a truncated or altered file is refused,
not half-shown), turned upright as the camera meant, and written again as a fresh JPEG:
nothing of the original file but its pixels survives, so no EXIF, no GPS position, no
camera serial. Blocking work: callers run it in a worker thread.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Literal

import simplejpeg
from PIL import Image, ImageOps

from server.images import MAX_PIXELS

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
LONG_SIDE = 2400
"""Stored images are at most this many pixels on their long side: a document page stays
readable, and a 50-megapixel photo does not fill the database."""
THUMBNAIL_SIDE = 240
QUALITY = 85

Refusal = Literal["proof_not_image", "proof_too_many_pixels", "proof_damaged"]


@dataclass(frozen=True)
class CleanImage:
    """A re-encoded proof: the JPEG, its thumbnail, and its size in pixels."""

    jpeg: bytes
    thumbnail: bytes
    width: int
    height: int


def sniff(content: bytes) -> Literal["JPEG", "PNG"] | None:
    """The format the bytes are, whatever they were called."""
    if content.startswith(JPEG_MAGIC):
        return "JPEG"
    if content.startswith(PNG_MAGIC):
        return "PNG"
    return None


def _decoded(content: bytes, fmt: Literal["JPEG", "PNG"]) -> Image.Image | Refusal:
    try:
        with Image.open(io.BytesIO(content), formats=[fmt]) as probe:
            width, height = probe.size
            if width * height > MAX_PIXELS:
                return "proof_too_many_pixels"
            if fmt == "PNG":
                probe.verify()  # every chunk's checksum
        if fmt == "JPEG":
            # Pillow passes over libjpeg's "corrupt data" warnings; the strict decoder fails.
            simplejpeg.decode_jpeg(content, strict=True)
        image = Image.open(io.BytesIO(content), formats=[fmt])
        image.load()  # a truncated file fails here (LOAD_TRUNCATED_IMAGES stays off)
    except Image.DecompressionBombError:
        return "proof_too_many_pixels"
    except Exception:  # Pillow raises many types for hostile bytes
        return "proof_damaged"
    return image


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    # No exif=, icc_profile= or comment: the encoder writes none of the original's metadata.
    image.save(buffer, "JPEG", quality=QUALITY, optimize=True)
    return buffer.getvalue()


def clean_image(content: bytes) -> CleanImage | Refusal:
    """``content`` re-encoded as a metadata-free JPEG with a thumbnail, or why it is refused."""
    fmt = sniff(content)
    if fmt is None:
        return "proof_not_image"
    decoded = _decoded(content, fmt)
    if isinstance(decoded, str):
        return decoded
    with decoded:
        upright = ImageOps.exif_transpose(decoded)
        if upright.mode in ("RGBA", "LA", "P"):
            rgba = upright.convert("RGBA")
            flat = Image.new("RGB", rgba.size, "white")
            flat.paste(rgba, mask=rgba.getchannel("A"))
            upright = flat
        # A new image of the pixels alone: nothing of the original's info dict is carried.
        pixels = Image.frombytes("RGB", upright.size, upright.convert("RGB").tobytes())
    pixels.thumbnail((LONG_SIDE, LONG_SIDE))
    small = pixels.copy()
    small.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    return CleanImage(_jpeg(pixels), _jpeg(small), pixels.width, pixels.height)
