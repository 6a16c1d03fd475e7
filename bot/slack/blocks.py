"""Block Kit builders: pure functions from replies, task views and homes to Slack's JSON.

Nothing here talks to Slack or the database. Slack's limits shape the output: a message holds
at most 50 blocks, a view 100, a section's text 3,000 characters, a modal title 24.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.commands import OpenForm
from bot.dispatch import Reply
from models import i18n
from models.home import COLORS, Home
from models.i18n import t
from models.lights import EMOJI
from models.lists import PAGE_SIZE
from models.tasks import TaskView, in_card_order
from present import text as render

Block = dict[str, Any]

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
SECTION_CHARS = 3000
# Rows in a list reply: the rest of the 50 blocks is the header, the card and "and N more". A list's page
# fits, so the rows shown are the text's rows.
LIST_ROWS = PAGE_SIZE
NOTICE_BLOCKS = 12

# Buttons on task cards and outbox messages: the action id is "task.<verb>", the value the task id.
FORM_VERBS = ("progress", "extend", "block", "reject", "reopen")  # open a modal first (each needs words)
RUN_VERBS = ("done", "approve", "verify", "ack", "show")  # act at once


# ---------------------------------------------------------------- text




def escape(text: str) -> str:
    """User data as literal mrkdwn: no links, mentions or broadcasts can be smuggled in."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def chat_text(text: str) -> str:
    """Reply text as mrkdwn: only the references the bot wrote (``i18n.mention``, ``i18n.channel``) are live;
    everything else, a typed ``<@U…>``, ``<#C…>`` or ``<!channel>`` included, is literal."""
    out, last = [], 0
    for m in i18n.REF.finditer(text):
        out += [escape(text[last:m.start()]), f"<{m.group(1)}>"]
        last = m.end()
    out.append(escape(text[last:]))
    return i18n.MARKERS.sub("", "".join(out))


def plain(text: str, limit: int = 75) -> dict[str, Any]:
    return {"type": "plain_text", "text": _clip(text, limit), "emoji": True}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": _clip(text, SECTION_CHARS)}


def section(text: str, **extra: Any) -> Block:
    return {"type": "section", "text": mrkdwn(text), **extra}


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(x) for x in texts if x][:10]}


def divider() -> Block:
    return {"type": "divider"}


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def text_sections(text: str) -> list[Block]:
    """Long text (help) as several sections, split at line ends so none passes 3,000 characters."""
    chunks: list[str] = []
    current = ""
    for line in chat_text(text).split("\n"):
        if current and len(current) + 1 + len(line) > SECTION_CHARS:
            chunks.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current.strip():
        chunks.append(current)
    return [section(c) for c in chunks]


# ---------------------------------------------------------------- replies


def reply_message(reply: Reply) -> dict[str, Any]:
    """An ephemeral message: the reply's words, then its task's card or one row per listed task."""
    return {"response_type": "ephemeral", "text": _clip(chat_text(reply.text), SECTION_CHARS),
            "blocks": reply_blocks(reply, MESSAGE_BLOCKS)}


def reply_blocks(reply: Reply, limit: int) -> list[Block]:
    """The blocks of a reply, at most ``limit`` of them (a message, or the notice atop App Home)."""
    blocks = text_sections(reply.headline)
    if len(reply.cards) == 1:
        blocks += task_card(reply.cards[0], reply.lang)
    elif reply.cards:
        blocks += task_rows(reply.cards, reply.lang, LIST_ROWS)
    if reply.cards and reply.footer:
        blocks.append(context(chat_text(reply.footer)))  # the same "N more · page:n" as the text's last line
    files = reply.attachments
    if len(files) == 1:
        blocks.append(context(t("slack.file.sent", reply.lang, name=escape(files[0][0]))))
    elif files:
        blocks.append(context(t("slack.files.sent", reply.lang, n=len(files))))
    extra = [{"type": "button", "action_id": a["action"], "value": str(a["value"]), "text": plain(a["label"])}
             for a in reply.actions[:5]]
    if extra:
        blocks.insert(len(text_sections(reply.headline)), {"type": "actions", "elements": extra})
    return _cap(blocks, limit, reply.lang)


def _cap(blocks: list[Block], limit: int, lang: str) -> list[Block]:
    if len(blocks) <= limit:
        return blocks
    return blocks[: limit - 1] + [context(t("slack.more", lang, n=len(blocks) - limit + 1))]


# ---------------------------------------------------------------- task cards


def task_card(v: TaskView, lang: str) -> list[Block]:
    """A task's card, the same facts as the text card (present.text) once each: title, owner and
    co-owners, department, deadline (baseline → current), progress, state, details, buttons."""
    owner = escape(v.owner_name) + (f"\n{escape(render.card_co_owners(v, lang).strip())}" if v.co_owner_names else "")
    fields = [
        (t("slack.card.owner", lang), owner),
        (t("slack.card.dept", lang), escape(v.dept_name or "—")),
        (t("slack.card.due", lang), render.card_due(v, lang)),
        (t("slack.card.progress", lang), f"{render.progress_bar(v.progress)} {v.progress}%"),
    ]
    blocks: list[Block] = [
        {"type": "section", "text": mrkdwn(_title(v)), "fields": [mrkdwn(f"*{k}*\n{x}") for k, x in fields]},
        context(_state(v, lang)),
    ]
    details = render.card_details(v, lang)
    if details:
        blocks.append(section(escape("\n".join(details))))
    blocks += _actions(v, lang)
    return blocks


def _title(v: TaskView) -> str:
    return f"{render.card_icon(v.status, v.light)} *#{v.id} {escape(v.title)}*" + (" ❗" if v.priority == "high" else "")


def _state(v: TaskView, lang: str) -> str:
    parts = [escape(render.card_state(v, lang))]
    if v.force_name:
        parts.append(f"{t('slack.card.force', lang)} {escape(v.force_name)}")
    return " · ".join(parts)


_STYLE = {"approve": "primary", "verify": "primary", "progress": "primary", "reject": "danger", "reopen": "danger"}


def button(verb: str, task_id: int, lang: str) -> dict[str, Any]:
    b = {"type": "button", "action_id": f"task.{verb}", "value": str(task_id), "text": plain(t(f"slack.btn.{verb}", lang))}
    if verb in _STYLE:
        b["style"] = _STYLE[verb]
    return b


def outbox_blocks(text: str, stored: list | None) -> list[Block] | None:
    """An outbox message's blocks: its surface-neutral actions ({"action", "value", "lang"}) become
    buttons under the text; Block Kit stored as such passes through; none stays none."""
    if stored and all(isinstance(b, dict) and "brief" in b for b in stored):
        return briefing_blocks(stored)
    if not stored or not all(isinstance(b, dict) and "action" in b for b in stored):
        return stored
    buttons = []
    for a in stored[:5]:
        verb, value, lang = a["action"], a["value"], a.get("lang", "zh")
        if verb.startswith("task.") and verb.removeprefix("task.") in FORM_VERBS + RUN_VERBS:
            buttons.append(button(verb.removeprefix("task."), int(value), lang))
        elif verb == "notice.ack":
            buttons.append({"type": "button", "action_id": "notice.ack", "value": str(value), "style": "primary",
                            "text": plain(t("slack.btn.ack", lang))})
    return [*text_sections(text), {"type": "actions", "elements": buttons}] if buttons else None


def briefing_blocks(stored: list[dict]) -> list[Block]:
    """A briefing (一人一单, jobs/briefings.py): its heading and group titles, then one section per
    line with a menu of that line's actions (收到, 更新进展, 批准 …), the same as the commands."""
    blocks: list[Block] = []
    lines: list[int] = []  # where each line's section sits, to count what a cut leaves out
    for b in stored:
        kind, text = b.get("brief"), escape(str(b.get("text") or ""))
        if kind == "head":
            blocks.append(section(f"*{text}*"))
        elif kind == "group":
            blocks += [divider(), section(f"*{text}*")]
        elif kind in ("more", "foot"):
            blocks.append(context(text))
        elif kind == "line":
            menu = _brief_menu(b)
            lines.append(len(blocks))
            blocks.append(section(f"• {_clip(text, SECTION_CHARS - 10)}", **({"accessory": menu} if menu else {})))
    if len(blocks) <= MESSAGE_BLOCKS:
        return blocks
    keep = MESSAGE_BLOCKS - 2
    left_out = sum(1 for i in lines if i >= keep)
    lang = next((b.get("lang") for b in stored if b.get("lang")), "zh")
    return [*blocks[:keep], context(t("slack.more", lang, n=left_out)), blocks[-1]]


def _brief_menu(b: dict) -> dict[str, Any] | None:
    lang = b.get("lang") or "zh"
    options = []
    for verb in (b.get("verbs") or [])[:5]:
        if verb == "notice.ack" and b.get("notice"):
            options.append({"text": plain(t("slack.btn.ack", lang)), "value": f"notice.ack:{int(b['notice'])}"})
        elif verb in FORM_VERBS + RUN_VERBS and b.get("task"):
            options.append({"text": plain(t(f"slack.btn.{verb}", lang)), "value": f"{verb}:{int(b['task'])}"})
    return {"type": "overflow", "action_id": "task.menu", "options": options} if options else None


def _actions(v: TaskView, lang: str) -> list[Block]:
    verbs = in_card_order(v.actions)
    decide = [x for x in verbs if x in ("approve", "reject", "verify")]
    work = [x for x in verbs if x not in decide]
    return [{"type": "actions", "elements": [button(x, v.id, lang) for x in row]} for row in (work, decide) if row]


def task_rows(views: Sequence[TaskView], lang: str, limit: int) -> list[Block]:
    """One line per task with a menu of what the viewer may do; "and N more" past ``limit``."""
    rows = [task_row(v, lang) for v in views[:limit]]
    if len(views) > limit:
        rows.append(context(t("slack.more", lang, n=len(views) - limit)))
    return rows


def task_row(v: TaskView, lang: str) -> Block:
    return section(escape(render.task_line(v, lang)), accessory=_menu(v, lang))


def _menu(v: TaskView, lang: str) -> dict[str, Any]:
    # An overflow menu holds at most five options; the full card ("show") has every button.
    verbs = [x for x in in_card_order(v.actions) if x in ("progress", "extend", "done", "ack")][:4] + ["show"]
    return {"type": "overflow", "action_id": "task.menu",
            "options": [{"text": plain(t(f"slack.btn.{x}", lang)), "value": f"{x}:{v.id}"} for x in verbs]}


# ---------------------------------------------------------------- App Home


def home_view(home: Home, lang: str, *, updated: str, notice: Sequence[Block] = ()) -> dict[str, Any]:
    """The App Home: the answer to the last action, my tasks by light, approvals, my task forces."""
    blocks: list[Block] = [{"type": "header", "text": plain(t("slack.home.title", lang), 150)}]
    if notice:
        blocks += list(notice)[:NOTICE_BLOCKS] + [divider()]
    if getattr(home, "calendar_missing", None):
        blocks += [section(escape(t("notice.reminder", lang, year=home.calendar_missing))), divider()]
    blocks += _home_tasks(home, lang) + [divider()] + _home_approvals(home, lang) + [divider()]
    blocks += _home_forces(home, lang) + [context(t("slack.home.updated", lang, time=updated))]
    return {"type": "home", "blocks": _cap(blocks, VIEW_BLOCKS, lang)}


def light_counts(counts: dict[str, int]) -> str:
    return "  ".join(f"{EMOJI[c]} {counts.get(c, 0)}" for c in COLORS)


def _home_tasks(home: Home, lang: str) -> list[Block]:
    blocks = [section(f"*{t('slack.home.mine', lang)}*　{light_counts(home.mine_counts)}")]
    if not home.mine:
        return blocks + [context(t("slack.home.no_tasks", lang))]
    for color in COLORS:
        group = [v for v in home.mine if v.light.color == color]
        if group:
            blocks.append(context(f"*{EMOJI[color]} {t('light.' + color, lang)} · {home.mine_counts.get(color, len(group))}*"))
            blocks += [task_row(v, lang) for v in group]
    if home.mine_total > len(home.mine):
        blocks.append(context(t("slack.home.more_tasks", lang, n=home.mine_total - len(home.mine))))
    return blocks


def _home_approvals(home: Home, lang: str) -> list[Block]:
    blocks = [section(f"*{t('slack.home.approvals', lang)}*　{home.approvals_total}")]
    if not home.approvals:
        return blocks + [context(t("slack.home.no_approvals", lang))]
    for v in home.approvals:
        blocks.append(section(f"{_title(v)}\n{_approval_line(v, lang)}"))
        blocks += _actions(v, lang)[-1:]  # the decision row only
    if home.approvals_total > len(home.approvals):
        blocks.append(context(t("slack.more", lang, n=home.approvals_total - len(home.approvals))))
    return blocks


def _approval_line(v: TaskView, lang: str) -> str:
    if v.pending_extension is not None:
        e = v.pending_extension
        return escape(t("render.card.extension", lang, who=e.requested_by, new=i18n.format_day(e.new_due, lang), reason=e.reason))
    return escape(t("slack.home.done_requested", lang, owner=v.owner_name))


def _home_forces(home: Home, lang: str) -> list[Block]:
    blocks = [section(f"*{t('slack.home.forces', lang)}*　{home.forces_total}")]
    if not home.forces:
        return blocks + [context(escape(t("render.no_forces", lang)))]
    for f in home.forces:
        role = t("slack.home.lead", lang) if f.lead else ""
        blocks.append(section(f"*{escape(f.name)}*{role}\n{light_counts(f.counts)}　{t('slack.home.total', lang, n=f.total)}"))
    if home.forces_total > len(home.forces):
        blocks.append(context(t("slack.home.more_forces", lang, n=home.forces_total - len(home.forces))))
    return blocks


def home_error(text: str) -> dict[str, Any]:
    return {"type": "home", "blocks": text_sections(text)}


# ---------------------------------------------------------------- modals


def form_modal(form: OpenForm, lang: str, *, metadata: str, task: TaskView | None = None,
               choices: Sequence[TaskView] = (), owner_id: str | None = None) -> dict[str, Any]:
    """The modal for one of the forms a command or a button asks for (``form.form`` is its callback id)."""
    builders = {"task_add": lambda: _task_add_inputs(lang, owner_id),
                "task_progress": lambda: _progress_inputs(lang, task, choices),
                "task_extend": lambda: [_text_input("new_due", lang, hint=True), _text_input("reason", lang, multiline=True)],
                "task_block": lambda: [_text_input("reason", lang, multiline=True)],
                "task_reject": lambda: [_text_input("reason", lang, multiline=True)],
                "task_reopen": lambda: [_text_input("reason", lang, multiline=True)]}
    inputs = builders[form.form]()
    head = [section(f"{_title(task)}\n{_summary(task, lang)}")] if task is not None else []
    return {"type": "modal", "callback_id": form.form, "private_metadata": metadata,
            "title": plain(t(f"slack.form.{form.form}", lang), 24), "submit": plain(t("slack.form.submit", lang), 24),
            "close": plain(t("slack.form.cancel", lang), 24), "blocks": head + inputs}


def _summary(v: TaskView, lang: str) -> str:
    return " · ".join([f"{t('slack.card.due', lang)} {i18n.format_day(v.due, lang)}",
                       f"{t('slack.card.progress', lang)} {v.progress}%", v.light.label(lang)])


def _text_input(name: str, lang: str, *, optional: bool = False, multiline: bool = False, hint: bool = False,
                initial: str | None = None, max_length: int = 500) -> Block:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": name, "multiline": multiline,
                               "max_length": max_length}
    if initial:
        element["initial_value"] = initial
    if i18n.has(f"slack.field.{name}.placeholder"):
        element["placeholder"] = plain(t(f"slack.field.{name}.placeholder", lang), 150)
    block: Block = {"type": "input", "block_id": name, "optional": optional,
                    "label": plain(t(f"slack.field.{name}", lang), 2000), "element": element}
    if hint:
        block["hint"] = plain(t(f"slack.field.{name}.hint", lang), 2000)
    return block


def _task_add_inputs(lang: str, owner_id: str | None) -> list[Block]:
    owner: dict[str, Any] = {"type": "users_select", "action_id": "owner"}
    if owner_id:
        owner["initial_user"] = owner_id
    prio_options = [{"text": plain(t(f"slack.field.prio.{p}", lang)), "value": p} for p in ("normal", "high")]
    return [
        _text_input("title", lang),
        {"type": "input", "block_id": "owner", "optional": True, "label": plain(t("slack.field.owner", lang), 2000),
         "element": owner},
        _text_input("due", lang, hint=True),
        _text_input("force", lang, optional=True, hint=True, max_length=200),
        _text_input("dept", lang, optional=True, max_length=200),
        {"type": "input", "block_id": "prio", "optional": True, "label": plain(t("slack.field.prio", lang), 2000),
         "element": {"type": "static_select", "action_id": "prio", "options": prio_options,
                     "initial_option": prio_options[0]}},
    ]


def _progress_inputs(lang: str, task: TaskView | None, choices: Sequence[TaskView]) -> list[Block]:
    inputs = []
    if task is None:
        # Slack allows 100 options in a static select; the list is red first, so the urgent ones stay.
        options = [{"text": plain(f"#{v.id} {v.title}"), "value": str(v.id)} for v in choices[:100]]
        inputs.append({"type": "input", "block_id": "task", "label": plain(t("slack.field.task", lang), 2000),
                       "element": {"type": "static_select", "action_id": "task", "options": options}})
    inputs.append(_text_input("percent", lang, initial=str(task.progress) if task else None, max_length=5))
    inputs.append(_text_input("note", lang, optional=True, multiline=True))
    return inputs


def error_text(text: str) -> str:
    """A refusal shown under a form field: without the warning sign a chat message carries."""
    return _clip(text.removeprefix("⚠️").strip(), 1000)


def first_input(view: dict[str, Any]) -> str | None:
    """The block id of a view's first input: where an error not tied to one field is shown."""
    return next((b.get("block_id") for b in view.get("blocks", []) if b.get("type") == "input"), None)


i18n.register(
    {
        "slack.more": {"zh": "……还有 {n} 项", "en": "… and {n} more"},
        "slack.files.sent": {"zh": "📎 {n} 个文件已发到你与挂图的私信中。",
                             "en": "📎 {n} files are in your direct messages with Guatu."},
        "slack.file.sent": {"zh": "📎 文件 {name} 已发到你与挂图的私信中。",
                            "en": "📎 {name} is in your direct messages with Guatu."},
        "slack.working": {"zh": "⏳ 正在处理，完成后回复你……", "en": "⏳ Working on it; the answer follows…"},
        "slack.btn.progress": {"zh": "更新进展", "en": "Update progress"},
        "slack.btn.extend": {"zh": "申请延期", "en": "Ask for more time"},
        "slack.btn.done": {"zh": "标记完成", "en": "Mark done"},
        "slack.btn.block": {"zh": "报告受阻", "en": "Report a blocker"},
        "slack.btn.ack": {"zh": "收到", "en": "Got it"},
        "slack.btn.approve": {"zh": "批准", "en": "Approve"},
        "slack.btn.reject": {"zh": "驳回", "en": "Reject"},
        "slack.btn.verify": {"zh": "销号", "en": "Verify done"},
        "slack.btn.reopen": {"zh": "退回", "en": "Send back"},
        "slack.btn.show": {"zh": "查看", "en": "Open"},
        "slack.card.owner": {"zh": "责任人", "en": "Owner"},
        "slack.card.dept": {"zh": "责任单位", "en": "Department"},
        "slack.card.due": {"zh": "截止", "en": "Due"},
        "slack.card.progress": {"zh": "进度", "en": "Progress"},
        "slack.card.force": {"zh": "专班", "en": "task force"},
        "slack.home.title": {"zh": "挂图 · 我的工作台", "en": "Guatu · my desk"},
        "slack.home.mine": {"zh": "我的任务", "en": "My tasks"},
        "slack.home.no_tasks": {"zh": "没有进行中的任务。新建任务：/task add", "en": "No live tasks. Create one: /task add"},
        "slack.home.more_forces": {"zh": "另有 {n} 个专班 · /force list", "en": "{n} more · /force list"},
        "slack.home.more_tasks": {"zh": "还有 {n} 个任务，用 /task list 查看。", "en": "{n} more: see /task list."},
        "slack.home.approvals": {"zh": "待我审批", "en": "Waiting for my decision"},
        "slack.home.no_approvals": {"zh": "没有待审批的事项。", "en": "Nothing waits for your decision."},
        "slack.home.done_requested": {"zh": "✅ {owner} 报告已完成，请销号", "en": "✅ {owner} reports it done; verify it"},
        "slack.home.forces": {"zh": "我的专班", "en": "My task forces"},
        "slack.home.lead": {"zh": "（负责人）", "en": " (lead)"},
        "slack.home.total": {"zh": "共 {n} 个进行中", "en": "{n} live"},
        "slack.home.updated": {"zh": "更新于 {time}", "en": "Updated {time}"},
        "slack.form.task_add": {"zh": "新建任务", "en": "New task"},
        "slack.form.task_progress": {"zh": "更新进展", "en": "Update progress"},
        "slack.form.task_extend": {"zh": "申请延期", "en": "Ask for more time"},
        "slack.form.task_block": {"zh": "报告受阻", "en": "Report a blocker"},
        "slack.form.task_reject": {"zh": "驳回延期申请", "en": "Reject the extension"},
        "slack.form.task_reopen": {"zh": "退回任务", "en": "Send the task back"},
        "slack.form.submit": {"zh": "提交", "en": "Submit"},
        "slack.form.cancel": {"zh": "取消", "en": "Cancel"},
        "slack.field.title": {"zh": "任务标题", "en": "Title"},
        "slack.field.title.placeholder": {"zh": "如：编制公共数据共享目录", "en": "e.g. Draft the shared data catalogue"},
        "slack.field.owner": {"zh": "责任人", "en": "Owner"},
        "slack.field.due": {"zh": "截止日期", "en": "Deadline"},
        "slack.field.due.placeholder": {"zh": "如 12-31、下周五、月底", "en": "e.g. 12-31, next friday"},
        "slack.field.due.hint": {
            "zh": "可写 2026-12-31、12-31、12月31日，或 明天、下周五、3天后、月底。",
            "en": "2026-12-31, 12-31, or words: tomorrow, next friday, in 3 days, end of month.",
        },
        "slack.field.new_due": {"zh": "延期至", "en": "New deadline"},
        "slack.field.new_due.placeholder": {"zh": "如 12-31、下周五、月底", "en": "e.g. 12-31, next friday"},
        "slack.field.new_due.hint": {
            "zh": "须晚于当前截止日期。可写 2026-12-31、12-31、12月31日，或 下周五、月底。",
            "en": "After the current deadline: 2026-12-31, 12-31, or words such as next friday.",
        },
        "slack.field.force": {"zh": "专班", "en": "Task force"},
        "slack.field.force.hint": {
            "zh": "不填则为本频道绑定的专班（或你唯一的专班）。",
            "en": "Empty: the task force bound to this channel (or your only one).",
        },
        "slack.field.dept": {"zh": "责任单位", "en": "Department"},
        "slack.field.prio": {"zh": "优先级", "en": "Priority"},
        "slack.field.prio.normal": {"zh": "普通", "en": "Normal"},
        "slack.field.prio.high": {"zh": "紧急", "en": "High"},
        "slack.field.task": {"zh": "任务", "en": "Task"},
        "slack.field.percent": {"zh": "进度（%）", "en": "Progress (%)"},
        "slack.field.percent.placeholder": {"zh": "0 到 100，如 60", "en": "0 to 100, e.g. 60"},
        "slack.field.note": {"zh": "进展说明", "en": "Note"},
        "slack.field.reason": {"zh": "原因", "en": "Reason"},
    }
)
