"""The organisation in bulk: departments and people from rows (an Excel file, read in ``bot/``).

All or nothing unless ``skip_bad``: every bad row is reported with its sheet, line and reason (unknown
parent or department, a cycle in the tree or in the leader chain, a duplicate person, an unknown role,
an ambiguous or unknown reference). Idempotent: importing the same rows again changes nothing. Bulk:
a handful of queries for the whole file, whatever its size, so 20,000 people take seconds.

A person is known by their chat user id, else by e-mail; one with only an e-mail gets a placeholder
chat id (``mail:<e-mail>``) until ``sync-directory`` maps them to their chat account. Roles are
additive: the file grants the roles it lists and takes none away (``/guatu role <@user> -<role>`` does).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, update
from sqlmodel import Session, select

from models import i18n
from models.i18n import Msg
from models.tables import AuditEvent, Department, Person, RoleGrant, Workspace

PLACEHOLDER = "mail:"
ROLE_WORDS = {
    "member": "member", "成员": "member", "lead": "lead", "负责人": "lead", "专班负责人": "lead",
    "secretary": "secretary", "秘书": "secretary", "leader": "leader", "领导": "leader",
    "admin": "admin", "管理员": "admin", "administrator": "admin",
}
_ROLE_SPLIT = re.compile(r"[,，、;；/\s]+")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

Progress = Callable[[str, int, int], None]


@dataclass
class DeptRow:
    line: int
    name: str
    parent: str | None = None
    head: str | None = None


@dataclass
class PersonRow:
    line: int
    name: str
    dept: str | None = None
    position: str | None = None
    boss: str | None = None
    roles: str | None = None
    email: str | None = None
    chat_id: str | None = None

    @property
    def key(self) -> str | None:
        return self.chat_id or (PLACEHOLDER + self.email.lower() if self.email else None)


@dataclass(frozen=True)
class BadRow:
    sheet: str  # "dept" or "people"
    line: int
    reason: Msg

    def render(self, lang: str | None) -> str:
        return i18n.t("org.bad_row", lang, sheet=Msg(f"org.sheet.{self.sheet}"), line=self.line, reason=self.reason)


@dataclass
class OrgResult:
    bad: list[BadRow] = field(default_factory=list)
    depts_added: int = 0
    depts_changed: int = 0
    people_added: int = 0
    people_changed: int = 0
    roles_granted: int = 0
    written: bool = False

    @property
    def changed(self) -> bool:
        return any((self.depts_added, self.depts_changed, self.people_added, self.people_changed, self.roles_granted))


def people_index(session: Session, ws: Workspace) -> tuple[list[Person], dict[str, Person], dict[str, Person]]:
    """A workspace's people, by chat id and by lower-cased e-mail (the first one holding an address)."""
    people = list(session.exec(select(Person).where(Person.workspace_id == ws.id)).all())
    by_mail: dict[str, Person] = {}
    for p in people:
        if p.email:
            by_mail.setdefault(p.email.lower(), p)
    return people, {p.chat_user_id: p for p in people}, by_mail


def import_org(session: Session, ws: Workspace, depts: list[DeptRow], people: list[PersonRow], *, now: datetime,
               skip_bad: bool = False, actor: Person | None = None, progress: Progress | None = None) -> OrgResult:
    """Validates every row, then (no bad rows, or ``skip_bad``) writes the good ones in bulk."""
    say = progress or (lambda stage, done, total: None)
    db_depts = {d.name: d for d in session.exec(select(Department).where(Department.workspace_id == ws.id)).all()}
    db_people, by_chat, by_mail = people_index(session, ws)
    say("read", 0, len(people))

    bad: dict[tuple[str, int], Msg] = {}

    def mark(sheet: str, line: int, key: str, **params: object) -> None:
        bad.setdefault((sheet, line), Msg(key, **params))

    # ---- rows on their own: names, duplicates, roles, keys
    seen_dept: dict[str, int] = {}
    for dep in depts:
        if not dep.name or len(dep.name) > 200:
            mark("dept", dep.line, "org.dept_name")
        elif dep.name in seen_dept:
            mark("dept", dep.line, "org.dept_duplicate", name=dep.name, other=seen_dept[dep.name])
        else:
            seen_dept[dep.name] = dep.line
    seen_key: dict[str, int] = {}
    roles_of: dict[int, set[str]] = {}
    for r in people:
        if r.email and not _EMAIL.match(r.email):
            mark("people", r.line, "org.bad_email", email=r.email)
        if not r.name or len(r.name) > 200:
            mark("people", r.line, "org.person_name")
        elif r.key is None:
            mark("people", r.line, "org.no_key", name=r.name)
        elif r.key in seen_key:
            mark("people", r.line, "org.person_duplicate", name=r.name, other=seen_key[r.key])
        else:
            seen_key[r.key] = r.line
            if r.chat_id and r.email:
                seen_key.setdefault(PLACEHOLDER + r.email.lower(), r.line)
        wanted = set()
        for word in _ROLE_SPLIT.split((r.roles or "").strip()):
            if not word:
                continue
            role = ROLE_WORDS.get(word.casefold())
            if role is None:
                mark("people", r.line, "org.unknown_role", role=word)
            else:
                wanted.add(role)
        roles_of[r.line] = wanted - {"member"}

    dept_name_by_id: dict[int | None, str] = {d.id: name for name, d in db_depts.items()}
    chat_by_id: dict[int | None, str] = {p.id: p.chat_user_id for p in db_people}
    # ---- references, to a fixpoint: a row that leans on a bad row is bad too
    while True:
        before = len(bad)
        good_depts = {r.name: r for r in depts if ("dept", r.line) not in bad}
        good_people = [r for r in people if ("people", r.line) not in bad]
        resolve = _Resolver(good_people, db_people, by_chat, by_mail)
        parent_of: dict[str, str | None] = {name: dept_name_by_id.get(d.parent_id) for name, d in db_depts.items()}
        for dep in good_depts.values():
            if dep.parent and dep.parent not in good_depts and dep.parent not in db_depts:
                mark("dept", dep.line, "org.unknown_parent", parent=dep.parent)
            elif dep.parent == dep.name:
                mark("dept", dep.line, "org.dept_cycle", name=dep.name)
            else:
                parent_of[dep.name] = dep.parent or None
            if dep.head and resolve.find(dep.head) is None:
                mark("dept", dep.line, resolve.why(dep.head), who=dep.head)
        for name in _cycles(parent_of, set(good_depts)):
            mark("dept", good_depts[name].line, "org.dept_cycle", name=name)
        boss_of: dict[str, str | None] = {p.chat_user_id: chat_by_id.get(p.reports_to_id) for p in db_people}
        line_of: dict[str, int] = {}
        for r in good_people:
            if r.dept and r.dept not in good_depts and r.dept not in db_depts:
                mark("people", r.line, "org.unknown_dept", dept=r.dept)
            me = resolve.chat_id(r)
            line_of[me] = r.line
            if r.boss:
                boss = resolve.find(r.boss)
                if boss is None:
                    mark("people", r.line, resolve.why(r.boss), who=r.boss)
                elif boss == me:
                    mark("people", r.line, "org.chain_cycle", name=r.name)
                else:
                    boss_of[me] = boss
        for chat in _cycles(boss_of, set(line_of)):
            mark("people", line_of[chat], "org.chain_cycle", name=next(r.name for r in good_people if resolve.chat_id(r) == chat))
        if len(bad) == before:
            break

    result = OrgResult(bad=[BadRow(s, line, why) for (s, line), why in sorted(bad.items())])
    if result.bad and not skip_bad:
        return result
    say("validated", len(people), len(people))
    _write(session, ws, list(good_depts.values()), good_people, roles_of, resolve, db_depts, by_chat, now=now,
           actor=actor, result=result, say=say)
    result.written = True
    return result


class _Resolver:
    """Who a reference (上级, 负责人) names: a chat id, an e-mail, or a name that only one person has."""

    def __init__(self, rows: list[PersonRow], db: list[Person], by_chat: dict[str, Person], by_mail: dict[str, Person]):
        self.by_chat = by_chat
        self.by_mail = by_mail
        self.rows_by_key: dict[str, PersonRow] = {}
        self.names: dict[str, set[str]] = {}
        self._chat: dict[int, str] = {}
        for p in db:
            self.names.setdefault(p.name, set()).add(p.chat_user_id)
        for r in rows:
            chat = self.chat_id(r)
            assert r.key is not None  # a row without a key was marked bad, and only good rows come here
            self.rows_by_key[r.key] = r
            if r.email:
                self.rows_by_key[PLACEHOLDER + r.email.lower()] = r
            if r.chat_id:
                self.rows_by_key[r.chat_id] = r
            # The file's name wins over the database's old name for the same person.
            old = by_chat.get(chat)
            if old is not None and old.name != r.name:
                self.names.get(old.name, set()).discard(chat)
            self.names.setdefault(r.name, set()).add(chat)

    def chat_id(self, r: PersonRow) -> str:
        """The chat id this row's person has (or will have) in the database."""
        cached = self._chat.get(r.line)
        if cached is not None:
            return cached
        chat = r.chat_id
        if chat is None and r.email:
            found = self.by_mail.get(r.email.lower())
            chat = found.chat_user_id if found is not None else PLACEHOLDER + r.email.lower()
        self._chat[r.line] = chat or ""
        return chat or ""

    def find(self, ref: str) -> str | None:
        ref = ref.strip()
        if ref in self.rows_by_key:
            return self.chat_id(self.rows_by_key[ref])
        low = ref.lower()
        if PLACEHOLDER + low in self.rows_by_key:
            return self.chat_id(self.rows_by_key[PLACEHOLDER + low])
        if ref in self.by_chat:
            return ref
        if low in self.by_mail:
            return self.by_mail[low].chat_user_id
        named = self.names.get(ref, set())
        return next(iter(named)) if len(named) == 1 else None

    def known(self, ref: str) -> str:
        """``find`` for a reference that validation has already resolved."""
        chat = self.find(ref)
        assert chat is not None, ref
        return chat

    def why(self, ref: str) -> str:
        return "org.ambiguous_person" if len(self.names.get(ref.strip(), set())) > 1 else "org.unknown_person"


def _cycles(parent_of: dict[str, str | None], starts: set[str]) -> set[str]:
    """The nodes among ``starts`` that sit on a cycle of ``parent_of`` (each walk at most once)."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    on_cycle: set[str] = set()
    for start in starts:
        path: list[str] = []
        node: str | None = start
        while node is not None and state.get(node) is None:
            state[node] = 1
            path.append(node)
            node = parent_of.get(node)
        if node is not None and state.get(node) == 1:
            on_cycle.update(path[path.index(node):])
        for n in path:
            state[n] = 2
    return on_cycle & starts


def _write(session: Session, ws: Workspace, depts: list[DeptRow], people: list[PersonRow], roles_of: dict[int, set[str]],
           resolve: _Resolver, db_depts: dict[str, Department], by_chat: dict[str, Person], *, now: datetime,
           actor: Person | None, result: OrgResult, say: Progress) -> None:
    audits: list[dict] = []

    def log(action: str, entity: str, entity_id: int | None, **detail: object) -> None:
        audits.append({"workspace_id": ws.id, "actor_id": actor.id if actor else None, "action": action,
                       "entity": entity, "entity_id": entity_id, "detail": {**detail, "via": "import-org"},
                       "created_at": now})

    # Departments first (people point at them), without parents and heads (those point at each other).
    new_depts = [{"workspace_id": ws.id, "name": r.name, "created_at": now} for r in depts if r.name not in db_depts]
    if new_depts:
        session.execute(insert(Department), new_depts)
        result.depts_added = len(new_depts)
    dept_ids = dict(session.exec(select(Department.name, Department.id).where(Department.workspace_id == ws.id)).all())
    for dep in depts:
        if dep.name not in db_depts:
            log("dept.added", "department", dept_ids[dep.name], name=dep.name, parent=dep.parent)
    say("departments", len(depts), len(depts))

    # People: insert the new, update the changed; compare first so a repeat writes nothing.
    new_people: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    for r in people:
        chat = resolve.chat_id(r)
        want = {"name": r.name, "department_id": dept_ids.get(r.dept) if r.dept else None,
                "position": r.position or None, "email": r.email.lower() if r.email else None}
        old = by_chat.get(chat)
        if old is None and r.chat_id and r.email:
            old = by_chat.get(PLACEHOLDER + r.email.lower())  # imported by e-mail before, now with a chat id
        if old is None:
            new_people.append({"workspace_id": ws.id, "chat_user_id": chat, "created_at": now, **want})
            continue
        diff = {k: v for k, v in want.items() if getattr(old, k) != v and not (k == "department_id" and not r.dept)}
        if r.chat_id and old.chat_user_id != r.chat_id:
            diff["chat_user_id"] = r.chat_id
        if diff:
            changes.append({"id": old.id, **diff})
            log("person.imported", "person", old.id, **diff)
    for start in range(0, len(new_people), 5000):
        session.execute(insert(Person), new_people[start:start + 5000])
        say("people", min(start + 5000, len(new_people)), len(new_people))
    if changes:
        session.execute(update(Person), changes)
    result.people_added, result.people_changed = len(new_people), len(changes)
    ids = dict(session.exec(select(Person.chat_user_id, Person.id).where(Person.workspace_id == ws.id)).all())
    for row in new_people:
        log("person.joined", "person", ids[row["chat_user_id"]], chat_user_id=row["chat_user_id"])

    # The leader chain and department heads, now that everyone has an id.
    current = {p.id: (p.reports_to_id, p.department_id) for p in session.exec(
        select(Person).where(Person.workspace_id == ws.id)).all()}
    chain = []
    for r in people:
        if not r.boss:
            continue
        pid, boss = ids[resolve.chat_id(r)], ids[resolve.known(r.boss)]
        if current[pid][0] != boss:
            chain.append({"id": pid, "reports_to_id": boss})
            log("person.reports_to", "person", pid, old=current[pid][0], new=boss)
    if chain:
        session.execute(update(Person), chain)
        result.people_changed += sum(1 for c in chain if c["id"] not in {x["id"] for x in changes})
    dept_rows = {d.name: d for d in session.exec(select(Department).where(Department.workspace_id == ws.id)).all()}
    dept_changes = []
    for dep in depts:
        d = dept_rows[dep.name]
        want = {"parent_id": dept_ids[dep.parent] if dep.parent else None,
                "head_id": ids[resolve.known(dep.head)] if dep.head else d.head_id}
        diff = {k: v for k, v in want.items() if getattr(d, k) != v}
        if diff:
            dept_changes.append({"id": d.id, **diff})
            if dep.name in db_depts:
                log("dept.imported", "department", d.id, **diff)
    if dept_changes:
        session.execute(update(Department), dept_changes)
        result.depts_changed = sum(1 for r in depts if r.name in db_depts and any(
            c["id"] == dept_rows[r.name].id for c in dept_changes))
    # A department's head with no department of their own belongs to it (as /guatu dept add does).
    placed = {ids[resolve.chat_id(p)] for p in people if p.dept}
    heads = [{"id": ids[resolve.known(r.head)], "department_id": dept_ids[r.name]} for r in depts if r.head]
    heads = [h for h in heads if current.get(h["id"], (None, 0))[1] is None and h["id"] not in placed]
    if heads:
        session.execute(update(Person), heads)

    # Roles: grant what is listed and missing.
    granted = {(pid, role) for pid, role in session.exec(select(RoleGrant.person_id, RoleGrant.role).where(
        RoleGrant.workspace_id == ws.id)).all()}
    grants = []
    for r in people:
        pid = ids[resolve.chat_id(r)]
        for role in sorted(roles_of.get(r.line, ())):
            if (pid, role) not in granted:
                granted.add((pid, role))
                grants.append({"workspace_id": ws.id, "person_id": pid, "role": role, "created_at": now})
                log("role.granted", "person", pid, role=role)
    if grants:
        session.execute(insert(RoleGrant), grants)
    result.roles_granted = len(grants)
    if audits:
        for start in range(0, len(audits), 5000):
            session.execute(insert(AuditEvent), audits[start:start + 5000])
    say("done", len(people), len(people))


i18n.register(
    {
        "org.sheet.dept": {"zh": "单位表", "en": "departments sheet"},
        "org.sheet.people": {"zh": "人员表", "en": "people sheet"},
        "org.bad_row": {"zh": "{sheet}第 {line} 行：{reason}", "en": "{sheet}, line {line}: {reason}"},
        "org.dept_name": {"zh": "单位名称为空或超过 200 字", "en": "the department name is empty or over 200 characters"},
        "org.dept_duplicate": {"zh": "单位「{name}」重复（第 {other} 行已有）",
                               "en": "department “{name}” is listed twice (also on line {other})"},
        "org.unknown_parent": {"zh": "上级单位「{parent}」不存在（表中和系统中都没有）",
                               "en": "the parent “{parent}” is neither in the file nor in Guatu"},
        "org.dept_cycle": {"zh": "单位「{name}」的上级关系形成循环", "en": "department “{name}” is part of a cycle in the tree"},
        "org.person_name": {"zh": "姓名为空或超过 200 字", "en": "the name is empty or over 200 characters"},
        "org.no_key": {"zh": "{name} 既没有邮箱也没有用户 ID，无法对应账号",
                       "en": "{name} has neither an e-mail nor a chat user id to map them by"},
        "org.bad_email": {"zh": "邮箱「{email}」格式不对", "en": "“{email}” is not an e-mail address"},
        "org.person_duplicate": {"zh": "{name} 重复（第 {other} 行是同一个邮箱或用户 ID）",
                                 "en": "{name} is a duplicate (line {other} has the same e-mail or user id)"},
        "org.unknown_role": {"zh": "没有「{role}」这个角色（可选：成员、负责人、秘书、领导、管理员）",
                             "en": "no role “{role}” (use member, lead, secretary, leader or admin)"},
        "org.unknown_dept": {"zh": "单位「{dept}」不存在（单位表中和系统中都没有）",
                             "en": "department “{dept}” is neither in the departments sheet nor in Guatu"},
        "org.unknown_person": {"zh": "找不到「{who}」（请写人员表中的姓名、邮箱或用户 ID）",
                               "en": "no one is “{who}” (give a name, e-mail or user id from the people sheet)"},
        "org.ambiguous_person": {"zh": "有不止一位「{who}」，请改写邮箱或用户 ID",
                                 "en": "more than one person is called “{who}”: give their e-mail or user id"},
        "org.chain_cycle": {"zh": "{name} 的上级关系形成循环", "en": "{name} is part of a loop in the leader chain"},
    }
)
