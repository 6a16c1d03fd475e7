"""The scheduler's fixed jobs, ``guatu jobs list`` and ``guatu jobs run`` (run_job), and once-only runs."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from apscheduler.jobstores.memory import MemoryJobStore
from sqlmodel import Session

from jobs import registry
from jobs.registry import JOB_IDS, list_jobs, run_job
from jobs.scheduler import build_scheduler
from tests.conftest import TZ, at
from tests.factories import d, standard_world
from tests.outbox_fakes import Recorder, queue, rows

NOW = at("2026-11-23 10:02")  # a Monday
REQUIRED = ("reminders", "nudges", "escalations", "notices", "digests", "meetings", "deliver")


def test_the_scheduler_has_the_fixed_jobs_coalesced_one_instance_each_in_memory(sqlite_engine):
    scheduler = build_scheduler(sqlite_engine, Recorder(), tz=TZ)
    scheduler.start(paused=True)  # a running scheduler plans from the real clock
    real_now = datetime.now(TZ)
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == set(JOB_IDS) and set(REQUIRED) <= set(JOB_IDS)
        for job in jobs.values():
            assert job.coalesce is True and job.max_instances == 1 and job.misfire_grace_time > 0
        assert isinstance(scheduler._lookup_jobstore("default"), MemoryJobStore)
        # Aligned to local midnight: the 5-minute sweeps run on the clock (…:05:00), delivery every 3 s.
        listed = dict(list_jobs(scheduler, real_now, tz=TZ))
        reminders = listed["reminders"].astimezone(TZ)
        assert reminders.minute % 5 == 0 and reminders.second == 0
        assert timedelta(0) <= reminders - real_now <= timedelta(minutes=5)
        assert listed["deliver"] - real_now <= timedelta(seconds=3)
    finally:
        scheduler.shutdown(wait=False)


def test_jobs_list_without_a_scheduler_shows_when_each_would_run():
    listed = list_jobs(None, NOW, tz=TZ)
    assert [job_id for job_id, _ in listed] == list(JOB_IDS)
    assert all(NOW <= next_run <= NOW + timedelta(minutes=15) for _, next_run in listed)
    assert dict(listed)["escalations"] == at("2026-11-23 10:05")


def test_run_job_runs_a_sweep_and_delivers_what_it_wrote_before_returning(engine):
    with Session(engine, expire_on_commit=False) as s:
        w = standard_world(s, at("2026-11-02 10:00"))
        w.task("lin", "编制数据目录", due=d("2026-11-26"), owner="zhang", force="数据共享专班")
        s.commit()
    sink = Recorder()
    naps: list[float] = []
    result = run_job("reminders", engine, sink, now=at("2026-11-23 09:00"), sleep=naps.append)
    assert result["reminders"] == 1
    assert result["deliver"]["sent"] >= 1 and "还有 3 个工作日" in sink.texts("zhang")[-1]
    # What setting up the world queued for the same recipients was paced at one a second, waited for.
    assert naps and all(0 < nap <= 1.1 for nap in naps)
    assert all(r.status == "sent" for r in rows(engine))
    again = run_job("reminders", engine, sink, now=at("2026-11-23 09:05"), sleep=naps.append)
    assert again["reminders"] == 0 and again["deliver"]["claimed"] == 0


def test_run_all_runs_every_sweep_then_delivery(engine):
    result = run_job("all", engine, Recorder(), now=NOW, sleep=lambda _: None)
    assert list(result) == [*registry.JOBS, "deliver"]
    assert all(result[name] == 0 for name in registry.JOBS)


def test_run_job_leaves_messages_deferred_to_the_morning_queued(engine):
    with Session(engine, expire_on_commit=False) as s:
        from models import outbox
        ws = standard_world(s, NOW).ws
        outbox.enqueue(s, workspace_id=ws.id, key="morning", recipient="U9", text="早上好", kind="test", now=NOW,
                       not_before=NOW + timedelta(hours=20))
        s.commit()
    result = run_job("deliver", engine, Recorder(min_interval=0), now=NOW, sleep=pytest.fail)
    assert result["deliver"]["sent"] >= 1
    assert [r.status for r in rows(engine) if r.recipient == "U9"] == ["pending"]


def test_an_unknown_job_is_refused_with_the_list(engine):
    with pytest.raises(ValueError) as refused:
        run_job("remind", engine, Recorder(), now=NOW)
    assert "reminders" in str(refused.value) and "all" in str(refused.value)


def test_a_scheduled_tick_runs_the_job_with_the_time_it_is_given(sqlite_engine):
    queue(sqlite_engine, [("U-tick", "hello")], now=NOW, team="T-tick")
    sink = Recorder()
    scheduler = build_scheduler(sqlite_engine, sink, tz=TZ, now_fn=lambda: NOW)
    scheduler.start(paused=True)
    try:
        scheduler.get_job("deliver").func(**scheduler.get_job("deliver").kwargs)
        scheduler.get_job("reminders").func(**scheduler.get_job("reminders").kwargs)
    finally:
        scheduler.shutdown(wait=False)
    assert ("U-tick", "hello") in sink.sent




def test_guatu_worker_runs_the_scheduler_with_no_http_server_and_stops_on_request(tmp_path, monkeypatch, capsys):
    import threading

    from bot import cli
    from bot.settings import Settings
    from jobs import scheduler as sched

    started: list = []
    real = sched.build_scheduler

    def spy(*args, **kwargs):
        s = real(*args, **kwargs)
        started.append(s)
        return s

    monkeypatch.setattr(sched, "build_scheduler", spy)
    settings = Settings(DATABASE_URL=f"sqlite:///{tmp_path / 'w.db'}", _env_file=None)
    stop = threading.Event()
    done: list[int] = []
    t = threading.Thread(target=lambda: done.append(cli.cmd_worker(None, settings, stop=stop)))
    t.start()
    for _ in range(100):
        if started and started[0].running:
            break
        threading.Event().wait(0.05)
    assert started and started[0].running
    assert {j.id for j in started[0].get_jobs()} == set(JOB_IDS)
    stop.set()
    t.join(timeout=20)
    assert done == [0] and not started[0].running
    assert "worker" in capsys.readouterr().err
