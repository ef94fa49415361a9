"""``kiosk admin …``: migrations, terminals, staff accounts, demo accounts, the staff PIN."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kiosk.config import Settings
from server.db import Database
from server.migrate import migrate
from server.models import Account
from server.security import Passwords
from server.seed import demo_accounts
from server.terminals import add_terminal

MIN_STAFF_PASSWORD = 12


def _read_secret(prompt: str, given: str | None) -> str:
    if given is not None:
        return given
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    return sys.stdin.readline().rstrip("\n")


async def _add_terminal(settings: Settings, lab: str, name: str) -> int:
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
    return 0


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
    raise AssertionError(action)
