"""A meeting's invitation (``models.meetings.Invitation``) as an iCalendar file."""

from __future__ import annotations

from icalendar import Calendar, Event

from models import i18n
from models.i18n import Day, t
from models.meetings import Invitation


def render(inv: Invitation, lang: str) -> bytes:
    """The .ics bytes: one VEVENT with the meeting's title, start, end and cut-off."""
    cal = Calendar()
    cal.add("prodid", "-//Guatu//guatu//ZH")
    cal.add("version", "2.0")
    ev = Event()
    ev.add("uid", inv.uid)
    ev.add("summary", inv.summary)
    ev.add("dtstart", inv.start)
    ev.add("dtend", inv.end)
    ev.add("dtstamp", inv.stamp)
    ev.add("description", t("meeting.ics_desc", lang, id=inv.meeting_id, cutoff=Day(inv.cutoff)))
    cal.add_component(ev)
    return cal.to_ical()


i18n.register(
    {
        "meeting.ics_desc": {"zh": "挂图会议 #{id}，议题申报截止 {cutoff}。", "en": "Guatu meeting #{id}; topics due by {cutoff}."},
    }
)
