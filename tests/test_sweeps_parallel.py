"""Four processes on PostgreSQL sweep, gather into briefings and deliver the same 10,000 due reminders: each
reaches its owner exactly once."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from bench.sweeps import NOW, OWNERS, seed
from models.tables import Outbox, SweepLog
from tests.conftest import _wipe, pg_url_with_schema

ROOT = Path(__file__).resolve().parents[1]
REMINDERS = 10_000

WORKER = textwrap.dedent("""
    import sys
    from datetime import datetime
    from models.db import make_engine
    from jobs.deliver import deliver
    from jobs.briefings import sweep_briefings
    from jobs.sweeps import sweep_reminders

    url, now, sink_path = sys.argv[1], datetime.fromisoformat(sys.argv[2]), sys.argv[3]
    engine = make_engine(url)

    class Sink:
        # A recording chat platform: one line per message it accepted.
        min_interval = 0

        def __init__(self, out):
            self.out = out

        def send(self, recipient, text, blocks=None):
            self.out.write(recipient + "\\t" + text.replace("\\n", " ") + "\\n")
            return "ts"

    written = 0
    with open(sink_path, "w", encoding="utf-8") as out:
        sink = Sink(out)
        for _ in range(2):  # a second pass finds nothing left by the others: nothing lost, nothing doubled
            written += sweep_reminders(engine, now=now)
            sweep_briefings(engine, now)
            while deliver(engine, sink, now=now, limit=2000).claimed:
                pass
    print(written)
""")


def test_four_processes_send_each_of_10000_due_reminders_exactly_once(pg_engine, tmp_path):
    _wipe(pg_engine)
    seed(pg_engine, tasks=REMINDERS, due=REMINDERS)
    url = pg_url_with_schema(pg_engine)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    sinks = [tmp_path / f"sink{i}.txt" for i in range(4)]
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, url, NOW.isoformat(), str(sink)], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for sink in sinks]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], [err[-2000:] for _, err in outputs]
    written = [int(out.strip()) for out, _ in outputs]
    lines = [line for sink in sinks for line in sink.read_text(encoding="utf-8").splitlines()]
    assert sum(written) == REMINDERS
    assert len(set(lines)) == len(lines)  # no message twice
    mentioned = Counter(int(m) for line in lines for m in re.findall(r"#(\d+)「", line))
    assert len(mentioned) == REMINDERS and set(mentioned.values()) == {1}  # every reminder once, none twice
    assert sum(1 for w in written if w) >= 2  # the work was shared, not done by one process
    per_person = Counter(line.split("\t")[0] for line in lines)
    assert len(per_person) == OWNERS and max(per_person.values()) < REMINDERS // OWNERS  # gathered, not one DM each
    with pg_engine.connect() as conn:
        statuses = dict(conn.execute(select(Outbox.status, func.count()).group_by(Outbox.status)).all())
        assert set(statuses) <= {"sent", "merged"} and statuses["sent"] == len(lines)
        assert conn.execute(select(func.count()).select_from(SweepLog)).scalar_one() == REMINDERS
