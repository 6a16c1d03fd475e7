"""The context of one domain call: who acts, in which workspace, when, and the calendar."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from models.calendar import WorkCalendar, local_today
from models.tables import Person, Workspace

# Calendars by (workspace, its overrides): a WorkCalendar is immutable once built (its caches only fill).
_CALENDARS: OrderedDict[tuple[Any, ...], WorkCalendar] = OrderedDict()
_CALENDARS_LOCK = threading.Lock()
_CALENDARS_KEPT = 64


@dataclass
class Ctx:
    """Everything a rule needs besides its arguments; ``now`` is always timezone-aware."""

    session: Session
    ws: Workspace
    actor: Person
    now: datetime
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    default_lang: str = "zh"
    channel_id: str | None = None
    # A burst of changes (an import) collects its notifications here and sends one per person at
    # the end (models.tasks.Batch); None: each change tells people at once.
    batch: Any = None

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("now must be timezone-aware")

    @cached_property
    def calendar(self) -> WorkCalendar:
        """The workspace's calendar (``org.calendar_for``): its overrides read afresh each time, the calendar
        built from them shared by every request that reads the same overrides, so its per-year prefix
        sums (730 day checks for two years) are built once a process, not once a request."""
        from sqlmodel import col, select

        from models.tables import CalendarOverride

        rows = self.session.exec(select(col(CalendarOverride.day), col(CalendarOverride.working),
                                        col(CalendarOverride.reason))
                                 .where(CalendarOverride.workspace_id == self.ws.id)).all()
        key = (self.ws.id, tuple(sorted((d, bool(w), r or "") for d, w, r in rows)))
        with _CALENDARS_LOCK:
            cal = _CALENDARS.get(key)
            if cal is not None:
                _CALENDARS.move_to_end(key)
                return cal
        cal = WorkCalendar({d: (w, r) for d, w, r in key[1]})
        with _CALENDARS_LOCK:
            _CALENDARS[key] = cal
            while len(_CALENDARS) > _CALENDARS_KEPT:
                _CALENDARS.popitem(last=False)
        return cal

    @property
    def today(self) -> date:
        return local_today(self.now, self.tz)

    @property
    def lang(self) -> str:
        from models.i18n import normalise_lang

        return normalise_lang(self.actor.lang or self.default_lang)
