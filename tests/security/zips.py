"""Hostile zip files made by hand: entries whose headers lie, encrypted or unknown entries."""

from __future__ import annotations

import io
import struct
import zipfile

LOCAL = b"PK\x03\x04"
CENTRAL = b"PK\x01\x02"
# Offsets in the local file header and in the central directory entry.
FLAGS = {LOCAL: 6, CENTRAL: 8}
METHOD = {LOCAL: 8, CENTRAL: 10}
SIZE = {LOCAL: 22, CENTRAL: 24}


def zip_of(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip of ``members`` in order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def patch_headers(
    data: bytes, *, flags: int | None = None, method: int | None = None, size: int | None = None
) -> bytes:
    """Every entry's local and central headers changed alike (a one-entry zip in the tests)."""
    out = bytearray(data)
    for signature in (LOCAL, CENTRAL):
        at = out.find(signature)
        while at != -1:
            if flags is not None:
                out[at + FLAGS[signature] : at + FLAGS[signature] + 2] = struct.pack("<H", flags)
            if method is not None:
                out[at + METHOD[signature] : at + METHOD[signature] + 2] = struct.pack("<H", method)
            if size is not None:
                out[at + SIZE[signature] : at + SIZE[signature] + 4] = struct.pack("<I", size)
            at = out.find(signature, at + 4)
    return bytes(out)


def corrupt_data(data: bytes) -> bytes:
    """The first entry's compressed bytes overwritten with noise that is not deflate."""
    out = bytearray(data)
    name_length, extra_length = struct.unpack("<HH", out[26:30])
    start = 30 + name_length + extra_length
    for i in range(start, min(start + 64, len(out))):
        out[i] = 0xFF
    return bytes(out)
