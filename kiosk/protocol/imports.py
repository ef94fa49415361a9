"""Record and photo imports: their reports and problems."""

from __future__ import annotations

from pydantic import (
    Field,
)

from kiosk.protocol.base import Reply


class ImportProblem(Reply):
    """One problem in an imported file: where (line and column, or file name) and what."""

    line: int | None = None
    column: str | None = None
    file: str | None = None
    code: str
    message: str


class FieldChange(Reply):
    """One value an import changes in a master record."""

    key: str
    old: str
    new: str


class RecordChange(Reply):
    """A student an import adds (``new``) or changes (``fields``), by the file's line."""

    line: int
    student_no: str
    name: str
    new: bool
    fields: list[FieldChange] = Field(default_factory=list)


class RecordImportReport(Reply):
    """What a record import found and, when the whole file was valid, did: the counts and
    the list of changes are the same for a dry run (what it would do) and the real one."""

    applied: bool
    rows: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    changes: list[RecordChange] = Field(default_factory=list)
    ignored_columns: list[str] = Field(default_factory=list)
    problems: list[ImportProblem] = Field(default_factory=list)


class StoredPhoto(Reply):
    """A photo stored by an import."""

    file: str
    student_no: str
    version: int


class PhotoImportReport(Reply):
    """Photos are independent: the good ones are stored, each bad one is reported."""

    stored: list[StoredPhoto] = Field(default_factory=list)
    problems: list[ImportProblem] = Field(default_factory=list)
    corrections_applied: int = Field(
        default=0, description="Photo corrections sent to the vendor that the new photos closed."
    )


PHOTO_SUFFIXES = (".jpg", ".jpeg")
"""The file names a photo import takes (the name's stem is the 学号 or ID number)."""
