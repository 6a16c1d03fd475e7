"""The lead's instruments on a task force: its export, its war map (挂图), its digest. Each checks who
may (permissions.TABLE: the force's lead, a leader, an admin) before it reads anything."""

from __future__ import annotations

from dataclasses import dataclass

from models import digest, forces, lists, org, tasks
from models.context import Ctx
from models.digest import Digest
from models.tables import TaskForce
from models.tasks import TaskView


@dataclass(frozen=True)
class ForceDigest:
    """A force's digest and the live tasks its war map draws."""

    force: TaskForce
    digest: Digest
    live: list[TaskView]


def export(ctx: Ctx, force_name: str | None) -> tuple[TaskForce, list[TaskView]]:
    """/force export: every task of the force (cancelled ones aside), by deadline."""
    force = forces.open_force(ctx, force_name, "force.export")
    return force, tasks.force_tasks(ctx, force)


def war_map(ctx: Ctx, force_name: str | None, *, dept: str | None = None, owner: org.PersonRef | None = None,
            light: str | None = None) -> tuple[TaskForce, list[TaskView]]:
    """/force map: the force's live tasks, narrowed by department, owner and light (lists.map_tasks)."""
    force = forces.open_force(ctx, force_name, "force.map")
    return force, lists.map_tasks(ctx, force, dept=dept, owner=owner, light=light)


def force_digest(ctx: Ctx, force_name: str | None) -> ForceDigest:
    """/force digest: the last week's digest of the force, with its live tasks for the map."""
    force = forces.open_force(ctx, force_name, "force.digest")
    return ForceDigest(force, digest.build(ctx, force), tasks.force_tasks(ctx, force, live_only=True))
