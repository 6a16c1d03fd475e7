"""A token bucket per workspace in front of the per-recipient gate: a platform-wide 429 pauses the workspace."""

from __future__ import annotations

from datetime import timedelta

from jobs.deliver import WorkspaceBuckets, deliver, next_ready
from models.outbox import DeliveryError
from tests.conftest import at
from tests.outbox_fakes import Recorder, queue, rows

NOW = at("2026-12-01 10:00")


class WorkspaceLimited(Recorder):
    """Answers the first ``limited`` sends with a 429 for the whole workspace, then accepts; counts its calls."""

    def __init__(self, limited: int, *, rate: float | None = 1000.0) -> None:
        super().__init__(min_interval=0)
        self.limited, self.calls, self.workspace_rate = limited, 0, rate

    def send(self, recipient, text, blocks=None):
        self.calls += 1
        if self.limited:
            self.limited -= 1
            raise DeliveryError("ratelimited", retry_after=30)
        return super().send(recipient, text, blocks)


def test_a_429_with_a_workspace_rate_pauses_every_recipient_of_the_workspace_for_one_call(engine):
    queue(engine, [(f"C{i}", f"m{i}") for i in range(6)], now=NOW)
    sink = WorkspaceLimited(1)
    stats = deliver(engine, sink, now=NOW)
    assert sink.calls == 1 and stats.rate_limited == 1 and sink.sent == []  # not one call per recipient
    assert stats.released == 5 and all(r.attempts == 0 for r in rows(engine))  # handed back, no attempt counted
    ready = next_ready(engine, now=NOW)
    assert ready is not None and NOW + timedelta(seconds=30) <= ready < NOW + timedelta(seconds=31)
    assert deliver(engine, sink, now=NOW + timedelta(seconds=29)).claimed == 0  # another process would wait too
    deliver(engine, sink, now=NOW + timedelta(seconds=31))
    assert sink.texts() == [f"m{i}" for i in range(6)] and sink.calls == 7


def test_without_a_workspace_rate_a_429_holds_back_that_recipient_only(engine):
    queue(engine, [(f"C{i}", f"m{i}") for i in range(3)], now=NOW)
    sink = WorkspaceLimited(1, rate=None)
    stats = deliver(engine, sink, now=NOW)
    assert stats.rate_limited == 1 and sink.texts() == ["m1", "m2"]


def test_the_bucket_spaces_sends_to_its_rate_slows_after_a_429_and_recovers():
    t = [0.0]
    b = WorkspaceBuckets(10.0, clock=lambda: t[0])
    assert b.wait(1) == 0
    b.take(1)
    assert abs(b.wait(1) - 0.1) < 1e-9 and b.wait(2) == 0  # workspaces are paced apart
    t[0] += 0.1
    b.limited(1)
    t[0] += 5.0
    assert b.wait(1) == 0
    b.take(1)
    assert abs(b.wait(1) - 1 / 8.5) < 1e-9  # 85 % of the rate after a 429
    for _ in range(20):
        b.sent(1)
    t[0] += 1.0
    b.take(1)
    assert abs(b.wait(1) - 0.1) < 1e-9  # back to the configured rate, never above it
