"""The one pixel cap for every image the server decodes but did not make itself.

Pillow refuses (``DecompressionBombError``) an image of more than twice
``Image.MAX_IMAGE_PIXELS`` as soon as it reads the header, before a pixel is decoded, so a
header that claims 65500×65500 costs nothing. The cap is a process-wide Pillow setting, so it
lives here, once, for both kinds of image: the 480×640 photos of the imports (which check their
exact size themselves) and the proof documents students photograph with their phones (a
50-megapixel camera is the largest taken; callers refuse above :data:`MAX_PIXELS` themselves).
"""

from __future__ import annotations

from PIL import Image

MAX_PIXELS = 50_000_000
"""The most pixels an image may have; Pillow refuses twice this from the header alone."""
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
