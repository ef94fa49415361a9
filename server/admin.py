"""``kiosk admin …``: migrations, terminals, staff accounts, demo accounts, the staff PIN."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kiosk.config import Settings
from kiosk.i18n import Msg, Plural
from kiosk.protocol.imports import ImportProblem
from server.db import Database
from server.migrate import migrate
from server.models import Account, utcnow
from server.security import Passwords
from server.seed import demo_accounts

if TYPE_CHECKING:
    from server.imports import PhotoFile

MIN_STAFF_PASSWORD = 12


def _read_secret(prompt: str, given: str | None) -> str:
    if given is not None:
        return given
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    return sys.stdin.readline().rstrip("\n")


MAX_TERMINALS = 500

# What the commands say, in both languages (Msg.both: "中文 / English").
M_NAMES_TAKEN = Msg(
    "{lab} 已有同名终端，未添加任何终端。",
    "A terminal of {lab} with one of these names exists already; none was added.",
)
M_TERMINAL_KEYS = Msg(
    "终端密钥（只显示一次）", "Terminal keys (shown once; put each in KIOSK_KIOSK__TERMINAL_KEY)"
)
M_NAME_OR_COUNT = Msg("请给出终端名，或 --count N。", "Give a NAME, or --count N.")
M_NOT_BOTH = Msg("终端名与 --count 二选一。", "A NAME or --count, not both.")
M_BAD_PATTERN = Msg("名称模式无效：{error}", "{error}")
M_NEEDS_COLLEGE = Msg("学院教学办账号需要 --college。", "A college office needs --college.")
M_PASSWORD = Msg("密码", "Password")
M_PASSWORD_SHORT = Plural(
    "工作人员密码至少 {n} 位。",
    "Staff passwords need at least 1 character.",
    "Staff passwords need at least {n} characters.",
)
M_NAME_TAKEN = Msg("用户名已被使用。", "That user name is taken.")
M_STAFF_CREATED = Msg(
    "已创建工作人员账号 {username}（{role}）。", "Staff account {username} ({role}) created."
)
M_TERMINAL_KEY = Msg("终端密钥", "Terminal key")
M_NO_DEMO_DATA = Msg("（无演示数据）", "(no demo data)")
M_NEWCOMERS = Msg("尚未注册（可用于演示注册）", "Not registered yet, to try the registration")
M_STAFF = Msg("工作人员", "Staff")
M_ALL_DELIVERED = Msg("所有消息均已送达。", "Every message was delivered.")
M_MAILBOX_EMPTY = Msg("邮箱为空。", "The mailbox is empty.")
M_IMPORT_PROBLEMS = Plural(
    "有 {n} 个问题，未导入任何记录。",
    "1 problem; nothing imported.",
    "{n} problems; nothing imported.",
)
M_IMPORTED = Plural(
    "已导入 {n} 行：新增 {created}，更新 {updated}，未变 {unchanged}。",
    "1 row: {created} new, {updated} changed, {unchanged} unchanged.",
    "{n} rows: {created} new, {updated} changed, {unchanged} unchanged.",
)
M_VALID = Plural(
    "{n} 行全部有效（仅检查）：新增 {created}，更新 {updated}，未变 {unchanged}。",
    "1 row is valid (dry run): {created} new, {updated} changed, {unchanged} unchanged.",
    "{n} rows are valid (dry run): {created} new, {updated} changed, {unchanged} unchanged.",
)
M_NEW = Msg("新增", "new")
M_UNREADABLE_SOURCE = Msg(
    "无法将 {source} 作为文件夹或 zip 读取。", "Cannot read {source} as a folder or zip."
)
M_PHOTOS_IMPORTED = Plural(
    "已导入 {n} 张，退回 {refused} 张，完成照片勘误 {applied} 条。",
    "1 photo stored, {refused} refused, {applied} applied.",
    "{n} photos stored, {refused} refused, {applied} applied.",
)
M_CORRECTIONS_APPLIED = Plural("{n}", "1 photo correction", "{n} photo corrections")
"""The ``{applied}`` of :data:`M_PHOTOS_IMPORTED`, a count of its own."""
M_PIN = Msg("管理员 PIN", "Staff PIN")
M_PIN_SHORT = Msg("PIN 至少 4 位数字。", "A PIN has at least 4 digits.")
M_SCHEMA_CURRENT = Msg("数据库结构已是最新。", "Database schema is up to date.")
M_UNREADABLE_FILE = Msg("无法读取文件 {file}。", "Cannot read {file}.")
"""Most terminals one ``add-terminal --count`` registers."""


def terminal_names(lab: str, pattern: str, count: int, start: int = 1) -> list[str]:
    """``count`` names from ``pattern`` (``{n}`` numbered from ``start``, ``{lab}``).

    Raises ValueError when the pattern does not number them apart, or is not a pattern.
    """
    if not 1 <= count <= MAX_TERMINALS:
        raise ValueError(f"--count is 1 to {MAX_TERMINALS}")
    try:
        names = [pattern.format(lab=lab, n=n) for n in range(start, start + count)]
    except (KeyError, IndexError, ValueError) as error:
        raise ValueError(f"not a name pattern ({error}); use {{n}} and {{lab}}") from None
    if len(set(names)) != count or any(not name or len(name) > 100 for name in names):
        raise ValueError("the pattern must give each terminal its own name, e.g. 'lab3-{n:02d}'")
    return names


async def _add_terminals(settings: Settings, lab: str, names: list[str]) -> int:
    """Register every terminal of ``names`` in one transaction (all or none), in one process:
    the start-up of the command, not the key, was what cost seconds per terminal."""
    from server.terminals import add_terminal  # FastAPI's import: see _import_records

    db = Database(settings.server.database_url)
    try:
        async with db.sessions.begin() as session:
            keys = [(name, (await add_terminal(session, lab, name))[1]) for name in names]
    except IntegrityError:
        print(M_NAMES_TAKEN.both(lab=lab), file=sys.stderr)
        return 1
    finally:
        await db.dispose()
    print(f"{M_TERMINAL_KEYS.both()}:")
    for name, key in keys:
        print(key if len(keys) == 1 else f"{name}\t{key}")
    return 0


def _terminal_names(args: argparse.Namespace) -> list[str] | None:
    """The names ``add-terminal`` was asked for, or None (and a message) when unclear."""
    if args.count is None:
        if args.name is None:
            print(M_NAME_OR_COUNT.both(), file=sys.stderr)
            return None
        return [args.name]
    if args.name is not None:
        print(M_NOT_BOTH.both(), file=sys.stderr)
        return None
    try:
        return terminal_names(args.lab, args.pattern, args.count, args.start)
    except ValueError as error:
        print(M_BAD_PATTERN.both(error=error), file=sys.stderr)
        return None


async def _add_staff(settings: Settings, args: argparse.Namespace) -> int:
    if args.role == "college_office" and not args.college:
        print(M_NEEDS_COLLEGE.both(), file=sys.stderr)
        return 2
    password = _read_secret(f"{M_PASSWORD.both()}: ", args.password)
    if len(password) < MIN_STAFF_PASSWORD:
        print(M_PASSWORD_SHORT.n(MIN_STAFF_PASSWORD).both(), file=sys.stderr)
        return 2
    db = Database(settings.server.database_url)
    try:
        async with db.sessions.begin() as session:
            username = args.username.strip().casefold()
            if (
                await session.execute(select(Account.id).where(Account.username == username))
            ).first():
                print(M_NAME_TAKEN.both(), file=sys.stderr)
                return 1
            session.add(
                Account(
                    username=username,
                    password_hash=await Passwords(settings.server).hash(password),
                    role=args.role,
                    college=args.college,
                )
            )
    finally:
        await db.dispose()
    print(M_STAFF_CREATED.both(username=username, role=args.role))
    return 0


async def _demo_accounts(settings: Settings, as_json: bool) -> int:
    db = Database(settings.server.database_url)
    try:
        data = await demo_accounts(db, settings.server)
    finally:
        await db.dispose()
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    print(f"{M_TERMINAL_KEY.both()}: {data['terminal_key'] or M_NO_DEMO_DATA.both()}")
    for row in data["students"]:
        print(f"{row['username']:<45} {row['student_no']:<12} {row['password']}")
    print(f"{M_NEWCOMERS.both()}:")
    for row in data["newcomers"]:
        print(f"  {row['name']:<6} {row['gender']} {row['id_number']} {row['birth_date']}")
    print(f"{M_STAFF.both()}:")
    for row in data["staff"]:
        print(
            f"{row['username']:<20} {row['role']:<15} {row['college'] or '':<10} {row['password']}"
        )
    return 0


async def _mailbox(settings: Settings, args: argparse.Namespace) -> int:
    from server.notify import delivery_failures, mailbox_messages  # FastAPI: _import_records

    db = Database(settings.server.database_url)
    try:
        async with db.sessions() as session:
            if args.failed:
                failures = await delivery_failures(session, args.limit)
            else:
                entries = await mailbox_messages(session, args.to, args.limit)
    finally:
        await db.dispose()
    if args.failed:
        for failure in failures:
            print(
                f"{failure.created_at:%Y-%m-%d %H:%M:%S} {failure.channel:<5} {failure.status:<7} "
                f"tries {failure.attempts} {failure.recipient} {failure.reference or ''}\n"
                f"    {failure.last_error or ''}"
            )
        if not failures:
            print(M_ALL_DELIVERED.both())
        return 0
    for entry in reversed(entries):
        print(f"--- {entry.created_at:%Y-%m-%d %H:%M:%S} {entry.channel} to {entry.recipient}")
        if entry.subject:
            print(f"Subject: {entry.subject}")
        print(entry.body.rstrip())
    if not entries:
        print(M_MAILBOX_EMPTY.both())
    return 0


def _print_problems(problems: list[ImportProblem]) -> None:
    for problem in problems:
        where = problem.file or " ".join(
            part
            for part in (
                f"line {problem.line}" if problem.line else "",
                problem.column or "",
            )
            if part
        )
        print(f"{where}: {problem.code}: {problem.message}", file=sys.stderr)


async def _import_records(settings: Settings, source: IO[bytes], dry_run: bool) -> int:
    # The imports (openpyxl) and the web modules are loaded by the actions that use them:
    # `kiosk admin demo-accounts`, run by every `kiosk demo`, took 4 s with them all.
    from server.imports import import_records

    db = Database(settings.server.database_url)
    try:
        found = await import_records(db, source, settings.server, utcnow(), dry_run=dry_run)
    finally:
        await db.dispose()
    report = found.report
    _print_problems(report.problems)
    if report.problems:
        print(M_IMPORT_PROBLEMS.n(len(report.problems)).both())
        return 1
    counts = {"created": report.created, "updated": report.updated, "unchanged": report.unchanged}
    print((M_IMPORTED if report.applied else M_VALID).n(report.rows, **counts).both())
    for change in found.changes():
        what = (
            M_NEW.both()
            if change.new
            else "; ".join(f"{item.key}: {item.old} → {item.new}" for item in change.fields)
        )
        print(f"  line {change.line} {change.student_no}: {what}")
    return 0


def _photo_import(settings: Settings, source: Path) -> int:
    from server.imports import folder_photos, zip_photos  # see _import_records
    from server.record_files import Unreadable

    try:
        with contextlib.ExitStack() as stack:
            if source.is_dir():
                files = folder_photos(source, settings.server)
            else:
                files = zip_photos(stack.enter_context(source.open("rb")), settings.server)
            return asyncio.run(_import_photos(settings, files))
    except (OSError, Unreadable):
        print(M_UNREADABLE_SOURCE.both(source=source), file=sys.stderr)
        return 2


async def _import_photos(settings: Settings, files: Iterator[PhotoFile]) -> int:
    from server.corrections.workflow import Actor  # see _import_records
    from server.imports import import_photos

    db = Database(settings.server.database_url)
    try:
        report = await import_photos(db, files, settings.server, utcnow(), Actor("admin:cli"))
    finally:
        await db.dispose()
    _print_problems(report.problems)
    said = M_PHOTOS_IMPORTED.n(
        len(report.stored),
        refused=len(report.problems),
        applied=M_CORRECTIONS_APPLIED.n(report.corrections_applied),
    )
    print(said.both())
    return 1 if report.problems else 0


def run_admin(settings: Settings, args: argparse.Namespace) -> int:
    """Run one ``kiosk admin`` action; returns the exit code."""
    action = args.admin_command
    if action == "hash-pin":
        pin = _read_secret(f"{M_PIN.both()}: ", None)
        if len(pin) < 4 or not pin.isdigit():
            print(M_PIN_SHORT.both(), file=sys.stderr)
            return 2
        print(Passwords(settings.server).hash_sync(pin))
        return 0
    names = _terminal_names(args) if action == "add-terminal" else []
    if names is None:
        return 2
    asyncio.run(migrate(settings.server.database_url))
    if action == "migrate":
        print(M_SCHEMA_CURRENT.both())
        return 0
    if action == "add-terminal":
        return asyncio.run(_add_terminals(settings, args.lab, names))
    if action == "add-staff":
        return asyncio.run(_add_staff(settings, args))
    if action == "demo-accounts":
        return asyncio.run(_demo_accounts(settings, args.json))
    if action == "mailbox":
        return asyncio.run(_mailbox(settings, args))
    if action == "import-records":
        try:
            with args.file.open("rb") as file:
                return asyncio.run(_import_records(settings, file, args.dry_run))
        except OSError:
            print(M_UNREADABLE_FILE.both(file=args.file), file=sys.stderr)
            return 2
    if action == "import-photos":
        return _photo_import(settings, args.source)
    if action == "province-batch":
        from server.province import cli as province_cli  # FastAPI's import: see _import_records

        return asyncio.run(province_cli.run(settings, args))
    raise AssertionError(action)
