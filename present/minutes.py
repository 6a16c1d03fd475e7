"""会议纪要 (``models.meetings.Minutes``) as Markdown: meeting, topics, decisions with their live state, text."""

from __future__ import annotations

from models import i18n
from models.i18n import Day, t
from models.lights import EMOJI
from models.meetings import Minutes


def markdown(mn: Minutes, lang: str) -> str:
    """The minutes as a Markdown file's text."""
    out = [f"# {mn.title}", "", t("meeting.md_head", lang, day=Day(mn.day), at=mn.at.strftime("%H:%M"), chair=mn.chair), ""]
    if mn.topics:
        out += [t("meeting.md_topics", lang), ""] + [f"- {topic}" for topic in mn.topics] + [""]
    out += [t("meeting.md_decisions", lang), ""]
    if mn.decisions:
        for d, v in mn.decisions:
            out.append(f"- {EMOJI[v.light.color]} #{v.id} {d.text} — {v.owner_name}, "
                       + t("meeting.md_due", lang, due=Day(d.due)) + f" · {t('status.' + v.status, lang)}")
    else:
        out.append(t("meeting.md_none", lang))
    out += ["", t("meeting.md_minutes", lang), "", mn.text or t("meeting.md_no_minutes", lang), ""]
    return "\n".join(out)


i18n.register(
    {
        "meeting.md_head": {"zh": "时间：{day} {at}　主持：{chair}", "en": "When: {day} {at}  Chair: {chair}"},
        "meeting.md_topics": {"zh": "## 议题", "en": "## Topics"},
        "meeting.md_decisions": {"zh": "## 议定事项", "en": "## Decisions"},
        "meeting.md_due": {"zh": "截止 {due}", "en": "due {due}"},
        "meeting.md_none": {"zh": "（无）", "en": "(none)"},
        "meeting.md_minutes": {"zh": "## 纪要", "en": "## Minutes"},
        "meeting.md_no_minutes": {"zh": "（纪要尚未录入：/meeting minutes <编号> <内容>）", "en": "(no minutes yet: /meeting minutes <id> <text>)"},
    }
)
