"""Presentation: the domain's read models (a digest, a ranking, an agenda, minutes, an invitation) worded
for people — text and Markdown for chat and files, iCalendar for calendars. ``models/`` renders nothing;
``bot/`` and ``jobs/`` call a use case, then the renderer here."""
