"""Reminder and light policy of a task force (规则): defaults, overridable per task force."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, field_validator


class Policy(BaseModel):
    """Thresholds for lights, reminders, escalations and notices; all day counts are working days."""

    yellow_days: int = Field(3, ge=0, le=60)  # a node or the deadline within N working days
    stale_days: int = Field(5, ge=1, le=60)  # no update for N working days: silent
    lag_pct: int = Field(20, ge=0, le=100)  # progress behind the straight line by more than this
    remind_days: list[int] = Field(default_factory=lambda: [3, 1])  # before each node / deadline
    remind_hour: int = Field(9, ge=0, le=23)
    escalate: list[int] = Field(default_factory=lambda: [0, 2, 3, 5])  # delay per ladder level
    quiet_start: int = Field(20, ge=0, le=23)
    quiet_end: int = Field(8, ge=0, le=23)
    renotice_hours: int = Field(4, ge=1, le=168)
    renotice_limit: int = Field(3, ge=0, le=20)
    # 督办: 收到 by someone who received a level pauses the climb for this many working days.
    ack_pause_days: int = Field(3, ge=0, le=30)
    # The level a 紧急 (high-priority) task's ladder enters at: 2 is the 督办单 (三明's rule); the
    # levels below it fire on the same morning, so nobody is skipped.
    urgent_entry: int = Field(2, ge=0, le=3)

    @field_validator("remind_days", "escalate")
    @classmethod
    def _non_negative(cls, v: list[int]) -> list[int]:
        if any(x < 0 or x > 60 for x in v) or len(v) > 10:
            raise ValueError("each value must be between 0 and 60")
        return v


DEFAULT = Policy()


def effective(overrides: dict[str, Any] | None) -> Policy:
    """The policy in force: defaults with a task force's stored overrides on top."""
    return Policy(**{**DEFAULT.model_dump(), **(overrides or {})})
