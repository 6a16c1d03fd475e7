"""Agendas and meeting lists (``models.meetings``) as messages: each line of an agenda worded in the
reader's language, sections numbered in order, the time-box and any overrun at the end."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from models import i18n
from models.i18n import Day, t
from models.lights import EMOJI
from models.meetings import DEFAULT_TIME, SECTIONS, Agenda, AgendaLine, MeetingSummary


@dataclass(frozen=True)
class Line:
    """An agenda line as words: its section, start, length, title, presenter and note."""

    section: str
    start: time | None
    length: int
    title: str
    presenter: str
    note: str


def _word(line: AgendaLine, lang: str) -> Line:
    v = line.task
    if line.kind == "followup" and v is not None:
        origin = t("meeting.from", lang, id=line.origin[0], title=line.origin[1]) + " · " if line.origin else ""
        title = f"{EMOJI[v.light.color]} #{v.id} {line.text}"
        note = f"{origin}{t('status.' + v.status, lang)} · {v.progress}% · {v.light.explain(lang)}"
    elif line.kind == "hot" and v is not None:
        title, note = f"{EMOJI[v.light.color]} #{v.id} {v.title}", v.blocked_reason or v.light.explain(lang)
    elif line.kind == "more_hot":
        title, note = t("meeting.more_hot", lang, n=line.count), ""
    elif line.kind == "report":
        title = t("meeting.report", lang, force=line.text)
        note = t("meeting.report_note", lang, live=line.live, overdue=line.overdue, blocked=line.blocked)
    elif line.kind == "written_reports":
        title, note = t("meeting.written_reports", lang, n=line.count), ""
    elif line.kind == "topic":
        title, note = line.text, t("meeting.late", lang) if line.late else ""
    elif line.kind == "race":
        top, bottom = "、".join(line.ahead), "、".join(line.behind)
        title = t("meeting.race", lang)
        note = t("meeting.race_note", lang, top=top, bottom=bottom) if bottom else t("meeting.race_note_top", lang, top=top)
    else:
        raise ValueError(f"unknown agenda line {line.kind!r}")
    return Line(line.section, line.start, line.length, title, line.presenter, note)


def lines(a: Agenda, lang: str) -> list[Line]:
    """Every line of the agenda, worded, in order."""
    return [_word(line, lang) for line in a.lines]


def render(a: Agenda, lang: str) -> str:
    """The agenda as a message: head, numbered sections, total and overrun."""
    m = a.meeting
    out = [t("meeting.agenda_title", lang, id=m.id, title=m.title, day=Day(m.day), at=(m.at_time or DEFAULT_TIME).strftime("%H:%M"),
             length=m.length_min, cutoff=Day(m.cutoff))]
    worded = lines(a, lang)
    n = 0
    for section in SECTIONS:
        these = [line for line in worded if line.section == section]
        if not these:
            continue
        n += 1
        out.append(t(f"meeting.section.{section}", lang, n=n))
        for line in these:
            when = line.start.strftime("%H:%M") if line.start else "     "
            mins = t("meeting.mins", lang, n=line.length) if line.length else ""
            extra = f" — {line.note}" if line.note else ""
            who = f"（{line.presenter}）" if line.presenter and lang == "zh" else (f" ({line.presenter})" if line.presenter else "")
            out.append(f"  {when} {mins} {line.title}{who}{extra}")
    if len(out) == 1:
        out.append(t("meeting.agenda_empty", lang))
    out.append(t("meeting.total", lang, total=a.total, length=m.length_min))
    if a.overrun:
        out.append(t("meeting.overrun", lang, n=a.overrun))
    return "\n".join(out)


def draft(a: Agenda, lang: str) -> str:
    """The draft agenda sent to the secretaries and the chair once topics are closed."""
    m = a.meeting
    return t("meeting.draft", lang, id=m.id, day=Day(m.day)) + "\n" + render(a, lang)


def meeting_list(rows: list[MeetingSummary], lang: str) -> str:
    """Meetings, one line each: when, the cut-off, topics proposed, held or not."""
    if not rows:
        return t("meeting.none", lang)
    return "\n".join(
        t("meeting.line", lang, id=r.id, title=r.title, day=Day(r.day), at=r.at.strftime("%H:%M"), cutoff=Day(r.cutoff),
          n=r.proposed, past=t("meeting.held", lang) if r.held else "")
        for r in rows
    )


i18n.register(
    {
        "meeting.report": {"zh": "{force} 工作汇报", "en": "Report of {force}"},
        "meeting.report_note": {"zh": "在办 {live} · 逾期 {overdue} · 受阻 {blocked}", "en": "{live} live · {overdue} overdue · {blocked} blocked"},
        "meeting.written_reports": {"zh": "另有 {n} 个专班书面汇报", "en": "{n} more task forces report in writing"},
        "meeting.late": {"zh": "逾期申报", "en": "proposed after the cut-off"},
        "meeting.race": {"zh": "赛马晾晒", "en": "Horse race, shown openly"},
        "meeting.race_note": {"zh": "领先：{top}；靠后：{bottom}", "en": "ahead: {top}; behind: {bottom}"},
        "meeting.race_note_top": {"zh": "领先：{top}", "en": "ahead: {top}"},
        "meeting.more_hot": {"zh": "……另有 {n} 项红灯或受阻事项", "en": "… and {n} more red or blocked items"},
        "meeting.from": {"zh": "会议 #{id}「{title}」", "en": "meeting #{id} “{title}”"},
        "meeting.agenda_title": {
            "zh": "📋 会议 #{id} {title} 议程\n{day} {at} · 时长 {length} 分钟 · 议题申报截止 {cutoff}",
            "en": "📋 Agenda of meeting #{id} {title}\n{day} {at} · {length} minutes · topics due by {cutoff}",
        },
        "meeting.section.followup": {"zh": "{n}、上次会议议定事项落实情况", "en": "{n}. Follow-up of the last meeting's decisions"},
        "meeting.section.hot": {"zh": "{n}、红灯及受阻事项协调", "en": "{n}. Red and blocked items needing coordination"},
        "meeting.section.report": {"zh": "{n}、专班工作汇报", "en": "{n}. Task-force reports"},
        "meeting.section.topic": {"zh": "{n}、申报议题", "en": "{n}. Proposed topics"},
        "meeting.section.race": {"zh": "{n}、赛马晾晒", "en": "{n}. Horse race"},
        "meeting.mins": {"zh": "[{n}分钟]", "en": "[{n} min]"},
        "meeting.agenda_empty": {"zh": "（暂无议程内容）", "en": "(nothing on the agenda yet)"},
        "meeting.total": {"zh": "合计 {total} 分钟 / 会议时长 {length} 分钟", "en": "Total {total} min of {length} min"},
        "meeting.overrun": {"zh": "⚠️ 超出 {n} 分钟，请压缩议题或延长会议。", "en": "⚠️ {n} min over: trim topics or lengthen the meeting."},
        "meeting.none": {"zh": "还没有会议。秘书可用 /meeting new 或 /meeting series 安排。", "en": "No meetings yet. A secretary can add one with /meeting new or /meeting series."},
        "meeting.line": {
            "zh": "• #{id} {title} · {day} {at} · 申报截止 {cutoff} · 已申报 {n} 项{past}",
            "en": "• #{id} {title} · {day} {at} · topics by {cutoff} · {n} proposed{past}",
        },
        "meeting.held": {"zh": "（已召开）", "en": " (held)"},
        "meeting.draft": {
            "zh": "📝 会议 #{id}（{day}）议题申报已截止，议程草案如下，可用 /meeting agenda {id} 随时刷新：",
            "en": "📝 Topics for meeting #{id} ({day}) are closed. The draft agenda (refresh any time with /meeting agenda {id}):",
        },
    }
)
