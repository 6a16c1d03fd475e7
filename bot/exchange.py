"""Excel in and out: task lists are handed out as spreadsheets today, so Guatu reads and writes them."""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.dates import parse_date
from models import i18n, org, tasks
from models.context import Ctx
from models.db import session_scope
from models.errors import GuatuError
from models.i18n import t
from models.org import PersonRef
from models.tables import ForceMember, Person, TaskForce, Workspace

# Header aliases as they appear in real 任务清单 spreadsheets.
COLUMNS = {
    "title": ("任务", "任务名称", "重点任务", "工作任务", "任务内容", "title", "task"),
    "owner": ("责任人", "负责人", "owner"),
    "dept": ("责任单位", "牵头单位", "department", "dept"),
    "due": ("完成时限", "截止日期", "截止时间", "时间节点", "deadline", "due"),
    "priority": ("优先级", "priority"),
    "description": ("具体内容", "工作要求", "备注", "description", "notes"),
}


@dataclass
class Row:
    line: int
    title: str
    owner: str
    dept: str | None
    due_raw: object
    priority: str
    description: str


def _header_map(header: list[object]) -> dict[str, int]:
    found: dict[str, int] = {}
    for idx, cell in enumerate(header):
        name = str(cell or "").strip().lower()
        for key, aliases in COLUMNS.items():
            if key not in found and name in {a.lower() for a in aliases}:
                found[key] = idx
    return found


def read_rows(path: Path) -> tuple[list[Row], list[str]]:
    """Rows of the first sheet under a recognised header; problems with the file itself as messages."""
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        return [], [f"cannot read {path}: {exc}"]
    ws = wb.worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    for h, header in enumerate(rows[:10]):
        cols = _header_map(list(header))
        if {"title", "owner", "due"} <= cols.keys():
            break
    else:
        return [], ["no header row with 任务 / 责任人 / 完成时限 (title / owner / due) in the first 10 rows"]
    out = []
    for i, values in enumerate(rows[h + 1:], start=h + 2):
        def get(key: str) -> object:
            idx = cols.get(key)
            return values[idx] if idx is not None and idx < len(values) else None
        if all(v in (None, "") for v in values):
            continue
        out.append(Row(i, str(get("title") or "").strip(), str(get("owner") or "").strip(),
                       str(get("dept") or "").strip() or None, get("due"), str(get("priority") or "").strip(),
                       str(get("description") or "").strip()))
    return out, []


def _due(value: object, ctx: Ctx) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return parse_date(str(value or ""), today=ctx.today, calendar=ctx.calendar)


def _find_force(session: Session, name: str) -> TaskForce:
    found = session.exec(select(TaskForce).where(TaskForce.name == name)).all()
    if not found:
        raise SystemExit(f"no task force named {name!r}")
    if len(found) > 1:
        raise SystemExit(f"{len(found)} workspaces have a task force named {name!r}; rename one first")
    return found[0]


def _first_lead(session: Session, force: TaskForce) -> Person:
    lead = session.exec(select(Person).join(ForceMember, ForceMember.person_id == Person.id).where(
        ForceMember.force_id == force.id, ForceMember.is_lead == True).order_by(Person.id)).first()  # noqa: E712
    if lead is None:
        raise SystemExit(f"task force {force.name!r} has no lead")
    return lead


def import_tasks(engine: Engine, settings, path: Path, *, force: str, skip_bad: bool, as_user: str | None) -> int:
    """All or nothing unless --skip-bad: a bad row names its line and what to fix; nothing is written."""
    rows, problems = read_rows(path)
    if problems:
        for p in problems:
            print(f"error: {p}", file=sys.stderr)
        return 2
    lang = settings.lang
    now = datetime.now(timezone.utc)
    errors: list[str] = []
    created: list[int] = []
    try:
        with session_scope(engine) as session:
            f = _find_force(session, force)
            ws = session.get(Workspace, f.workspace_id)
            if as_user:
                actor = org.find_person(session, ws, PersonRef(name=as_user), now=now, create=False)
            else:
                actor = _first_lead(session, f)
            ctx = Ctx(session, ws, actor, now, tz=settings.tz, default_lang=lang)
            # One message per owner and one channel post for the whole file, not one per row.
            ctx.batch = tasks.Batch(source=path.name)
            for row in rows:
                try:
                    # add_task checks everything before it writes, so a bad row leaves no trace.
                    owner = org.find_person(session, ws, PersonRef(name=row.owner), now=now, create=False) if row.owner else actor
                    prio = "high" if row.priority.lower() in ("high", "紧急", "高", "urgent") else "normal"
                    task = tasks.add_task(ctx, row.title, due=_due(row.due_raw, ctx),
                                          owner=PersonRef(user_id=owner.chat_user_id), force_name=force,
                                          dept=row.dept, priority=prio, description=row.description)
                    created.append(task.id)
                except GuatuError as exc:
                    errors.append(t("exchange.row_error", lang, line=row.line, error=exc.render(lang)))
            if errors and not skip_bad:
                raise _Abort()
            tasks.finish_batch(ctx)
    except _Abort:
        for e in errors:
            print(e, file=sys.stderr)
        print(t("exchange.nothing_written", lang, n=len(errors)), file=sys.stderr)
        return 1
    for e in errors:
        print(e, file=sys.stderr)
    print(t("exchange.imported", lang, n=len(created), bad=len(errors), force=force))
    return 0


class _Abort(Exception):
    pass


HEADERS = ("编号", "任务", "责任人", "责任单位", "优先级", "状态", "灯", "进度", "开始", "原定截止", "当前截止", "受阻原因")
HEADERS_EN = ("ID", "Task", "Owner", "Department", "Priority", "Status", "Light", "Progress", "Start", "Baseline due",
              "Due", "Blocked")
FILLS = {"red": "F8D7DA", "yellow": "FFF3CD", "green": "D4EDDA", "grey": "E2E3E5"}


# OWASP's CSV-injection rule: a cell from user text starting with one of these would be read by a
# spreadsheet as a formula (=cmd|'/C calc'!A0), so it is written as text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def as_data(ws) -> None:
    """Every text cell of the sheet stays data, never code: typed as a string, with Excel's quote
    prefix on those that look like a formula (the prefix is not part of the value)."""
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
                cell.data_type = "s"
                cell.quotePrefix = True


def tasks_xlsx(views: list[tasks.TaskView], lang: str, title: str) -> bytes:
    """A task list as a spreadsheet, one row per task, lit like the wall chart."""
    wb = Workbook()
    ws = wb.active
    ws.title = "任务清单" if lang == "zh" else "Tasks"
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(list(HEADERS if lang == "zh" else HEADERS_EN))
    for c in ws[2]:
        c.font = Font(bold=True)
    for v in views:
        ws.append([v.id, v.title, v.owner_name, v.dept_name or "", "紧急" if v.priority == "high" and lang == "zh" else v.priority,
                   t(f"status.{v.status}", lang), t(f"light.{v.light.color}", lang), v.progress / 100,
                   v.start_date, v.baseline_due, v.due, v.blocked_reason or ""])
        row = ws.max_row
        ws.cell(row, 7).fill = PatternFill("solid", fgColor=FILLS[v.light.color])
        ws.cell(row, 8).number_format = "0%"
        for col in (9, 10, 11):
            ws.cell(row, col).number_format = "yyyy-mm-dd"
    for col, width in zip("ABCDEFGHIJKL", (6, 40, 10, 22, 8, 10, 8, 8, 12, 12, 12, 30)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A3"
    for row in ws.iter_rows(min_row=3):
        row[1].alignment = Alignment(wrap_text=True)
    as_data(ws)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def export_tasks(engine: Engine, settings, out: Path, *, force: str) -> int:
    """CLI export of a task force's tasks (live and closed), as its first lead sees them."""
    now = datetime.now(timezone.utc)
    with session_scope(engine) as session:
        f = _find_force(session, force)
        ws = session.get(Workspace, f.workspace_id)
        ctx = Ctx(session, ws, _first_lead(session, f), now, tz=settings.tz, default_lang=settings.lang)
        views = tasks.force_tasks(ctx, f)
        data = tasks_xlsx(views, settings.lang, f.name)
    out.write_bytes(data)
    print(t("exchange.exported", settings.lang, n=len(views), path=str(out)))
    return 0


i18n.register(
    {
        "exchange.row_error": {"zh": "第 {line} 行：{error}", "en": "Line {line}: {error}"},
        "exchange.nothing_written": {
            "zh": "有 {n} 行有问题，什么也没有导入。改正后重试，或加 --skip-bad 只导入没问题的行。",
            "en": "{n} {n:row has|rows have} problems; nothing was imported. Fix them and retry, or add --skip-bad to import the good rows.",
        },
        "exchange.imported": {"zh": "已向专班「{force}」导入 {n} 个任务（跳过 {bad} 行）。", "en": "Imported {n} {n:task|tasks} into “{force}” ({bad} {bad:row|rows} skipped)."},
        "exchange.exported": {"zh": "已导出 {n} 个任务到 {path}。", "en": "Exported {n} {n:task|tasks} to {path}."},
    }
)
