"""The ``kiosk`` command: one entry point for the lab terminal, the staff console and the server.

Heavy packages (Textual, FastAPI, SQLAlchemy, and pydantic with the configuration) are
imported only inside the command that needs them, so ``kiosk --help`` is fast and the core
stays free of them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.config import Settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk", description="学籍校对终端 — Record Verification Kiosk"
    )
    parser.add_argument(
        "--config", type=Path, help="configuration file (default: $KIOSK_CONFIG or ./config.toml)"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("run", help="start the kiosk on this lab terminal")
    demo = commands.add_parser("demo", help="start a demo server and the kiosk against it")
    demo.add_argument(
        "--public-host",
        nargs="?",
        const="auto",
        metavar="ADDRESS",
        help="let phones on the network open the photo links: this address, or without one "
        "this machine's LAN address (the demo server then listens on the network)",
    )
    enrol = commands.add_parser(
        "enrol", help="join a lab with an enrolment code from the staff console; stores the key"
    )
    enrol.add_argument("code", help="the code the console shows, e.g. ABCD-EFGH-JKMN")
    enrol.add_argument("--name", required=True, help="this PC's name in the lab, e.g. lab3-07")
    enrol.add_argument("--server", help="the university server's URL (default: [kiosk] server_url)")
    enrol.add_argument("--force", action="store_true", help="enrol again, replacing the old key")
    staff_console = commands.add_parser("staff", help="the staff console (live board, sessions)")
    staff_console.add_argument(
        "--server", help="the university server's URL (default: [kiosk] server_url)"
    )

    outbox = commands.add_parser(
        "outbox", help="this terminal's results waiting to be sent (no personal data shown)"
    )
    outbox_commands = outbox.add_subparsers(dest="outbox_command", required=True, metavar="ACTION")
    outbox_commands.add_parser("list", help="counts, ages and states of the entries")
    outbox_commands.add_parser("retry", help="send the dead letters again, same key and body")
    outbox_commands.add_parser(
        "purge-delivered", help="forget the receipt numbers of delivered results"
    )

    serve = commands.add_parser("serve", help="start the university server")
    serve.add_argument("--demo", action="store_true", help="fill an empty database with demo data")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--database-url")
    serve.add_argument("--workers", type=int)
    serve.add_argument(
        "--demo-accounts-to",
        type=Path,
        metavar="FILE",
        help="with --demo: also write what `admin demo-accounts --json` prints to FILE",
    )

    admin = commands.add_parser("admin", help="administration of the server's database")
    admin.add_argument(
        "--database-url", help="the server's database (default: from the configuration)"
    )
    admin_commands = admin.add_subparsers(dest="admin_command", required=True, metavar="ACTION")
    admin_commands.add_parser("migrate", help="bring the database schema up to date")
    terminal = admin_commands.add_parser(
        "add-terminal",
        help="register a terminal, or a lab's worth with --count; prints each key once",
    )
    terminal.add_argument("lab")
    terminal.add_argument("name", nargs="?", help="the terminal's name (not with --count)")
    terminal.add_argument(
        "--count", type=int, help="register this many at once (1-500), named by --pattern"
    )
    terminal.add_argument(
        "--pattern",
        default="{lab}-{n:02d}",
        help="names for --count: {n} is 1, 2, … (from --start), {lab} the lab; "
        "e.g. 'lab3-{n:02d}' (default '{lab}-{n:02d}')",
    )
    terminal.add_argument("--start", type=int, default=1, help="the first {n} (default 1)")
    staff = admin_commands.add_parser("add-staff", help="create a staff account")
    staff.add_argument("username")
    staff.add_argument("--role", required=True, choices=["proctor", "college_office", "registrar"])
    staff.add_argument("--college", help="the college a college office belongs to")
    staff.add_argument("--password", help="read from standard input when omitted")
    accounts = admin_commands.add_parser(
        "demo-accounts", help="the demo terminal key and student accounts"
    )
    accounts.add_argument("--json", action="store_true", help="print JSON for scripts")
    admin_commands.add_parser("hash-pin", help="hash a staff PIN for [kiosk] staff_pin_hash")
    mailbox = admin_commands.add_parser(
        "mailbox", help="messages in the local mailbox (mail and SMS without SMTP or a gateway)"
    )
    mailbox.add_argument("--to", help="only this e-mail address or mobile number")
    mailbox.add_argument("--limit", type=int, default=20, help="how many, newest first")
    mailbox.add_argument(
        "--failed", action="store_true", help="instead: messages that could not be delivered"
    )
    records = admin_commands.add_parser(
        "import-records",
        help="import master records from CSV (UTF-8 or GBK) or Excel; nothing applied on error",
    )
    records.add_argument("file", type=Path)
    records.add_argument("--dry-run", action="store_true", help="only check the file")
    photos = admin_commands.add_parser(
        "import-photos", help="import photos (named by 学号 or ID number) from a folder or zip"
    )
    photos.add_argument("source", type=Path, metavar="DIR|ZIP")
    _province_batch_parser(admin_commands)
    return parser


def _province_batch_parser(commands: Any) -> None:
    """``kiosk admin province-batch …`` (run by :mod:`server.province.cli`)."""
    batch = commands.add_parser(
        "province-batch", help="batches of key-field corrections for the provincial department"
    )
    actions = batch.add_subparsers(dest="batch_command", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="submit confirmed key-field corrections")
    create.add_argument("ids", nargs="*", type=int, metavar="ID", help="correction ids")
    create.add_argument("--all", action="store_true", help="every one waiting for a batch")
    create.add_argument("--comment", help="a note kept with the batch")
    actions.add_parser("list", help="the batches, newest first")
    files = actions.add_parser("files", help="write the batch's DBF and .xlsx")
    files.add_argument("number", help="the batch number, e.g. 2027-001")
    files.add_argument("--out", type=Path, default=Path(), help="folder (default: here)")
    answer = actions.add_parser("answer", help="record the province's reply")
    answer.add_argument("number", help="the batch number, e.g. 2027-001")
    decision = answer.add_mutually_exclusive_group(required=True)
    decision.add_argument("--approve", action="store_true")
    decision.add_argument("--reject", action="store_true")
    answer.add_argument("--reference", required=True, help="the reply's reference")
    answer.add_argument("--comment")
    answer.add_argument("--ids", nargs="+", type=int, help="only these corrections")


def _apply_server_options(settings: Settings, args: argparse.Namespace) -> Settings:
    """Command-line options win over the file and the environment."""
    options = ("host", "port", "database_url", "workers", "demo")
    changes = {
        key: getattr(args, key) for key in options if getattr(args, key, None) not in (None, False)
    }
    data = settings.model_dump()
    data["server"].update(changes)
    return settings.model_validate(data)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    return _command(_parser().parse_args(argv))


def _command(args: argparse.Namespace) -> int:
    from kiosk.config import ConfigError, load_settings  # pydantic: see the module docstring

    try:
        settings = load_settings(args.config)
        if args.command in ("serve", "admin"):
            settings = _apply_server_options(settings, args)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    except ValueError as exc:  # pydantic's ValidationError for a bad command-line option
        print(f"Invalid option / 参数有误: {exc}", file=sys.stderr)
        return 2

    if args.command == "serve":
        from server.runner import serve

        return serve(settings, demo_accounts_to=args.demo_accounts_to)
    if args.command == "admin":
        from server.admin import run_admin

        return run_admin(settings, args)
    if args.command == "outbox":
        from kiosk.outbox_cli import run_outbox_command

        return run_outbox_command(settings.kiosk.outbox_path, args.outbox_command)
    if args.command == "enrol":
        from kiosk.config import terminal_file
        from kiosk.enrol import run_enrol

        return run_enrol(
            code=args.code,
            name=args.name,
            server_url=args.server or settings.kiosk.server_url,
            target=terminal_file(),
            force=args.force,
            timeout_s=settings.kiosk.request_timeout_s,
        )
    if args.command == "staff":
        from screens.staff.launch import launch

        return launch(settings, server_url=args.server)
    if args.command == "run":
        from screens.launch import run_kiosk

        return run_kiosk(settings)
    if args.command == "demo":
        from screens.launch import run_demo

        return run_demo(settings, public_host=args.public_host)
    raise AssertionError(args.command)  # argparse only lets known commands through


if __name__ == "__main__":
    # `python -m kiosk.cli run` locks down as the console script does (kiosk.entry).
    from kiosk.lockdown import lock_down

    lock_down(sys.argv[1:])
    sys.exit(main())
