"""Hand-written notifiers for the delivery tests: a recorder, and a Slack-like endpoint on a virtual clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models.outbox import DeliveryError, enqueue
from models.tables import Outbox, Workspace


class Clock:
    """The real clock as the delivery worker sees it (leases), set by the test: ``clock.t += LEASE``."""

    def __init__(self, t: datetime | None = None) -> None:
        self.t = t or datetime(2026, 12, 1, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.t


class Recorder:
    """Records what would be sent, in order; paced like Slack unless told otherwise."""

    def __init__(self, min_interval: float = 1.0) -> None:
        self.min_interval = min_interval
        self.sent: list[tuple[str, str]] = []

    def send(self, recipient: str, text: str, blocks: list | None = None) -> str:
        self.sent.append((recipient, text))
        return f"ts-{len(self.sent)}"

    def texts(self, recipient: str | None = None) -> list[str]:
        return [t for r, t in self.sent if recipient is None or r == recipient]


@dataclass
class FakeSlack:
    """A Slack-like chat.postMessage on a virtual clock (``now``, set by the test): 500 until
    ``outage_until``; 429 with Retry-After when a channel gets more than one message per second."""

    now: datetime
    outage_until: datetime | None = None
    retry_after: float = 3.0
    min_interval: float = 1.0  # what the worker is told; the fake enforces 1 s regardless
    accepted: list[tuple[str, str]] = field(default_factory=list)
    calls: int = 0
    answers: dict[int, int] = field(default_factory=dict)
    _last: dict[str, datetime] = field(default_factory=dict)

    def send(self, recipient: str, text: str, blocks: list | None = None) -> str:
        self.calls += 1
        if self.outage_until is not None and self.now < self.outage_until:
            self.answers[500] = self.answers.get(500, 0) + 1
            raise DeliveryError("HTTP 500 internal_error")
        last = self._last.get(recipient)
        if last is not None and self.now - last < timedelta(seconds=1):
            self.answers[429] = self.answers.get(429, 0) + 1
            raise DeliveryError("HTTP 429 ratelimited", retry_after=self.retry_after)
        self._last[recipient] = self.now
        self.accepted.append((recipient, text))
        return f"{self.now.timestamp():.6f}"


def queue(engine: Engine, messages: list[tuple[str, str]], *, now: datetime, team: str = "T-deliver") -> list[int]:
    """Puts (recipient, text) messages in the outbox directly, in order; returns their ids."""
    with Session(engine, expire_on_commit=False) as s:
        ws = s.exec(select(Workspace).where(Workspace.team_id == team)).first()
        if ws is None:
            ws = Workspace(team_id=team, name=team, created_at=now)
            s.add(ws)
            s.flush()
        for i, (recipient, text) in enumerate(messages):
            enqueue(s, workspace_id=ws.id, key=f"test:{team}:{now.isoformat()}:{i}:{recipient}:{text}",
                    recipient=recipient, text=text, kind="test", now=now)
        s.commit()
        rows = s.exec(select(Outbox.id).where(Outbox.workspace_id == ws.id).order_by(Outbox.id)).all()
    return list(rows[-len(messages):])


def rows(engine: Engine) -> list[Outbox]:
    with Session(engine, expire_on_commit=False) as s:
        return list(s.exec(select(Outbox).order_by(Outbox.id)).all())


class LossySlack:
    """A platform that accepts every message, tagged with its outbox id, then loses the answer to a share of
    them (the sender sees a timeout); it can say afterwards what it holds (``was_delivered``), unless
    ``can_tell`` is False (then it is a notifier without that method, like the console)."""

    def __init__(self, loss: float, *, seed: int = 7, can_tell: bool = True) -> None:
        import random

        self.min_interval = 0.0
        self.loss = loss
        self._random = random.Random(seed)
        self.accepted: list[tuple[str, str]] = []
        self._tagged: set[int] = set()
        self.lost = 0
        self.checks = 0
        if can_tell:
            self.was_delivered = self._was_delivered

    def send(self, recipient: str, text: str, blocks: list | None = None, *, outbox_id: int | None = None) -> str:
        self.accepted.append((recipient, text))
        if outbox_id is not None:
            self._tagged.add(outbox_id)
        if self._random.random() < self.loss:
            self.lost += 1
            raise DeliveryError("timed out waiting for the answer", uncertain=True)
        return f"ts-{len(self.accepted)}"

    def _was_delivered(self, recipient: str, outbox_id: int, since: datetime) -> bool | None:
        self.checks += 1
        return outbox_id in self._tagged

    def doubled(self) -> int:
        return len(self.accepted) - len(set(self.accepted))
