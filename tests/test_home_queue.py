"""App Homes off the request path (models.homequeue): queued with the change, coalesced, published by the worker,
never lost, bounded when Slack refuses or throttles (both databases)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import Session, select

from bot.dispatch import Caller, Service
from jobs.deliver import deliver
from models import homequeue
from models.db import session_scope, utcnow
from models.outbox import DeliveryError, Routed
from models.tables import HomeQueue, Person, Task, Workspace
from tests.conftest import TZ, at
from tests.factories import d, standard_world

NOW = at("2026-11-23 10:00")  # a Monday


class Publisher:
    """Records each home published; fails with each of ``errors`` in turn first; ``during`` runs inside a publish."""

    def __init__(self, *errors: BaseException, during=None) -> None:
        self.errors = list(errors)
        self.published: list[tuple[str, str]] = []
        self.during = during

    def publish_home(self, engine, team_id: str, user_id: str, *, now) -> None:
        if self.during is not None:
            during, self.during = self.during, None
            during()
        if self.errors:
            raise self.errors.pop(0)
        self.published.append((team_id, user_id))


class Sink:
    """A notifier that sends messages into nowhere and publishes homes like ``Publisher``."""

    min_interval = 0.0

    def __init__(self) -> None:
        self.homes = Publisher()

    def send(self, recipient: str, text: str, blocks=None) -> str:
        return "1.1"

    def publish_home(self, engine, team_id: str, user_id: str, *, now) -> None:
        self.homes.publish_home(engine, team_id, user_id, now=now)


@pytest.fixture
def svc(engine) -> Service:
    with Session(engine, expire_on_commit=False) as s:
        w = standard_world(s, NOW)
        w.task("lin", "编制数据目录", due=d("2026-12-31"), owner="zhang", force="数据共享专班")
        s.commit()
    service = Service(engine, tz=TZ, default_lang="zh", clock=lambda: NOW)
    service.queue_homes = True
    return service


def _say(svc: Service, user: str, line: str):
    command, _, rest = line.partition(" ")
    return svc.handle(Caller("T1", user, "C1", name=user), command, rest, now=NOW)


def _rows(engine) -> dict[str, int]:
    with Session(engine) as s:
        return {q.user_id: q.version for q in s.exec(select(HomeQueue)).all()}


def _publish(engine, publisher, **kw) -> homequeue.HomeStats:
    return homequeue.publish(engine, publisher, now=NOW, **kw)


def test_a_change_queues_the_homes_it_touched_once_each_however_many_changes(engine, svc) -> None:
    assert _say(svc, "zhang", "/task progress 1 20%").ok
    assert _rows(engine) == {"zhang": 1}
    assert _say(svc, "lin", "/task progress 1 30%").ok  # the lead changes zhang's task: both homes
    assert _say(svc, "zhang", "/task progress 1 40%").ok
    assert _rows(engine) == {"zhang": 3, "lin": 1}
    publisher = Publisher()
    stats = _publish(engine, publisher)
    assert sorted(publisher.published) == [("T1", "lin"), ("T1", "zhang")]  # a burst is published once
    assert stats.published == 2 and _rows(engine) == {}


def test_reads_refusals_and_other_surfaces_queue_nothing(engine, svc) -> None:
    assert _say(svc, "zhang", "/task list").ok
    assert _say(svc, "zhang", "/task show 1").ok
    refused = _say(svc, "wang", "/task progress 1 50%")  # not wang's task
    assert not refused.ok
    assert _say(svc, "zhang", "/task progress 999 50%").ok is False
    console = Service(engine, tz=TZ, default_lang="zh", clock=lambda: NOW)  # no Slack surface: no App Home
    assert console.handle(Caller("T1", "zhang", "C1"), "/task", "progress 1 60%", now=NOW).ok
    assert _rows(engine) == {}


def test_a_workspace_on_another_platform_queues_no_home(engine, svc) -> None:
    with session_scope(engine) as s:
        s.execute(update(Workspace).where(Workspace.team_id == "T1").values(platform="dingtalk"))
    assert _say(svc, "zhang", "/task progress 1 20%").ok
    assert _rows(engine) == {}


def test_the_home_is_queued_in_the_changes_transaction(engine, svc) -> None:
    """A change that rolls back (here: the commit fails) leaves no row; one that commits always has its row."""
    with pytest.raises(RuntimeError), session_scope(engine) as s:
        ws = s.exec(select(Workspace).where(Workspace.team_id == "T1")).one()
        homequeue.mark(s, ws.id, ["zhang"], now=NOW)
        raise RuntimeError("the change failed after queueing")
    assert _rows(engine) == {}


def test_a_change_during_the_publish_publishes_again_with_it(engine, svc) -> None:
    seen: list[int] = []

    def change() -> None:  # another request commits while zhang's home is being built
        assert _say(svc, "zhang", "/task progress 1 70%").ok

    publisher = Publisher(during=change)
    first = _publish(engine, publisher)
    assert _rows(engine) == {}  # nothing was queued yet
    assert _say(svc, "zhang", "/task progress 1 20%").ok
    publisher.during = change
    first = _publish(engine, publisher, limit=1)
    assert first.published == 1 and first.again == 1
    assert "zhang" in _rows(engine)  # kept for the change made meanwhile
    second = _publish(engine, publisher)
    seen = [u for _, u in publisher.published]
    assert second.published == 1 and seen == ["zhang", "zhang"] and _rows(engine) == {}


@pytest.mark.parametrize("retry_after", [1e9, float("inf"), float("nan"), -3.0])
def test_a_hostile_retry_after_holds_the_home_for_an_hour_at_most_and_the_next_goes_on(engine, svc, retry_after):
    assert _say(svc, "lin", "/task progress 1 30%").ok  # lin first, then zhang
    publisher = Publisher(DeliveryError("rate limited (429)", retry_after=retry_after))
    stats = _publish(engine, publisher)
    assert stats.retried == 1 and stats.published == 1 and len(publisher.published) == 1
    with Session(engine) as s:
        row = s.exec(select(HomeQueue)).one()
        wait = (row.not_before - utcnow()).total_seconds()
    assert 0 < wait <= 3600 and row.claimed_by is None
    assert _publish(engine, publisher).claimed == 0  # not before its time
    later = utcnow() + timedelta(seconds=wait + 1)
    assert _publish(engine, publisher, clock=lambda: later).published == 1
    assert _rows(engine) == {}


@pytest.mark.parametrize("error", [RuntimeError("a bug in rendering the home"), KeyError("view"),
                                   DeliveryError("Slack error: HTTP 500")])
def test_any_failure_is_retried_later_and_the_next_home_is_published(engine, svc, error, caplog) -> None:
    assert _say(svc, "lin", "/task progress 1 30%").ok
    publisher = Publisher(error)
    stats = _publish(engine, publisher)
    assert stats.retried == 1 and stats.published == 1
    with Session(engine) as s:
        row = s.exec(select(HomeQueue)).one()
    assert row.attempts == 1 and row.not_before is not None and row.claimed_by is None


def test_attempts_are_bounded_and_a_permanent_refusal_drops_the_home(engine, svc) -> None:
    assert _say(svc, "zhang", "/task progress 1 30%").ok
    failing = Publisher(*(DeliveryError("Slack error: HTTP 500") for _ in range(homequeue.MAX_ATTEMPTS)))
    clock = [utcnow()]
    for _ in range(homequeue.MAX_ATTEMPTS):
        _publish(engine, failing, clock=lambda: clock[0])
        clock[0] += timedelta(hours=1)
    assert _rows(engine) == {} and failing.published == []
    assert _say(svc, "zhang", "/task progress 1 40%").ok  # the next change queues it again
    stats = _publish(engine, Publisher(DeliveryError("Slack refused: user_not_found", permanent=True)))
    assert stats.dropped == 1 and _rows(engine) == {}


def test_a_live_claim_is_not_built_twice_and_a_dead_workers_claim_runs_out(engine, svc) -> None:
    assert _say(svc, "zhang", "/task progress 1 30%").ok
    started, release = threading.Event(), threading.Event()
    other = Publisher()

    def meanwhile() -> None:
        started.set()
        assert _publish(engine, other, worker_id="w2").claimed == 0  # w1 holds it
        release.set()

    assert _publish(engine, Publisher(during=meanwhile), worker_id="w1").published == 1 and release.is_set()
    assert other.published == []
    # A worker that died mid-build: its lease runs out and another one publishes the home.
    assert _say(svc, "zhang", "/task progress 1 40%").ok
    with session_scope(engine) as s:
        s.execute(update(HomeQueue).values(claimed_by="dead", claimed_until=utcnow() + timedelta(seconds=30)))
    assert _publish(engine, other, worker_id="w2").claimed == 0
    later = utcnow() + homequeue.LEASE
    assert _publish(engine, other, worker_id="w2", clock=lambda: later).published == 1
    assert _rows(engine) == {}


def test_the_delivery_loop_publishes_homes_through_its_notifier_or_the_routed_slack_one(engine, svc) -> None:
    assert _say(svc, "zhang", "/task progress 1 30%").ok
    sink = Sink()
    stats = deliver(engine, sink, now=NOW + timedelta(minutes=1))
    assert stats.homes == 1 and sink.homes.published == [("T1", "zhang")]
    assert _say(svc, "zhang", "/task progress 1 40%").ok
    routed = Routed({"slack": sink, "dingtalk": Sink()})
    assert deliver(engine, routed, now=NOW + timedelta(minutes=1)).homes == 1
    assert homequeue.publisher_of(object()) is None


def test_the_slack_notifier_builds_the_home_the_person_sees(engine, svc) -> None:
    """SlackNotifier.publish_home: the same view the web process built before, from the worker's own Service."""
    from bot.settings import Settings
    from bot.slack.notifier import SlackNotifier

    published: list[dict] = []

    class Client:
        def views_publish(self, *, user_id: str, view: dict) -> None:
            published.append(dict(user_id=user_id, view=view))

    notifier = SlackNotifier(Settings(SLACK_BOT_TOKEN="xoxb-test", _env_file=None))  # type: ignore[call-arg]
    notifier.client = Client()  # type: ignore[assignment]
    assert _say(svc, "zhang", "/task progress 1 30%").ok
    assert deliver(engine, notifier, now=NOW + timedelta(minutes=1)).homes == 1
    assert published[0]["user_id"] == "zhang" and published[0]["view"]["type"] == "home"
    assert "编制数据目录" in str(published[0]["view"]) and "30%" in str(published[0]["view"])
    with Session(engine) as s:  # building a home queues nothing, not even itself
        assert s.exec(select(HomeQueue)).first() is None
        assert s.exec(select(Task).where(Task.id == 1)).one().progress == 30
        assert s.exec(select(Person).where(Person.chat_user_id == "zhang")).one()
