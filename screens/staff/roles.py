"""Which console keys a staff role may use, so each role is shown only keys that work for it.

The server decides, per route, from the role groups in :mod:`kiosk.protocol`; this table names
the console actions behind those routes, so a key the server would refuse is neither shown
nor bound, and pressing it leaves no refusal in the audit log.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.actions import parse

from kiosk.protocol.base import RECORD_KEEPERS, REGISTRAR_ONLY, SUPERVISORS, StaffRole
from screens.widgets.keys import Key

ACTIONS: dict[tuple[str, tuple[object, ...]], tuple[StaffRole, ...]] = {
    ("show", ("board",)): SUPERVISORS,
    ("show", ("sessions",)): SUPERVISORS,
    ("show", ("students",)): RECORD_KEEPERS,
    ("show", ("corrections",)): RECORD_KEEPERS,
    ("show", ("progress",)): RECORD_KEEPERS,
    ("show", ("imports",)): REGISTRAR_ONLY,
    ("show", ("batches",)): REGISTRAR_ONLY,
    ("show", ("terminals",)): SUPERVISORS,
    ("edit", ()): SUPERVISORS,
    ("cancel_session", ()): SUPERVISORS,
    ("next_college", ()): REGISTRAR_ONLY,  # a college office is shown its own college only
    ("mark", ()): REGISTRAR_ONLY,  # marking is only for the bulk actions
    ("bulk", ("confirm",)): REGISTRAR_ONLY,
    ("bulk", ("apply",)): REGISTRAR_ONLY,
}
"""(action, arguments) -> the roles that may; actions not listed are open to whoever sees them."""


def may(role: StaffRole | None, action: str, parameters: tuple[object, ...] = ()) -> bool:
    """Whether ``role`` may run ``action(*parameters)`` (nobody logged in: only open ones)."""
    roles = ACTIONS.get((action, tuple(parameters)))
    return roles is None or role in roles


def usable(role: StaffRole | None, keys: Sequence[Key]) -> list[Key]:
    """The keys of a key bar that ``role`` may use."""
    return [key for key in keys if may(role, *parse(key.action)[1:])]
