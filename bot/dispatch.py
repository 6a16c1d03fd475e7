"""One entry point for every surface: a command line (or a typed request) in, a reply out.

Parse → one unit of work calling one domain function → render. A domain error is shown as is
(in the caller's language) and rolls the whole unit back, so a refused command writes nothing;
anything else is logged with its stack and the caller gets an apology with a reference id.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from bot import commands as C
from bot.dates import format_date
from models import forces, homequeue, i18n, instruments, org, tasks
from models.context import Ctx
from models.db import session_scope
from models.errors import GuatuError
from models.i18n import Join, t
from models.org import PersonRef
from models.tasks import TaskView
from present import text as render

log = logging.getLogger("guatu.dispatch")


@dataclass(frozen=True)
class Caller:
    """Who is typing, where: a chat user in a workspace (team), maybe in a channel."""

    team_id: str
    user_id: str
    channel_id: str | None = None
    name: str | None = None
    locale: str | None = None
    tz: str | None = None


@dataclass(init=False)
class Reply:
    """What a surface shows, as structure: the reply's own words (``headline``), task cards, one-click
    actions, files, a last line. Each surface renders it (``text`` is the console's plain rendering)."""

    headline: str
    lang: str
    ok: bool
    cards: list[TaskView]
    form: C.OpenForm | None
    file: bytes | None
    filename: str | None
    # More files (a war map's pages), in order, after ``file``: (filename, content).
    files: list[tuple[str, bytes]]
    # A last line shown after the cards too (a list's "N more · page:n" hint).
    footer: str | None
    # Chat users whose home view shows something this reply changed.
    touched_users: set[str]
    # The catalogue key of a refusal, so a form can flag the field it is about.
    error_key: str | None
    # Extra one-click actions a surface may offer ({"action", "value", "label"}), e.g. moving a
    # deadline that falls on a day off to the working day before it; the text names the command too.
    actions: list[dict]
    # Text rendered elsewhere (``Reply(headline=…)``), shown as is instead of the structure's rendering.
    _text: str | None

    def __init__(self, text: str | None = None, lang: str = "zh", *, headline: str | None = None, ok: bool = True,
                 cards: list[TaskView] | None = None, form: C.OpenForm | None = None, file: bytes | None = None,
                 filename: str | None = None, files: list[tuple[str, bytes]] | None = None,
                 footer: str | None = None, touched_users: set[str] | None = None, error_key: str | None = None,
                 actions: list[dict] | None = None) -> None:
        self.lang, self.ok, self.cards = lang, ok, list(cards or [])
        self.form, self.file, self.filename, self.files = form, file, filename, list(files or [])
        self.footer, self.touched_users, self.error_key = footer, set(touched_users or ()), error_key
        self.actions = list(actions or [])
        self._text = text if headline is None else None
        self.headline = headline if headline is not None else render.headline_of(text or "", self.cards, lang)

    @property
    def text(self) -> str:
        """The reply as plain text (the console's; Slack's and DingTalk's fallback)."""
        if self._text is not None:
            return self._text
        return render.reply(self.headline, self.cards, self.footer, self.lang)

    @property
    def attachments(self) -> list[tuple[str, bytes]]:
        """Every file to send, in order: ``file`` first, then ``files``."""
        first = [(self.filename or "guatu.bin", self.file)] if self.file is not None else []
        return first + list(self.files)


class _Refused(Exception):
    """Carries a domain error out of the unit of work so it rolls back."""

    def __init__(self, error: GuatuError) -> None:
        self.error = error


Handler = Callable[[Ctx, object], Reply]
# Requests that change nothing: their replies do not refresh anyone's home view.
READ_ONLY = frozenset({
    "help", "whoami", "form.open", "task.list", "task.show", "task.history", "force.list", "force.map",
    "force.digest", "force.export", "force.notice.status", "meeting.agenda", "meeting.list", "dept.list",
    "role.show", "calendar.show", "rank", "outbox.show",
    "slack.home",  # building a home changes nothing (and must not queue the home it built: models.homequeue)
})

class Handlers:
    """A table of request kind → handler (and which kinds change nothing), filled by its ``handles``
    decorator; the composition root (``bot.bootstrap.handlers``) merges the tables and hands one to Service."""

    def __init__(self, *, read_only: frozenset[str] = frozenset()) -> None:
        self.table: dict[str, Handler] = {}
        self.read_only: frozenset[str] = read_only

    def handles(self, *kinds: str) -> Callable[[Handler], Handler]:
        def deco(fn: Handler) -> Handler:
            for k in kinds:
                if k in self.table:
                    raise ValueError(f"two handlers for {k!r}")
                self.table[k] = fn
            return fn

        return deco

    def get(self, kind: str) -> Handler | None:
        return self.table.get(kind)

    def __contains__(self, kind: object) -> bool:
        return kind in self.table

    def __iter__(self) -> Iterator[str]:
        return iter(self.table)

    @classmethod
    def merged(cls, *tables: Handlers) -> Handlers:
        """One table from several; a kind handled twice is a wiring mistake and raises."""
        out = cls(read_only=frozenset().union(*(tbl.read_only for tbl in tables)))
        for tbl in tables:
            for kind, fn in tbl.table.items():
                out.handles(kind)(fn)
        return out


# This module's handlers (the task, force, meeting, guatu commands); bot.dispatch_org has the organisation's.
HANDLERS = Handlers(read_only=READ_ONLY)
# The base of links a reply hands out (the wall screen's), set by the Service running the request.
PUBLIC_URL_DEFAULT = "http://127.0.0.1:3000"
PUBLIC_URL: ContextVar[str] = ContextVar("guatu_public_url", default=PUBLIC_URL_DEFAULT)


handles = HANDLERS.handles


class Service:
    """The composition root's view of the domain: surfaces call ``handle`` and nothing else."""

    def __init__(self, engine: Engine, *, tz: ZoneInfo, default_lang: str = "zh",
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC), public_url: str = "",
                 handlers: Handlers | None = None) -> None:
        if handlers is None:  # built outside bootstrap (tests, benchmarks): the same full table bootstrap wires
            from bot.bootstrap import handlers as all_handlers

            handlers = all_handlers()
        self.handlers = handlers
        self.public_url = public_url  # where links (the wall screen's) point; "" keeps PUBLIC_URL's default
        self.engine = engine
        self.tz = tz
        self.default_lang = default_lang
        self.clock = clock
        # Record the App Homes a change made stale (models.homequeue), in the change's own transaction, for a worker to
        # publish: set by the Slack surface (bot.slack.server.build), the only one with homes.
        self.queue_homes = False

    def handle(self, caller: Caller, command: str, text: str, *, now: datetime | None = None) -> Reply:
        """Runs one command line; never raises (errors become a reply)."""
        return self._run(caller, now, lambda ctx: C.parse(command, text, today=ctx.today, calendar=ctx.calendar))

    def run(self, caller: Caller, request: object, *, now: datetime | None = None, home_shown: bool = False) -> Reply:
        """Runs an already-built request (a button or a form). ``home_shown``: the caller acted in their App Home,
        and the surface publishes it with the answer on top; it is not queued again behind that."""
        return self._run(caller, now, lambda ctx: request, home_shown=home_shown)

    def _run(self, caller: Caller, now: datetime | None, make: Callable[[Ctx], object], *,
             home_shown: bool = False) -> Reply:
        now = now or self.clock()
        PUBLIC_URL.set(self.public_url or PUBLIC_URL_DEFAULT)
        lang = i18n.normalise_lang(caller.locale or self.default_lang)
        try:
            with session_scope(self.engine) as session:
                ws = org.get_or_create_workspace(session, caller.team_id)
                actor = org.ensure_person(session, ws, caller.user_id, now=now, name=caller.name,
                                          lang=None, tz=caller.tz)
                if actor.lang is None and caller.locale:
                    actor.lang = i18n.normalise_lang(caller.locale)
                ctx = Ctx(session, ws, actor, now, tz=self.tz, default_lang=self.default_lang,
                          channel_id=caller.channel_id)
                lang = ctx.lang
                try:
                    request = make(ctx)
                    handler = self.handlers.get(getattr(request, "kind", ""))
                    if handler is None:
                        raise GuatuError("error.not_available", what=getattr(request, "kind", "?"))
                    reply = handler(ctx, request)
                except GuatuError as exc:
                    raise _Refused(exc) from exc
                if getattr(request, "kind", "") not in self.handlers.read_only:
                    reply.touched_users.add(caller.user_id)
                if self.queue_homes and reply.ok and reply.touched_users and ws.platform == homequeue.PLATFORM:
                    homequeue.mark(session, ws.id, reply.touched_users - ({caller.user_id} if home_shown else set()),
                                   now=now)
                return reply
        except _Refused as refused:
            return Reply(headline="⚠️ " + refused.error.render(lang), lang=lang, ok=False, error_key=refused.error.key)
        except Exception:
            ref = uuid.uuid4().hex[:8]
            log.exception("command failed (ref %s) team=%s user=%s", ref, caller.team_id, caller.user_id)
            return Reply(headline=t("error.internal", lang, ref=ref), lang=lang, ok=False, error_key="error.internal")


# ---------------------------------------------------------------- helpers


def _ref(u: object | None) -> PersonRef | None:
    return PersonRef.of(u) if u is not None else None


def _ok(ctx: Ctx, key: str, /, **params: object) -> Reply:
    return Reply(headline=t(key, ctx.lang, **params), lang=ctx.lang)


def _card_reply(ctx: Ctx, key: str, task_id: int, /, **params: object) -> Reply:
    """A change's reply: what happened, the task's card; the owner's home shows it, so refresh it."""
    v = tasks.show(ctx, task_id)
    return Reply(headline=t(key, ctx.lang, id=task_id, **params), lang=ctx.lang, cards=[v],
                 touched_users={v.owner_chat_id})


def _d(ctx: Ctx, day) -> str:
    return format_date(day, ctx.lang)


# ---------------------------------------------------------------- /task


@handles("task.add")
def _task_add(ctx: Ctx, r) -> Reply:
    task = tasks.add_task(ctx, r.title, due=r.due, owner=_ref(r.owner), force_name=r.force, dept=r.dept,
                          priority=r.priority, parent_id=r.parent_id)
    return _with_day_off_hint(ctx, _card_reply(ctx, "reply.task.added", task.id, due=_d(ctx, r.due)), task.id, r.due)


def _with_day_off_hint(ctx: Ctx, reply: Reply, task_id: int, day, node_no: int | None = None,
                       fix: bool = True) -> Reply:
    """A date on a day off is accepted, with a warning naming the working day before it and, where
    the caller may correct it, the command (and a button) that moves it there."""
    if ctx.calendar.is_working_day(day):
        return reply
    before = ctx.calendar.previous_working_day(day)
    if before < ctx.today:
        return reply  # no working day left before it: nothing better to offer
    node = f" node:{node_no}" if node_no is not None else ""
    command = f"/task edit {task_id}{node} due:{before.isoformat()}"
    hint = t("reply.day_off", ctx.lang, date=_d(ctx, day), before=_d(ctx, before))
    if fix:
        hint += t("reply.day_off_fix", ctx.lang, command=command)
        reply.actions.append({"action": "task.edit_due", "value": f"{task_id}:{before.isoformat()}:{node_no or 0}",
                              "label": t("reply.day_off_button", ctx.lang, date=_d(ctx, before))})
    reply.headline = f"{reply.headline}\n{hint}" if reply.headline else hint
    return reply


@handles("task.edit")
def _task_edit(ctx: Ctx, r) -> Reply:
    tasks.edit(ctx, r.task_id, title=r.title, due=r.due, dept=r.dept, priority=r.priority, node_no=r.node_no,
               description=r.description)
    reply = _card_reply(ctx, "reply.task.edited", r.task_id)
    return _with_day_off_hint(ctx, reply, r.task_id, r.due, r.node_no) if r.due else reply


def _list_command(r, page: int) -> str:
    """The command that shows ``page`` of the same list, as a hint to type."""
    words = ["/task list"]
    if r.scope == "force":
        words.append(f"force:{_quoted(r.force or '')}")
    elif r.scope == "user" and r.user is not None:
        words.append(i18n.mention(r.user.user_id) if r.user.user_id else f"@{_quoted(r.user.name or '')}")
    elif r.scope in ("overdue", "all"):
        words.append(r.scope)
    if getattr(r, "light", None):
        words.append(f"light:{r.light}")
    if page > 1:
        words.append(f"page:{page}")
    return " ".join(words)


def _quoted(name: str) -> str:
    return f"“{name}”" if any(c.isspace() for c in name) else name


@handles("task.list")
def _task_list(ctx: Ctx, r) -> Reply:
    from models import lists

    page = lists.task_page(ctx, r.scope, user=_ref(r.user), force_name=r.force, page=r.page, light=r.light)
    title = t(f"reply.task.list.{r.scope}", ctx.lang, force=r.force or "", user=getattr(r.user, "name", None) or getattr(r.user, "user_id", "") or "")
    if r.light:
        title += " · " + t(f"light.{r.light}", ctx.lang)
    command = lambda n: _list_command(r, n)  # noqa: E731
    head = [render.page_head(page, ctx.lang, title)] + ([t("render.no_tasks", ctx.lang)] if not page.total else [])
    hint = render.page_hint(page, ctx.lang, command)
    if not page.items:  # nothing listed (a page past the end): the hint is part of the words
        return Reply(headline="\n".join(head + ([hint] if hint else [])), lang=ctx.lang)
    return Reply(headline="\n".join(head), lang=ctx.lang, cards=list(page.items), footer=hint)


@handles("task.show")
def _task_show(ctx: Ctx, r) -> Reply:
    v = tasks.show(ctx, r.task_id)
    return Reply(headline="", lang=ctx.lang, cards=[v])


@handles("task.history")
def _task_history(ctx: Ctx, r) -> Reply:
    lines = tasks.history(ctx, r.task_id)
    return Reply(headline=t("reply.task.history", ctx.lang, id=r.task_id) + "\n" + render.history(lines, ctx.lang, ctx.tz),
                 lang=ctx.lang)


@handles("task.progress")
def _task_progress(ctx: Ctx, r) -> Reply:
    tasks.progress(ctx, r.task_id, r.percent, r.note or "")
    return _card_reply(ctx, "reply.task.progress", r.task_id, percent=r.percent)


@handles("task.done")
def _task_done(ctx: Ctx, r) -> Reply:
    task = tasks.request_done(ctx, r.task_id, r.note or "")
    key = "reply.task.verified" if task.status == "done" else "reply.task.done_requested"
    return _card_reply(ctx, key, r.task_id)


@handles("task.verify")
def _task_verify(ctx: Ctx, r) -> Reply:
    tasks.verify(ctx, r.task_id, confirm=r.confirm)
    return _card_reply(ctx, "reply.task.verified", r.task_id)


@handles("task.reopen")
def _task_reopen(ctx: Ctx, r) -> Reply:
    tasks.reopen(ctx, r.task_id, r.reason)
    return _card_reply(ctx, "reply.task.reopened", r.task_id)


@handles("task.block")
def _task_block(ctx: Ctx, r) -> Reply:
    tasks.block(ctx, r.task_id, r.reason)
    return _card_reply(ctx, "reply.task.blocked", r.task_id)


@handles("task.unblock")
def _task_unblock(ctx: Ctx, r) -> Reply:
    tasks.unblock(ctx, r.task_id, r.note or "")
    return _card_reply(ctx, "reply.task.unblocked", r.task_id)


@handles("task.extend")
def _task_extend(ctx: Ctx, r) -> Reply:
    req = tasks.request_extension(ctx, r.task_id, r.new_due, r.reason)
    key = "reply.task.extended" if req.status == "approved" else "reply.task.extension_requested"
    # A pending request cannot be corrected in place: the warning only names the working day.
    return _with_day_off_hint(ctx, _card_reply(ctx, key, r.task_id, date=_d(ctx, r.new_due)), r.task_id, r.new_due,
                              fix=req.status == "approved")


@handles("task.approve")
def _task_approve(ctx: Ctx, r) -> Reply:
    req = tasks.decide_extension(ctx, r.task_id, approve=True)
    return _card_reply(ctx, "reply.task.approved", r.task_id, date=_d(ctx, req.new_due))


@handles("task.reject")
def _task_reject(ctx: Ctx, r) -> Reply:
    tasks.decide_extension(ctx, r.task_id, approve=False, reason=r.reason)
    return _card_reply(ctx, "reply.task.rejected", r.task_id)


@handles("task.assign")
def _task_assign(ctx: Ctx, r) -> Reply:
    task = tasks.assign(ctx, r.task_id, PersonRef.of(r.owner))
    reply = _card_reply(ctx, "reply.task.assigned", task.id)
    return reply


@handles("task.coowners")
def _task_coowners(ctx: Ctx, r) -> Reply:
    people = tasks.set_co_owners(ctx, r.task_id, [PersonRef.of(u) for u in r.users], remove=r.remove)
    reply = _card_reply(ctx, "reply.task.co_removed" if r.remove else "reply.task.co_added", r.task_id,
                        who="、".join(p.name for p in people), n=len(people))
    reply.touched_users |= {p.chat_user_id for p in people}
    return reply


@handles("task.node.add")
def _task_node_add(ctx: Ctx, r) -> Reply:
    node = tasks.add_node(ctx, r.task_id, r.due, r.name)
    reply = _card_reply(ctx, "reply.task.node_added", r.task_id, no=node.no, date=_d(ctx, r.due))
    return _with_day_off_hint(ctx, reply, r.task_id, r.due, node.no)


@handles("task.node.done")
def _task_node_done(ctx: Ctx, r) -> Reply:
    tasks.complete_node(ctx, r.task_id, r.node_no)
    return _card_reply(ctx, "reply.task.node_done", r.task_id, no=r.node_no)


@handles("task.ack")
def _task_ack(ctx: Ctx, r) -> Reply:
    done = tasks.acknowledge(ctx, r.task_id)
    acked = done.escalation
    if done.received or acked is None:  # acknowledge returns a receipt or a paused escalation
        return _card_reply(ctx, "reply.task.received", r.task_id)
    refs = Join(acked.refs) if acked.refs else "—"
    if acked.already:
        return _card_reply(ctx, "reply.task.acked_already", r.task_id, refs=refs)
    if acked.resume is None:
        return _card_reply(ctx, "reply.task.acked_top", r.task_id, refs=refs)
    return _card_reply(ctx, "reply.task.acked", r.task_id, refs=refs,
                       until=_d(ctx, acked.resume.astimezone(ctx.tz).date()))


@handles("task.cancel")
def _task_cancel(ctx: Ctx, r) -> Reply:
    tasks.cancel(ctx, r.task_id, r.reason)
    return _ok(ctx, "reply.task.cancelled", id=r.task_id)


@handles("form.open")
def _form(ctx: Ctx, r) -> Reply:
    """A surface without forms (the console) shows how to type it instead."""
    usage_key = {"task_add": "usage.task.add", "task_progress": "usage.task.progress",
                 "task_block": "usage.task.block", "task_extend": "usage.task.extend"}.get(r.form, "")
    return Reply(headline=t("reply.form", ctx.lang, usage=t(usage_key, ctx.lang)), lang=ctx.lang, form=r)


# ---------------------------------------------------------------- /force


@handles("force.new")
def _force_new(ctx: Ctx, r) -> Reply:
    f = forces.force_new(ctx, r.name, lead=_ref(r.lead))
    return _ok(ctx, "reply.force.created", name=f.name, channel=i18n.channel(f.channel_id) if f.channel_id else "—")


@handles("force.add")
def _force_add(ctx: Ctx, r) -> Reply:
    f, people = forces.force_add(ctx, [PersonRef.of(u) for u in r.users], dept=r.dept, force_name=r.force)
    return _ok(ctx, "reply.force.added", name=f.name, who="、".join(p.name for p in people))


@handles("force.remove")
def _force_remove(ctx: Ctx, r) -> Reply:
    f, people = forces.force_remove(ctx, [PersonRef.of(u) for u in r.users], force_name=r.force, confirm=r.confirm)
    return _ok(ctx, "reply.force.removed", name=f.name, who="、".join(p.name for p in people))


@handles("force.list")
def _force_list(ctx: Ctx, r) -> Reply:
    page = forces.force_list(ctx, page=r.page)
    return Reply(headline=render.force_list(page, ctx.lang, lambda n: "/force list" + (f" page:{n}" if n > 1 else "")),
                 lang=ctx.lang)


@handles("force.close")
def _force_close(ctx: Ctx, r) -> Reply:
    f = forces.force_close(ctx, r.force, confirm=r.confirm)
    return _ok(ctx, "reply.force.closed", name=f.name)


@handles("force.export")
def _force_export(ctx: Ctx, r) -> Reply:
    from bot.exchange import tasks_xlsx

    f, views = instruments.export(ctx, r.force)
    name = f"{f.name}-{ctx.today.isoformat()}.xlsx"
    return Reply(headline=t("reply.force.exported", ctx.lang, n=len(views), name=name), lang=ctx.lang,
                 file=tasks_xlsx(views, ctx.lang, f.name), filename=name)


def _map_files(ctx: Ctx, f, views: list[TaskView], prefix: str) -> tuple[list, list[tuple[str, bytes]]]:
    """The war map's pages and their files (``prefix-<force>-<day>[-p<n>].png``), every task on one page."""
    from present import warmap_png

    pages = warmap_png.render_pages(views, title=t("reply.force.map_title", ctx.lang, name=f.name, day=_d(ctx, ctx.today)),
                                today=ctx.today, lang=ctx.lang)
    stem = f"{prefix}-{f.id}-{ctx.today.isoformat()}"
    return pages, [(f"{stem}.png" if len(pages) == 1 else f"{stem}-p{p.no}.png", p.png) for p in pages]


@handles("force.map")
def _force_map(ctx: Ctx, r) -> Reply:
    f, views = instruments.war_map(ctx, r.force, dept=r.dept, owner=_ref(r.owner), light=r.light)
    pages, files = _map_files(ctx, f, views, "warmap")
    filters = [x for x in (r.dept and f"dept:{r.dept}", r.owner and f"owner:@{r.owner.name or r.owner.user_id}",
                           r.light and f"light:{r.light}") if x]
    text = render.war_map(views, pages, ctx.lang, t("reply.force.map", ctx.lang, name=f.name), filters)
    return Reply(headline=text, lang=ctx.lang, files=files)


@handles("force.digest")
def _force_digest(ctx: Ctx, r) -> Reply:
    from present import digest as digest_text

    d = instruments.force_digest(ctx, r.force)
    _pages, files = _map_files(ctx, d.force, d.live, "digest")
    return Reply(headline=digest_text.render(d.digest, ctx.lang, ctx.tz), lang=ctx.lang, files=files)


@handles("force.notice")
def _force_notice(ctx: Ctx, r) -> Reply:
    from models import notices

    n = notices.send_notice(ctx, r.text, r.force)
    return _ok(ctx, "reply.notice.sent", id=n.id)


@handles("force.notice.ack")
def _force_notice_ack(ctx: Ctx, r) -> Reply:
    from models import notices

    notices.confirm_notice(ctx, r.notice_id)
    return _ok(ctx, "reply.notice.confirmed", id=r.notice_id)


@handles("force.notice.status")
def _force_notice_status(ctx: Ctx, r) -> Reply:
    from models import notices

    st = notices.notice_status(ctx, r.notice_id)
    return Reply(headline=render.notice_status(st, ctx.lang, ctx.tz), lang=ctx.lang)


@handles("force.policy")
def _force_policy(ctx: Ctx, r) -> Reply:
    f, p = forces.force_policy(ctx, dict(r.changes), force_name=r.force)
    head = t("reply.force.policy_set", ctx.lang) + "\n" if r.changes else ""
    return Reply(headline=head + render.policy(p, f.name, ctx.lang), lang=ctx.lang)


# ---------------------------------------------------------------- /meeting


@handles("meeting.new")
def _meeting_new(ctx: Ctx, r) -> Reply:
    from models import meetings
    from present import ics

    m = meetings.new_meeting(ctx, r.meeting_kind, r.date, title=r.title, at=r.time, chair=_ref(r.chair), length=r.minutes)
    return Reply(headline=t("reply.meeting.created", ctx.lang, id=m.id, title=m.title, day=_d(ctx, m.day),
                        at=m.at_time.strftime("%H:%M") if m.at_time else "—", cutoff=_d(ctx, m.cutoff)),
                 lang=ctx.lang, file=ics.render(meetings.invitation(ctx, m), ctx.lang), filename=f"meeting-{m.id}.ics")


@handles("meeting.series")
def _meeting_series(ctx: Ctx, r) -> Reply:
    from models import meetings
    from present import agenda

    _series, added = meetings.new_series(ctx, r.meeting_kind, r.every_months, r.start)
    return Reply(headline=t("reply.meeting.series", ctx.lang, every=r.every_months, start=_d(ctx, r.start))
                 + "\n" + agenda.meeting_list(meetings.summaries(ctx, added), ctx.lang), lang=ctx.lang)


@handles("meeting.propose")
def _meeting_propose(ctx: Ctx, r) -> Reply:
    from models import meetings

    item = meetings.propose(ctx, r.meeting_id, r.topic, presenter=_ref(r.presenter), length=r.minutes)
    key = "reply.meeting.proposed_late" if item.late else "reply.meeting.proposed"
    return _ok(ctx, key, id=r.meeting_id, topic=item.topic, mins=item.length_min)


@handles("meeting.agenda")
def _meeting_agenda(ctx: Ctx, r) -> Reply:
    from models import meetings
    from present import agenda

    return Reply(headline=agenda.render(meetings.build_agenda(ctx, r.meeting_id), ctx.lang), lang=ctx.lang)


@handles("meeting.decide")
def _meeting_decide(ctx: Ctx, r) -> Reply:
    from models import meetings

    _decision, task = meetings.decide(ctx, r.meeting_id, r.text, PersonRef.of(r.owner), r.due)
    return _card_reply(ctx, "reply.meeting.decided", task.id, meeting=r.meeting_id, due=_d(ctx, r.due))


@handles("meeting.minutes")
def _meeting_minutes(ctx: Ctx, r) -> Reply:
    from models import meetings
    from present import minutes

    if r.text:
        meetings.set_minutes(ctx, r.meeting_id, r.text)
    md = minutes.markdown(meetings.minutes(ctx, r.meeting_id), ctx.lang)
    return Reply(headline=md, lang=ctx.lang, file=md.encode("utf-8"), filename=f"minutes-{r.meeting_id}.md")


@handles("meeting.list")
def _meeting_list(ctx: Ctx, r) -> Reply:
    from models import meetings
    from present import agenda

    return Reply(headline=agenda.meeting_list(meetings.summaries(ctx, meetings.upcoming(ctx)), ctx.lang), lang=ctx.lang)


# ---------------------------------------------------------------- /guatu


@handles("help")
def _help(ctx: Ctx, r) -> Reply:
    return Reply(headline=C.help_text(ctx.lang, getattr(r, "command", None)), lang=ctx.lang)


@handles("whoami")
def _whoami(ctx: Ctx, r) -> Reply:
    roles = sorted(org.roles_of(ctx.session, ctx.actor), key=org.ROLES.index)
    dept = ctx.session.get(org.Department, ctx.actor.department_id) if ctx.actor.department_id else None
    chain = org.leader_chain(ctx.session, ctx.actor)
    return _ok(ctx, "reply.whoami", name=ctx.actor.name, id=ctx.actor.chat_user_id,
               roles="、".join(t(f"role.{x}", ctx.lang) for x in roles), dept=dept.name if dept else "—",
               chain=" → ".join(p.name for p in chain) or "—", lang=ctx.lang)


@handles("rank")
def _rank(ctx: Ctx, r) -> Reply:
    from models import rank
    from present import rank as rank_text

    return Reply(headline=rank_text.render(rank.ranking(ctx, r.scope), r.scope, ctx.lang), lang=ctx.lang)


@handles("force.screen", "screen")
def _screen(ctx: Ctx, r) -> Reply:
    from bot.web.links import screen_link

    return Reply(headline=screen_link(ctx, r, PUBLIC_URL.get()), lang=ctx.lang)


@handles("outbox.show")
def _outbox_show(ctx: Ctx, r) -> Reply:
    from models import outbox

    counts = outbox.queue_counts(ctx)
    lines = outbox.list_messages(ctx, "failed" if r.status == "failed" else "all")
    return Reply(headline=render.outbox(counts, lines, ctx.lang, ctx.tz), lang=ctx.lang)


@handles("outbox.retry")
def _outbox_retry(ctx: Ctx, r) -> Reply:
    from models import outbox

    line = outbox.retry_message(ctx, r.outbox_id)
    return _ok(ctx, "reply.outbox.retried", id=line.id, to=line.person_name or line.recipient)


@handles("lang")
def _lang(ctx: Ctx, r) -> Reply:
    org.set_lang(ctx.session, ctx.actor, r.lang, now=ctx.now)
    return _ok(ctx, "reply.lang")


@handles("dept.add")
def _dept_add(ctx: Ctx, r) -> Reply:
    d = org.dept_add(ctx.session, ctx.actor, ctx.ws, r.name, now=ctx.now, parent=r.parent, head=_ref(r.head))
    return _ok(ctx, "reply.dept.added", name=d.name, parent=r.parent or "—")


@handles("dept.set")
def _dept_set(ctx: Ctx, r) -> Reply:
    p, d = org.dept_set_person(ctx.session, ctx.actor, ctx.ws, PersonRef.of(r.user), r.dept, now=ctx.now)
    return _ok(ctx, "reply.dept.set", who=p.name, name=d.name)


@handles("dept.list")
def _dept_list(ctx: Ctx, r) -> Reply:
    return Reply(headline=render.dept_tree(org.dept_tree(ctx.session, ctx.ws), ctx.lang), lang=ctx.lang)


@handles("role.set")
def _role_set(ctx: Ctx, r) -> Reply:
    if r.role == "member":  # everyone is a member: naming it takes nothing away (-<role> does)
        org.require_role(ctx.session, ctx.actor, "admin")
        raise GuatuError("role.member_base")
    p = org.role_set(ctx.session, ctx.actor, ctx.ws, PersonRef.of(r.user), r.role, now=ctx.now)
    return _ok(ctx, "reply.role.set", who=p.name, role=t(f"role.{r.role}", ctx.lang))


@handles("role.show")
def _role_show(ctx: Ctx, r) -> Reply:
    p = org.find_person(ctx.session, ctx.ws, PersonRef.of(r.user), now=ctx.now, create=False)
    roles = sorted(org.roles_of(ctx.session, p), key=org.ROLES.index)
    return _ok(ctx, "reply.role.show", who=p.name, roles="、".join(t(f"role.{x}", ctx.lang) for x in roles))


@handles("role.reports_to")
def _reports_to(ctx: Ctx, r) -> Reply:
    p, boss = org.set_reports_to(ctx.session, ctx.actor, ctx.ws, PersonRef.of(r.user), PersonRef.of(r.leader), now=ctx.now)
    return _ok(ctx, "reply.role.reports_to", who=p.name, leader=boss.name)


@handles("calendar.set")
def _calendar_set(ctx: Ctx, r) -> Reply:
    org.calendar_set(ctx.session, ctx.actor, ctx.ws, r.day, r.working, r.reason or "", now=ctx.now)
    return _ok(ctx, "reply.calendar.set", day=_d(ctx, r.day),
               kind=t("render.cal_work" if r.working else "render.cal_off", ctx.lang))


@handles("calendar.show")
def _calendar_show(ctx: Ctx, r) -> Reply:
    year, month = r.year, r.month
    cal = org.calendar_for(ctx.session, ctx.ws.id)
    text = render.calendar_month(cal.month_days(year, month, ctx.lang), year, month, ctx.lang)
    return Reply(headline=_calendar_reminder(ctx) + text, lang=ctx.lang)


def _calendar_reminder(ctx: Ctx) -> str:
    """From 1 November, admins are told when next year's official schedule is not in yet."""
    from models.holiday_notice import next_year_missing

    year = next_year_missing(ctx.session, ctx.ws.id, ctx.today)
    if year is None or not org.has_role(ctx.session, ctx.actor, "admin"):
        return ""
    return t("notice.reminder", ctx.lang, year=year) + "\n"


i18n.register(
    {
        "error.not_available": {"zh": "这个功能（{what}）还没有开放。", "en": "This ({what}) is not available yet."},
        "reply.task.added": {"zh": "已新建任务 #{id}，截止 {due}。", "en": "Created task #{id}, due {due}."},
        "reply.task.edited": {"zh": "已修改任务 #{id}。", "en": "Task #{id} was corrected."},
        "reply.day_off": {
            "zh": "⚠️ {date}不是工作日，前一个工作日是 {before}。",
            "en": "⚠️ {date} is not a working day; the working day before it is {before}.",
        },
        "reply.day_off_fix": {"zh": "改到那天：{command}", "en": " To use it: {command}"},
        "reply.day_off_button": {"zh": "改为 {date}", "en": "Use {date}"},
        "reply.task.list.mine": {"zh": "我的任务", "en": "My tasks"},
        "reply.task.list.overdue": {"zh": "逾期任务", "en": "Overdue tasks"},
        "reply.task.list.user": {"zh": "{user} 的任务", "en": "Tasks of {user}"},
        "reply.task.list.force": {"zh": "专班「{force}」的任务", "en": "Tasks of “{force}”"},
        "reply.task.list.all": {"zh": "全部任务", "en": "All tasks"},
        "reply.task.history": {"zh": "任务 #{id} 的变更记录：", "en": "History of task #{id}:"},
        "reply.task.progress": {"zh": "已更新任务 #{id} 进度为 {percent}%。", "en": "Task #{id} progress set to {percent}%."},
        "reply.task.done_requested": {"zh": "已报告任务 #{id} 完成，等待负责人销号。", "en": "Reported task #{id} done; a lead will verify it."},
        "reply.task.verified": {"zh": "任务 #{id} 已销号。", "en": "Task #{id} is verified done."},
        "reply.task.reopened": {"zh": "已退回任务 #{id}。", "en": "Task #{id} was sent back."},
        "reply.task.blocked": {"zh": "已标记任务 #{id} 受阻，负责人已收到通知。", "en": "Task #{id} marked blocked; the leads were told."},
        "reply.task.unblocked": {"zh": "任务 #{id} 已解除受阻。", "en": "Task #{id} is no longer blocked."},
        "reply.task.extension_requested": {"zh": "已申请将任务 #{id} 延期至 {date}，等待负责人审批。", "en": "Asked to move task #{id} to {date}; awaiting a lead's decision."},
        "reply.task.extended": {"zh": "任务 #{id} 已延期至 {date}。", "en": "Task #{id} now due {date}."},
        "reply.task.approved": {"zh": "已批准任务 #{id} 延期至 {date}（原定截止日期保留为基线）。", "en": "Approved: task #{id} now due {date} (the baseline is kept)."},
        "reply.task.rejected": {"zh": "已驳回任务 #{id} 的延期申请。", "en": "Rejected the extension of task #{id}."},
        "reply.task.assigned": {"zh": "已将任务 #{id} 指派给新的责任人。", "en": "Task #{id} has a new owner."},
        "reply.task.co_added": {"zh": "已请 {who} 协办任务 #{id}。", "en": "{who} now {n:co-owns|co-own} task #{id}."},
        "reply.task.co_removed": {"zh": "{who} 不再协办任务 #{id}。", "en": "{who} no longer {n:co-owns|co-own} task #{id}."},
        "reply.task.node_added": {"zh": "已为任务 #{id} 添加节点 {no}，日期 {date}。", "en": "Added node {no} to task #{id}, on {date}."},
        "reply.task.node_done": {"zh": "任务 #{id} 的节点 {no} 已完成。", "en": "Node {no} of task #{id} is done."},
        "reply.task.acked": {
            "zh": "已签收任务 #{id} 的督办（{refs}）：督办暂停至 {until}，届时仍逾期将继续升级。",
            "en": "Acknowledged task #{id}'s escalation ({refs}): it pauses until {until} and climbs on then if "
                  "still overdue.",
        },
        "reply.task.acked_top": {
            "zh": "已签收任务 #{id} 的督办（{refs}）：督办已至最高一级，请尽快推动解决。",
            "en": "Acknowledged task #{id}'s escalation ({refs}): it is at its top level; please get it resolved.",
        },
        "reply.task.acked_already": {
            "zh": "任务 #{id} 的督办（{refs}）已签收，正在暂停中；无需重复签收。",
            "en": "Task #{id}'s escalation ({refs}) is acknowledged and paused already.",
        },
        "reply.task.received": {"zh": "已确认接收任务 #{id}。", "en": "You confirmed receiving task #{id}."},
        "reply.task.cancelled": {"zh": "任务 #{id} 已撤销。", "en": "Task #{id} is cancelled."},
        "reply.form": {"zh": "请这样输入：\n{usage}", "en": "Type it like this:\n{usage}"},
        "reply.force.created": {"zh": "已成立专班「{name}」，绑定频道 {channel}。用 /force add @成员 加人。", "en": "Task force “{name}” created, bound to {channel}. Add people with /force add @member."},
        "reply.force.added": {"zh": "已将 {who} 加入专班「{name}」。", "en": "Added {who} to “{name}”."},
        "reply.force.removed": {"zh": "已将 {who} 移出专班「{name}」。", "en": "Removed {who} from “{name}”."},
        "reply.force.closed": {"zh": "专班「{name}」已结束。", "en": "Task force “{name}” is closed."},
        "reply.force.exported": {"zh": "已导出 {n} 个任务：{name}", "en": "Exported {n} {n:task|tasks}: {name}"},
        "reply.force.map": {"zh": "专班「{name}」挂图", "en": "War map of “{name}”"},
        "reply.force.map_title": {"zh": "{name} · 挂图作战 · {day}", "en": "{name} · war map · {day}"},
        "reply.meeting.created": {
            "zh": "已安排会议 #{id}「{title}」：{day} {at}，议题申报截止 {cutoff}。已附日历文件。",
            "en": "Scheduled meeting #{id} “{title}”: {day} {at}; topics due by {cutoff}. Calendar file attached.",
        },
        "reply.meeting.series": {"zh": "已设置周期会议：每 {every} 个月，自 {start} 起。已安排：", "en": "Series set: every {every} {every:month|months} from {start}. Scheduled:"},
        "reply.meeting.proposed": {"zh": "已向会议 #{id} 申报议题「{topic}」（{mins} 分钟）。", "en": "Proposed “{topic}” ({mins} min) for meeting #{id}."},
        "reply.meeting.proposed_late": {
            "zh": "已向会议 #{id} 申报议题「{topic}」（{mins} 分钟）。已过申报截止日，议题标为逾期申报，由会务决定是否列入。",
            "en": "Proposed “{topic}” ({mins} min) for meeting #{id}. The cut-off has passed, so it is marked late; the secretary decides.",
        },
        "reply.meeting.decided": {"zh": "已记录会议 #{meeting} 的议定事项，转为任务 #{id}，截止 {due}。", "en": "Recorded a decision of meeting #{meeting} as task #{id}, due {due}."},
        "reply.notice.sent": {
            "zh": "通知 #{id} 已发给专班全体成员，每人需点「收到」确认。查看回执：/force 通知 回执 {id}",
            "en": "Notice #{id} went to every member, each asked to confirm. See who did: /force notice status {id}",
        },
        "reply.notice.confirmed": {"zh": "已确认收到通知 #{id}。", "en": "Confirmed notice #{id}."},
        "reply.outbox.retried": {"zh": "消息 {id}（发给 {to}）已重新排队发送。", "en": "Message {id} (to {to}) is queued again."},
        "reply.force.policy_set": {"zh": "规则已更新。", "en": "Policy updated."},
        "reply.whoami": {
            "zh": "{name}（{id}）\n角色：{roles}\n部门：{dept}\n汇报链：{chain}\n语言：{lang}",
            "en": "{name} ({id})\nRoles: {roles}\nDepartment: {dept}\nReports to: {chain}\nLanguage: {lang}",
        },
        "reply.lang": {"zh": "好的，以后用中文回复你。", "en": "OK, I will answer you in English."},
        "reply.dept.added": {"zh": "已新建部门「{name}」（上级：{parent}）。", "en": "Added department “{name}” (parent: {parent})."},
        "reply.dept.set": {"zh": "已将 {who} 的部门设为「{name}」。", "en": "{who} is now in “{name}”."},
        "reply.role.set": {"zh": "已将 {who} 的角色设为「{role}」。", "en": "{who} now has the {role} role."},
        "reply.role.show": {"zh": "{who} 的角色：{roles}", "en": "Roles of {who}: {roles}"},
        "reply.role.reports_to": {"zh": "{who} 现在向 {leader} 汇报。", "en": "{who} now reports to {leader}."},
        "reply.calendar.set": {"zh": "已将 {day} 设为{kind}。", "en": "{day} is now a {kind}."},
    }
)
