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
from kiosk.protocol import ImportProblem
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
        print(
            f"A terminal of {lab} with one of these names exists already; none was added. / "
            "已有同名终端，未添加任何终端。",
            file=sys.stderr,
        )
        return 1
    finally:
        await db.dispose()
    print(
        "Terminal keys (shown once; put each in KIOSK_KIOSK__TERMINAL_KEY) / 终端密钥（只显示一次）:"
    )
    for name, key in keys:
        print(key if len(keys) == 1 else f"{name}\t{key}")
    return 0


def _terminal_names(args: argparse.Namespace) -> list[str] | None:
    """The names ``add-terminal`` was asked for, or None (and a message) when unclear."""
    if args.count is None:
        if args.name is None:
            print("Give a NAME, or --count N. / 请给出终端名，或 --count N。", file=sys.stderr)
            return None
        return [args.name]
    if args.name is not None:
        print("A NAME or --count, not both. / 终端名与 --count 二选一。", file=sys.stderr)
        return None
    try:
        return terminal_names(args.lab, args.pattern, args.count, args.start)
    except ValueError as error:
        print(f"{error} / 名称模式无效。", file=sys.stderr)
        return None


async def _add_staff(settings: Settings, args: argparse.Namespace) -> int:
    if args.role == "college_office" and not args.college:
        print("A college office needs --college. / 学院教学办账号需要 --college。", file=sys.stderr)
        return 2
    password = _read_secret("Password / 密码: ", args.password)
    if len(password) < MIN_STAFF_PASSWORD:
        print(
            f"Staff passwords need at least {MIN_STAFF_PASSWORD} characters. "
            f"/ 工作人员密码至少 {MIN_STAFF_PASSWORD} 位。",
            file=sys.stderr,
        )
        return 2
    db = Database(settings.server.database_url)
    try:
        async with db.sessions.begin() as session:
            username = args.username.strip().casefold()
            if (
                await session.execute(select(Account.id).where(Account.username == username))
            ).first():
                print("That user name is taken. / 用户名已被使用。", file=sys.stderr)
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
    print(f"Staff account {username} ({args.role}) created. / 已创建。")
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
    print(f"Terminal key / 终端密钥: {data['terminal_key'] or '(no demo data / 无演示数据)'}")
    for row in data["students"]:
        print(f"{row['username']:<45} {row['student_no']:<12} {row['password']}")
    print("Not registered yet, to try the registration / 尚未注册（可用于演示注册）:")
    for row in data["newcomers"]:
        print(f"  {row['name']:<6} {row['gender']} {row['id_number']} {row['birth_date']}")
    print("Staff / 工作人员:")
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
            print("Every message was delivered. / 所有消息均已送达。")
        return 0
    for entry in reversed(entries):
        print(f"--- {entry.created_at:%Y-%m-%d %H:%M:%S} {entry.channel} to {entry.recipient}")
        if entry.subject:
            print(f"Subject: {entry.subject}")
        print(entry.body.rstrip())
    if not entries:
        print("The mailbox is empty. / 邮箱为空。")
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
        report = await import_records(db, source, settings.server, utcnow(), dry_run=dry_run)
    finally:
        await db.dispose()
    _print_problems(report.problems)
    if report.problems:
        print(f"{len(report.problems)} problems; nothing imported. / 有问题，未导入任何记录。")
        return 1
    print(
        f"{report.rows} rows{'' if report.applied else ' are valid (dry run)'}: "
        f"{report.created} new, {report.updated} changed, {report.unchanged} unchanged. / "
        f"{'' if report.applied else '全部有效（仅检查）：'}新增 {report.created}，"
        f"更新 {report.updated}，未变 {report.unchanged}。"
    )
    for change in report.changes:
        what = (
            "new / 新增"
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
        print(f"Cannot read {source} as a folder or zip. / 无法读取。", file=sys.stderr)
        return 2


async def _import_photos(settings: Settings, files: Iterator[PhotoFile]) -> int:
    from server.corrections import Actor  # see _import_records
    from server.imports import import_photos

    db = Database(settings.server.database_url)
    try:
        report = await import_photos(db, files, settings.server, utcnow(), Actor("admin:cli"))
    finally:
        await db.dispose()
    _print_problems(report.problems)
    print(
        f"{len(report.stored)} photos stored, {len(report.problems)} refused, "
        f"{report.corrections_applied} photo corrections applied. "
        f"/ 已导入 {len(report.stored)} 张，退回 {len(report.problems)} 张。"
    )
    return 1 if report.problems else 0


def run_admin(settings: Settings, args: argparse.Namespace) -> int:
    """Run one ``kiosk admin`` action; returns the exit code."""
    action = args.admin_command
    if action == "hash-pin":
        pin = _read_secret("Staff PIN / 管理员 PIN: ", None)
        if len(pin) < 4 or not pin.isdigit():
            print("A PIN has at least 4 digits. / PIN 至少 4 位数字。", file=sys.stderr)
            return 2
        print(Passwords(settings.server).hash_sync(pin))
        return 0
    names = _terminal_names(args) if action == "add-terminal" else []
    if names is None:
        return 2
    asyncio.run(migrate(settings.server.database_url))
    if action == "migrate":
        print("Database schema is up to date. / 数据库结构已是最新。")
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
            print(f"Cannot read {args.file}. / 无法读取文件。", file=sys.stderr)
            return 2
    if action == "import-photos":
        return _photo_import(settings, args.source)
    raise AssertionError(action)
