"""Modal submissions to typed requests: pure, with every problem tied to the field it is about.

A form is parsed against the caller's ``today`` and working calendar, exactly like a typed
command, so "下周五" means the same in both. Problems raise :class:`FormErrors` (block id →
message), which the listener returns as ``response_action: errors`` next to each field.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import date
from typing import Any, cast

from bot import commands as C
from bot.dates import parse_date
from models import i18n
from models import tasks as _tasks  # noqa: F401 (registers task.date_past, raised below)
from models.calendar import WorkCalendar
from models.errors import GuatuError, InvalidInput, UsageError
from models.i18n import Day, t


class FormErrors(Exception):
    """Problems with a submitted form: block id → message in the user's language."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def values(view: dict[str, Any]) -> dict[str, str | None]:
    """A submitted view's state as {block id: value}; empty inputs are None."""
    out: dict[str, str | None] = {}
    for block_id, actions in ((view.get("state") or {}).get("values") or {}).items():
        for action in actions.values():
            out[block_id] = _value(action)
    return out


def _value(action: dict[str, Any]) -> str | None:
    kind = action.get("type")
    if kind == "users_select":
        return action.get("selected_user")
    if kind == "static_select":
        return (action.get("selected_option") or {}).get("value")
    raw = action.get("value")
    if isinstance(raw, str):
        raw = C._CONTROL.sub("", raw)  # no person types a NUL into a form; PostgreSQL refuses it in text
    return raw.strip() if isinstance(raw, str) and raw.strip() else None


class _Fields:
    """Reads fields, collecting one message per bad field instead of stopping at the first."""

    def __init__(self, data: dict[str, str | None], lang: str, today: date, calendar: WorkCalendar) -> None:
        self.data, self.lang, self.today, self.calendar = data, lang, today, calendar
        self.errors: dict[str, str] = {}

    def optional(self, name: str) -> str | None:
        return self.data.get(name)

    def required(self, name: str) -> str:
        value = self.data.get(name)
        if value is None:
            self.errors[name] = t("slack.form.required", self.lang)
            return ""
        return value

    def future_date(self, name: str) -> date:
        raw = self.required(name)
        if not raw:
            return self.today
        try:
            day = parse_date(raw, today=self.today, calendar=self.calendar)
            if day < self.today:
                raise InvalidInput("task.date_past", date=Day(day), today=Day(self.today))
            return day
        except GuatuError as exc:
            self.errors[name] = exc.render(self.lang)
            return self.today

    def percent(self, name: str) -> int:
        raw = self.required(name)
        if not raw:
            return 0
        text = unicodedata.normalize("NFKC", raw).strip().removesuffix("%").strip()  # "60", "60%", "６０％"
        if text.isdecimal() and int(text) <= 100:
            return int(text)
        self.errors[name] = UsageError("cmd.bad_percent", text=raw).render(self.lang)
        return 0

    def task_id(self, name: str, given: int | None) -> int:
        if given is not None:
            return given
        raw = self.required(name)
        return int(raw) if raw.isdigit() else 0

    def done(self) -> None:
        if self.errors:
            raise FormErrors(self.errors)


def _task_add(f: _Fields, task_id: int | None) -> C.TaskAdd:
    title, due = f.required("title"), f.future_date("due")
    f.done()
    owner = f.optional("owner")
    return C.TaskAdd(title=title, owner=C.UserRef(user_id=owner) if owner else None, due=due,
                     force=f.optional("force"), dept=f.optional("dept"),
                     priority=cast(C.Priority, f.optional("prio") or "normal"))  # a select's value; TaskAdd validates it


def _task_progress(f: _Fields, task_id: int | None) -> C.TaskProgress:
    tid, percent, note = f.task_id("task", task_id), f.percent("percent"), f.optional("note")
    f.done()
    return C.TaskProgress(task_id=tid, percent=percent, note=note)


def _card_task(task_id: int | None) -> int:
    """The task of a form opened from its card: the form's state always carries it."""
    if task_id is None:
        raise ValueError("a task card's form without its task id")
    return task_id


def _task_extend(f: _Fields, task_id: int | None) -> C.TaskExtend:
    new_due, reason = f.future_date("new_due"), f.required("reason")
    f.done()
    return C.TaskExtend(task_id=_card_task(task_id), new_due=new_due, reason=reason)


def _task_block(f: _Fields, task_id: int | None) -> C.TaskBlock:
    reason = f.required("reason")
    f.done()
    return C.TaskBlock(task_id=_card_task(task_id), reason=reason)


def _task_reject(f: _Fields, task_id: int | None) -> C.TaskReject:
    reason = f.required("reason")
    f.done()
    return C.TaskReject(task_id=_card_task(task_id), reason=reason)


def _task_reopen(f: _Fields, task_id: int | None) -> C.TaskReopen:
    reason = f.required("reason")
    f.done()
    return C.TaskReopen(task_id=_card_task(task_id), reason=reason)


PARSERS: dict[str, Callable[[_Fields, int | None], object]] = {
    "task_add": _task_add, "task_progress": _task_progress, "task_extend": _task_extend,
    "task_block": _task_block, "task_reject": _task_reject, "task_reopen": _task_reopen,
}


# Which form field a domain refusal is about (the first of these the form has gets the message).
ERROR_FIELDS: dict[str, tuple[str, ...]] = {
    "task.date_past": ("due", "new_due"), "task.extend_not_later": ("new_due",),
    "task.sub_after_parent": ("due", "new_due"), "task.bad_percent": ("percent",),
    "task.need_reason": ("reason",), "person.unknown": ("owner",), "force.unknown": ("force",),
    "force.which": ("force",), "dept.unknown": ("dept",), "task.no_title": ("title",), "task.title_long": ("title",),
    "task.bad_priority": ("prio",),
}


def field_for(view: dict[str, Any], error_key: str | None) -> str | None:
    """The input block a refusal belongs next to, if the form has it."""
    present = {b.get("block_id") for b in view.get("blocks", []) if b.get("type") == "input"}
    return next((f for f in ERROR_FIELDS.get(error_key or "", ()) if f in present), None)


def request(form: str, view: dict[str, Any], *, task_id: int | None, lang: str, today: date,
            calendar: WorkCalendar) -> object:
    """The typed request a submitted form stands for; raises FormErrors naming each bad field."""
    return PARSERS[form](_Fields(values(view), lang, today, calendar), task_id)


i18n.register({"slack.form.required": {"zh": "请填写这一项。", "en": "Please fill this in."}})
