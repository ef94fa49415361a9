"""Policy rules for corrections, as data: a province switches one off in config.

Each :class:`Rule` looks at one request (the corrections a student reported together, the
record they change and the proof listed) and says whether it breaks the rule. The server
checks them when the student submits and again at each decision that moves a correction on;
``[server] policy_rules_off`` names the rules a province does not apply. Sources: 《普通高等学校
新生学籍电子注册暂行办法》第十二条 and 吉林省 吉教学〔2018〕24号 on proof of identity changes; the
7月1日 publication after which the register no longer changes (学信网's yearly schedule).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

from kiosk.fields import check_id_number, parse_date
from kiosk.i18n import Msg
from kiosk.problem_codes import ServerProblemCode

BIRTH_CERTIFICATE = "出生医学证明"
"""The proof a change of birth date through the ID number needs."""
BIRTH_CERTIFICATE_NAMES = (BIRTH_CERTIFICATE, "birth certificate")
"""How the proof may be listed: in Chinese, or in English by a student using the kiosk so."""


@dataclass(frozen=True, slots=True)
class Request:
    """What a rule looks at: the changes asked for together, the record, the proof listed."""

    changes: Mapping[str, str]
    record: Mapping[str, str]
    proof: str = ""
    today: dt.date = field(default_factory=dt.date.today)
    freeze_date: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    """One policy rule: its name in config, its problem code, its message, and its test."""

    name: str
    code: ServerProblemCode
    message: Msg
    broken: Callable[[Request], bool]


def _name_with_id_number(request: Request) -> bool:
    return "name" in request.changes and "id_number" in request.changes


def _id_birth_without_certificate(request: Request) -> bool:
    new_number = request.changes.get("id_number")
    if new_number is None:
        return False
    new_birth = check_id_number(new_number, request.today).birth_date
    old_birth = parse_date(request.record.get("birth_date", ""))
    changes_birth = new_birth is not None and old_birth is not None and new_birth != old_birth
    listed = request.proof.casefold()
    return changes_birth and not any(name in listed for name in BIRTH_CERTIFICATE_NAMES)


def _after_freeze(request: Request) -> bool:
    return request.freeze_date is not None and request.today > request.freeze_date


RULES: tuple[Rule, ...] = (
    Rule(
        "name_with_id_number",
        "policy_name_with_id_number",
        Msg(
            "姓名和身份证号不能在同一次申请中更正，请分两次申请。",
            "The name and the ID number cannot be corrected in one request; ask for one at a time.",
        ),
        _name_with_id_number,
    ),
    Rule(
        "id_birth_needs_certificate",
        "policy_birth_certificate_required",
        Msg(
            f"新身份证号改变了出生日期，须提供{BIRTH_CERTIFICATE}：请在说明中写明“{BIRTH_CERTIFICATE}”。",
            "The new ID number changes the date of birth: write 'birth certificate' in your "
            "note as the proof you will bring.",
        ),
        _id_birth_without_certificate,
    ),
    Rule(
        "register_frozen",
        "register_frozen",
        Msg(
            "学籍信息已公布，不能再更正。如确有错误，请到学院教学办咨询。",
            "The register has been published and can no longer change. If something is "
            "wrong, ask your college office.",
        ),
        _after_freeze,
    ),
)
"""Every rule, in the order they are checked; the first broken one is reported."""

RULE_NAMES: tuple[str, ...] = tuple(rule.name for rule in RULES)
BY_CODE: dict[ServerProblemCode, Rule] = {rule.code: rule for rule in RULES}


def broken_rule(request: Request, off: Collection[str] = ()) -> Rule | None:
    """The first rule ``request`` breaks among those not switched ``off``, else None.

    A request that changes nothing breaks none: an all-correct check is always welcome.
    """
    if not request.changes:
        return None
    return next((rule for rule in RULES if rule.name not in off and rule.broken(request)), None)
