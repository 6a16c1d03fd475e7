"""Where a sweep's time goes, on a copy of the province: each statement's time (SQLAlchemy cursor events) and,
on the last round, cProfile's functions by their own time.

    createdb -T guatu_province_1m prof1      # a private copy; never profile the seeded template itself
    python -m bench.profile_sweeps postgresql+psycopg://postgres@127.0.0.1:5432/prof1 reminders,nudges,escalations

Each round first forgets what the earlier rounds wrote (``bench.sweeps._forget_reminders`` with the ids the
copy held when the script started), so every round has the province's due items due again. Figures are for
reading, not for the table: ``python -m bench`` gives those.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from collections import defaultdict
from zoneinfo import ZoneInfo

from sqlalchemy import event

from bench.common import TODAY
from bench.sweeps import _forget_reminders, _marks
from jobs.sweeps import sweep_escalations, sweep_nudges, sweep_reminders
from models.db import make_engine
from models.timing import at_hour

SWEEPS = {"reminders": sweep_reminders, "nudges": sweep_nudges, "escalations": sweep_escalations}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.profile_sweeps", description=__doc__.split("\n\n")[0])
    p.add_argument("url", help="a copy of the seeded province (it is written to)")
    p.add_argument("sweeps", help="comma-separated: reminders,nudges,escalations")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--top", type=int, default=14, help="statements and functions shown")
    args = p.parse_args(argv)
    engine = make_engine(args.url)
    now = at_hour(TODAY, 9, ZoneInfo("Asia/Shanghai"))
    marks = _marks(engine)
    stats: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    started: list[float] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _before(*_: object) -> None:
        started.append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def _after(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        s = stats[" ".join(statement.split())[:150]]
        s[0] += 1
        s[1] += time.perf_counter() - started.pop()

    for r in range(args.rounds):
        _forget_reminders(engine, marks)
        for name in args.sweeps.split(","):
            stats.clear()
            last = r == args.rounds - 1
            profile = cProfile.Profile() if last else None
            t = time.perf_counter()
            if profile:
                profile.enable()
            written = SWEEPS[name](engine, now=now)
            if profile:
                profile.disable()
            total = time.perf_counter() - t
            sql = sum(v[1] for v in stats.values())
            print(f"round {r} {name}: {written} messages, {1000 * total:.0f} ms"
                  f"{' (profiled)' if last else ''}, SQL {1000 * sql:.0f} ms in {sum(int(v[0]) for v in stats.values())} statements")
            if profile:
                for text, (n, secs) in sorted(stats.items(), key=lambda kv: -kv[1][1])[:args.top]:
                    print(f"   {1000 * secs:7.1f} ms {int(n):4d}×  {text}")
                out = io.StringIO()
                pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(args.top)
                print(out.getvalue())
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
