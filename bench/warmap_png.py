"""Draws the war map of a 300-task force (tests/factories.py's bulk tasks) and writes one page as a PNG.

    python -m bench.warmap_png [--tasks 300] [--page 1] [--out docs/warmap-300-page1.png]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sqlmodel import Session

from models import forces, tasks
from models.db import make_engine
from models.migrate import upgrade
from present import warmap_png
from tests.conftest import at
from tests.factories import standard_world


def _views(tasks: int):
    engine = make_engine("sqlite://")
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as s:
        w = standard_world(s, at("2026-11-23 10:00"))
        w.bulk_tasks("数据共享专班", tasks, by="lin")
        ctx = w.ctx("lin")
        return ctx.today, tasks_of(ctx)


def tasks_of(ctx):
    return tasks.force_tasks(ctx, forces.find_force(ctx, "数据共享专班"), live_only=True)


def run(tasks: int = 300, db_url: str = "") -> list[dict]:
    """``map_s``: the war map of a ``tasks``-task force drawn (in the child process) and read back, every page.
    The force is built in memory (``db_url`` is not used: drawing does not touch the database)."""
    today, views = _views(300 if tasks > 300 else tasks)
    began = time.perf_counter()
    pages = warmap_png.render_pages(views, title="数据共享专班 · 挂图作战", today=today, lang="zh")
    took = time.perf_counter() - began
    return [dict(name="map", key="map_s", value=round(took, 2), unit="s",
                 note=f"{len(views)} tasks, {len(pages)} PNG pages, drawn in a child process (python -m present.warmap_png)")]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.warmap_png")
    ap.add_argument("--tasks", type=int, default=300)
    ap.add_argument("--page", type=int, default=1)
    ap.add_argument("--out", default="docs/warmap-300-page1.png")
    args = ap.parse_args(argv)
    engine = make_engine("sqlite://")
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as s:
        w = standard_world(s, at("2026-11-23 10:00"))
        w.bulk_tasks("数据共享专班", args.tasks, by="lin")
        ctx = w.ctx("lin")
        views = tasks.force_tasks(ctx, forces.find_force(ctx, "数据共享专班"), live_only=True)
        began = time.perf_counter()
        pages = warmap_png.render_pages(views, title="数据共享专班 · 挂图作战 · 2026年11月23日（周一）", today=ctx.today,
                                    lang="zh")
        took = time.perf_counter() - began
    page = pages[args.page - 1]
    Path(args.out).write_bytes(page.png)
    print(f"{len(views)} tasks → {len(pages)} pages in {took:.2f} s; page {page.no}: {len(page.task_ids)} bars, "
          f"{len(page.png) // 1024} KB → {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
