"""Handlers for the organisation in chat: /guatu people, /guatu role -<role>, /guatu calendar import.

Their own table (``HANDLERS``), merged with ``bot.dispatch``'s by ``bot.bootstrap.handlers``, so every
surface reaches them the same way.
"""

from __future__ import annotations

from bot import render
from bot.dispatch import Handlers, Reply, _ok
from models import i18n, people
from models.context import Ctx
from models.holiday_notice import ParsedNotice, apply_notice, calendar_from_notice, parse_notice
from models.i18n import t
from models.org import PersonRef, require_role

# Listing people changes nothing: no home view needs refreshing.
HANDLERS = Handlers(read_only=frozenset({"people.list"}))
handles = HANDLERS.handles


@handles("people.list")
def _people_list(ctx: Ctx, r) -> Reply:
    page = people.list_people(ctx.session, ctx.ws, dept=r.dept, text=r.text, page=r.page)
    if not page.total:
        return _ok(ctx, "reply.people.none")
    lines = [t("reply.people.head", ctx.lang, n=page.total, page=page.page, pages=page.pages)]
    for p in page.items:
        extra = [p.dept or "—"]
        if p.roles:
            extra.append("、".join(t(f"role.{x}", ctx.lang) for x in p.roles))
        if p.reports_to:
            extra.append(t("reply.people.reports_to", ctx.lang, name=p.reports_to))
        lines.append(f"• {p.name} (@{p.chat_user_id}) · " + " · ".join(extra))
    if page.left_out:
        more = f" page:{page.page + 1}" if page.page < page.pages else ""
        lines.append(t("reply.people.left_out", ctx.lang, n=page.left_out, command=f"/guatu people{_filters(r)}{more}"))
    return Reply(headline="\n".join(lines), lang=ctx.lang)


def _filters(r) -> str:
    return (f" dept:{r.dept}" if r.dept else "") + (f" {r.text}" if r.text else "")


@handles("people.rename")
def _people_rename(ctx: Ctx, r) -> Reply:
    person = people.rename(ctx.session, ctx.actor, ctx.ws, PersonRef.of(r.user), r.name, now=ctx.now)
    reply = _ok(ctx, "reply.people.renamed", who=person.chat_user_id, name=person.name)
    reply.touched_users.add(person.chat_user_id)
    return reply


@handles("people.leave")
def _people_leave(ctx: Ctx, r) -> Reply:
    d = people.leave(ctx.session, ctx.actor, ctx.ws, PersonRef.of(r.user), now=ctx.now)
    text = t("reply.people.left", ctx.lang, who=d.person.name)
    details = []
    if d.roles:
        details.append(t("reply.people.left_roles", ctx.lang, roles="、".join(t(f"role.{x}", ctx.lang) for x in d.roles)))
    if d.co_owned:
        details.append(t("reply.people.left_coowned", ctx.lang, ids="、".join(f"#{i}" for i in d.co_owned)))
    if d.leads_dropped:
        details.append(t("reply.people.left_leads", ctx.lang, forces="、".join(d.leads_dropped)))
    return Reply(headline="\n".join([text, *details]), lang=ctx.lang)


@handles("role.remove")
def _role_remove(ctx: Ctx, r) -> Reply:
    person, had = people.role_remove(ctx.session, ctx.actor, ctx.ws, PersonRef.of(r.user), r.role, now=ctx.now)
    key = "reply.role.removed" if had else "reply.role.not_held"
    return _ok(ctx, key, who=person.name, role=t(f"role.{r.role}", ctx.lang))


def notice_grid(notice: ParsedNotice, lang: str) -> str:
    """The months a notice touches, drawn as /guatu calendar show draws them (~ off, * make-up day)."""
    cal = calendar_from_notice(notice)
    months = sorted({(d.day.year, d.day.month) for d in notice.days})
    return "\n\n".join(render.calendar_month(cal.month_days(y, m, lang), y, m, lang) for y, m in months)


def notice_report(notice: ParsedNotice, lang: str) -> list[str]:
    off = sum(1 for d in notice.days if not d.working)
    lines = []
    if notice.days:
        lines += [notice_grid(notice, lang), t("notice.summary", lang, year=notice.year, off=off,
                                               work=len(notice.days) - off)]
    lines += ["⚠️ " + p.render(lang) for p in notice.problems]
    return lines


@handles("calendar.import")
def _calendar_import(ctx: Ctx, r) -> Reply:
    require_role(ctx.session, ctx.actor, "admin")
    notice = parse_notice(r.text)
    lines = notice_report(notice, ctx.lang)
    if not notice.ok:
        lines.append(t("notice.not_ok", ctx.lang, n=len(notice.problems) or 1))
        return Reply(headline="\n".join(lines), lang=ctx.lang, ok=False)
    if not r.confirm:
        lines.append(t("reply.calendar.confirm", ctx.lang))
        return Reply(headline="\n".join(lines), lang=ctx.lang)
    added, changed = apply_notice(ctx.session, ctx.actor, ctx.ws, notice, now=ctx.now)
    lines.append(t("notice.written", ctx.lang, added=added, changed=changed))
    return Reply(headline="\n".join(lines), lang=ctx.lang)


i18n.register(
    {
        "reply.people.none": {"zh": "没有找到符合条件的人员。", "en": "No one matches."},
        "reply.people.head": {"zh": "人员：共 {n} 人（第 {page}/{pages} 页）", "en": "People: {n} in all (page {page} of {pages})"},
        "reply.people.reports_to": {"zh": "向 {name} 汇报", "en": "reports to {name}"},
        "reply.people.left_out": {"zh": "另有 {n} 人未显示。下一页：{command}", "en": "{n} more not shown. Next: {command}"},
        "reply.people.renamed": {"zh": "已将 @{who} 的姓名改为「{name}」。", "en": "@{who} is now called “{name}”."},
        "reply.people.left": {"zh": "已将 {who} 标记为离职（记录保留，不再出现在人员列表和督办对象中）。",
                              "en": "{who} is marked as having left (their records stay; they drop out of lists and escalations)."},
        "reply.people.left_roles": {"zh": "已撤销角色：{roles}", "en": "Roles taken away: {roles}"},
        "reply.people.left_coowned": {"zh": "已不再协办：{ids}", "en": "No longer co-owner of: {ids}"},
        "reply.people.left_leads": {"zh": "已不再担任负责人的专班（仍有其他负责人）：{forces}",
                                    "en": "No longer a lead of (others still lead them): {forces}"},
        "reply.role.removed": {"zh": "已撤销 {who} 的「{role}」角色，其他角色不变。",
                               "en": "{who} no longer has the {role} role; their other roles stay."},
        "reply.role.not_held": {"zh": "{who} 本来就没有「{role}」角色，没有改动。",
                                "en": "{who} does not have the {role} role; nothing changed."},
        "reply.calendar.confirm": {
            "zh": "以上是从通知中读到的安排，尚未写入。核对无误后，在原命令的 import 后加「确认」再发一次：/guatu calendar import 确认 <通知全文>",
            "en": "This is what the notice says; nothing is written yet. If it is right, send the command again with "
                  "“confirm” after import: /guatu calendar import confirm <notice text>",
        },
    }
)
