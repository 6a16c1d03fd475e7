"""Peak memory (VmHWM from /proc/<pid>/status) of the processes that do the province's work.

* ``worker_rss_mb``: the reminders, nudges and escalations sweeps of the province's morning, each a
  ``guatu jobs run <job> --at <09:00 that day>`` process on a copy of the seeded province (with its
  delivery), the largest peak. (``guatu worker`` itself runs on the wall clock, so it cannot be
  pointed at the province's day; this runs the same jobs in the same code on the day the data was
  made for.)
* ``rss_mb`` (the web process) is not measured here: it needs signed Slack traffic against
  ``guatu serve`` (see bench/slack_ack.py).

Linux only (/proc).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def _hwm_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def peak_rss(cmd: list[str], env: dict[str, str], *, timeout: float) -> tuple[float, int, float]:
    """Runs ``cmd``; returns (peak RSS in MB, exit code, seconds), the peak read until it exits."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    try:
        while proc.poll() is None:
            peak = max(peak, _hwm_kb(proc.pid) or 0)  # VmHWM is itself a peak: sampling cannot miss it
            if time.perf_counter() - started > timeout:
                proc.kill()
                break
            time.sleep(0.05)
    finally:
        proc.wait()
    return peak / 1024, proc.returncode, time.perf_counter() - started


JOBS = ("reminders", "nudges", "escalations")


def run(*, tasks: int, db_url: str, province: Any, timeout: float = 600) -> list[dict]:
    """Each sweep of the province's morning in its own ``guatu jobs run <job> --at …`` process (which
    also delivers what it wrote); ``worker_rss_mb`` is the largest peak."""
    cli = Path(sys.executable).with_name("guatu")
    cmd = [str(cli)] if cli.exists() else [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())"]
    env = {**os.environ, "DATABASE_URL": db_url, "GUATU_TZ": "Asia/Shanghai", "GUATU_SCHEDULER": "off"}
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        env.pop(name, None)  # the console notifier: nothing leaves the machine
    rows, peaks = [], []
    at = province.now.isoformat()
    for job in JOBS:
        mb, code, seconds = peak_rss([*cmd, "jobs", "run", job, "--at", at], env, timeout=timeout)
        rows.append({"name": f"rss: guatu jobs run {job}", "value": round(mb, 1), "unit": "MB",
                     "note": f"--at {at}, {tasks:,} tasks: {seconds:.0f} s, exit {code}"})
        if code == 0:
            peaks.append(mb)
    if len(peaks) == len(JOBS):
        rows.append({"name": "rss: worker, the largest of the sweeps", "key": "worker_rss_mb",
                     "value": round(max(peaks), 1), "unit": "MB", "note": "each sweep a process, with its delivery"})
    return rows
