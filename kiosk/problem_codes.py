"""Every problem code in the contract, as one type that mypy checks at both ends.

The server may only raise an ``ApiProblem`` with a code named here, and the kiosk's
``ERROR_MESSAGES`` is keyed by the same type, so a code cannot exist at one end only.
``docs/contract-notes.md`` explains each code for people; a test keeps the three in step.
Adding a code is one line here, a message in ``kiosk/errors.py`` and a row in the notes.
"""

from __future__ import annotations

from typing import Literal, TypeGuard, get_args

ServerProblemCode = Literal[
    # the terminal itself and enrolment
    "terminal_key_missing",
    "terminal_key_invalid",
    "enrolment_code_invalid",
    "enrolment_code_expired",
    "enrolment_code_used_up",
    "terminal_name_taken",
    # sessions and logins
    "unauthenticated",
    "session_expired",
    "invalid_credentials",
    "account_locked",
    "login_slowed",
    "window_closed",
    "forbidden",
    "other_college",
    # the record and the submission
    "ticket_invalid",
    "ticket_used",
    "not_found",
    "record_changed",
    "request_in_progress",
    "result_conflict",
    "idempotency_key_missing",
    "idempotency_key_invalid",
    "idempotency_key_reused",
    "validation_failed",
    "body_too_large",
    "rate_limited",
    # staff: supervised sessions and corrections
    "session_state",
    "lab_busy",
    "window_not_closed",
    "invalid_transition",
    "four_eyes",
    "bulk_failed",
    # staff: reminders
    "reminder_conflict",
    # policy rules (kiosk.policy) and province batches
    "policy_name_with_id_number",
    "policy_birth_certificate_required",
    "register_frozen",
    "platform_file_problems",
    # registration
    "record_not_found",
    "identity_mismatch",
    "already_registered",
    "email_taken",
    "resend_too_soon",
    "send_limit_reached",
    "registration_closed",
    "registration_expired",
    "code_invalid",
    "code_already_confirmed",
    # the photo link
    "link_expired",
    "link_invalid",
    # proof documents from the phone
    "no_proof_needed",
    "proof_too_large",
    "proof_not_image",
    "proof_damaged",
    "proof_too_many_pixels",
    "proof_kind",
    "proof_link_closed",
    "proof_slots_full",
    # the framework's own refusals (an unknown route or method, a malformed request)
    "bad_request",
    "method_not_allowed",
    "http_error",
    "internal_error",
]
"""A code the server puts in a problem+json answer."""

KioskProblemCode = Literal["server_unreachable", "timeout", "bad_response"]
"""A code the kiosk's client gives an answer that never arrived or made no sense."""

ProblemCode = Literal[ServerProblemCode, KioskProblemCode]
"""Every code the kiosk can meet: the server's and its own."""

_PROBLEM_CODES: frozenset[str] = frozenset(get_args(ProblemCode))


def is_problem_code(code: str) -> TypeGuard[ProblemCode]:
    """True for a code of this contract; an answer may carry one from a newer server."""
    return code in _PROBLEM_CODES
