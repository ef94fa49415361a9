"""Reading a PDF back as poppler does: its text, and one page as an image."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from PIL import Image

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils is not installed (.ci/run installs it)"
)


def pdf_text(pdf: bytes) -> str:
    """The text of every page, laid out as on the page (``pdftotext -layout``)."""
    done = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True, timeout=60
    )
    return done.stdout.decode()


def pdf_pages(pdf: bytes) -> int:
    """How many pages the PDF has (``pdfinfo``)."""
    done = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True, timeout=60)
    line = next(line for line in done.stdout.decode().splitlines() if line.startswith("Pages:"))
    return int(line.split()[1])


def first_page_image(pdf: bytes, dpi: int = 60) -> Image.Image:
    """Page 1 rendered by ``pdftoppm``, in greyscale."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "document.pdf"
        source.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile", str(source),
             str(Path(folder) / "page")],
            check=True, timeout=60,
        )  # fmt: skip
        with Image.open(Path(folder) / "page.png") as page:
            return page.convert("L")
