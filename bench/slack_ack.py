"""Slack acknowledgement latency at province scale.

Signed ``/task list`` and ``/task progress`` requests go through the real HTTP app (uvicorn,
Starlette, bolt, the Service, the database) with N tasks loaded; the figure is the time until the
acknowledgement, which is what Slack holds to 3 s. Guatu puts the reply itself in the
acknowledgement when it is ready within 2 s, so these are also the times until the user sees it.
The Slack Web API is a local stub (auth.test at start, App Home publishing after each change).

The web process is a child process of the benchmark (``--serve``), built like ``guatu serve`` with
``GUATU_SCHEDULER=off``; its peak RSS (``rss_mb``) is read from /proc after it has also answered
``/force map`` (the war map is drawn in a grandchild, ``present.warmap_png``). The second round runs
with a separate worker process (``--sweep``) doing a worker's pass over and over: reminders, nudges,
escalations, briefings and delivery (with the App Homes the web process queued), at the province's ``now`` with its ``due_each`` of each due every
pass (``ack_under_sweep_p99_ms``; the note says how many passes ran and how many messages they wrote
and delivered); its peak RSS is ``worker_rss_mb``.

    python -m bench.slack_ack [--tasks N] [--db sqlite|postgres] [--requests K]

``python -m bench`` runs it with the other benchmarks.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx
import uvicorn
from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import col

from bot.dispatch import Service
from bot.settings import Settings
from bot.slack.server import build, create_asgi
from models.db import make_engine
from models.migrate import upgrade
from models.tables import Department, ExtensionRequest, ForceMember, Person, Task, TaskForce, Workspace

TZ = ZoneInfo("Asia/Shanghai")
TEAM, USER = "T-BENCH", "U00000"  # the person measured: owns MINE tasks and leads the first task force
MINE = 20
SECRET = "bench-signing-secret"
BATCH = 5_000
WARMUP = 10
RESPONSE_URL = "http://127.0.0.1:9/unused"  # the stub's, once it runs


def seed(engine: Engine, *, tasks: int, today: date | None = None) -> int:
    """Bulk-loads a province-like workspace (core inserts in batches); returns a task of USER's to update.

    One person per 20 tasks, one task force per 100 tasks (a lead and ten members each), 70 % of
    the tasks live, 2 % with an extension request pending."""
    rng = random.Random(tasks)
    now = datetime.now(UTC)
    today = today or datetime.now(TZ).date()
    people, forces = max(50, tasks // 20), max(5, tasks // 100)
    with engine.begin() as conn:
        ws = conn.execute(insert(Workspace).values(team_id=TEAM, name="浙江省", created_at=now)
                          .returning(col(Workspace.id))).scalar_one()
        dept_ids = conn.execute(insert(Department).returning(col(Department.id)),
                                [dict(workspace_id=ws, name=f"单位{i}", created_at=now) for i in range(50)]).scalars().all()
        person_ids = _batched(conn, Person, [dict(workspace_id=ws, chat_user_id=f"U{i:05d}", name=f"干部{i}",
                                                  department_id=dept_ids[i % 50], created_at=now) for i in range(people)])
        force_ids = _batched(conn, TaskForce, [dict(workspace_id=ws, name=f"专班{i}", channel_id=f"C{i:05d}", status="open",
                                                    policy={}, created_at=now) for i in range(forces)])
        members = [dict(force_id=f, person_id=person_ids[(i * 11) % people], is_lead=True, joined_at=now)
                   for i, f in enumerate(force_ids)]
        members += [dict(force_id=f, person_id=person_ids[(i * 11 + k) % people], is_lead=False, joined_at=now)
                    for i, f in enumerate(force_ids) for k in range(1, 11)]
        _batched(conn, ForceMember, members, returning=False)
        rows = []
        for i in range(tasks):
            mine = i < MINE
            status = "active" if mine else rng.choices(
                ["todo", "active", "blocked", "done_requested", "done", "cancelled"], [20, 40, 5, 5, 25, 5])[0]
            start = today - timedelta(days=rng.randint(10, 90))
            due = today + timedelta(days=rng.randint(-30, 180) if not mine else 10 + i)
            rows.append(dict(workspace_id=ws, force_id=force_ids[0 if mine else i % forces], title=f"任务{i}：推进数据共享",
                             owner_id=person_ids[0 if mine else 1 + i % (people - 1)], department_id=dept_ids[i % 50],
                             priority="high" if i % 17 == 0 else "normal", status=status,
                             progress=100 if status in ("done", "done_requested") else rng.randint(0, 90),
                             start_date=start, baseline_due=due, due=due, created_at=now, updated_at=now,
                             last_progress_at=now - timedelta(days=rng.randint(0, 20))))
        task_ids = _batched(conn, Task, rows)
        _batched(conn, ExtensionRequest, [
            dict(task_id=t, requested_by_id=person_ids[1], old_due=today, new_due=today + timedelta(days=30),
                 reason="等待接口", status="pending", created_at=now) for t in task_ids[MINE::50]], returning=False)
    return task_ids[0]


def _batched(conn, table, rows: list[dict], *, returning: bool = True) -> list[int]:
    ids: list[int] = []
    for start in range(0, len(rows), BATCH):
        chunk = rows[start:start + BATCH]
        if returning:
            ids += conn.execute(insert(table).returning(table.id), chunk).scalars().all()
        else:
            conn.execute(insert(table), chunk)
    return ids


# ---------------------------------------------------------------- a Slack stub and our app


class _Stub(BaseHTTPRequestHandler):
    """Slack's Web API reduced to "ok": auth.test at start, views.publish after each change."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        port = self.server.server_address[1]  # type: ignore[index]
        answer = json.dumps({"ok": True, "team_id": TEAM, "user_id": "UBOT", "bot_id": "BBENCH", "ts": "1.1",
                             "view": {"id": "V1"}, "channel": {"id": "D1"}, "file_id": "F1", "files": [{"id": "F1"}],
                             "upload_url": f"http://127.0.0.1:{port}/upload",
                             "user": {"id": USER, "real_name": "干部0", "locale": "zh-CN", "tz": "Asia/Shanghai"}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    do_GET = do_POST

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def _stub() -> Iterator[str]:
    stub = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    stub.daemon_threads = True
    threading.Thread(target=stub.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{stub.server_address[1]}"
    finally:
        stub.shutdown()


def _child_env() -> dict[str, str]:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)}


@contextmanager
def _serving(db_url: str, stub_url: str) -> Iterator[tuple[str, int]]:
    """Our HTTP app in a child process (``--serve``); yields its URL and pid."""
    child = subprocess.Popen([sys.executable, "-m", "bench.slack_ack", "--serve", db_url, stub_url],
                             stdout=subprocess.PIPE, env=_child_env(), text=True)
    try:
        line = child.stdout.readline() if child.stdout else ""
        if not line.strip().isdigit():
            raise RuntimeError(f"the web process did not start (exit {child.poll()})")
        yield f"http://127.0.0.1:{line.strip()}", child.pid
    finally:
        child.terminate()
        child.wait(30)


def _serve(db_url: str, stub_url: str) -> None:
    """The child: the app on a free port, printed on stdout, until terminated."""
    settings = Settings(SLACK_BOT_TOKEN="xoxb-bench", SLACK_SIGNING_SECRET=SECRET, GUATU_SCHEDULER="off",  # type: ignore[arg-type]
                        SLACK_API_URL=f"{stub_url}/api/", _env_file=None)
    engine = make_engine(db_url)
    slack = build(settings, Service(engine, tz=TZ, default_lang="zh"))
    sock = socket.socket()
    # uvicorn sets no TCP_NODELAY on a socket it is handed: without it each answer waits ~40 ms for a delayed ACK.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    asgi = create_asgi(slack.app, engine, signing_secret=slack.signing_secret)
    server = uvicorn.Server(uvicorn.Config(asgi, log_level="warning", lifespan="off"))
    print(sock.getsockname()[1], flush=True)
    server.run(sockets=[sock])


class _NullNotifier:
    """Delivery into nowhere, at once: the worker's messages leave the outbox as they would to Slack, and the App
    Homes the web process queued are built as Slack's notifier builds them (``bot.slack.home.home_view``: the
    worker's CPU on the same two cores), then dropped instead of views.publish."""

    min_interval = 0.0

    def __init__(self) -> None:
        self.service: Service | None = None
        self.homes = 0

    def send(self, recipient: str, text: str, blocks: list | None = None) -> str:
        return "1.1"

    def publish_home(self, engine: Engine, team_id: str, user_id: str, *, now: datetime) -> None:
        from bot.dispatch import Caller
        from bot.slack.home import home_view

        if self.service is None:
            self.service = Service(engine, tz=TZ, default_lang="zh")
        home_view(self.service, Caller(team_id, user_id), now=now)
        self.homes += 1


MIN_PASSES, MAX_ROUNDS = 2, 8  # the acks under sweep go on until the worker has done MIN_PASSES passes
DELIVER_EACH_PASS = 100  # delivery is paced (~18 messages/s here): a pass sends a slice, not its 3,000


def _sweep(db_url: str, at: str) -> None:
    """The child: a worker's pass over and over (reminders, nudges, escalations, briefings, then a slice of
    delivery), each pass with the same messages due. ``at`` is the moment swept, ISO: the province's ``now``,
    when its ``due_each`` reminders, nudges and 督办 levels are due and nothing else. Before each pass what
    the passes wrote is forgotten (``bench.sweeps._forget_reminders``), so every pass has as much to do, as
    in the sweeps suite. Swept at the real date instead (8 days after the seed), a first pass had 357k
    nudges and 165k escalations due and took over 6 minutes; and delivering everything a pass writes
    before the next pass (paced by the workspace's token bucket) took 64 s for 1,200 messages: either way
    no pass ended while the acks were measured. Prints one line a pass: passes, written, delivered, homes built."""
    from bench.sweeps import _forget_reminders, _marks
    from jobs.briefings import sweep_briefings
    from jobs.deliver import deliver
    from jobs.sweeps import sweep_escalations, sweep_nudges, sweep_reminders

    engine = make_engine(db_url)
    now = datetime.fromisoformat(at)
    marks = _marks(engine)
    passes = written = delivered = 0
    notifier = _NullNotifier()
    print("ready", flush=True)
    while True:
        _forget_reminders(engine, marks)
        for sweep in (sweep_reminders, sweep_nudges, sweep_escalations):
            written += sweep(engine, now=now, tz=TZ)
        sweep_briefings(engine, now, tz=TZ)
        delivered += deliver(engine, notifier, now=now, limit=DELIVER_EACH_PASS).sent
        passes += 1
        print(f"{passes} {written} {delivered} {notifier.homes}", flush=True)


def _peak_rss_mb(pid: int) -> float:
    """VmHWM (peak resident set) of a live process, in MB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _signed(command: str, text: str, n: int) -> tuple[bytes, dict[str, str]]:
    body = urlencode({"token": "x", "team_id": TEAM, "team_domain": "zj", "channel_id": "C00000", "user_id": USER,
                      "user_name": "ganbu0", "command": command, "text": text, "trigger_id": f"{n}.t",
                      "response_url": RESPONSE_URL}).encode()
    ts = str(int(time.time()))
    signature = "v0=" + hmac.new(SECRET.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": ts,
                  "X-Slack-Signature": signature}


def _measure(http: httpx.Client, count: int, make: Callable[[int], tuple[str, str]]) -> tuple[list[float], int]:
    """Milliseconds to the acknowledgement of ``count`` requests in a row, and how many carried the reply."""
    times, answered = [], 0
    for n in range(-WARMUP, count):
        body, headers = _signed(*make(n), n)
        started = time.perf_counter()
        r = http.post("/slack/events", content=body, headers=headers)
        elapsed = (time.perf_counter() - started) * 1000
        r.raise_for_status()
        if n >= 0:
            times.append(elapsed)
            answered += not r.json()["text"].startswith("⏳")  # ⏳: the holding answer, reply comes later
    return times, answered


def _pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def _pair(name: str, key: str | None, times: list[float], note: str) -> list[dict]:
    return [dict(name=f"{name}.ack_p50", key=None, value=round(_pct(times, 50), 1), unit="ms", note=note),
            dict(name=f"{name}.ack_p99", key=key, value=round(_pct(times, 99), 1), unit="ms", note="")]


def run(tasks: int, db_url: str, *, province=None, requests: int = 300) -> list[dict]:
    """Ack latency p50/p99 of /task list and /task progress with ``tasks`` tasks in the database, alone and with
    a worker sweeping; the web process's and the worker's peak RSS. With ``province`` (``python -m bench``
    passes the one it seeded; ``db_url`` is a copy of it) the caller is a province member updating one of
    their own live tasks; without it the database is seeded here (``seed``)."""
    global TEAM, USER
    engine = make_engine(db_url)
    upgrade(engine)
    started = time.perf_counter()
    if province is not None:
        TEAM, USER, task_id = province.team_id, province.member_user, province.member_task_id
        sweep_at, due = province.now, f"{len(province.due_reminders):,} due each"
        rows = [dict(name="seed", key=None, value=0.0, unit="s",
                     note=f"the province, seeded once: {province.tasks:,} tasks, {province.people:,} people")]
    else:
        task_id = seed(engine, tasks=tasks)
        sweep_at, due = datetime.now(TZ).replace(hour=9, minute=30, second=0, microsecond=0), "what the seed left due"
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        rows = [dict(name="seed", key=None, value=round(time.perf_counter() - started, 2), unit="s",
                     note=f"{tasks:,} tasks, {max(50, tasks // 20):,} people, {max(5, tasks // 100):,} task forces")]
    engine.dispose()
    commands = (("task_list", lambda n: ("/task", "list")),
                ("task_progress", lambda n: ("/task", f"progress {task_id} {n % 101}%")))
    with _stub() as stub, _serving(db_url, stub) as (url, pid), httpx.Client(base_url=url, timeout=30) as http:
        global RESPONSE_URL
        RESPONSE_URL = f"{stub}/response"
        worst: list[float] = []
        for name, make in commands:
            times, answered = _measure(http, requests, make)
            worst += times
            rows += _pair(name, None, times, f"{requests} signed requests in a row; {answered}/{requests} answered in "
                                          "the ack (Slack allows 3000 ms)")
        rows += [dict(name="ack_p99", key="ack_p99_ms", value=round(_pct(worst, 99), 1), unit="ms",
                      note="both commands together, no worker running")]
        rounds = 1
        sweeper = subprocess.Popen([sys.executable, "-m", "bench.slack_ack", "--sweep", db_url, sweep_at.isoformat()],
                                   stdout=subprocess.PIPE, env=_child_env(), text=True)
        try:
            assert sweeper.stdout is not None
            sweeper.stdout.readline()  # ready
            progress: list[str] = []
            threading.Thread(target=lambda: progress.extend(sweeper.stdout or []), daemon=True).start()
            # Rounds of both commands until the worker has finished MIN_PASSES passes (a pass takes 10-50 s here,
            # more than a round of acks): every ack counted was answered while a pass was under way.
            under: dict[str, list[float]] = {name: [] for name, _ in commands}
            began, rounds = time.perf_counter(), 0
            while rounds < MAX_ROUNDS and (rounds == 0 or len(progress) < MIN_PASSES):
                for name, make in commands:
                    under[name] += _measure(http, requests, make)[0]
                rounds += 1
            took = time.perf_counter() - began
            passes, written, delivered, homes = (int(v) for v in (progress[-1].split() if progress else ["0"] * 4))
            for name, _ in commands:
                rows += _pair(f"{name}+sweeping", None, under[name], "")
            everything = [t for times in under.values() for t in times]
            rows += [dict(name="ack_under_sweep_p99", key="ack_under_sweep_p99_ms", value=round(_pct(everything, 99), 1),
                          unit="ms", note=f"{len(everything):,} acks ({rounds} rounds, {took:.0f} s) while a worker process "
                                          f"swept: {passes} passes of {due} (reminders, nudges, escalations, briefings, "
                                          f"{DELIVER_EACH_PASS} delivered a pass), {written:,} messages written, "
                                          f"{delivered:,} delivered, {homes:,} App Homes built (queued by the web process)")]
            rows += [dict(name="worker_rss", key="worker_rss_mb", value=round(_peak_rss_mb(sweeper.pid), 1), unit="MB",
                          note="peak RSS of the sweeping worker process")]
        finally:
            sweeper.terminate()
            sweeper.wait(30)
        body, headers = _signed("/force", "map 专班0", 0)
        began = time.perf_counter()
        http.post("/slack/events", content=body, headers=headers).raise_for_status()
        time.sleep(1.0)
        rows += [dict(name="rss", key="rss_mb", value=round(_peak_rss_mb(pid), 1), unit="MB",
                      note=f"peak RSS of the web process after {2 * (requests + WARMUP) * (1 + rounds)} requests and a /force map "
                           f"(acked in {(time.perf_counter() - began - 1.0) * 1000:.0f} ms; drawn in a child process)")]
    return rows


def main(argv: list[str] | None = None) -> int:
    from bench.common import fresh_db

    p = argparse.ArgumentParser(prog="python -m bench.slack_ack", description=__doc__.split("\n\n")[0])
    p.add_argument("--tasks", type=int, default=100_000)
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--requests", type=int, default=300, help="requests per command (default 300)")
    p.add_argument("--serve", nargs=2, metavar=("DB_URL", "STUB_URL"), help=argparse.SUPPRESS)
    p.add_argument("--sweep", nargs=2, metavar=("DB_URL", "AT"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.serve:
        _serve(*args.serve)
        return 0
    if args.sweep:
        _sweep(*args.sweep)
        return 0
    with fresh_db(args.db) as url:
        rows = run(args.tasks, url, requests=args.requests)
    for r in rows:
        print(f"{r['name']:<28} {r['value']:>10,} {r['unit']:<3} {r['note']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
