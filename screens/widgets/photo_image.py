"""The optional photo itself, for terminals that can show images.

``textual-image`` (a dependency, pinned in the lock) draws it: Kitty or Sixel graphics where
the terminal has them, half-cell blocks elsewhere. A packager who leaves it out still gets a
working kiosk: everything here then does nothing, and the QR code is the way to the photo. The package probes the terminal when it is imported, which must
happen before the app starts (textual-image asks the terminal at import), hence the import at module level.
"""

from __future__ import annotations

import io
from typing import Any

from textual.widget import Widget

_image_class: Any = None
try:
    from textual_image.widget import Image
except ImportError:
    pass
else:
    _image_class = Image


def can_show_images() -> bool:
    """True when the image package is installed, so fetching the photo is worth it."""
    return _image_class is not None


def photo_widget(jpeg: bytes) -> Widget | None:
    """A widget showing the photo, or None when images cannot be shown here."""
    if _image_class is None:
        return None
    widget: Widget = _image_class(io.BytesIO(jpeg), id="photo-image")
    return widget
