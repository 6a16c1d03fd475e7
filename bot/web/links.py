"""``/force screen`` and ``/guatu screen``: hand out (or revoke) links to the live wall screen (大屏)."""

from __future__ import annotations

from bot.dates import format_date
from models import i18n, screen
from models.context import Ctx
from models.i18n import t


def screen_link(ctx: Ctx, r, base: str) -> str:
    """The reply: a new link (shown once; only its hash is kept), or how many links were revoked."""
    province = r.kind == "screen"
    force_name = None if province else r.force
    if r.revoke:
        n, force = screen.revoke(ctx, force_name, province=province)
        if province:
            return t("reply.screen.revoked_province", ctx.lang, n=n)
        return t("reply.screen.revoked", ctx.lang, n=n, name=force.name if force else "")
    raw, row = screen.issue(ctx, force_name, province=province)
    url = f"{base.rstrip('/')}/screen/{raw}"
    until = format_date(row.expires_at.astimezone(ctx.tz).date(), ctx.lang)
    if province:
        return t("reply.screen.province", ctx.lang, url=url, until=until)
    name = force_name or ""
    if row.force_id is not None:
        from models.tables import TaskForce

        f = ctx.session.get(TaskForce, row.force_id)
        name = f.name if f else name
    return t("reply.screen.force", ctx.lang, name=name, url=url, until=until)


i18n.register(
    {
        "reply.screen.force": {
            "zh": "📺 专班「{name}」的实时大屏：{url}\n只读，有效期至 {until}；请勿外传。撤销：/force screen revoke",
            "en": "📺 The live wall screen of “{name}”: {url}\nRead-only, valid until {until}; keep it private. "
                  "Revoke: /force screen revoke",
        },
        "reply.screen.province": {
            "zh": "📺 全部专班总览大屏：{url}\n只读，有效期至 {until}；请勿外传。撤销：/guatu screen revoke",
            "en": "📺 The wall screen of every task force: {url}\nRead-only, valid until {until}; keep it private. "
                  "Revoke: /guatu screen revoke",
        },
        "reply.screen.revoked": {
            "zh": "已撤销专班「{name}」的 {n} 个大屏链接，打开的大屏将立即熄灭。",
            "en": "Revoked {n} screen {n:link|links} of “{name}”; open screens go dark at once.",
        },
        "reply.screen.revoked_province": {
            "zh": "已撤销 {n} 个总览大屏链接，打开的大屏将立即熄灭。",
            "en": "Revoked {n} overview screen {n:link|links}; open screens go dark at once.",
        },
    }
)
