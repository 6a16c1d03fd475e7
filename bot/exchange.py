"""Excel in and out: task lists are handed out as spreadsheets today, so Guatu reads and writes them."""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.dates import parse_date
from models import forces, i18n, org, tasks
from models.context import Ctx
from models.db import session_scope
from models.errors import Conflict, GuatuError, InvalidInput, NotFound
from models.i18n import t
from models.org import PersonRef
from models.tables import Person, Task, TaskForce, Workspace

# Header aliases as they appear in real 任务清单 spreadsheets.
COLUMNS = {
    "ref": ("编号", "任务编号", "id", "external id", "ref"),
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
    ref: str | None = None


def _header_map(header: list[object]) -> dict[str, int]:
    found: dict[str, int] = {}
    for idx, cell in enumerate(header):
        name = str(cell or "").strip().lower()
        for key, aliases in COLUMNS.items():
            if key not in found and name in {a.lower() for a in aliases}:
                found[key] = idx
    return found


def read_rows(path: Path) -> tuple[list[Row], list[i18n.Msg]]:
    """Rows of the first sheet under a recognised header; problems with the file itself as messages."""
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        return [], [i18n.Msg("exchange.unreadable", path=str(path), error=str(exc))]
    ws = wb.worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    for h, header in enumerate(rows[:10]):  # noqa: B007 (h, the header's index, is read after the loop)
        cols = _header_map(list(header))
        if {"title", "owner", "due"} <= cols.keys():
            break
    else:
        return [], [i18n.Msg("exchange.no_header")]
    out = []
    for i, values in enumerate(rows[h + 1:], start=h + 2):
        def get(key: str, values: tuple[object, ...] = values) -> object:
            idx = cols.get(key)
            value = values[idx] if idx is not None and idx < len(values) else None
            # The bot's reference markers never come from a file: they would forge a live mention.
            return i18n.MARKERS.sub("", value) if isinstance(value, str) else value
        if all(v in (None, "") for v in values):
            continue
        out.append(Row(i, str(get("title") or "").strip(), str(get("owner") or "").strip(),
                       str(get("dept") or "").strip() or None, get("due"), str(get("priority") or "").strip(),
                       str(get("description") or "").strip(), _ref_text(get("ref"))))
    return out, []


def _ref_text(value: object) -> str | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip().lstrip("#") if value is not None else ""
    return text or None


# Priority words as task lists write them; anything else is a bad row, never silently normal.
PRIORITY_WORDS = {"": "normal", "normal": "normal", "普通": "normal", "一般": "normal", "中": "normal", "低": "normal",
                  "high": "high", "紧急": "high", "高": "high", "急": "high", "urgent": "high", "重要": "high"}


def _due(value: object, ctx: Ctx) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return parse_date(str(value or ""), today=ctx.today, calendar=ctx.calendar)


class CliRefusal(GuatuError):
    """A refusal of the CLI itself (no such task force …): shown in the operator's language, exit 2."""


def _find_force(session: Session, name: str, team: str | None) -> tuple[TaskForce, Workspace]:
    """The task force named ``name`` in the ``--team`` workspace only; without --team, the one force of that
    name in whichever workspace has it (several: the operator must say which with --team)."""
    ws_id = None
    if team:
        ws = org.workspace_of(session, team)
        if ws is None:
            raise CliRefusal("exchange.no_team", team=team)
        ws_id = ws.id
    found = forces.named(session, name, workspace_id=ws_id)
    if not found:
        raise CliRefusal("exchange.no_force", name=name)
    if len(found) > 1:
        raise CliRefusal("exchange.force_ambiguous", n=len(found), name=name)
    return found[0], org.workspace_by_id(session, found[0].workspace_id)


def _first_lead(session: Session, force: TaskForce) -> Person:
    leads = forces.leads_of(session, force)
    if not leads:
        raise CliRefusal("exchange.no_lead", name=force.name)
    return leads[0]


def _owner(session: Session, ws: Workspace, text: str) -> Person:
    """The owner a spreadsheet names: a chat id, an e-mail or a name (one person only)."""
    found = org.people_matching(session, ws, text)
    if len(found) > 1:
        raise InvalidInput("exchange.owner_ambiguous", who=text)
    if not found:
        raise NotFound("exchange.unknown_owner", who=text)
    return found[0]


def _update(ctx: Ctx, task: Task, row: Row, title: str, owner: Person, due: date, prio: str) -> bool:
    """Brings a task in line with its row; False if it already is. A later deadline is an extension."""
    if due > task.due:
        raise InvalidInput("exchange.due_later", id=task.id, due=i18n.Day(task.due))
    changed = False
    with ctx.session.begin_nested():  # a row refused halfway leaves no trace, even with --skip-bad
        if task.status in tasks.LIVE:
            try:
                tasks.edit(ctx, task.id, title=title, due=due if due != task.due else None, dept=row.dept,
                           priority=prio, description=row.description if row.description else None)
                changed = True
            except Conflict as exc:
                if exc.key != "task.edit_same":
                    raise
            if owner.id != task.owner_id:
                tasks.assign(ctx, task.id, PersonRef(user_id=owner.chat_user_id))
                changed = True
    return changed


def import_tasks(engine: Engine, settings, path: Path, *, force: str, skip_bad: bool, as_user: str | None,
                 team: str | None = None) -> int:
    """All or nothing unless --skip-bad: a bad row names its line and what to fix; nothing is written."""
    lang = settings.lang
    rows, problems = read_rows(path)
    if problems:
        for p in problems:
            print(t("cli.error", lang, error=p.render(lang)), file=sys.stderr)
        return 2
    now = datetime.now(UTC)
    errors: list[str] = []
    created: list[int] = []
    updated: list[int] = []
    unchanged = 0
    try:
        with session_scope(engine) as session:
            f, ws = _find_force(session, force, team)
            if as_user:
                actor = org.find_person(session, ws, PersonRef(name=as_user), now=now, create=False)
            else:
                actor = _first_lead(session, f)
            ctx = Ctx(session, ws, actor, now, tz=settings.tz, default_lang=lang)
            # One message per owner and one channel post for the whole file, not one per row.
            ctx.batch = tasks.Batch(source=path.name)
            for row in rows:
                try:
                    owner = _owner(session, ws, row.owner) if row.owner else actor
                    prio = PRIORITY_WORDS.get(row.priority.strip().casefold())
                    if prio is None:
                        raise InvalidInput("exchange.bad_priority", word=row.priority)
                    due = _due(row.due_raw, ctx)
                    title = tasks._clean_title(row.title)
                    existing = tasks.import_match(ctx, f, ref=row.ref, title=title, owner_id=owner.id)
                    if existing is not None:
                        if _update(ctx, existing, row, title, owner, due, prio):
                            updated.append(existing.id)
                        else:
                            unchanged += 1
                        continue
                    # add_task checks everything before it writes, so a bad row leaves no trace.
                    task = tasks.add_task(ctx, title, due=due, owner=PersonRef(user_id=owner.chat_user_id),
                                          force_name=force, dept=row.dept, priority=prio, description=row.description)
                    created.append(task.id)
                except GuatuError as exc:
                    errors.append(t("exchange.row_error", lang, line=row.line, error=exc.render(lang)))
            if errors and not skip_bad:
                raise _Abort()
            tasks.finish_batch(ctx)
    except CliRefusal as exc:
        print(t("cli.error", lang, error=exc.render(lang)), file=sys.stderr)
        return 2
    except _Abort:
        for e in errors:
            print(e, file=sys.stderr)
        print(t("exchange.nothing_written", lang, n=len(errors)), file=sys.stderr)
        return 1
    for e in errors:
        print(e, file=sys.stderr)
    print(t("exchange.imported_again", lang, n=len(created), updated=len(updated), same=unchanged, bad=len(errors),
            force=force))
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
        for column in (9, 10, 11):
            ws.cell(row, column).number_format = "yyyy-mm-dd"
    for letter, width in zip("ABCDEFGHIJKL", (6, 40, 10, 22, 8, 10, 8, 8, 12, 12, 12, 30), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A3"
    for row in ws.iter_rows(min_row=3):
        row[1].alignment = Alignment(wrap_text=True)
    as_data(ws)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def export_tasks(engine: Engine, settings, out: Path, *, force: str, team: str | None = None) -> int:
    """CLI export of a task force's tasks (live and closed), as its first lead sees them."""
    now = datetime.now(UTC)
    try:
        with session_scope(engine) as session:
            f, ws = _find_force(session, force, team)
            ctx = Ctx(session, ws, _first_lead(session, f), now, tz=settings.tz, default_lang=settings.lang)
            views = tasks.force_tasks(ctx, f)
            data = tasks_xlsx(views, settings.lang, f.name)
    except CliRefusal as exc:
        print(t("cli.error", settings.lang, error=exc.render(settings.lang)), file=sys.stderr)
        return 2
    out.write_bytes(data)
    print(t("exchange.exported", settings.lang, n=len(views), path=str(out)))
    return 0


i18n.register(
    {
        "exchange.row_error": {"zh": "第 {line} 行：{error}", "en": "Line {line}: {error}"},
        "cli.error": {"zh": "错误：{error}", "en": "error: {error}"},
        "exchange.unreadable": {"zh": "无法读取 {path}：{error}", "en": "cannot read {path}: {error}"},
        "exchange.no_header": {"zh": "前 10 行里没有含「任务 / 责任人 / 完成时限」的表头。",
                               "en": "no header row with 任务 / 责任人 / 完成时限 (title / owner / due) in the first 10 rows"},
        "exchange.no_force": {"zh": "没有名为「{name}」的专班。", "en": "no task force named “{name}”"},
        "exchange.force_ambiguous": {"zh": "有 {n} 个工作区都有名为「{name}」的专班，请用 --team 指定工作区。",
                                     "en": "{n} workspaces have a task force named “{name}”; name the workspace with --team"},
        "exchange.no_team": {"zh": "没有工作区「{team}」：--team 请写已有工作区的 ID。",
                             "en": "no workspace “{team}”: give --team the id of an existing workspace"},
        "exchange.no_lead": {"zh": "专班「{name}」没有负责人。", "en": "task force “{name}” has no lead"},
        "exchange.unknown_owner": {
            "zh": "责任人「{who}」不在系统中：请在「责任人」列写已有人员的姓名、邮箱或用户 ID，或先用 guatu import-org 导入人员。",
            "en": "owner “{who}” is not in Guatu: give the name, e-mail or user id of someone already there in the owner "
                  "column, or bring people in first with guatu import-org.",
        },
        "exchange.owner_ambiguous": {"zh": "有不止一位「{who}」：请在「责任人」列改写邮箱或用户 ID。",
                                     "en": "more than one person is called “{who}”: give their e-mail or user id instead."},
        "exchange.bad_priority": {"zh": "优先级「{word}」看不懂：请写「紧急」或「普通」（也可留空）。",
                                  "en": "priority “{word}” is not one I know: write high or normal (or leave it empty)."},
        "exchange.due_later": {
            "zh": "任务 #{id} 的完成时限比现在的 {due} 晚：推迟只能走延期申请（/task extend），表格不能直接改。",
            "en": "task #{id}'s deadline in the file is later than its current {due}: a later deadline is an extension "
                  "(/task extend), not an import.",
        },
        "exchange.imported_again": {
            "zh": "专班「{force}」：新增 {n} 个任务，更新 {updated} 个，{same} 个没有变化（跳过 {bad} 行）。",
            "en": "“{force}”: {n} {n:task|tasks} added, {updated} updated, {same} unchanged ({bad} {bad:row|rows} skipped).",
        },
        "exchange.nothing_written": {
            "zh": "有 {n} 行有问题，什么也没有导入。改正后重试，或加 --skip-bad 只导入没问题的行。",
            "en": "{n} {n:row has|rows have} problems; nothing was imported. Fix them and retry, or add --skip-bad to import the good rows.",
        },
        "exchange.imported": {"zh": "已向专班「{force}」导入 {n} 个任务（跳过 {bad} 行）。", "en": "Imported {n} {n:task|tasks} into “{force}” ({bad} {bad:row|rows} skipped)."},
        "exchange.exported": {"zh": "已导出 {n} 个任务到 {path}。", "en": "Exported {n} {n:task|tasks} to {path}."},
    }
)
