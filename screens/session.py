"""All that the kiosk knows about the logged-in student, in one object.

The app holds one :class:`StudentSession` while a student is logged in and replaces it by
None at logout, so wiping the student's data is one assignment rather than a hunt through
screens (privacy on a shared terminal).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field

from kiosk.fields import FIELDS, KEY_FIELDS
from kiosk.outbox import PendingResult
from kiosk.policy import Request, Rule, broken_rule
from kiosk.protocol.student import (
    FieldDecision,
    LoginResponse,
    PhotoDecision,
    PhotoLinkResponse,
    RecordResponse,
    VerificationReceipt,
)


@dataclass
class StudentSession:
    """One student's visit: who, their record, their answers so far, and what was sent."""

    login: LoginResponse
    record: RecordResponse | None = None
    started_at: dt.datetime | None = None
    decisions: dict[str, FieldDecision] = field(default_factory=dict)
    photo: PhotoDecision | None = None
    photo_link: PhotoLinkResponse | None = None
    pending: PendingResult | None = None
    """The prepared result; kept until delivered so that a retry reuses its ids."""
    receipt: VerificationReceipt | None = None
    """The server's receipt, when it answered while the student waited."""
    saved: PendingResult | None = None
    """The result saved in the outbox but not yet answered: the receipt says it will be sent."""

    def values(self) -> dict[str, str]:
        """The record as ``{key: value}`` (empty before it is loaded)."""
        return self.record.values() if self.record is not None else {}

    def key_fields(self) -> Collection[str]:
        """The fields whose change the province approves, as the server configures them."""
        if self.record is not None and self.record.key_fields is not None:
            return self.record.key_fields
        return KEY_FIELDS

    def broken_rule(self, today: dt.date) -> Rule | None:
        """The policy rule the corrections reported so far break together, if any: the
        same check the server makes on submission (the register's freeze date is the
        server's alone), so the student can fix it here instead of being refused."""
        wrong = [d for d in self.decisions.values() if d.verdict == "incorrect"]
        request = Request(
            changes={d.key: d.proposed or "" for d in wrong},
            record=self.values(),
            proof=" ".join(d.note for d in wrong if d.note),
            today=today,
        )
        off = self.record.policy_rules_off if self.record is not None else []
        return broken_rule(request, off)

    def start_check(self, record: RecordResponse, now: dt.datetime) -> None:
        """Begin (or begin again) the check of ``record``: every earlier answer is dropped.

        A record to check again starts with only its changed fields (and photo) open, when
        the server says which they are.
        """
        self.record = record
        self.started_at = now
        self.decisions.clear()
        self.photo = None
        self.pending = None
        if record.state == "check_again" and record.recheck_fields:
            # Only what changed since the last submission is asked again; the rest was
            # confirmed then and stands, so it is answered "correct" on the student's behalf.
            # Without a list (the record changed under a check in progress) all is asked.
            for spec in FIELDS:
                if spec.key not in record.recheck_fields:
                    self.decisions[spec.key] = FieldDecision(key=spec.key, verdict="correct")
            if "photo" not in record.recheck_fields:
                self.photo = PhotoDecision(verdict="correct")

    def decide(self, decision: FieldDecision) -> None:
        """Record the student's verdict on one field."""
        if self.decisions.get(decision.key) != decision:
            # A changed answer is a different result: it needs new ids, never the old ones.
            self.pending = None
        self.decisions[decision.key] = decision

    def decide_photo(self, decision: PhotoDecision) -> None:
        """Record the student's verdict on the photo."""
        if self.photo != decision:
            self.pending = None
        self.photo = decision

    def field_decisions(self) -> list[FieldDecision]:
        """The decisions in catalogue order (all 17 once :meth:`complete`)."""
        return [self.decisions[spec.key] for spec in FIELDS if spec.key in self.decisions]

    def fields_complete(self) -> bool:
        """True when every field has a verdict."""
        return all(spec.key in self.decisions for spec in FIELDS)

    def complete(self) -> bool:
        """True when every field and the photo have a verdict."""
        return self.fields_complete() and self.photo is not None
