"""``kiosk admin province-batch …``: the registrar's batches from the command line.

``create`` submits confirmed key-field corrections (by id, or ``--all`` waiting ones) as a
new batch; ``list`` shows the batches; ``files`` writes a batch's DBF and .xlsx; ``answer``
records the province's reply. The same rules as the API (:mod:`server.province.workflow`): all or
none, every move audited as ``admin:cli``.
"""

from __future__ import annotations

import argparse
import sys

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kiosk.config import Settings
from kiosk.i18n import Msg, Plural
from kiosk.protocol.province import ProvinceAnswer
from server.corrections.workflow import Actor
from server.db import Database
from server.models import ProvinceBatch, utcnow
from server.problems import ApiProblem
from server.province import workflow as province

ACTOR = Actor("admin:cli")


def _say_problem(problem: ApiProblem) -> None:
    print(f"{problem.code}: {problem.detail or ''}", file=sys.stderr)
    for error in problem.errors:
        print(f"  {error.field}: {error.code}: {error.message}", file=sys.stderr)


NOTHING_TO_SUBMIT = Msg(
    "没有可提交的勘误：请给出编号或 --all。", "Nothing to submit: give IDs or --all."
)
SUBMITTED = Plural(
    "批次 {number}：{n} 条勘误已上报省教育厅。",
    "Batch {number}: 1 correction submitted to the province.",
    "Batch {number}: {n} corrections submitted to the province.",
)
NO_BATCHES = Msg("还没有批次。", "No batches yet.")
ANSWER_RECORDED = Msg("批次 {number} 的批复已登记。", "The answer to {number} is recorded.")
CANNOT_WRITE = Msg("无法写入文件：{error}", "Cannot write the file: {error}")


async def _by_number(session: AsyncSession, number: str) -> ProvinceBatch:
    found = await session.execute(select(ProvinceBatch).where(ProvinceBatch.number == number))
    batch = found.scalar_one_or_none()
    if batch is None:
        raise ApiProblem(
            404,
            "not_found",
            Msg("没有批次 {number}。", "No batch {number}.").fmt(number=number).both(),
        )
    return batch


async def _create(session: AsyncSession, settings: Settings, args: argparse.Namespace) -> int:
    ids = list(args.ids)
    if args.all:
        ids += [c.id for c, _s in await province.candidates(session, settings.server)]
    if not ids:
        print(NOTHING_TO_SUBMIT.both(), file=sys.stderr)
        return 2
    batch = await province.create_batch(
        session, settings.server, ids, ACTOR, utcnow(), args.comment
    )
    print(SUBMITTED.n(len(dict.fromkeys(ids)), number=batch.number).both())
    return 0


async def _list(session: AsyncSession) -> int:
    rows = await province.list_batches(session)
    for row in rows:
        print(
            f"{row.number}  {row.submitted_on}  corrections {row.corrections}, "
            f"waiting {row.waiting}  {row.created_by or 'admin:cli'}"
        )
    if not rows:
        print(NO_BATCHES.both())
    return 0


async def _files(session: AsyncSession, settings: Settings, args: argparse.Namespace) -> int:
    batch = await _by_number(session, args.number)
    rows = province.platform_rows(await province.batch_items(session, batch), settings.server)
    for fmt in ("dbf", "xlsx"):
        path = args.out / province.file_name(batch, fmt)
        path.write_bytes(province.build_file(rows, fmt, batch))
        print(path)
    return 0


async def _answer(session: AsyncSession, settings: Settings, args: argparse.Namespace) -> int:
    batch = await _by_number(session, args.number)
    answer = ProvinceAnswer(
        decision="approve" if args.approve else "reject",
        reference=args.reference,
        comment=args.comment,
        ids=args.ids,
    )
    await province.record_answer(session, settings.server, batch, answer, ACTOR, utcnow())
    print(ANSWER_RECORDED.fmt(number=batch.number).both())
    return 0


async def run(settings: Settings, args: argparse.Namespace) -> int:
    """Run one ``province-batch`` action; the exit code (1: refused, nothing changed)."""
    db = Database(settings.server.database_url)
    try:
        async with db.sessions.begin() as session:
            if args.batch_command == "create":
                return await _create(session, settings, args)
            if args.batch_command == "list":
                return await _list(session)
            if args.batch_command == "files":
                return await _files(session, settings, args)
            return await _answer(session, settings, args)
    except ApiProblem as problem:
        _say_problem(problem)
        return 1
    except OSError as error:
        print(CANNOT_WRITE.fmt(error=error).both(), file=sys.stderr)
        return 2
    finally:
        await db.dispose()
