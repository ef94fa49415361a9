"""``kiosk admin …``: migrations, terminals, staff accounts, demo accounts, the staff PIN."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
import zipfile
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kiosk.config import Settings
from kiosk.protocol import ImportProblem
from server.db import Database
from server.migrate import migrate
from server.models import Account, utcnow
from server.security import Passwords
from server.seed import demo_accounts

MIN_STAFF_PASSWORD = 12


def _read_secret(prompt: str, given: str | None) -> str:
    if given is not None:
        return given
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    return sys.stdin.readline().rstrip("\n")


async def _add_terminal(settings: Settings, lab: str, name: str) -> int:
    from server.terminals import add_terminal  # FastAPI's import: see _import_records

    db = Database(settings.server.database_url)
    try:
        async with db.sessions.begin() as session:
            _terminal, key = await add_terminal(session, lab, name)
    except IntegrityError:
        print(f"A terminal {lab}/{name} exists already. / 该终端已存在。", file=sys.stderr)
        return 1
    finally:
        await db.dispose()
    print(
        "Terminal key (shown once; put it in KIOSK_KIOSK__TERMINAL_KEY) / 终端密钥（只显示一次）:"
    )
    print(key)
    return 0


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


async def _import_records(settings: Settings, content: bytes, dry_run: bool) -> int:
    # The imports (openpyxl) and the web modules are loaded by the actions that use them:
    # `kiosk admin demo-accounts`, run by every `kiosk demo`, took 4 s with them all.
    from server.imports import import_records

    db = Database(settings.server.database_url)
    try:
        async with db.sessions.begin() as session:
            report = await import_records(session, content, utcnow(), dry_run=dry_run)
    finally:
        await db.dispose()
    _print_problems(report.problems)
    if report.problems:
        print(f"{len(report.problems)} problems; nothing imported. / 有问题，未导入任何记录。")
        return 1
    if not report.applied:
        print(f"{report.rows} rows are valid (dry run). / 全部有效（仅检查）。")
        return 0
    print(
        f"{report.rows} rows: {report.created} new, {report.updated} changed, "
        f"{report.unchanged} unchanged. / 新增 {report.created}，更新 {report.updated}。"
    )
    return 0


def _photo_files(settings: Settings, source: Path) -> list[tuple[str, bytes | int]] | None:
    from server.imports import photo_files_from_dir, photo_files_from_zip  # see _import_records

    limit = settings.server.photo_max_bytes
    try:
        if source.is_dir():
            return photo_files_from_dir(source, limit)
        return photo_files_from_zip(source.read_bytes(), limit)
    except (OSError, zipfile.BadZipFile):
        print(f"Cannot read {source} as a folder or zip. / 无法读取。", file=sys.stderr)
        return None


async def _import_photos(settings: Settings, files: list[tuple[str, bytes | int]]) -> int:
    from server.corrections import Actor  # see _import_records
    from server.imports import import_photos

    db = Database(settings.server.database_url)
    try:
        async with db.sessions.begin() as session:
            report = await import_photos(
                session, files, settings.server, utcnow(), Actor("admin:cli")
            )
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
    asyncio.run(migrate(settings.server.database_url))
    if action == "migrate":
        print("Database schema is up to date. / 数据库结构已是最新。")
        return 0
    if action == "add-terminal":
        return asyncio.run(_add_terminal(settings, args.lab, args.name))
    if action == "add-staff":
        return asyncio.run(_add_staff(settings, args))
    if action == "demo-accounts":
        return asyncio.run(_demo_accounts(settings, args.json))
    if action == "mailbox":
        return asyncio.run(_mailbox(settings, args))
    if action == "import-records":
        try:
            content = args.file.read_bytes()
        except OSError:
            print(f"Cannot read {args.file}. / 无法读取文件。", file=sys.stderr)
            return 2
        return asyncio.run(_import_records(settings, content, args.dry_run))
    if action == "import-photos":
        files = _photo_files(settings, args.source)
        return 2 if files is None else asyncio.run(_import_photos(settings, files))
    raise AssertionError(action)
