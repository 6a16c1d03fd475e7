"""周报: the weekly digest (``models.digest.Digest``) as a message — counts first, then each non-empty
section (its first lines and, when there are more, how many and the command that lists them)."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from models import i18n
from models import tasks as _tasks  # noqa: F401  registers the status.* words used below
from models.digest import MAX_LINES, Digest, DigestItem, Section
from models.i18n import Day, t
from models.lights import EMOJI


def _section(title_key: str, section: Section, lang: str, line: Callable[[DigestItem], str], command: str) -> list[str]:
    """A section's first MAX_LINES items; when there are more, how many and the command that lists them."""
    if not section.total:
        return []
    out = [t(title_key, lang, n=section.total)]
    out += [line(v) for v in section.items[:MAX_LINES]]
    if section.more > 0:
        out.append(t("digest.more", lang, n=section.more, command=command))
    return out


def list_command(force: str, light: str | None = None) -> str:
    """The command that lists a section in full. /task list shows a force red first, 40 a page: the rows
    after the first MAX_LINES are on its first page."""
    name = f"“{force}”" if any(c.isspace() for c in force) else force
    return f"/task list force:{name}" + (f" light:{light}" if light else "")


def render(d: Digest, lang: str, tz: ZoneInfo) -> str:
    """The digest as a message: counts first, then each non-empty section, then standings."""
    def basic(v: DigestItem) -> str:
        return f"  {EMOJI[v.light.color]} #{v.id} {v.title} · {v.owner_name} · {Day(v.due).render(lang)}"

    def why(v: DigestItem) -> str:
        return basic(v) + f" · {v.light.explain(lang)}"

    def approval(v: DigestItem) -> str:
        ext = v.extension_to
        return basic(v) + " · " + (t("digest.ext", lang, date=Day(ext).render(lang)) if ext
                                   else t("status.done_requested", lang))

    lines = [t("digest.title", lang, force=d.force, since=Day(d.since.astimezone(tz).date()).render(lang),
               until=Day(d.until.astimezone(tz).date()).render(lang)),
             "  ".join(f"{EMOJI[c]} {t('light.' + c, lang)} {n}" for c, n in d.counts.items())]
    if d.calendar_missing:
        lines.append(t("digest.calendar_missing", lang, year=d.calendar_missing))
    every = list_command(d.force)
    lines += _section("digest.red", d.red, lang, why, list_command(d.force, "red"))
    lines += _section("digest.blocked", d.blocked, lang, lambda v: basic(v) + f" · ⛔ {v.blocked_reason}", every)
    lines += _section("digest.approvals", d.approvals, lang, approval, every)
    lines += _section("digest.yellow", d.yellow, lang, why, list_command(d.force, "yellow"))
    lines += _section("digest.silent", d.silent, lang, basic, every)
    export = f"/force export {d.force}"  # done tasks are in no list; the export has every task of the force
    lines += _section("digest.done", d.done, lang, basic, export)
    lines += _section("digest.new", d.new, lang, basic, export)
    if d.standings:
        lines.append(t("digest.standings", lang))
        lines += [f"  {r.rank}. {r.name} · {r.score} · " + t("digest.standing", lang, live=r.live, overdue=r.overdue, done=r.done)
                  for r in d.standings[:MAX_LINES]]
    if len(lines) == 2:
        lines.append(t("digest.quiet", lang))
    return "\n".join(lines)


i18n.register(
    {
        "digest.calendar_missing": {
            "zh": "📅 {year} 年的节假日安排还没有录入日历，工作日按推测计算；请管理员在国务院通知发布后用 /guatu calendar import 导入。",
            "en": "📅 {year}'s official holidays are not in the calendar yet (working days are guessed); an admin imports "
                  "the State Council's notice with /guatu calendar import once it is out.",
        },
        "digest.title": {"zh": "📊 专班「{force}」周报（{since} — {until}）", "en": "📊 Weekly digest of “{force}” ({since} — {until})"},
        "digest.red": {"zh": "🔴 红灯 {n} 项：", "en": "🔴 Red ({n}):"},
        "digest.yellow": {"zh": "🟡 黄灯 {n} 项：", "en": "🟡 Yellow ({n}):"},
        "digest.silent": {"zh": "🤐 沉默（长时间无更新）{n} 项：", "en": "🤐 Silent ({n}):"},
        "digest.blocked": {"zh": "⛔ 受阻 {n} 项：", "en": "⛔ Blocked ({n}):"},
        "digest.approvals": {"zh": "📝 待你审批 {n} 项：", "en": "📝 Awaiting your decision ({n}):"},
        "digest.ext": {"zh": "申请延期至 {date}", "en": "extension to {date} requested"},
        "digest.done": {"zh": "✅ 本周销号 {n} 项：", "en": "✅ Done this week ({n}):"},
        "digest.new": {"zh": "🆕 本周新增 {n} 项：", "en": "🆕 New this week ({n}):"},
        "digest.more": {"zh": "  ……另有 {n} 项 · {command}", "en": "  … {n} more · {command}"},
        "digest.standings": {"zh": "🏇 部门赛马：", "en": "🏇 Department standings:"},
        "digest.standing": {"zh": "在办 {live} · 逾期 {overdue} · 完成 {done}", "en": "{live} live · {overdue} overdue · {done} done"},
        "digest.quiet": {"zh": "本周没有需要关注的变化。", "en": "Nothing needs your attention this week."},
    }
)
