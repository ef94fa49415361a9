"""The contract of proof documents: the upload link the receipt shows, the files staff see.

A student who reports a field that needs proof gets a signed, expiring link (a QR code on the
receipt) to a page where the phone photographs the documents. Staff list and open them.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from kiosk.i18n import Msg
from kiosk.protocol.base import Reply

ProofKind = Literal["hukou_front", "hukou_self", "id_front", "id_back", "other"]
PROOF_KINDS: dict[ProofKind, Msg] = {
    "hukou_front": Msg("户口簿 首页", "household register, first page"),
    "hukou_self": Msg("户口簿 本人页（含曾用名）", "household register, own page (former names)"),
    "id_front": Msg("居民身份证 正面", "ID card, front"),
    "id_back": Msg("居民身份证 反面", "ID card, back"),
    "other": Msg("其他证明材料", "other proof"),
}
"""What a photographed document is, as the student picks it on the upload page."""
PROOF_MAX_FILES = 8
"""Most files one link (one submission's corrections) takes; the last one closes the link."""


class ProofLinkResponse(Reply):
    """The upload page's link, until when it works, and how many files it still takes."""

    url: str
    expires_at: dt.datetime
    slots_left: int


class ProofFileInfo(Reply):
    """One stored proof file: what it shows, its size, when it came."""

    id: int
    kind: ProofKind
    size_bytes: int
    width: int
    height: int
    uploaded_at: dt.datetime


class ProofFileList(Reply):
    """The proof files of a correction (shared by its submission's corrections), oldest first."""

    files: list[ProofFileInfo]
