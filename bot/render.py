"""Plain-text rendering of domain results, shared by the console and Slack's fallback text."""

from __future__ import annotations

from collections.abc import Iterable

from bot.dates import format_date
from models import i18n
from models.forces import ForceSummary
from models.i18n import t
from models.lights import EMOJI
from models.org import DeptLine
from models.policy import Policy
from models.tasks import HistoryLine, TaskView


def task_line(v: TaskView, lang: str) -> str:
    """One line of a list: light, id, title, owner, deadline, progress."""
    flag = " ⛔" if v.status == "blocked" else ""
    prio = " ❗" if v.priority == "high" else ""
    return t("render.task_line", lang, light=EMOJI[v.light.color], id=v.id, title=v.title, owner=v.owner_name,
             due=format_date(v.due, lang), progress=v.progress, flags=flag + prio)


def task_card(v: TaskView, lang: str) -> str:
    """The task's card: title, owner, department, deadline (and baseline if moved), light, progress."""
    lines = [f"{EMOJI[v.light.color]} #{v.id} {v.title}" + (" ❗" if v.priority == "high" else "")]
    lines.append(t("render.card.owner", lang, owner=v.owner_name, dept=v.dept_name or "—", force=v.force_name or "—"))
    due = format_date(v.due, lang)
    if v.moved:
        due = t("render.card.moved", lang, due=due, baseline=format_date(v.baseline_due, lang))
    lines.append(t("render.card.due", lang, due=due))
    why = v.light.explain(lang)
    status = t(f"status.{v.status}", lang)
    # Say each thing once: a grey light already says "not started", a status its reason already gave is dropped.
    light = v.light.label(lang) + ("" if v.light.color == "grey" else f"（{why}）" if lang == "zh" else f" ({why})")
    parts = [light] + ([] if v.status == "todo" or status in why else [status])
    lines.append(t("render.card.state", lang, state=" · ".join(parts), progress=v.progress, bar=progress_bar(v.progress)))
    if v.blocked_reason:
        lines.append(t("render.card.blocked", lang, reason=v.blocked_reason))
    if v.pending_extension:
        e = v.pending_extension
        lines.append(t("render.card.extension", lang, who=e.requested_by, new=format_date(e.new_due, lang), reason=e.reason))
    for n in v.nodes:
        lines.append(f"   {'☑' if n.done else '☐'} {n.no}. {n.name} · {format_date(n.due, lang)}")
    if v.parent_id:
        lines.append(t("render.card.parent", lang, id=v.parent_id))
    return "\n".join(lines)


def progress_bar(p: int, width: int = 10) -> str:
    filled = round(p * width / 100)
    return "▓" * filled + "░" * (width - filled)


def task_list(views: list[TaskView], lang: str, title: str) -> str:
    if not views:
        return title + "\n" + t("render.no_tasks", lang)
    counts = {c: sum(1 for v in views if v.light.color == c) for c in ("red", "yellow", "green", "grey")}
    summary = "  ".join(f"{EMOJI[c]}{n}" for c, n in counts.items() if n)
    return "\n".join([f"{title}  {summary}", *(task_line(v, lang) for v in views)])


def history(lines: list[HistoryLine], lang: str, tz) -> str:
    out = []
    for h in lines:
        when = h.at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        action = t(f"audit.{h.action}", lang) if i18n.has(f"audit.{h.action}") else h.action
        detail = ", ".join(f"{k}={v}" for k, v in h.detail.items() if v not in (None, "", []))
        out.append(f"{when}  {h.actor}  {action}" + (f"  ({detail})" if detail else ""))
    return "\n".join(out)


def force_list(forces: list[ForceSummary], lang: str) -> str:
    if not forces:
        return t("render.no_forces", lang)
    return "\n".join(
        t("render.force_line", lang, name=f.name, status=t(f"force.status.{f.status}", lang), leads="、".join(f.leads) or "—",
          members=f.members, tasks=f.tasks, channel=f"<#{f.channel_id}>" if f.channel_id else "—")
        for f in forces
    )


def dept_tree(lines: list[DeptLine], lang: str) -> str:
    if not lines:
        return t("render.no_depts", lang)
    return "\n".join(
        "  " * d.depth + ("└ " if d.depth else "") + d.name
        + (t("render.dept_head", lang, head=d.head) if d.head else "") + t("render.dept_people", lang, n=d.people)
        for d in lines
    )


def policy(p: Policy, force_name: str, lang: str) -> str:
    return t("render.policy", lang, force=force_name, yellow=p.yellow_days, stale=p.stale_days, lag=p.lag_pct,
             remind=",".join(map(str, p.remind_days)), hour=p.remind_hour, escalate=",".join(map(str, p.escalate)),
             quiet=f"{p.quiet_start}:00-{p.quiet_end}:00", renotice=p.renotice_hours, limit=p.renotice_limit,
             pause=p.ack_pause_days, entry=t(f"render.policy.level.{p.urgent_entry}", lang))


def calendar_month(days: Iterable[tuple], year: int, month: int, lang: str) -> str:
    """A month grid: ``~`` a weekday off (holiday), ``*`` a weekend working day (调休); then the notes."""
    days = list(days)
    rows = ["  ".join(f"{n:>3}" for n in t("render.cal_weekdays", lang).split(","))]
    cells = ["   "] * days[0][0].weekday()
    notes = []
    for d, working, reason in days:
        weekend = d.weekday() >= 5
        mark = "~" if (not working and not weekend) else ("*" if (working and weekend) else " ")
        cells.append(f"{d.day:>2}{mark}")
        if mark != " " or (reason and not weekend):
            notes.append(t("render.cal_note", lang, day=format_date(d, lang),
                           kind=t("render.cal_work" if working else "render.cal_off", lang), reason=reason))
    rows += ["  ".join(cells[i:i + 7]) for i in range(0, len(cells), 7)]
    return "\n".join([t("render.cal_head", lang, year=year, month=month), *rows, *notes])


def notice_status(st, lang: str, tz) -> str:
    """Who confirmed a notice (and when), who has not (and how often they were told)."""
    lines = [t("render.notice.head", lang, id=st.id, force=st.force_name, author=st.author, text=st.text,
               n=len(st.confirmed), total=len(st.confirmed) + len(st.pending))]
    lines += [f"  ✅ {name} · {when.astimezone(tz).strftime('%m-%d %H:%M')}" for name, when in st.confirmed]
    lines += [t("render.notice.pending", lang, name=name, n=n) for name, n in st.pending]
    return "\n".join(lines)


def outbox(counts: dict[str, int], lines, lang: str, tz) -> str:
    """The send queue for admins: counts per status, then the listed messages."""
    head = "  ".join(f"{t('outbox.status.' + k, lang)} {v}" for k, v in counts.items())
    out = [t("render.outbox.head", lang, counts=head)]
    for m in lines:
        when = (m.sent_at or m.next_attempt_at).astimezone(tz).strftime("%m-%d %H:%M")
        err = f" · {m.last_error[:80]}" if m.last_error else ""
        out.append(f"  {m.id} · {t('outbox.status.' + m.status, lang)} · {m.kind} → {m.person_name or m.recipient} · "
                   f"{when} · ×{m.attempts}{err}")
    if not lines:
        out.append(t("render.outbox.none", lang))
    return "\n".join(out)


AUDIT_LABELS = {
    "task.created": ("新建", "created"),
    "task.progress": ("更新进展", "progress"),
    "task.done_requested": ("报告完成", "reported done"),
    "task.verified": ("销号", "verified done"),
    "task.reopened": ("退回", "sent back"),
    "task.blocked": ("受阻", "blocked"),
    "task.unblocked": ("解除受阻", "unblocked"),
    "task.extension_requested": ("申请延期", "asked for an extension"),
    "task.extension_approved": ("批准延期", "extension approved"),
    "task.extension_rejected": ("驳回延期", "extension rejected"),
    "task.assigned": ("指派", "reassigned"),
    "task.node_added": ("添加节点", "node added"),
    "task.co_owners_added": ("添加协办人", "co-owners added"),
    "task.co_owners_removed": ("移除协办人", "co-owners removed"),
    "task.node_done": ("节点完成", "node done"),
    "task.acknowledged": ("确认收到", "acknowledged"),
    "task.cancelled": ("撤销", "cancelled"),
}
i18n.register({f"audit.{k}": {"zh": zh, "en": en} for k, (zh, en) in AUDIT_LABELS.items()})

i18n.register(
    {
        "render.task_line": {
            "zh": "{light} #{id} {title} · {owner} · 截止 {due} · {progress}%{flags}",
            "en": "{light} #{id} {title} · {owner} · due {due} · {progress}%{flags}",
        },
        "render.card.owner": {"zh": "责任人：{owner}　责任单位：{dept}　专班：{force}", "en": "Owner: {owner}  Department: {dept}  Task force: {force}"},
        "render.card.due": {"zh": "截止：{due}", "en": "Due: {due}"},
        "render.card.moved": {"zh": "{due}（原定 {baseline}）", "en": "{due} (baseline {baseline})"},
        "render.card.state": {
            "zh": "状态：{state} · 进度 {bar} {progress}%",
            "en": "State: {state} · progress {bar} {progress}%",
        },
        "render.card.blocked": {"zh": "⛔ 受阻原因：{reason}", "en": "⛔ Blocked: {reason}"},
        "render.card.extension": {
            "zh": "⏳ {who} 申请延期至 {new}：{reason}（待审批）",
            "en": "⏳ {who} asks to move it to {new}: {reason} (awaiting decision)",
        },
        "render.card.parent": {"zh": "上级任务：#{id}", "en": "Parent task: #{id}"},
        "render.no_forces": {"zh": "你还不在任何专班中。负责人可用 /force new <名称> 新建。", "en": "You are in no task force yet. A lead can create one with /force new <name>."},
        "render.force_line": {
            "zh": "• {name}（{status}）负责人 {leads} · 成员 {members} · 任务 {tasks} · 频道 {channel}",
            "en": "• {name} ({status}) led by {leads} · {members} members · {tasks} tasks · channel {channel}",
        },
        "force.status.open": {"zh": "进行中", "en": "open"},
        "force.status.closed": {"zh": "已结束", "en": "closed"},
        "render.no_depts": {"zh": "还没有部门。管理员可用 /guatu dept add <名称> [parent:<上级>] 新建。", "en": "No departments yet. An admin can add one: /guatu dept add <name> [parent:<name>]."},
        "render.dept_head": {"zh": "（负责人 {head}）", "en": " (head {head})"},
        "render.dept_people": {"zh": " · {n} 人", "en": " · {n} people"},
        "render.policy": {
            "zh": "专班「{force}」规则：临期 {yellow} 个工作日 · 沉默 {stale} 个工作日 · 进度落后 {lag}% 亮黄灯 · 提前 {remind} 个工作日 {hour}:00 提醒 · 督办间隔 {escalate} 个工作日 · 免打扰 {quiet} · 通知未确认每 {renotice} 小时重发，最多 {limit} 次\n督办：逾期未完成即逐级升级（责任人 → 专班负责人 → 分管领导 → 主要领导）；报完成、销号、延期获批、节点完成或撤销即终止；收到（/task ack）后暂停 {pause} 个工作日，仍逾期则继续；仅更新进度不重置；紧急任务从{entry}起",
            "en": "Policy of “{force}”: due soon {yellow} working days · silent {stale} working days · yellow when {lag}% behind · reminders {remind} working days before at {hour}:00 · escalation delays {escalate} working days · quiet hours {quiet} · unconfirmed notices re-sent every {renotice} h, at most {limit} times\nEscalation: an overdue task climbs owner → task-force lead → leader in charge → chief; reporting done, verification, an approved extension, a completed node or cancellation ends it; 收到 (/task ack) pauses it for {pause} working days, then it resumes while still overdue; a progress update alone does not reset it; urgent tasks enter at {entry}",
        },
        "render.policy.level.0": {"zh": "提示单（责任人）", "en": "the owner's reminder notice"},
        "render.policy.level.1": {"zh": "提示单（专班负责人）", "en": "the lead's reminder notice"},
        "render.policy.level.2": {"zh": "督办单（分管领导）", "en": "the supervision notice (leader in charge)"},
        "render.policy.level.3": {"zh": "通报（主要领导）", "en": "the circular (chief)"},
        "render.cal_head": {"zh": "{year}年{month}月（~ 放假，* 调休上班）", "en": "{year}-{month:02d} (~ day off, * make-up working day)"},
        "render.cal_weekdays": {"zh": "一,二,三,四,五,六,日", "en": "Mo,Tu,We,Th,Fr,Sa,Su"},
        "render.notice.head": {
            "zh": "📢 通知 #{id}（{force}，{author}）：{text}\n已确认 {n}/{total}：",
            "en": "📢 Notice #{id} ({force}, {author}): {text}\nConfirmed {n}/{total}:",
        },
        "render.notice.pending": {"zh": "  ⏳ {name} · 未确认（已发 {n} 次）", "en": "  ⏳ {name} · not yet (sent {n}×)"},
        "render.outbox.head": {"zh": "📮 发送队列：{counts}", "en": "📮 Send queue: {counts}"},
        "render.outbox.none": {"zh": "  （没有消息）", "en": "  (no messages)"},
        "render.cal_note": {"zh": "{day} {kind} {reason}", "en": "{day} {kind} {reason}"},
        "render.cal_work": {"zh": "上班", "en": "working day"},
        "render.cal_off": {"zh": "放假", "en": "day off"},
    }
)
