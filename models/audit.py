"""The append-only audit log: every change records who, what and when, in the same transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from models.tables import AuditEvent, Person


def record(
    session: Session,
    *,
    workspace_id: int,
    actor: Person | None,
    action: str,
    entity: str,
    entity_id: int | None,
    now: datetime,
    **detail: Any,
) -> AuditEvent:
    """Adds one audit row; the caller's transaction commits it with the change itself."""
    event = AuditEvent(
        workspace_id=workspace_id,
        actor_id=actor.id if actor else None,
        action=action,
        entity=entity,
        entity_id=entity_id,
        detail={k: _jsonable(v) for k, v in detail.items()},
        created_at=now,
    )
    session.add(event)
    return event


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)
