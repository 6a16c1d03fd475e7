"""The context of one domain call: who acts, in which workspace, when, and the calendar."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from models.calendar import WorkCalendar, local_today
from models.tables import Person, Workspace


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
        from models.org import calendar_for

        return calendar_for(self.session, self.ws.id)

    @property
    def today(self) -> date:
        return local_today(self.now, self.tz)

    @property
    def lang(self) -> str:
        from models.i18n import normalise_lang

        return normalise_lang(self.actor.lang or self.default_lang)
