"""Plain-text rendering of domain results and of replies: the console's text, Slack's and DingTalk's fallback text."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from models import i18n, warmap
from models.i18n import t
from models.lights import EMOJI, Light
from models.lists import Page
from models.org import DeptLine
from models.policy import Policy
from models.status import TaskStatus, is_open
from models.tasks import HistoryLine, NodeView, SubTaskView, TaskView


def reply(headline: str, cards: Sequence[TaskView], footer: str | None, lang: str) -> str:
    """A reply as plain text: its own words, then its task's card (one) or one line per task (a list), then
    its last line (a list's "N more · page:n")."""
    body = [task_card(cards[0], lang)] if len(cards) == 1 else [task_line(v, lang) for v in cards]
    return "\n".join(x for x in (headline, *body, footer or "") if x)


def headline_of(text: str, cards: Sequence[TaskView], lang: str) -> str:
    """The reply's own words in a text rendered elsewhere: what precedes its card, or a list's first line."""
    if not cards:
        return text
    if len(cards) == 1:
        card = task_card(cards[0], lang)
        if text.endswith(card):
            return text[: -len(card)].strip()
    return text.split("\n", 1)[0]


def task_line(v: TaskView, lang: str) -> str:
    """One line of a list: light, id, title, owner, deadline, progress."""
    flag = " ⛔" if v.status == "blocked" else ""
    prio = " ❗" if v.priority == "high" else ""
    return t("render.task_line", lang, light=EMOJI[v.light.color], id=v.id, title=v.title, owner=v.owner_name,
             due=i18n.format_day(v.due, lang), progress=v.progress, flags=flag + prio)


def task_card(v: TaskView, lang: str) -> str:
    """The task's card, each fact once: state (with its reason), light, people, deadline (baseline →
    current when moved), pending extension, time nodes, sub-tasks, the last progress note, parent."""
    lines = [card_title(v), t("render.card.state", lang, state=card_state(v, lang), progress=v.progress,
                                 bar=progress_bar(v.progress))]
    lines.append(t("render.card.owner", lang, owner=v.owner_name, co=card_co_owners(v, lang), dept=v.dept_name or "—",
                   force=v.force_name or "—"))
    lines.append(t("render.card.due", lang, due=card_due(v, lang)))
    lines += card_details(v, lang)
    return "\n".join(lines)


# Reasons a light gives that the card already says elsewhere: in the state's words (受阻, 待销号,
# 未开始, 已销号, 已撤销) or on the time nodes' own lines.
_SAID_ELSEWHERE = {"light.why.blocked", "light.why.awaiting_verify", "light.why.not_started", "light.why.done",
                   "light.why.cancelled", "light.why.node_overdue", "light.why.node_soon"}
_CLOSED_ICON: dict[str, str] = {TaskStatus.DONE: "✅", TaskStatus.CANCELLED: "🚫"}


def card_icon(status: str, light: Light) -> str:
    """The light's colour while the task is live; a closed task shows its state, never a light that contradicts it."""
    return _CLOSED_ICON.get(status, EMOJI[light.color])


def card_title(v: TaskView) -> str:
    return f"{card_icon(v.status, v.light)} #{v.id} {v.title}" + (" ❗" if v.priority == "high" else "")


def status_words(v: TaskView, lang: str) -> str:
    """未开始, 进行中, 受阻（原因）, 待销号, 已销号（by whom, when）, 已撤销（原因）."""
    if v.status == TaskStatus.BLOCKED and v.blocked_reason:
        return t("render.card.status_blocked", lang, reason=v.blocked_reason)
    if v.status == TaskStatus.CANCELLED and v.cancelled_reason:
        return t("render.card.status_cancelled", lang, reason=v.cancelled_reason)
    if v.status == TaskStatus.DONE and v.verified_by and v.done_on:
        return t("render.card.status_done", lang, who=v.verified_by, on=i18n.format_short_day(v.done_on, lang))
    return t(f"status.{v.status}", lang)


def card_light(v: TaskView, lang: str) -> str | None:
    """The light and what it says beyond the state, for an open task; None when it would only repeat it."""
    if not is_open(v.status) or v.light.color == "grey":
        return None  # a done report is green by definition; grey is "not started", which the state says
    reasons = [r.render(lang) for r in v.light.reasons if r.key not in _SAID_ELSEWHERE]
    if not reasons and any(r.key.startswith("light.why.node_") for r in v.light.reasons):
        reasons = [t("render.card.see_nodes", lang)]  # the node's own line says which and why
    if not reasons:
        return v.light.label(lang)
    why = ("; " if lang == "en" else "；").join(reasons)
    return v.light.label(lang) + (f" ({why})" if lang == "en" else f"（{why}）")


def card_state(v: TaskView, lang: str) -> str:
    return " · ".join(x for x in (status_words(v, lang), card_light(v, lang)) if x)


def card_co_owners(v: TaskView, lang: str) -> str:
    return t("render.card.co", lang, names=i18n.Join(v.co_owner_names)) if v.co_owner_names else ""


def card_due(v: TaskView, lang: str) -> str:
    if v.moved:
        return t("render.card.moved", lang, due=i18n.Day(v.due), baseline=i18n.Day(v.baseline_due))
    return i18n.format_day(v.due, lang)


def card_node(n: NodeView, lang: str) -> str:
    on = i18n.format_short_day(n.done_on, lang) if n.done_on else ""
    return t(f"render.card.node.{n.state}", lang, no=n.no, name=n.name, due=i18n.Day(n.due), on=on)


def card_subtask(s: SubTaskView, lang: str) -> str:
    return t("render.card.sub", lang, icon=card_icon(s.status, s.light), id=s.id, title=s.title, owner=s.owner_name,
             status=t(f"status.{s.status}", lang), progress=s.progress)


def card_details(v: TaskView, lang: str) -> list[str]:
    """The card's lines under its head: extension, nodes, sub-tasks, last note, parent (shared with Slack)."""
    lines = []
    if v.pending_extension:
        e = v.pending_extension
        lines.append(t("render.card.extension", lang, who=e.requested_by, new=i18n.Day(e.new_due), reason=e.reason))
    if v.nodes:
        lines.append(t("render.card.nodes", lang))
        lines += [f"   {card_node(n, lang)}" for n in v.nodes]
    if v.subtasks:
        lines.append(t("render.card.subs", lang, n=len(v.subtasks)))
        lines += [f"   {card_subtask(x, lang)}" for x in v.subtasks]
    if v.last_note:
        n = v.last_note
        lines.append(t("render.card.note", lang, note=n.note, who=n.who, at=i18n.format_moment(n.at, lang),
                       percent=n.percent))
    if v.parent_id:
        lines.append(t("render.card.parent", lang, id=v.parent_id))
    return lines


def progress_bar(p: int, width: int = 10) -> str:
    filled = round(p * width / 100)
    return "▓" * filled + "░" * (width - filled)


def light_counts(counts: dict[str, int]) -> str:
    """``🔴20  🟡30``: the lights that occur, over whatever ``counts`` was counted on."""
    return "  ".join(f"{EMOJI[c]}{n}" for c, n in counts.items() if n)


def page_head(page: Page, lang: str, title: str, *, counts: bool = True) -> str:
    """A list's one-line header: counts over everything that matched, the total, and the page if there are several."""
    parts = [title]
    if counts and light_counts(page.counts):
        parts.append(light_counts(page.counts))
    parts.append(t("render.list.total", lang, n=page.total))
    if page.pages > 1 and not page.beyond:
        parts.append(t("render.list.page", lang, page=page.page, pages=page.pages))
    return "  ".join(parts[:2]) + "".join(f" · {x}" for x in parts[2:])


def page_hint(page: Page, lang: str, command: Callable[[int], str]) -> str | None:
    """What a page leaves out after it and the command for the next page; None on the last page."""
    if page.beyond:
        return t("render.list.beyond", lang, page=page.page, pages=page.pages, n=page.total, command=command(page.pages))
    if page.after:
        return t("render.list.more", lang, n=page.after, command=command(page.page + 1))
    return None


def task_page(page: Page, lang: str, title: str, command: Callable[[int], str]) -> str:
    """A page of a task list: the header (counts over all), its rows, and what it left out."""
    lines = [page_head(page, lang, title)]
    if not page.total:
        lines.append(t("render.no_tasks", lang))
    lines += [task_line(v, lang) for v in page.items]
    hint = page_hint(page, lang, command)
    return "\n".join(lines + ([hint] if hint else []))


def task_list(views: list[TaskView], lang: str, title: str) -> str:
    if not views:
        return title + "\n" + t("render.no_tasks", lang)
    counts = {c: sum(1 for v in views if v.light.color == c) for c in ("red", "yellow", "green", "grey")}
    summary = "  ".join(f"{EMOJI[c]}{n}" for c, n in counts.items() if n)
    return "\n".join([f"{title}  {summary}", *(task_line(v, lang) for v in views)])


def war_map(views: list[TaskView], pages: list, lang: str, title: str, filters: list[str]) -> str:
    """The war map's reply: counts over every task drawn, how many pages are attached, and on which
    page(s) each department is."""
    counts = {c: sum(1 for v in views if v.light.color == c) for c in ("red", "yellow", "green", "grey")}
    head = "  ".join(x for x in (title, light_counts(counts)) if x)
    lines = [head + " · " + t("render.list.total", lang, n=len(views)) + " · "
             + t("render.map.pages", lang, n=len(pages), per=warmap.BARS_PER_PAGE)]
    if filters:
        lines.append(t("render.map.filters", lang, filters=" · ".join(filters)))
    if not views:
        return "\n".join(lines + [t("render.no_tasks", lang)])
    page_of = {tid: p.no for p in pages for tid in p.task_ids}
    depts: dict[str, list[TaskView]] = {}
    for v in views:
        depts.setdefault(warmap.dept_of(v, lang), []).append(v)
    for name, vs in sorted(depts.items(), key=lambda kv: min(page_of.get(v.id, 0) for v in kv[1])):
        nos = sorted({page_of.get(v.id, 0) for v in vs})
        where = t("render.map.on_page", lang, pages=str(nos[0]) if len(nos) == 1 else f"{nos[0]}–{nos[-1]}")
        c = {k: sum(1 for v in vs if v.light.color == k) for k in counts}
        lines.append(f"  {name} · {t('render.list.total', lang, n=len(vs))}  {light_counts(c)} · {where}")
    return "\n".join(lines)


def history(lines: list[HistoryLine], lang: str, tz) -> str:
    """One sentence a change, oldest first: "12月1日 10:00 林芳 把任务指派给 张伟" (names, never ids)."""
    return "\n".join(f"{i18n.format_moment(h.at.astimezone(tz), lang)}  {h.says.render(lang)}" for h in lines)


def force_list(page: Page, lang: str, command: Callable[[int], str]) -> str:
    """A page of task forces: how many there are (open, closed), this page's, and what it left out."""
    if not page.total:
        return t("render.no_forces", lang)
    head = t("render.force_head", lang, n=page.total, open=page.counts.get("open", 0),
             closed=page.counts.get("closed", 0))
    if page.pages > 1 and not page.beyond:
        head += " · " + t("render.list.page", lang, page=page.page, pages=page.pages)
    lines = [head] + [
        t("render.force_line", lang, name=f.name, status=t(f"force.status.{f.status}", lang), leads="、".join(f.leads) or "—",
          members=f.members, tasks=f.tasks, channel=i18n.channel(f.channel_id) if f.channel_id else "—")
        for f in page.items
    ]
    hint = page_hint(page, lang, command)
    return "\n".join(lines + ([hint] if hint else []))


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
            notes.append(t("render.cal_note", lang, day=i18n.format_day(d, lang),
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


i18n.register(
    {
        "render.task_line": {
            "zh": "{light} #{id} {title} · {owner} · 截止 {due} · {progress}%{flags}",
            "en": "{light} #{id} {title} · {owner} · due {due} · {progress}%{flags}",
        },
        "render.card.owner": {"zh": "责任人：{owner}{co}　责任单位：{dept}　专班：{force}",
                              "en": "Owner: {owner}{co}  Department: {dept}  Task force: {force}"},
        "render.card.co": {"zh": "　协办：{names}", "en": "  Co-owners: {names}"},
        "render.card.due": {"zh": "截止：{due}", "en": "Due: {due}"},
        "render.card.moved": {"zh": "原定 {baseline} → 现 {due}", "en": "baseline {baseline} → now {due}"},
        "render.card.state": {
            "zh": "状态：{state} · 进度 {bar} {progress}%",
            "en": "State: {state} · progress {bar} {progress}%",
        },
        "render.card.status_blocked": {"zh": "受阻（{reason}）", "en": "blocked ({reason})"},
        "render.card.status_cancelled": {"zh": "已撤销（{reason}）", "en": "cancelled ({reason})"},
        "render.card.status_done": {"zh": "已销号（{who}，{on}）", "en": "done, verified by {who} on {on}"},
        "render.card.extension": {
            "zh": "⏳ {who} 申请延期至 {new}：{reason}（待审批）",
            "en": "⏳ {who} asks to move it to {new}: {reason} (awaiting decision)",
        },
        "render.card.nodes": {"zh": "时间节点：", "en": "Time nodes:"},
        "render.card.see_nodes": {"zh": "见时间节点", "en": "see the time nodes"},
        "render.card.node.done": {"zh": "✓ {no}. {name} · {due} · {on}完成", "en": "✓ {no}. {name} · {due} · done {on}"},
        "render.card.node.overdue": {"zh": "⚠ {no}. {name} · {due} · 已逾期", "en": "⚠ {no}. {name} · {due} · overdue"},
        "render.card.node.soon": {"zh": "◔ {no}. {name} · {due} · 临期", "en": "◔ {no}. {name} · {due} · due soon"},
        "render.card.node.upcoming": {"zh": "○ {no}. {name} · {due} · 未到期", "en": "○ {no}. {name} · {due} · upcoming"},
        "render.card.node.missed": {"zh": "○ {no}. {name} · {due} · 未完成", "en": "○ {no}. {name} · {due} · not done"},
        "render.card.subs": {"zh": "子任务 {n} 项：", "en": "{n} {n:sub-task|sub-tasks}:"},
        "render.card.sub": {"zh": "{icon} #{id} {title} · {owner} · {status} · {progress}%",
                            "en": "{icon} #{id} {title} · {owner} · {status} · {progress}%"},
        "render.card.note": {"zh": "最新进展：{note}（{who}，{at}，{percent}%）",
                             "en": "Latest note: {note} ({who}, {at}, {percent}%)"},
        "render.card.parent": {"zh": "上级任务：#{id}", "en": "Parent task: #{id}"},
        "render.no_tasks": {"zh": "（没有任务）", "en": "(no tasks)"},
        "render.list.total": {"zh": "共 {n} 项", "en": "{n} in all"},
        "render.list.page": {"zh": "第 {page}/{pages} 页", "en": "page {page}/{pages}"},
        "render.list.more": {"zh": "另有 {n} 项 · {command}", "en": "{n} more · {command}"},
        "render.list.beyond": {
            "zh": "没有第 {page} 页：共 {n} 项，{pages} 页。最后一页：{command}",
            "en": "There is no page {page}: {n} in all, {pages} {pages:page|pages}. The last one: {command}",
        },
        "render.map.pages": {"zh": "挂图 {n} 页（按责任单位分组，每页至多 {per} 项）",
                             "en": "{n} map {n:page|pages} attached (by department, at most {per} a page)"},
        "render.map.filters": {"zh": "筛选：{filters}", "en": "Filtered: {filters}"},
        "render.map.on_page": {"zh": "第 {pages} 页", "en": "page {pages}"},
        "render.force_head": {"zh": "专班共 {n} 个（进行中 {open} · 已结束 {closed}）",
                              "en": "{n} task {n:force|forces} ({open} open · {closed} closed)"},
        "render.no_forces": {"zh": "你还不在任何专班中。负责人可用 /force new <名称> 新建。", "en": "You are in no task force yet. A lead can create one with /force new <name>."},
        "render.force_line": {
            "zh": "• {name}（{status}）负责人 {leads} · 成员 {members} · 任务 {tasks} · 频道 {channel}",
            "en": "• {name} ({status}) led by {leads} · {members} {members:member|members} · {tasks} {tasks:task|tasks} · channel {channel}",
        },
        "force.status.open": {"zh": "进行中", "en": "open"},
        "force.status.closed": {"zh": "已结束", "en": "closed"},
        "render.no_depts": {"zh": "还没有部门。管理员可用 /guatu dept add <名称> [parent:<上级>] 新建。", "en": "No departments yet. An admin can add one: /guatu dept add <name> [parent:<name>]."},
        "render.dept_head": {"zh": "（负责人 {head}）", "en": " (head {head})"},
        "render.dept_people": {"zh": " · {n} 人", "en": " · {n} {n:person|people}"},
        "render.policy": {
            "zh": "专班「{force}」规则：临期 {yellow} 个工作日 · 沉默 {stale} 个工作日 · 进度落后 {lag}% 亮黄灯 · 提前 {remind} 个工作日 {hour}:00 提醒 · 督办间隔 {escalate} 个工作日 · 免打扰 {quiet} · 通知未确认每 {renotice} 小时重发，最多 {limit} 次\n督办：逾期未完成即逐级升级（责任人 → 专班负责人 → 分管领导 → 主要领导）；报完成、销号、延期获批、节点完成或撤销即终止；收到（/task ack）后暂停 {pause} 个工作日，仍逾期则继续；仅更新进度不重置；紧急任务从{entry}起",
            "en": "Policy of “{force}”: due soon {yellow} {yellow:working day|working days} · silent {stale} {stale:working day|working days} · yellow when {lag}% behind · reminders {remind} working days before at {hour}:00 · escalation delays {escalate} working days · quiet hours {quiet} · unconfirmed notices re-sent every {renotice} h, at most {limit} times\nEscalation: an overdue task climbs owner → task-force lead → leader in charge → chief; reporting done, verification, an approved extension, a completed node or cancellation ends it; 收到 (/task ack) pauses it for {pause} {pause:working day|working days}, then it resumes while still overdue; a progress update alone does not reset it; urgent tasks enter at {entry}",
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
