"""``guatu import-org`` / ``guatu export-org``: the organisation as an Excel file (单位 and 人员 sheets).

Headers in Chinese or English, in any order; the sheets are found by their headers, not their names.
Exported text never becomes a formula (``as_data``), and the export imports back unchanged.
"""

from __future__ import annotations

import io
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.exchange import as_data
from models import i18n, orgfile
from models.db import session_scope
from models.i18n import t
from models.org import ROLES, get_or_create_workspace
from models.people import LEFT
from models.tables import Department, Person, RoleGrant, Workspace

DEPT_COLUMNS = {
    "name": ("单位", "单位名称", "部门", "部门名称", "department", "name", "dept"),
    "parent": ("上级单位", "上级部门", "parent", "parent department"),
    "head": ("负责人", "单位负责人", "head", "leader"),
}
PEOPLE_COLUMNS = {
    "name": ("姓名", "name", "full name"),
    "dept": ("单位", "部门", "所在单位", "department", "dept"),
    "position": ("职务", "职位", "title", "position"),
    "boss": ("上级", "直接上级", "汇报给", "reports to", "reports_to", "manager", "boss"),
    "roles": ("角色", "role", "roles"),
    "email": ("邮箱", "电子邮箱", "e-mail", "email", "mail", "邮箱或用户id", "邮箱或账号"),
    "chat_id": ("用户id", "账号", "用户账号", "chat user id", "chat id", "user id", "slack id", "chat_user_id"),
}
DEPT_HEADERS = {"zh": ("单位", "上级单位", "负责人"), "en": ("Department", "Parent department", "Head")}
PEOPLE_HEADERS = {"zh": ("姓名", "单位", "职务", "上级", "角色", "邮箱", "用户ID"),
                  "en": ("Name", "Department", "Title", "Reports to", "Roles", "E-mail", "Chat user id")}
ROLE_NAMES = {"zh": {"lead": "负责人", "secretary": "秘书", "leader": "领导", "admin": "管理员"},
              "en": {"lead": "lead", "secretary": "secretary", "leader": "leader", "admin": "admin"}}


def _norm(cell: object) -> str:
    return " ".join(str(cell or "").strip().lower().replace("_", " ").split())


def _columns(header: tuple, table: dict[str, tuple[str, ...]]) -> dict[str, int]:
    found: dict[str, int] = {}
    names = [_norm(c) for c in header]
    for key, aliases in table.items():
        wanted = {_norm(a) for a in aliases}
        for idx, name in enumerate(names):
            if name in wanted and idx not in found.values():
                found[key] = idx
                break
    return found


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    s = i18n.MARKERS.sub("", str(value)).strip()  # a reference marker in a file would forge a live mention
    return s or None


def read_org(path: Path) -> tuple[list[orgfile.DeptRow], list[orgfile.PersonRow], list[i18n.Msg]]:
    """The departments and people sheets of a workbook; problems with the file itself as messages."""
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        return [], [], [i18n.Msg("orgx.unreadable", path=str(path), error=str(exc))]
    depts: list[orgfile.DeptRow] = []
    people: list[orgfile.PersonRow] = []
    found_people = found_depts = False
    for sheet in wb.worksheets:
        rows = sheet.iter_rows(values_only=True)
        header_line, cols, kind = 0, {}, None
        for n, header in zip(range(1, 11), rows, strict=False):  # the header is among the first ten lines, if any
            pc = _columns(header, PEOPLE_COLUMNS)
            if "name" in pc and ({"email", "chat_id"} & pc.keys()):
                header_line, cols, kind = n, pc, "people"
                break
            dc = _columns(header, DEPT_COLUMNS)
            if "name" in dc and "parent" in dc:
                header_line, cols, kind = n, dc, "dept"
                break
        if kind is None:
            continue
        for line, values in enumerate(rows, start=header_line + 1):
            if values is None or all(v in (None, "") for v in values):
                continue
            get = {k: _text(values[i]) if i < len(values) else None for k, i in cols.items()}
            if kind == "people" and not found_people:
                email = get.get("email")
                chat = get.get("chat_id")
                if email and "@" not in email and not chat:
                    email, chat = None, email  # one column "邮箱 or chat user id"
                people.append(orgfile.PersonRow(line, get.get("name") or "", get.get("dept"), get.get("position"),
                                                get.get("boss"), get.get("roles"), email, chat))
            elif kind == "dept" and not found_depts:
                depts.append(orgfile.DeptRow(line, get.get("name") or "", get.get("parent"), get.get("head")))
        found_people |= kind == "people"
        found_depts |= kind == "dept"
    if not found_people and not found_depts:
        return [], [], [i18n.Msg("orgx.no_sheets")]
    return depts, people, []


class _Bar:
    """Progress on stderr for long files: a line per stage, redrawn in place on a terminal."""

    def __init__(self, lang: str, out=sys.stderr) -> None:
        self.lang, self.out, self.start = lang, out, time.monotonic()
        self.tty = hasattr(out, "isatty") and out.isatty()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if total < 1000:
            return  # a short file needs no progress
        width = 30
        filled = int(width * done / total) if total else width
        line = t("orgx.progress", self.lang, stage=t(f"orgx.stage.{stage}", self.lang), bar="█" * filled + "·" * (width - filled),
                 done=done, total=total, s=f"{time.monotonic() - self.start:.1f}")
        print(("\r" + line) if self.tty else line, end="" if self.tty and stage != "done" else "\n", file=self.out, flush=True)


def workspace_for_cli(session: Session, team: str | None) -> Workspace:
    """The workspace the CLI works on: ``--team``, else the only one there is, else the console's."""
    if team:
        return get_or_create_workspace(session, team)
    all_ws = session.exec(select(Workspace).order_by(col(Workspace.id))).all()
    if len(all_ws) == 1:
        return all_ws[0]
    if not all_ws:
        from bot.console import CONSOLE_TEAM

        return get_or_create_workspace(session, CONSOLE_TEAM, "console")
    raise _Refusal("orgx.which_team", teams=", ".join(w.team_id for w in all_ws))


class _Refusal(Exception):
    def __init__(self, key: str, **params: object) -> None:
        self.msg = i18n.Msg(key, **params)


def import_org_file(engine: Engine, path: Path, *, lang: str, skip_bad: bool, team: str | None = None,
                    out=sys.stdout, err=sys.stderr) -> int:
    """CLI import: 0 when written (or nothing to change), 1 when bad rows stopped it, 2 for an unusable file."""
    started = time.monotonic()
    depts, people, problems = read_org(path)
    if problems:
        for p in problems:
            print(t("cli.error", lang, error=p.render(lang)), file=err)
        return 2
    now = datetime.now(UTC)
    try:
        with session_scope(engine) as session:
            ws = workspace_for_cli(session, team)
            result = orgfile.import_org(session, ws, depts, people, now=now, skip_bad=skip_bad, progress=_Bar(lang, err))
            if not result.written:
                raise _Abort(result)
    except _Refusal as r:
        print(t("cli.error", lang, error=r.msg.render(lang)), file=err)
        return 2
    except _Abort as a:
        for b in a.result.bad:
            print(b.render(lang), file=err)
        print(t("orgx.nothing_written", lang, n=len(a.result.bad)), file=err)
        return 1
    for b in result.bad:
        print(b.render(lang), file=err)
    key = "orgx.imported" if result.changed else "orgx.unchanged"
    print(t(key, lang, depts=len(depts), people=len(people), da=result.depts_added, dc=result.depts_changed,
            pa=result.people_added, pc=result.people_changed, roles=result.roles_granted, bad=len(result.bad),
            s=f"{time.monotonic() - started:.1f}"), file=out)
    return 0


class _Abort(Exception):
    def __init__(self, result: orgfile.OrgResult) -> None:
        self.result = result


def org_xlsx(session: Session, ws: Workspace, lang: str) -> tuple[bytes, int, int]:
    """The workspace's departments and people (those who left excepted) as a workbook that imports back."""
    lang = i18n.normalise_lang(lang)
    depts = session.exec(select(Department).where(Department.workspace_id == ws.id).order_by(col(Department.id))).all()
    people = session.exec(select(Person).where(Person.workspace_id == ws.id).order_by(col(Person.id))).all()
    grants: dict[int, set[str]] = {}
    for pid, role in session.exec(select(RoleGrant.person_id, RoleGrant.role).where(RoleGrant.workspace_id == ws.id)).all():
        grants.setdefault(pid, set()).add(role)
    people = [p for p in people if LEFT not in grants.get(p.id, set())]
    dept_name: dict[int | None, str] = {d.id: d.name for d in depts}
    names: dict[str, int] = {}
    for p in people:
        names[p.name] = names.get(p.name, 0) + 1
    by_id = {p.id: p for p in session.exec(select(Person).where(Person.workspace_id == ws.id)).all()}

    def ref(pid: int | None) -> str:
        p = by_id.get(pid) if pid else None
        if p is None:
            return ""
        if names.get(p.name) == 1:
            return p.name
        return p.email or p.chat_user_id  # a shared name: the key, so the import knows whom

    wb = Workbook()
    ds = wb.active
    ds.title = "单位" if lang == "zh" else "Departments"
    ds.append(list(DEPT_HEADERS[lang]))
    # Parents before children, so a reader sees the tree top-down (the import does not need it).
    order: list[Department] = []
    placed: set[int] = set()
    while len(order) < len(depts):
        progressed = False
        for d in depts:
            if d.id not in placed and (d.parent_id is None or d.parent_id in placed or d.parent_id not in dept_name):
                order.append(d)
                placed.add(d.id)
                progressed = True
        if not progressed:  # a cycle left by old data: write the rest as they are
            order.extend(d for d in depts if d.id not in placed)
            break
    for d in order:
        ds.append([d.name, dept_name.get(d.parent_id, ""), ref(d.head_id)])
    ps = wb.create_sheet("人员" if lang == "zh" else "People")
    ps.append(list(PEOPLE_HEADERS[lang]))
    for p in people:
        roles = "、".join(ROLE_NAMES[lang][r] for r in ROLES if r in grants.get(p.id, set()) and r != "member")
        chat = "" if p.chat_user_id.startswith(orgfile.PLACEHOLDER) else p.chat_user_id
        ps.append([p.name, dept_name.get(p.department_id, ""), p.position or "", ref(p.reports_to_id),
                   roles if lang == "zh" else roles.replace("、", ", "), p.email or "", chat])
    for sheet in (ds, ps):
        for c in sheet[1]:
            c.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        as_data(sheet)
    for letter, width in zip("ABCDEFG", (24, 24, 12, 16, 16, 28, 16), strict=True):
        ps.column_dimensions[letter].width = width
    for letter, width in zip("ABC", (30, 30, 16), strict=True):
        ds.column_dimensions[letter].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), len(depts), len(people)


def export_org_file(engine: Engine, out_path: Path, *, lang: str, team: str | None = None, out=sys.stdout,
                    err=sys.stderr) -> int:
    try:
        with session_scope(engine) as session:
            ws = workspace_for_cli(session, team)
            data, nd, np_ = org_xlsx(session, ws, lang)
    except _Refusal as r:
        print(t("cli.error", lang, error=r.msg.render(lang)), file=err)
        return 2
    out_path.write_bytes(data)
    print(t("orgx.exported", lang, depts=nd, people=np_, path=str(out_path)), file=out)
    return 0


i18n.register(
    {
        "orgx.unreadable": {"zh": "无法读取 {path}：{error}", "en": "cannot read {path}: {error}"},
        "orgx.no_sheets": {
            "zh": "找不到单位表（表头：单位、上级单位、负责人）或人员表（表头：姓名、单位、职务、上级、角色、邮箱或用户ID）。",
            "en": "No departments sheet (headers: department, parent department, head) or people sheet (name, department, "
                  "title, reports to, roles, e-mail or chat user id) in the first 10 rows of any sheet.",
        },
        "orgx.which_team": {"zh": "数据库里有多个工作区（{teams}），请用 --team 指定一个。",
                            "en": "The database has several workspaces ({teams}); name one with --team."},
        "orgx.nothing_written": {
            "zh": "有 {n} 行有问题，什么也没有导入。改正后重试，或加 --skip-bad 只导入没问题的行。",
            "en": "{n} {n:row|rows} have problems; nothing was imported. Fix them and retry, or add --skip-bad to import the good rows.",
        },
        "orgx.imported": {
            "zh": "已导入（{s} 秒）：单位表 {depts} 行、人员表 {people} 行；新增单位 {da}、修改单位 {dc}；新增人员 {pa}、"
                  "修改人员 {pc}；授予角色 {roles}；跳过 {bad} 行。",
            "en": "Imported in {s} s: {depts} department {depts:row|rows}, {people} people {people:row|rows}; departments {da} added, {dc} changed; "
                  "people {pa} added, {pc} changed; {roles} {roles:role|roles} granted; {bad} {bad:row|rows} skipped.",
        },
        "orgx.unchanged": {"zh": "已核对（{s} 秒）：{depts} 个单位、{people} 位人员与系统一致，没有改动（跳过 {bad} 行）。",
                           "en": "Checked in {s} s: {depts} {depts:department|departments} and {people} people already match; nothing changed "
                                 "({bad} {bad:row|rows} skipped)."},
        "orgx.exported": {"zh": "已导出 {depts} 个单位、{people} 位人员到 {path}。",
                          "en": "Exported {depts} {depts:department|departments} and {people} people to {path}."},
        "orgx.progress": {"zh": "{stage} {bar} {done}/{total}（{s} 秒）", "en": "{stage} {bar} {done}/{total} ({s} s)"},
        "orgx.stage.read": {"zh": "读取", "en": "reading"},
        "orgx.stage.validated": {"zh": "校验", "en": "checked"},
        "orgx.stage.departments": {"zh": "单位", "en": "departments"},
        "orgx.stage.people": {"zh": "人员", "en": "people"},
        "orgx.stage.done": {"zh": "完成", "en": "done"},
    }
)
