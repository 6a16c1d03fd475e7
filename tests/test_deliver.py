"""The outbox delivery worker: never lost, never doubled by workers, in order per recipient, paced,
retried with backoff, parked after its last attempt; and what happens when a worker is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from jobs.deliver import LEASE, MAX_ATTEMPTS, backoff, claim, deliver, next_ready
from models import outbox
from models.errors import Conflict, PermissionDenied
from models.outbox import DeliveryError
from models.tables import AuditEvent, Outbox
from tests.conftest import at, pg_url_with_schema
from tests.factories import standard_world
from tests.outbox_fakes import FakeSlack, Recorder, queue, rows

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
    deliver(engine, sink, now=NOW)
    assert sink.sent == [("C1", "a"), ("C2", "x")]
    deliver(engine, sink, now=NOW + timedelta(milliseconds=500))
    assert len(sink.sent) == 2
    deliver(engine, sink, now=NOW + timedelta(seconds=1.1))
    deliver(engine, sink, now=NOW + timedelta(seconds=2.2))
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
    [msg_id] = queue(engine, [("U1", "hello")], now=NOW)

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
    [taken] = claim(engine, now=NOW, limit=10, worker_id="dead-worker")
    sink = Recorder()
    assert deliver(engine, sink, now=NOW + LEASE - timedelta(seconds=1)).claimed == 0  # the lease still holds
    deliver(engine, sink, now=NOW + LEASE + timedelta(seconds=1))
    assert sink.sent == [("U1", "hello")]
    deliver(engine, sink, now=NOW + LEASE * 3)
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
    deliver(engine, sink, now=NOW + timedelta(seconds=10))  # restarted, but the dead worker's lease holds
    assert sink.sent == []
    deliver(engine, sink, now=NOW + LEASE + timedelta(seconds=1))
    deliver(engine, sink, now=NOW + LEASE * 2)
    assert sorted(sink.sent) == [("U1", "hello"), ("U2", "world")]
    assert [r.status for r in rows(engine)] == ["sent", "sent"]


def test_a_worker_dying_after_the_send_but_before_the_mark_sends_again_the_documented_window(engine):
    """The one window the worker cannot close (see jobs/deliver.py): it chooses to send again."""
    queue(engine, [("U1", "hello")], now=NOW)
    [taken] = claim(engine, now=NOW, limit=1, worker_id="dies-after-send")
    Recorder().send(taken.recipient, taken.text)  # the platform accepted it; the mark never commits
    sink = Recorder()
    deliver(engine, sink, now=NOW + LEASE + timedelta(seconds=1))
    assert sink.sent == [("U1", "hello")]  # at-least-once in this window, not lost
    assert rows(engine)[0].status == "sent"


def test_a_message_abandoned_on_every_attempt_is_parked_not_retried_forever(engine):
    queue(engine, [("U1", "poison")], now=NOW)
    t = NOW
    for _ in range(MAX_ATTEMPTS):
        assert claim(engine, now=t, limit=1, worker_id=f"w{t.timestamp()}")
        t += LEASE + timedelta(seconds=1)
    assert claim(engine, now=t, limit=1, worker_id="last") == []
    row = rows(engine)[0]
    assert row.status == "failed" and "abandoned" in row.last_error


def test_two_workers_never_claim_the_same_message(engine):
    queue(engine, [(f"U{i}", "x") for i in range(10)], now=NOW)
    first = claim(engine, now=NOW, limit=6, worker_id="a")
    second = claim(engine, now=NOW, limit=6, worker_id="b")
    assert len(first) == 6 and len(second) == 4
    assert not {r.id for r in first} & {r.id for r in second}


def test_a_worker_that_runs_out_of_time_hands_the_rest_back_unsent(engine, monkeypatch):
    queue(engine, [(f"U{i}", "x") for i in range(3)], now=NOW)
    clock = iter([0.0, 0.0, 0.0, 1000.0, 1000.0, 1000.0, 1000.0, 1000.0])
    monkeypatch.setattr("jobs.deliver.time.monotonic", lambda: next(clock, 1000.0))
    sink = Recorder()
    stats = deliver(engine, sink, now=NOW)
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
