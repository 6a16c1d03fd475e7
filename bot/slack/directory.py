"""The Slack directory: ``guatu sync-directory`` (users.list, paged), profiles of people first met in a
mention (users.info), and ``user_change`` events. Names, languages and time zones follow Slack.

Matching is by e-mail first (the organisation file's 邮箱), then by user id, so people imported before
they ever used Slack get their account. A language a person chose themselves (``/guatu lang``) is kept.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.slack.people import profile_of
from models import i18n
from models.db import session_scope
from models.org import get_or_create_workspace
from models.orgfile import PLACEHOLDER, people_index
from models.tables import AuditEvent, Person, Workspace

log = logging.getLogger("guatu.slack.directory")
PAGE = 200  # users.list's recommended page size
_MENTION = re.compile(r"<@([A-Za-z0-9]+)(?:\|[^<>]*)?>")


@dataclass(frozen=True)
class Entry:
    """One directory user as Guatu needs it."""

    user_id: str
    name: str | None
    email: str | None
    lang: str | None
    tz: str | None


def entry_of(user: dict) -> Entry:
    p = profile_of(user)
    email = (user.get("profile") or {}).get("email")
    return Entry(user["id"], p.name, email.lower() if email else None, p.locale, p.tz)


@dataclass
class SyncResult:
    team_id: str
    users: int = 0
    mapped: int = 0
    refreshed: int = 0
    unmatched: list[str] = field(default_factory=list)


class SyncError(Exception):
    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.msg = i18n.Msg(key, **params)


def list_users(client: WebClient, progress: Callable[[int], None] | None = None) -> Iterable[Entry]:
    """Every active human in the workspace, page by page (``cursor``); 429s wait Retry-After in the client."""
    cursor, seen = None, 0
    while True:
        resp = client.users_list(limit=PAGE, cursor=cursor, include_locale=True)
        for user in resp.get("members") or []:
            if user.get("deleted") or user.get("is_bot") or user.get("id") == "USLACKBOT":
                continue
            seen += 1
            yield entry_of(user)
        if progress:
            progress(seen)
        cursor = ((resp.get("response_metadata") or {}).get("next_cursor")) or None
        if not cursor:
            return


def sync_directory(client: WebClient, engine: Engine, *, team_id: str | None, now: datetime,
                   progress: Callable[[int], None] | None = None) -> SyncResult:
    """Maps people to accounts and refreshes them; one transaction, a handful of queries. Idempotent."""
    try:
        team_id = team_id or client.auth_test()["team_id"]
        entries = list(list_users(client, progress))
    except SlackApiError as exc:
        raise SyncError("sync.slack_error", error=str(exc.response.get("error") or exc.response.status_code)) from exc
    result = SyncResult(team_id=team_id, users=len(entries))
    with session_scope(engine) as session:
        ws = get_or_create_workspace(session, team_id)
        people, by_chat, by_mail = people_index(session, ws)
        chosen = _chose_language(session, ws)
        changes, audits, matched = [], [], set()
        for e in entries:
            person = (by_mail.get(e.email) if e.email else None) or by_chat.get(e.user_id)
            if person is None:
                continue
            if person.chat_user_id != e.user_id and e.user_id in by_chat:
                # They typed before the import: two rows for one person. Say so; merging is an admin's call.
                result.unmatched.append(f"{person.name} <{person.email}> = {e.user_id} ({by_chat[e.user_id].name})")
                continue
            matched.add(person.id)
            diff = profile_changes(person, e, keep_lang=person.id in chosen)
            if person.chat_user_id != e.user_id:
                diff["chat_user_id"] = e.user_id
                result.mapped += 1
            elif diff:
                result.refreshed += 1
            if diff:
                changes.append({"id": person.id, **diff})
                audits.append(_audit(ws, person, diff, now, "sync-directory"))
        if changes:
            session.execute(update(Person), changes)
        if audits:
            session.add_all(audits)
        result.unmatched += sorted(f"{p.name} <{p.email}>" for p in people if p.id not in matched
                                   and p.chat_user_id.startswith(PLACEHOLDER))
    return result


def profile_changes(person: Person, e: Entry, *, keep_lang: bool) -> dict:
    """The columns a directory entry changes on a person (nothing Slack does not know is cleared)."""
    diff: dict = {}
    if e.name and e.name != person.name:
        diff["name"] = e.name
    if e.lang and e.lang != person.lang and not keep_lang:
        diff["lang"] = e.lang
    if e.tz and e.tz != person.tz:
        diff["tz"] = e.tz
    if e.email and e.email != (person.email or "").lower():
        diff["email"] = e.email
    return diff


def _audit(ws: Workspace, person: Person, diff: dict, now: datetime, via: str) -> AuditEvent:
    return AuditEvent(workspace_id=ws.id, actor_id=None, action="person.profile", entity="person", entity_id=person.id,
                      detail={**diff, "via": via}, created_at=now)


def _chose_language(session: Session, ws: Workspace) -> set[int]:
    return {pid for pid in session.exec(select(AuditEvent.entity_id).where(
        AuditEvent.workspace_id == ws.id, AuditEvent.action == "person.lang")).all() if pid is not None}


def refresh_person(engine: Engine, team_id: str, user: dict, *, via: str, now: datetime | None = None,
                   create: bool = False) -> bool:
    """Applies one Slack user object to the person with that id; True if anything changed."""
    e = entry_of(user)
    now = now or datetime.now(UTC)
    with session_scope(engine) as session:
        ws = session.exec(select(Workspace).where(Workspace.team_id == team_id)).first()
        if ws is None:
            return False
        person = session.exec(select(Person).where(Person.workspace_id == ws.id, Person.chat_user_id == e.user_id)).first()
        if person is None:
            return False
        diff = profile_changes(person, e, keep_lang=person.id in _chose_language(session, ws))
        if not diff:
            return False
        for k, v in diff.items():
            setattr(person, k, v)
        session.add(_audit(ws, person, diff, now, via))
    return True


def mentioned(text: str) -> list[str]:
    """The user ids a command line mentions (``<@W777|bob>``)."""
    return list(dict.fromkeys(_MENTION.findall(text or "")))


def unprofiled(engine: Engine, team_id: str, user_ids: list[str]) -> list[str]:
    """Of these users, those Guatu has never had a profile for (met only in a mention: no language yet)."""
    if not user_ids:
        return []
    with Session(engine) as session:
        return list(session.exec(select(Person.chat_user_id).join(Workspace, col(Workspace.id) == Person.workspace_id).where(
            Workspace.team_id == team_id, col(Person.chat_user_id).in_(user_ids), col(Person.lang).is_(None))).all())


def look_up_mentions(client: WebClient, engine: Engine, team_id: str, text: str) -> int:
    """users.info for each person a command mentioned whom Guatu has no profile of yet; how many were refreshed."""
    done = 0
    for user_id in unprofiled(engine, team_id, mentioned(text)):
        try:
            user = client.users_info(user=user_id, include_locale=True)["user"]
        except Exception as exc:
            log.warning("users.info failed for mentioned %s/%s: %s", team_id, user_id, type(exc).__name__)
            continue
        done += refresh_person(engine, team_id, user, via="mention")
    return done


i18n.register(
    {
        "sync.slack_error": {"zh": "Slack 拒绝了请求：{error}（检查令牌与 users:read、users:read.email 权限）",
                             "en": "Slack refused: {error} (check the token and the users:read, users:read.email scopes)"},
    }
)
