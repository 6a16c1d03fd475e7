"""The outbox delivery worker: never lost, never doubled by workers, in order per recipient, paced,
retried with backoff, parked after its last attempt; and what happens when a worker is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import ClassVar

import pytest
from sqlalchemy import text, update
from sqlmodel import Session, select

from jobs.deliver import LEASE, MAX_ATTEMPTS, backoff, claim, deliver, next_ready
from models import outbox
from models.errors import Conflict, PermissionDenied
from models.outbox import DeliveryError
from models.tables import AuditEvent, Outbox
from tests.conftest import at, pg_url_with_schema
from tests.factories import standard_world
from tests.outbox_fakes import Clock, FakeSlack, LossySlack, Recorder, queue, rows

NOW = at("2026-11-23 10:00")  # a Monday
ROOT = Path(__file__).resolve().parents[1]


def test_due_messages_go_out_in_id_order_and_are_marked_sent(engine):
    queue(engine, [("U1", "first"), ("U2", "second"), ("C1", "third")], now=NOW)
    sink = Recorder()
    stats = deliver(engine, sink, now=NOW)
    assert sink.sent == [("U1", "first"), ("U2", "second"), ("C1", "third")]
    assert (stats.claimed, stats.sent) == (3, 3)
    for row in rows(engine):
        assert row.status == "sent" and row.chat_ts and row.sent_at >= NOW
        assert row.claimed_by is None and row.claimed_until is None and row.attempts == 1
    assert deliver(engine, sink, now=NOW + timedelta(minutes=5)).claimed == 0


def test_a_message_for_later_waits_and_does_not_hold_back_a_message_due_now(engine):
    queue(engine, [("U1", "now")], now=NOW)
    with Session(engine) as s:
        ws_id = s.exec(select(Outbox.workspace_id)).first()
        outbox.enqueue(s, workspace_id=ws_id, key="later", recipient="U1", text="morning", kind="test", now=NOW,
                       not_before=NOW + timedelta(hours=20))
        s.commit()
    queue(engine, [("U1", "also now")], now=NOW + timedelta(seconds=1))
    sink = Recorder(min_interval=0)
    deliver(engine, sink, now=NOW + timedelta(seconds=1))
    assert sink.texts() == ["now", "also now"]
    deliver(engine, sink, now=NOW + timedelta(hours=20))
    assert sink.texts() == ["now", "also now", "morning"]


def test_each_recipient_gets_about_one_message_per_second(engine):
    queue(engine, [("C1", "a"), ("C1", "b"), ("C2", "x"), ("C1", "c")], now=NOW)
    sink = Recorder(min_interval=1.0)
    frozen = lambda: 0.0  # noqa: E731 - the call's own duration must not move ``now`` on a loaded machine
    deliver(engine, sink, now=NOW, elapsed=frozen)
    assert sink.sent == [("C1", "a"), ("C2", "x")]
    deliver(engine, sink, now=NOW + timedelta(milliseconds=500), elapsed=frozen)
    assert len(sink.sent) == 2
    deliver(engine, sink, now=NOW + timedelta(seconds=1.1), elapsed=frozen)
    deliver(engine, sink, now=NOW + timedelta(seconds=2.2), elapsed=frozen)
    assert sink.texts("C1") == ["a", "b", "c"]


def test_rate_limit_holds_back_that_recipient_only_and_keeps_its_order(engine):
    queue(engine, [("C1", "1"), ("C1", "2"), ("C2", "x"), ("C2", "y")], now=NOW)

    class LimitedC1(Recorder):
        def send(self, recipient, text, blocks=None):
            if recipient == "C1" and self.limited:
                self.limited -= 1
                raise DeliveryError("ratelimited", retry_after=30)
            return super().send(recipient, text, blocks)

    sink = LimitedC1(min_interval=0)
    sink.limited = 1
    stats = deliver(engine, sink, now=NOW)
    assert stats.rate_limited == 1 and sink.texts("C2") == ["x", "y"] and sink.texts("C1") == []
    assert deliver(engine, sink, now=NOW + timedelta(seconds=29)).claimed == 0  # "2" waits behind "1"
    deliver(engine, sink, now=NOW + timedelta(seconds=31))
    assert sink.texts("C1") == ["1", "2"]
    first = rows(engine)[0]
    assert first.attempts == 1  # a 429 is not a failed attempt


def test_server_errors_back_off_exponentially_then_park_the_message_as_failed(engine):
    [_msg_id] = queue(engine, [("U1", "hello")], now=NOW)

    class Down(Recorder):
        def send(self, recipient, text, blocks=None):
            raise DeliveryError("HTTP 503")

    t = NOW
    for attempt in range(1, MAX_ATTEMPTS + 1):
        stats = deliver(engine, Down(), now=t)
        assert stats.claimed == 1, attempt
        row = rows(engine)[0]
        if attempt < MAX_ATTEMPTS:
            assert row.status == "pending" and row.attempts == attempt
            assert row.next_attempt_at - t >= backoff(attempt) - timedelta(seconds=1)
            assert deliver(engine, Down(), now=t + backoff(attempt) / 2).claimed == 0
            t = row.next_attempt_at
    row = rows(engine)[0]
    assert row.status == "failed" and row.attempts == MAX_ATTEMPTS and "503" in row.last_error
    assert backoff(1) == timedelta(seconds=15) and backoff(2) == timedelta(seconds=30)
    assert deliver(engine, Recorder(), now=t + timedelta(days=1)).claimed == 0


def test_a_permanent_error_parks_the_message_at_once_and_later_ones_still_go(engine):
    queue(engine, [("C-gone", "lost"), ("C-gone", "next")], now=NOW)

    class Gone(Recorder):
        def send(self, recipient, text, blocks=None):
            if text == "lost":
                raise DeliveryError("channel_not_found", permanent=True)
            return super().send(recipient, text, blocks)

    sink = Gone(min_interval=0)
    deliver(engine, sink, now=NOW)
    assert [r.status for r in rows(engine)] == ["failed", "sent"]
    assert sink.texts() == ["next"]


def test_an_unexpected_notifier_error_is_retried_like_a_server_error(engine):
    queue(engine, [("U1", "x")], now=NOW)

    class Buggy(Recorder):
        def send(self, recipient, text, blocks=None):
            raise KeyError("ts")

    stats = deliver(engine, Buggy(), now=NOW)
    row = rows(engine)[0]
    assert stats.retried == 1 and row.status == "pending" and "KeyError" in row.last_error


def test_flaky_slack_with_429s_and_500s_delivers_every_message_exactly_once_in_order(engine):
    """A local Slack-like endpoint answers 500 for two minutes, then 429 (Retry-After) to any channel
    sent to faster than once a second; time is driven, never slept."""
    messages = [(f"C{i % 3}", f"m{i:02d}") for i in range(30)]
    queue(engine, messages, now=NOW)
    slack = FakeSlack(now=NOW, outage_until=NOW + timedelta(minutes=2), min_interval=0.5)
    t = NOW
    for _ in range(400):
        slack.now = t
        deliver(engine, slack, now=t)
        ready = next_ready(engine, now=t)
        if ready is None:
            break
        t = max(t + timedelta(milliseconds=250), ready)
    assert sorted(slack.accepted) == sorted(messages)  # every message, none twice
    for channel in ("C0", "C1", "C2"):
        assert [x for r, x in slack.accepted if r == channel] == [x for r, x in messages if r == channel]
    assert slack.answers.get(500) and slack.answers.get(429)
    assert all(r.status == "sent" for r in rows(engine))


def test_a_claim_abandoned_before_sending_is_delivered_once_after_its_lease_expires(engine):
    """The process is killed between claiming and sending (simulated: claim, then abandon)."""
    queue(engine, [("U1", "hello")], now=NOW)
    clock = Clock()
    [taken] = claim(engine, now=NOW, limit=10, worker_id="dead-worker", clock=clock)
    sink = Recorder()
    clock.t += LEASE - timedelta(seconds=1)
    assert deliver(engine, sink, now=NOW, clock=clock).claimed == 0  # the lease still holds
    clock.t += timedelta(seconds=2)
    deliver(engine, sink, now=NOW, clock=clock)
    assert sink.sent == [("U1", "hello")]
    clock.t += LEASE * 3
    deliver(engine, sink, now=NOW, clock=clock)
    assert sink.sent == [("U1", "hello")]
    assert rows(engine)[0].status == "sent" and taken.attempts == 1


def _db_url(engine) -> str:
    if engine.dialect.name == "postgresql":
        return pg_url_with_schema(engine)
    return engine.url.render_as_string(hide_password=False)


KILLED_CHILD = textwrap.dedent("""
    import os, signal, sys
    from datetime import datetime
    from models.db import make_engine
    from jobs.deliver import deliver

    class DiesWhileSending:
        def send(self, recipient, text, blocks=None):
            os.kill(os.getpid(), signal.SIGKILL)  # killed after the claim, before anything is sent

    deliver(make_engine(sys.argv[1]), DiesWhileSending(), now=datetime.fromisoformat(sys.argv[2]))
""")


def test_a_worker_killed_with_sigkill_between_claim_and_send_delivers_exactly_once_after_restart(engine):
    queue(engine, [("U1", "hello"), ("U2", "world")], now=NOW)
    child = subprocess.run([sys.executable, "-c", KILLED_CHILD, _db_url(engine), NOW.isoformat()], cwd=ROOT,
                           capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert [r.status for r in rows(engine)] == ["sending", "sending"]  # claimed, then the process died
    sink = Recorder()
    deliver(engine, sink, now=NOW + timedelta(seconds=10))  # restarted, but the dead worker's (real) lease holds
    assert sink.sent == []
    later = Clock(datetime.now(UTC) + LEASE + timedelta(seconds=1))
    deliver(engine, sink, now=NOW + timedelta(seconds=20), clock=later)
    later.t += LEASE
    deliver(engine, sink, now=NOW + timedelta(seconds=30), clock=later)
    assert sorted(sink.sent) == [("U1", "hello"), ("U2", "world")]
    assert [r.status for r in rows(engine)] == ["sent", "sent"]


def test_a_worker_dying_after_the_send_but_before_the_mark_sends_again_the_documented_window(engine):
    """The window a notifier that cannot tell what arrived leaves open (see jobs/deliver.py): it sends again."""
    queue(engine, [("U1", "hello")], now=NOW)
    clock = Clock()
    [taken] = claim(engine, now=NOW, limit=1, worker_id="dies-after-send", clock=clock)
    Recorder().send(taken.recipient, taken.text)  # the platform accepted it; the mark never commits
    sink = Recorder()
    clock.t += LEASE + timedelta(seconds=1)
    deliver(engine, sink, now=NOW, clock=clock)
    assert sink.sent == [("U1", "hello")]  # at-least-once in this window, not lost
    assert rows(engine)[0].status == "sent"


def test_a_message_abandoned_on_every_attempt_is_parked_not_retried_forever(engine):
    queue(engine, [("U1", "poison")], now=NOW)
    clock = Clock()
    for i in range(MAX_ATTEMPTS):
        assert claim(engine, now=NOW, limit=1, worker_id=f"w{i}", clock=clock)
        clock.t += LEASE + timedelta(seconds=1)
    assert claim(engine, now=NOW, limit=1, worker_id="last", clock=clock) == []
    row = rows(engine)[0]
    assert row.status == "failed" and "abandoned" in row.last_error


def test_two_workers_never_claim_the_same_message(engine):
    queue(engine, [(f"U{i}", "x") for i in range(10)], now=NOW)
    first = claim(engine, now=NOW, limit=6, worker_id="a")
    second = claim(engine, now=NOW, limit=6, worker_id="b")
    assert len(first) == 6 and len(second) == 4
    assert not {r.id for r in first} & {r.id for r in second}


def test_a_worker_that_runs_out_of_time_hands_the_rest_back_unsent(engine):
    queue(engine, [(f"U{i}", "x") for i in range(3)], now=NOW)
    clock = iter([0.0, 0.0, 0.0, 1000.0, 1000.0, 1000.0, 1000.0, 1000.0])
    sink = Recorder()
    stats = deliver(engine, sink, now=NOW, elapsed=lambda: next(clock, 1000.0))
    assert stats.sent == 1 and stats.released == 2
    assert [r.status for r in rows(engine)] == ["sent", "pending", "pending"]
    assert [r.attempts for r in rows(engine)] == [1, 0, 0]


# ---------------------------------------------------------------- admin: failed messages


@pytest.fixture
def world(engine):
    with Session(engine, expire_on_commit=False) as s:
        w = standard_world(s, NOW)
        s.commit()
        yield w


def test_admin_lists_failed_messages_and_retries_one_with_an_audit_record(engine, world):
    ws_id = world.ws.id
    deliver(engine, Recorder(min_interval=0), now=NOW)  # what setting up the world said
    with Session(engine) as s:
        outbox.enqueue(s, workspace_id=ws_id, key="k1", recipient="U-gone", text="hello", kind="test", now=NOW)
        s.commit()

    class Gone(Recorder):
        def send(self, recipient, text, blocks=None):
            raise DeliveryError("account_inactive", permanent=True)

    deliver(engine, Gone(), now=NOW)
    ctx = world.ctx("root")
    failed = outbox.list_messages(ctx, "failed")
    assert [(m.recipient, m.status, m.last_error) for m in failed] == [("U-gone", "failed", "account_inactive")]
    assert outbox.queue_counts(ctx)["failed"] == 1
    with pytest.raises(PermissionDenied):
        outbox.list_messages(world.ctx("zhang"))
    with pytest.raises(PermissionDenied):
        outbox.retry_message(world.ctx("lin"), failed[0].id)
    line = outbox.retry_message(ctx, failed[0].id)
    assert line.status == "pending" and line.attempts == 0
    audit = world.session.exec(select(AuditEvent).where(AuditEvent.action == "outbox.retried")).one()
    assert audit.entity_id == failed[0].id and audit.detail["last_error"] == "account_inactive"
    with pytest.raises(Conflict) as refused:
        outbox.retry_message(ctx, failed[0].id)
    assert "只有发送失败的消息可以重试" in refused.value.render("zh")
    world.session.commit()
    sink = Recorder()
    deliver(engine, sink, now=NOW + timedelta(minutes=1))
    assert sink.sent == [("U-gone", "hello")]


# ---------------------------------------------------------------- hostile values, the real clock, bounds


@pytest.mark.parametrize("value, wait", [
    (30, 30.0), ("12.5", 12.5), (0, 0.0), (1e9, 3600.0), (float("inf"), 30.0), (1e20, 3600.0), (float("nan"), 30.0),
    (-5, 30.0), ("soon", 30.0), ("Wed, 21 Oct 2026 07:28:00 GMT", 30.0), (None, 30.0), ("1e400", 30.0),
])
def test_retry_after_is_a_finite_wait_of_at_most_an_hour(value, wait):
    assert outbox.retry_after_seconds(value) == wait


@pytest.mark.parametrize("value", [1e9, float("inf"), 1e20, float("nan"), -5, "soon"])
def test_a_hostile_retry_after_holds_the_recipient_an_hour_at_most_and_never_crashes_the_worker(engine, value):
    queue(engine, [("C1", "1"), ("C2", "x")], now=NOW)

    class Hostile(Recorder):
        def send(self, recipient, text, blocks=None):
            if recipient == "C1" and not self.texts("C1"):
                self.limited += 1
                if self.limited == 1:
                    raise DeliveryError("ratelimited", retry_after=value)
            return super().send(recipient, text, blocks)

    sink = Hostile(min_interval=0)
    sink.limited = 0
    stats = deliver(engine, sink, now=NOW)
    assert stats.rate_limited == 1 and sink.texts() == ["x"]
    held = rows(engine)[0]
    assert held.status == "pending" and timedelta(0) <= held.next_attempt_at - NOW <= timedelta(hours=1, seconds=1)
    assert next_ready(engine, now=NOW) <= NOW + timedelta(hours=1, seconds=1)
    deliver(engine, sink, now=NOW + timedelta(hours=1, seconds=2))
    assert sink.texts("C1") == ["1"]


def test_a_gate_left_decades_ahead_by_an_unbounded_worker_holds_nothing_back_and_is_replaced(engine):
    from jobs.deliver import _close_gate

    queue(engine, [("C1", "a"), ("C1", "b")], now=NOW)
    ws_id = rows(engine)[0].workspace_id
    with engine.begin() as conn:
        _close_gate(conn, ws_id, "C1", NOW + timedelta(seconds=1e9))  # 2058, as before Retry-After was bounded
    sink = Recorder(min_interval=1.0)
    deliver(engine, sink, now=NOW)
    assert sink.texts() == ["a"]  # the stale gate was ignored, and the send's own 1 s gate replaced it
    assert next_ready(engine, now=NOW) <= NOW + timedelta(seconds=2)
    deliver(engine, sink, now=NOW + timedelta(seconds=2))
    assert sink.texts() == ["a", "b"]


def test_a_run_at_a_past_time_next_to_a_live_worker_never_sends_a_message_twice(engine):
    """``guatu jobs run deliver --at <past>`` while the scheduler's worker runs: the past run's claims
    are leased on the real clock, so the live worker does not take them as expired."""
    past = NOW - timedelta(days=2)
    queue(engine, [(f"U{i}", f"m{i:04d}") for i in range(600)], now=past - timedelta(days=1))
    clock = Clock()
    held = claim(engine, now=past, limit=100, worker_id="at-run", clock=clock)  # the --at run, mid-batch
    live = Recorder(min_interval=0)
    for _ in range(20):  # the live worker goes on for a minute of real time
        clock.t += timedelta(seconds=3)
        deliver(engine, live, now=NOW, clock=clock)
    assert not {r.text for r in held} & set(live.texts())
    assert len(live.texts()) == 600 - len(held) and len(set(live.texts())) == len(live.texts())
    assert {r.status for r in rows(engine) if r.id in {h.id for h in held}} == {"sending"}


def test_a_killed_run_at_a_future_time_strands_nothing_beyond_its_real_lease(engine):
    queue(engine, [(f"U{i}", f"m{i}") for i in range(5)], now=NOW)
    clock = Clock()
    claimed = claim(engine, now=at("2099-01-01 09:00"), limit=5, worker_id="killed-2099", clock=clock)
    assert len(claimed) == 5 and all(r.claimed_until <= clock() + LEASE for r in rows(engine))
    sink = Recorder(min_interval=0)
    clock.t += LEASE + timedelta(seconds=1)
    deliver(engine, sink, now=NOW, clock=clock)
    assert sorted(sink.texts()) == [f"m{i}" for i in range(5)]
    assert {r.status for r in rows(engine)} == {"sent"}


def test_a_claim_stranded_far_beyond_the_real_clock_is_parked_and_shown_to_admins(engine, world):
    """A claim taken on a simulated 2099 clock by an older worker that was then killed: parked, not
    left until 2099; marked uncertain, so a retry first asks whether it arrived."""
    deliver(engine, Recorder(min_interval=0), now=NOW)  # what setting up the world said
    with Session(engine) as s:
        outbox.enqueue(s, workspace_id=world.ws.id, key="k2099", recipient="U9", text="hello", kind="test", now=NOW)
        s.commit()
    with engine.begin() as conn:
        conn.execute(update(Outbox).where(Outbox.idempotency_key == "k2099").values(
            status="sending", claimed_by="killed", claimed_until=at("2099-01-01 09:02"), attempts=1))
    sink = Recorder()
    stats = deliver(engine, sink, now=NOW + timedelta(minutes=1))
    assert stats.parked == 1 and sink.sent == []
    (line,) = outbox.list_messages(world.ctx("root"), "failed")
    assert line.recipient == "U9" and line.last_error.startswith("uncertain: stranded")


def test_a_message_whose_next_attempt_is_weeks_after_it_was_queued_is_parked_as_failed(engine):
    ids = queue(engine, [("U1", "2058"), ("U2", "holiday"), ("U3", "future run")], now=NOW)
    with engine.begin() as conn:
        # As an unbounded Retry-After of 1e9 left it; a message deferred over the 国庆 holiday; one written
        # by a run at a future time, for then.
        conn.execute(update(Outbox).where(Outbox.id == ids[0]).values(next_attempt_at=NOW + timedelta(seconds=1e9),
                                                                     attempts=1, last_error="rate limited (429)"))
        conn.execute(update(Outbox).where(Outbox.id == ids[1]).values(next_attempt_at=NOW + timedelta(days=9)))
        conn.execute(update(Outbox).where(Outbox.id == ids[2]).values(created_at=at("2099-01-01 09:00"),
                                                                     next_attempt_at=at("2099-01-01 09:00")))
    stats = deliver(engine, Recorder(), now=NOW)
    assert stats.parked == 1
    first, holiday, future = rows(engine)
    assert first.status == "failed" and first.last_error.startswith("held too long: next attempt 2058-")
    assert (holiday.status, future.status) == ("pending", "pending")


# ---------------------------------------------------------------- uncertain sends, reconciled


def _drive(engine, notifier, *, start=NOW, rounds=2000) -> None:
    """Runs the worker on a driven clock until nothing is left to send."""
    if engine.dialect.name == "postgresql":
        # As autovacuum would after thousands of inserts: statistics an earlier test left from an empty
        # outbox otherwise make PostgreSQL plan each claim of this queue as nested scans (seconds each).
        with engine.begin() as conn:
            conn.execute(text("ANALYZE outbox"))
            conn.execute(text("ANALYZE outboxpace"))
    t = start
    for _ in range(rounds):
        deliver(engine, notifier, now=t, limit=1000)
        ready = next_ready(engine, now=t)
        if ready is None:
            return
        t = max(t + timedelta(milliseconds=10), ready)
    raise AssertionError("the queue did not drain")


def test_answers_lost_after_the_platform_accepted_are_reconciled_not_sent_twice(engine):
    """5,000 messages; the platform accepts each, then 4 % of the answers are lost (a timeout)."""
    messages = [(f"U{i % 50}", f"m{i:04d}") for i in range(5000)]
    queue(engine, messages, now=NOW)
    slack = LossySlack(0.04)
    _drive(engine, slack)
    assert slack.lost > 150  # the loss really happened
    assert slack.doubled() == 0 and sorted(slack.accepted) == sorted(messages)  # 0 doubled, 0 lost
    assert slack.checks == slack.lost
    assert {r.status for r in rows(engine)} == {"sent"}
    for user in ("U0", "U7"):  # still in order per recipient
        assert [x for r, x in slack.accepted if r == user] == [x for r, x in messages if r == user]


def test_without_a_way_to_tell_a_lost_answer_is_sent_again_the_remaining_window(engine):
    queue(engine, [(f"U{i % 10}", f"m{i:03d}") for i in range(300)], now=NOW)
    slack = LossySlack(0.05, can_tell=False)
    _drive(engine, slack)
    assert slack.doubled() == slack.lost > 0  # at least once: each lost answer is one double, none lost
    assert {r.status for r in rows(engine)} == {"sent"}


def test_an_uncertain_send_is_kept_uncertain_while_the_check_fails_and_sent_when_it_cannot_tell(engine):
    queue(engine, [("U1", "hello")], now=NOW)

    class Unsure(Recorder):
        answers: ClassVar[list[DeliveryError]] = [DeliveryError("timed out", uncertain=True)]
        checks: ClassVar[list[DeliveryError | None]] = [DeliveryError("HTTP 503"), None]

        def send(self, recipient, text, blocks=None, *, outbox_id=None):
            if self.answers:
                raise self.answers.pop(0)
            return super().send(recipient, text, blocks)

        def was_delivered(self, recipient, outbox_id, since):
            answer = self.checks.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return answer

    sink = Unsure()
    t = NOW
    stats = deliver(engine, sink, now=t)
    assert stats.uncertain == 1 and rows(engine)[0].last_error.startswith("uncertain: ")
    t = rows(engine)[0].next_attempt_at
    deliver(engine, sink, now=t)  # the check itself failed: not sent, still uncertain
    row = rows(engine)[0]
    assert sink.sent == [] and row.status == "pending" and row.last_error.startswith("uncertain: checking")
    deliver(engine, sink, now=row.next_attempt_at)  # the check cannot tell (None): sent, as before
    assert sink.sent == [("U1", "hello")] and rows(engine)[0].status == "sent"


def test_a_worker_dying_after_the_send_is_reconciled_by_a_notifier_that_can_tell(engine):
    queue(engine, [("U1", "hello")], now=NOW)
    clock = Clock()
    slack = LossySlack(0.0)
    [taken] = claim(engine, now=NOW, limit=1, worker_id="dies-after-send", clock=clock)
    slack.send(taken.recipient, taken.text, outbox_id=taken.id)  # accepted; then the worker dies
    clock.t += LEASE + timedelta(seconds=1)
    stats = deliver(engine, slack, now=NOW, clock=clock)
    assert stats.reconciled == 1 and slack.accepted == [("U1", "hello")]
    assert rows(engine)[0].status == "sent"


def test_a_send_slower_than_the_lease_is_not_taken_and_sent_again_by_another_worker(engine):
    """The lease of a message in flight is renewed on the real clock, so a second worker polling during a
    send that takes 2.5 leases finds nothing to take (without the renewal it takes the row)."""
    queue(engine, [("U1", "slow")], now=NOW)
    lease = timedelta(seconds=1.2)
    seen: list[list] = []

    class Slow(Recorder):
        def send(self, recipient, text, blocks=None):
            for _ in range(6):  # 3 s in all, polled like a second worker would
                time.sleep(0.5)
                seen.append(claim(engine, now=NOW, limit=10, worker_id="other", lease=lease))
            return super().send(recipient, text, blocks)

    sink = Slow()
    stats = deliver(engine, sink, now=NOW, lease=lease)
    assert stats.sent == 1 and sink.sent == [("U1", "slow")]
    assert seen and all(taken == [] for taken in seen)
    assert rows(engine)[0].status == "sent"


def test_the_slack_client_times_out_well_within_half_the_lease():
    from bot.settings import Settings
    from bot.slack.clients import web_client

    client = web_client(Settings(SLACK_BOT_TOKEN="xoxb-x", _env_file=None), "outbox")
    assert client.timeout <= LEASE.total_seconds() / 4
