"""Outbox delivery under a platform-wide rate limit, through the real Slack notifier.

A local fake of Slack's Web API accepts at most R chat.postMessage calls a second for the whole
workspace (a token bucket holding one second's worth, starting empty) and answers 429 with an integer
Retry-After beyond it; in the second run it also answers some calls with a bare 5xx, half of them
after it kept the message (the answer lost on the way back: the worker must ask the history, not
post again). Every message carries its own token and the fake records what it kept, so each one is
checked by identity: ``lost`` (never kept), ``doubled`` (kept twice).

    python -m bench.delivery [--db sqlite|postgres] [--rate R] [--messages 800,4000]

Figures: ``delivery_fraction`` (messages / time from first to last kept / R, 429 storm only),
``lost``, ``doubled``, ``platform_calls_per_message`` (every Web API call, 429s, 5xx and history
reads included, per message), for each message count; the 5xx run reports its own lost/doubled.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Engine
from sqlmodel import col

from bot.settings import Settings
from bot.slack.notifier import SlackNotifier
from jobs.deliver import deliver
from models.db import make_engine
from models.migrate import upgrade
from models.tables import Outbox, Workspace

TEAM = "T-DELIVERY"


class FakeSlack:
    """The platform's state: the bucket, what it kept per channel, and every call it answered."""

    def __init__(self, rate: float, *, error_rate: float = 0.0, seed: int = 7) -> None:
        self.rate, self.error_rate = rate, error_rate
        self.tokens, self.refilled = 1.0, time.monotonic()
        self.kept: dict[str, list[dict[str, Any]]] = {}
        self.calls: Counter[str] = Counter()
        self.first: float | None = None
        self.last: float | None = None
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.seq = 0

    def post(self, form: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            self.calls["chat.postMessage"] += 1
            now = time.monotonic()
            self.tokens = min(self.rate, self.tokens + (now - self.refilled) * self.rate)
            self.refilled = now
            if self.tokens < 1.0:
                self.calls["429"] += 1
                wait = max(1, math.ceil((1.0 - self.tokens) / self.rate))
                return 429, {"Retry-After": str(wait)}, json.dumps({"ok": False, "error": "ratelimited"}).encode()
            self.tokens -= 1.0
            fault = self.rng.random() < self.error_rate
            if fault and self.rng.random() < 0.5:  # refused before keeping it
                self.calls["5xx"] += 1
                return 503, {"Content-Type": "text/html"}, b"<html>503 Service Unavailable</html>"
            self.seq += 1
            ts = f"{int(time.time())}.{self.seq:06d}"
            metadata = form.get("metadata")
            if isinstance(metadata, str):
                metadata = json.loads(metadata)
            channel = str(form.get("channel"))
            self.kept.setdefault(channel, []).append({"ts": ts, "text": form.get("text"), "metadata": metadata})
            self.first = self.first if self.first is not None else now
            self.last = now
            if fault:  # kept, but the answer is lost: a bare gateway error
                self.calls["5xx"] += 1
                return 502, {"Content-Type": "text/html"}, b"<html>502 Bad Gateway</html>"
            return 200, {}, json.dumps({"ok": True, "channel": channel, "ts": ts}).encode()

    def history(self, form: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            self.calls["conversations.history"] += 1
            messages = list(reversed(self.kept.get(str(form.get("channel")), [])))
        return 200, {}, json.dumps({"ok": True, "messages": messages, "has_more": False}).encode()


def _handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            if "json" in (self.headers.get("Content-Type") or ""):
                form = json.loads(raw or "{}")
            else:
                form = {k: v[0] for k, v in parse_qs(raw).items()}
            method = self.path.rsplit("/", 1)[-1]
            if method == "chat.postMessage":
                status, headers, body = fake.post(form)
            elif method == "conversations.history":
                status, headers, body = fake.history(form)
            else:
                with fake.lock:
                    fake.calls[method] += 1
                status, headers, body = 200, {}, json.dumps({"ok": True, "channel": {"id": form.get("users")}}).encode()
            self.send_response(status)
            headers = {"Content-Type": "application/json", **headers}
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


def seed(engine: Engine, *, messages: int, channels: int, tag: str) -> list[str]:
    """``messages`` pending outbox rows spread over ``channels`` channels; returns each one's token."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        ws = conn.execute(select(col(Workspace.id)).where(col(Workspace.team_id) == TEAM)).scalar()
        if ws is None:
            ws = conn.execute(insert(Workspace).values(team_id=TEAM, name="bench", created_at=now)
                              .returning(col(Workspace.id))).scalar_one()
        tokens = [f"{tag}-{i:05d}" for i in range(messages)]
        conn.execute(insert(Outbox), [dict(workspace_id=ws, idempotency_key=f"bench:{tok}", recipient=f"C{i % channels:04d}",
                                           text=f"催办 {tok}", kind="bench", status="pending", attempts=0,
                                           next_attempt_at=now, created_at=now) for i, tok in enumerate(tokens)])
    return tokens


def one_run(engine: Engine, *, rate: float, messages: int, error_rate: float, tag: str,
            timeout: float = 600.0) -> dict[str, Any]:
    fake = FakeSlack(rate, error_rate=error_rate)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings = Settings(SLACK_BOT_TOKEN="xoxb-bench",  # type: ignore[arg-type]
                            SLACK_API_URL=f"http://127.0.0.1:{server.server_address[1]}/api/", _env_file=None)
        notifier = SlackNotifier(settings)
        notifier.workspace_rate = rate  # the platform's published workspace limit, as an operator sets it
        tokens = seed(engine, messages=messages, channels=max(4, int(2 * rate)), tag=tag)
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            stats = deliver(engine, notifier, now=datetime.now(UTC))
            with engine.connect() as conn:
                left = conn.execute(select(func.count()).select_from(Outbox)
                                    .where(col(Outbox.status).in_(("pending", "sending")))).scalar_one()
            if not left:
                break
            if not stats.claimed:
                time.sleep(0.2)
        took = time.monotonic() - started
    finally:
        server.shutdown()
    kept = Counter(m["text"].split()[-1] for ms in fake.kept.values() for m in ms)
    lost = sum(1 for t in tokens if kept[t] == 0)
    doubled = sum(1 for t in tokens if kept[t] > 1)
    span = (fake.last or 0) - (fake.first or 0)
    calls = sum(v for k, v in fake.calls.items() if k not in ("429", "5xx"))
    return dict(messages=messages, lost=lost, doubled=doubled, took=took,
                fraction=messages / span / rate if span > 0 else 0.0, calls=calls / messages,
                limited=fake.calls["429"], errors=fake.calls["5xx"])


def run(tasks: int, db_url: str, *, province=None, rate: float = 50.0, counts: tuple[int, ...] = (800, 4000),
        error_rate: float = 0.02) -> list[dict]:
    """The delivery figures (``tasks`` is not used). With ``province`` (``python -m bench`` passes the one it
    seeded; ``db_url`` is a copy of it) the messages are delivered from an outbox that also holds the
    province's history (every row of it sent, so only these messages are pending); without it the outbox
    holds only these messages."""
    engine = make_engine(db_url)
    upgrade(engine)
    rows: list[dict] = []
    results = []
    for n in counts:
        r = one_run(engine, rate=rate, messages=n, error_rate=0.0, tag=f"s{n}")
        results.append(r)
        note = (f"{n:,} messages, R={rate:g}/s workspace-wide: {r['limited']} answers were 429, "
                f"{r['took']:.1f} s in all")
        rows += [dict(name=f"delivery.{n}.fraction", key="delivery_fraction", value=round(r["fraction"], 3), unit="",
                      note=note),
                 dict(name=f"delivery.{n}.calls_per_message", key="platform_calls_per_message",
                      value=round(r["calls"], 3), unit="", note="every Web API call, 429s included"),
                 dict(name=f"delivery.{n}.lost", key="lost", value=r["lost"], unit="", note="checked by identity"),
                 dict(name=f"delivery.{n}.doubled", key="doubled", value=r["doubled"], unit="", note="")]
    n = counts[0]
    r = one_run(engine, rate=rate, messages=n, error_rate=error_rate, tag=f"e{n}")
    note = (f"{n:,} messages with {error_rate:.0%} of accepted calls answered 5xx (half after keeping the message): "
            f"{r['errors']} 5xx, {r['limited']} 429; retries back off 15 s, so the run took {r['took']:.1f} s")
    rows += [dict(name=f"delivery.{n}+5xx.lost", key="lost_5xx", value=r["lost"], unit="", note=note),
             dict(name=f"delivery.{n}+5xx.doubled", key="doubled_5xx", value=r["doubled"], unit="", note=""),
             dict(name=f"delivery.{n}+5xx.calls_per_message", key="platform_calls_per_message_5xx",
                  value=round(r["calls"], 3), unit="", note="history reads for the uncertain ones included")]
    engine.dispose()
    return rows


def main(argv: list[str] | None = None) -> int:
    from bench.common import fresh_db

    p = argparse.ArgumentParser(prog="python -m bench.delivery", description=__doc__.split("\n\n")[0])
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--rate", type=float, default=50.0)
    p.add_argument("--messages", default="800,4000")
    args = p.parse_args(argv)
    with fresh_db(args.db) as url:
        rows = run(0, url, rate=args.rate, counts=tuple(int(x) for x in args.messages.split(",")))
    for r in rows:
        print(f"{r['name']:<34} {r['value']:>10,} {r['unit']:<3} {r['note']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
