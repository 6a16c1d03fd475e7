"""Presentation: one renderer per surface and format, for the domain's read models (a digest, a ranking,
an agenda, minutes, an invitation, the war map, the wall screen) — text and Markdown for chat and files,
iCalendar for calendars, PNG for the war map, HTML and SVG for the wall screen. ``models/`` renders
nothing; ``bot/`` and ``jobs/`` call a use case, then the renderer here."""
