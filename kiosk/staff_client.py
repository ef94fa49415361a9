"""The staff console's HTTP client: ``/api/v1/staff/...`` with a staff bearer token.

It stands on :class:`kiosk.client.BaseClient`, so errors come out exactly as the kiosk's do:
one :class:`~kiosk.client.ApiError` with a stable ``code``. Staff use their own PCs, so no
terminal key is sent.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import Literal, TypeVar
from urllib.parse import unquote

import httpx
from pydantic import TypeAdapter, ValidationError

from kiosk.client import ApiError, BaseClient, ModelT
from kiosk.protocol.base import API_PREFIX, Model
from kiosk.protocol.corrections import (
    BulkCorrections,
    BulkResult,
    CollegeDecision,
    CollegeList,
    CorrectionDetail,
    CorrectionList,
    CorrectionStep,
    RegistrarDecision,
)
from kiosk.protocol.imports import PhotoImportReport, RecordImportReport
from kiosk.protocol.progress import (
    ProgressNumber,
    ProgressReport,
    ProgressStudents,
    ReminderPreview,
    ReminderResult,
    ReminderSelection,
)
from kiosk.protocol.proof import ProofFileList
from kiosk.protocol.province import (
    PlatformFormat,
    ProvinceAnswer,
    ProvinceBatchCreate,
    ProvinceBatchDetail,
    ProvinceBatchList,
)
from kiosk.protocol.staff import (
    BoardResponse,
    LabInfo,
    SessionReport,
    StaffLoginResponse,
    StaffSummary,
    StudentDetail,
    StudentSearchResponse,
    SupervisedSessionCreate,
    SupervisedSessionInfo,
    SupervisedSessionUpdate,
)
from kiosk.protocol.terminal import EnrolmentCodeCreate, EnrolmentCodeInfo, TerminalControl

log = logging.getLogger(__name__)
ItemT = TypeVar("ItemT")

STAFF = f"{API_PREFIX}/staff"
BATCHES = f"{STAFF}/province-batches"
ReportFormat = Literal["csv", "xlsx"]
ExportFormat = Literal["csv", "xlsx", "pdf"]
"""The 勘误汇总表 also comes as PDF, with the offices' signature lines."""
CorrectionAction = Literal["college", "registrar", "apply", "send-to-vendor"]

_LABS = TypeAdapter(list[LabInfo])
_SESSIONS = TypeAdapter(list[SupervisedSessionInfo])
_NOT_MODIFIED = frozenset({304})


@dataclass(frozen=True)
class Download:
    """A file the server sent: its suggested name and its bytes."""

    filename: str
    content: bytes


_FILENAME_STAR = re.compile(r"filename\*=UTF-8''([^;\s]+)", re.IGNORECASE)


def attachment_filename(response: httpx.Response, default: str) -> str:
    """The RFC 5987 ``filename*`` of a download, reduced to a bare file name, or ``default``."""
    found = _FILENAME_STAR.search(response.headers.get("content-disposition", ""))
    name = PurePath(unquote(found[1])).name if found else ""
    return name or default


class StaffClient(BaseClient):
    """One staff member's connection; the token lives only in memory."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(base_url, timeout_s=timeout_s, transport=transport)
        # The last board of each lab or session, and its ETag, to ask "changed since?".
        self._boards: dict[str, tuple[str, BoardResponse]] = {}

    @staticmethod
    def _parse_list(
        response: httpx.Response, adapter: TypeAdapter[list[ItemT]], what: str
    ) -> list[ItemT]:
        try:
            return adapter.validate_json(response.content)
        except ValidationError:
            log.warning("%s: HTTP %d, body is not a list", what, response.status_code)
            raise ApiError(response.status_code, "bad_response") from None

    async def login(self, username: str, password: str) -> StaffLoginResponse:
        """Log in and keep the token for the staff requests."""
        return await self._log_in(
            f"{STAFF}/sessions", StaffLoginResponse, username, password, what="staff login"
        )

    async def logout(self) -> None:
        """End the session; the token is forgotten whatever the server says. Never fails."""
        self._boards.clear()
        await self._log_out(f"{STAFF}/sessions/current", what="staff logout")

    async def me(self) -> StaffSummary:
        """Who is logged in."""
        response = await self._request("GET", f"{STAFF}/me", what="me", authorized=True)
        return self._parse(response, StaffSummary, "me")

    async def labs(self) -> list[LabInfo]:
        """Labs with terminals."""
        response = await self._request("GET", f"{STAFF}/labs", what="labs", authorized=True)
        return self._parse_list(response, _LABS, "labs")

    async def board(self, *, lab: str | None = None, session: int | None = None) -> BoardResponse:
        """The live board; asks with the last version seen, so an unchanged one costs a 304."""
        params = {"lab": lab} if lab is not None else {"session": str(session)}
        target = "&".join(f"{key}={value}" for key, value in params.items())
        known = self._boards.get(target)
        response = await self._request(
            "GET",
            f"{STAFF}/board",
            what="board",
            authorized=True,
            headers={"If-None-Match": known[0]} if known else None,
            accept=_NOT_MODIFIED,
            params=params,
        )
        if response.status_code == 304 and known is not None:
            return known[1]
        board = self._parse(response, BoardResponse, "board")
        self._boards[target] = (response.headers.get("etag", ""), board)
        return board

    async def sessions(self) -> list[SupervisedSessionInfo]:
        """The latest supervised sessions, newest first."""
        response = await self._request(
            "GET", f"{STAFF}/supervised-sessions", what="sessions", authorized=True
        )
        return self._parse_list(response, _SESSIONS, "sessions")

    async def create_session(self, plan: SupervisedSessionCreate) -> SupervisedSessionInfo:
        """Plan a supervised session."""
        response = await self._request(
            "POST",
            f"{STAFF}/supervised-sessions",
            what="create session",
            authorized=True,
            content=plan.model_dump_json().encode(),
        )
        return self._parse(response, SupervisedSessionInfo, "create session")

    async def update_session(
        self, session_id: int, change: SupervisedSessionUpdate
    ) -> SupervisedSessionInfo:
        """Edit a planned session, or give a running one a later end."""
        response = await self._request(
            "PATCH",
            f"{STAFF}/supervised-sessions/{session_id}",
            what="update session",
            authorized=True,
            content=change.model_dump_json(exclude_unset=True).encode(),
        )
        return self._parse(response, SupervisedSessionInfo, "update session")

    async def cancel_session(self, session_id: int) -> None:
        """Cancel a session that has not started."""
        await self._request(
            "DELETE",
            f"{STAFF}/supervised-sessions/{session_id}",
            what="cancel session",
            authorized=True,
        )

    async def _transition(self, session_id: int, verb: str) -> SupervisedSessionInfo:
        response = await self._request(
            "POST",
            f"{STAFF}/supervised-sessions/{session_id}/{verb}",
            what=f"{verb} session",
            authorized=True,
        )
        return self._parse(response, SupervisedSessionInfo, f"{verb} session")

    async def start_session(self, session_id: int) -> SupervisedSessionInfo:
        """Start a planned session; the lab's kiosks show it."""
        return await self._transition(session_id, "start")

    async def end_session(self, session_id: int) -> SupervisedSessionInfo:
        """End a session (or cancel a planned one)."""
        return await self._transition(session_id, "end")

    async def report(self, session_id: int) -> SessionReport:
        """The session's report, to show."""
        response = await self._request(
            "GET",
            f"{STAFF}/supervised-sessions/{session_id}/report",
            what="report",
            authorized=True,
        )
        return self._parse(response, SessionReport, "report")

    async def report_file(self, session_id: int, fmt: ReportFormat) -> bytes:
        """The session's report as a CSV (UTF-8 with BOM) or Excel file."""
        response = await self._request(
            "GET",
            f"{STAFF}/supervised-sessions/{session_id}/report",
            what="report file",
            authorized=True,
            params={"format": fmt},
        )
        return response.content

    async def search(self, query: str) -> StudentSearchResponse:
        """Students by 学号, name or ID number (a college office: its own college only)."""
        response = await self._request(
            "GET", f"{STAFF}/students", what="search", authorized=True, params={"q": query}
        )
        return self._parse(response, StudentSearchResponse, "search")

    async def student(self, student_id: int) -> StudentDetail:
        """A student's state, window and history."""
        response = await self._request(
            "GET", f"{STAFF}/students/{student_id}", what="student", authorized=True
        )
        return self._parse(response, StudentDetail, "student")

    async def reopen(self, student_id: int) -> StudentDetail:
        """Reopen the student's closed verification window."""
        response = await self._request(
            "POST", f"{STAFF}/students/{student_id}/reopen", what="reopen", authorized=True
        )
        return self._parse(response, StudentDetail, "reopen")

    # --- corrections and imports ---------------------------------------------------------

    async def corrections(self, **filters: str) -> CorrectionList:
        """The corrections queue; ``filters``: college, class_name, field, state, q."""
        response = await self._request(
            "GET", f"{STAFF}/corrections", what="corrections", authorized=True, params=filters
        )
        return self._parse(response, CorrectionList, "corrections")

    async def correction(self, correction_id: int) -> CorrectionDetail:
        """One correction with its history."""
        response = await self._request(
            "GET", f"{STAFF}/corrections/{correction_id}", what="correction", authorized=True
        )
        return self._parse(response, CorrectionDetail, "correction")

    async def decide(
        self,
        correction_id: int,
        body: CollegeDecision | RegistrarDecision | CorrectionStep,
        step: CorrectionAction,
    ) -> CorrectionDetail:
        """Take one step of a correction: a decision, applying it, or sending it on."""
        return await self._post(
            f"{STAFF}/corrections/{correction_id}/{step}",
            body,
            CorrectionDetail,
            f"correction {step}",
        )

    async def bulk(self, body: BulkCorrections) -> BulkResult:
        """Confirm or apply many corrections, all or none."""
        return await self._post(f"{STAFF}/corrections/bulk", body, BulkResult, "bulk corrections")

    async def colleges(self) -> list[str]:
        """The colleges the corrections can be filtered by."""
        response = await self._request(
            "GET", f"{STAFF}/corrections/colleges", what="colleges", authorized=True
        )
        return self._parse(response, CollegeList, "colleges").colleges

    async def export_corrections(self, fmt: ExportFormat, **filters: str) -> Download:
        """The 勘误汇总表 of the queue's ``filters`` as CSV (UTF-8 with BOM), Excel or PDF,
        with the name the server gives it (college and date)."""
        response = await self._request(
            "GET",
            f"{STAFF}/corrections/export",
            what="export corrections",
            authorized=True,
            params={"format": fmt, **filters},
        )
        return Download(attachment_filename(response, f"勘误汇总表.{fmt}"), response.content)

    async def proof_files(self, correction_id: int) -> ProofFileList:
        """The proof documents the student photographed for this correction's submission."""
        response = await self._request(
            "GET", f"{STAFF}/corrections/{correction_id}/proofs", what="proof files",
            authorized=True,
        )  # fmt: skip
        return self._parse(response, ProofFileList, "proof files")

    async def proof_file(self, correction_id: int, file_id: int) -> bytes:
        """One proof document (JPEG), kept in memory only."""
        response = await self._request(
            "GET", f"{STAFF}/corrections/{correction_id}/proofs/{file_id}", what="proof file",
            authorized=True,
        )  # fmt: skip
        return response.content

    async def application_form(self, correction_id: int) -> Download:
        """The 学籍信息变更申请表 (PDF) of this correction, named by the server."""
        response = await self._request(
            "GET", f"{STAFF}/corrections/{correction_id}/application-form.pdf",
            what="application form", authorized=True,
        )  # fmt: skip
        return Download(attachment_filename(response, "学籍信息变更申请表.pdf"), response.content)

    # --- progress and reminders ----------------------------------------------------------

    async def progress(self, **scope: str) -> ProgressReport:
        """The progress view; ``scope``: college, class_name (an office gets its own)."""
        response = await self._request(
            "GET", f"{STAFF}/progress", what="progress", authorized=True, params=scope
        )
        return self._parse(response, ProgressReport, "progress")

    async def progress_students(
        self, number: ProgressNumber, *, offset: int = 0, limit: int = 50, **scope: str
    ) -> ProgressStudents:
        """One page of the students behind ``number`` of the progress view."""
        params = {"number": number, "offset": str(offset), "limit": str(limit), **scope}
        response = await self._request(
            "GET", f"{STAFF}/progress/students", what="progress students", authorized=True,
            params=params,
        )  # fmt: skip
        return self._parse(response, ProgressStudents, "progress students")

    async def export_progress(self, fmt: ExportFormat, **scope: str) -> Download:
        """The 核对统计表 as CSV, Excel or PDF, named by the server (college and date)."""
        response = await self._request(
            "GET", f"{STAFF}/progress/export", what="export progress", authorized=True,
            params={"format": fmt, **scope},
        )  # fmt: skip
        return Download(attachment_filename(response, f"核对统计表.{fmt}"), response.content)

    async def reminder_preview(self, selection: ReminderSelection) -> ReminderPreview:
        """How many students a reminder to ``selection`` would reach now, and how."""
        return await self._post(
            f"{STAFF}/reminders/preview", selection, ReminderPreview, "reminder preview"
        )

    async def send_reminders(self, selection: ReminderSelection) -> ReminderResult:
        """Remind the students of ``selection`` who have not checked (once a day each)."""
        return await self._post(f"{STAFF}/reminders", selection, ReminderResult, "reminders")

    async def import_records(self, content: bytes, *, dry_run: bool = False) -> RecordImportReport:
        """Upload a record file (CSV or Excel); the report says what was found and done."""
        response = await self._request(
            "POST",
            f"{STAFF}/imports/records",
            what="import records",
            authorized=True,
            content=content,
            params={"dry_run": "true" if dry_run else "false"},
        )
        return self._parse(response, RecordImportReport, "import records")

    async def import_photos(self, content: bytes) -> PhotoImportReport:
        """Upload a zip of photos named by 学号 or ID number."""
        response = await self._request(
            "POST",
            f"{STAFF}/imports/photos",
            what="import photos",
            authorized=True,
            content=content,
        )
        return self._parse(response, PhotoImportReport, "import photos")

    async def create_enrolment_code(self, lab: str, uses: int) -> EnrolmentCodeInfo:
        """A code that lets ``uses`` new PCs join ``lab`` within the hour (shown once)."""
        body = EnrolmentCodeCreate(lab=lab, uses=uses)
        return await self._post(
            f"{STAFF}/enrolment-codes", body, EnrolmentCodeInfo, "create enrolment code"
        )

    async def retire_terminal(self, terminal_id: int) -> None:
        """Retire a terminal: its key stops working at once."""
        await self._request(
            "POST",
            f"{STAFF}/terminals/{terminal_id}/retire",
            what="retire terminal",
            authorized=True,
        )

    async def control_terminal(self, terminal_id: int, control: TerminalControl) -> None:
        """End the session on, lock, unlock or send a message to a terminal (next heartbeat)."""
        await self._request(
            "POST",
            f"{STAFF}/terminals/{terminal_id}/control",
            what="control terminal",
            authorized=True,
            content=control.model_dump_json().encode(),
        )

    # --- the province route (issue 14) ---

    async def province_candidates(self) -> CorrectionList:
        """Confirmed key-field corrections not yet in a batch."""
        response = await self._request(
            "GET", f"{BATCHES}/candidates", what="batch candidates", authorized=True
        )
        return self._parse(response, CorrectionList, "batch candidates")

    async def province_batches(self) -> ProvinceBatchList:
        """The batches, newest first."""
        response = await self._request("GET", BATCHES, what="batches", authorized=True)
        return self._parse(response, ProvinceBatchList, "batches")

    async def province_batch(self, batch_id: int) -> ProvinceBatchDetail:
        """One batch and its corrections."""
        response = await self._request(
            "GET", f"{BATCHES}/{batch_id}", what="batch", authorized=True
        )
        return self._parse(response, ProvinceBatchDetail, "batch")

    async def create_province_batch(self, body: ProvinceBatchCreate) -> ProvinceBatchDetail:
        """Submit corrections to the province as a new batch, all or none."""
        return await self._post(BATCHES, body, ProvinceBatchDetail, "create batch")

    async def province_answer(self, batch_id: int, body: ProvinceAnswer) -> ProvinceBatchDetail:
        """Record the province's reply for a batch (or some of its corrections)."""
        return await self._post(
            f"{BATCHES}/{batch_id}/answer", body, ProvinceBatchDetail, "province answer"
        )

    async def province_file(self, batch_id: int, fmt: PlatformFormat) -> Download:
        """The batch's submission file in the platform's layout, with the server's name."""
        response = await self._request(
            "GET",
            f"{BATCHES}/{batch_id}/file",
            what="batch file",
            authorized=True,
            params={"format": fmt},
        )
        return Download(attachment_filename(response, f"batch-{batch_id}.{fmt}"), response.content)

    async def _post(self, url: str, body: Model, reply: type[ModelT], what: str) -> ModelT:
        response = await self._request(
            "POST", url, what=what, authorized=True, content=body.model_dump_json().encode()
        )
        return self._parse(response, reply, what)
