"""Who a Slack user is (name, language, time zone): ``users.info`` on first contact, cached per process."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models import org

log = logging.getLogger("guatu.slack.people")


@dataclass(frozen=True)
class Profile:
    """What Slack says about a user; every field may be unknown."""

    name: str | None = None
    locale: str | None = None  # "zh" or "en"
    tz: str | None = None


UNKNOWN = Profile()


def profile_of(user: dict) -> Profile:
    """A ``users.info`` user object as a Profile: a zh-* locale means Chinese, any other English."""
    info = user.get("profile") or {}
    name = user.get("real_name") or info.get("real_name") or info.get("display_name") or user.get("name")
    locale = user.get("locale")
    return Profile(name=name or None, locale=("zh" if locale.lower().startswith("zh") else "en") if locale else None,
                   tz=user.get("tz") or None)


class Directory:
    """Profiles of chat users, asked of Slack only for people the database does not know by name yet.

    ``profile`` never waits longer than it is told: a slow ``users.info`` goes on in the background
    and its answer serves the user's next request, so Slack's 3-second acknowledgement is never at risk.
    """

    # A failed lookup is retried after this long: a missing scope must not cost a call per request.
    RETRY_AFTER = 300.0

    def __init__(self, client: WebClient, engine: Engine, *, size: int = 50_000, workers: int = 4) -> None:
        self.client = client
        self.engine = engine
        self.size = size
        self._cache: OrderedDict[tuple[str, str], tuple[Profile, float]] = OrderedDict()
        self._pending: dict[tuple[str, str], Future[Profile]] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="guatu-users")

    def profile(self, team_id: str, user_id: str, *, wait: float) -> Profile:
        """The user's profile if known within ``wait`` seconds, else UNKNOWN (and the lookup goes on)."""
        key = (team_id, user_id)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and hit[1] > time.monotonic():
                self._cache.move_to_end(key)
                return hit[0]
            future = self._pending.get(key)
            if future is None:
                future = self._pending[key] = self._pool.submit(self._load, key)
        try:
            return future.result(timeout=wait)
        except FutureTimeout:
            return UNKNOWN

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _load(self, key: tuple[str, str]) -> Profile:
        ttl = float("inf")
        try:
            profile = UNKNOWN if self._known_by_name(*key) else profile_of(self._ask_slack(key[1]))
        except Exception as exc:
            log.warning("users.info failed for %s/%s: %s", key[0], key[1], _reason(exc))
            profile, ttl = UNKNOWN, self.RETRY_AFTER
        with self._lock:
            self._cache[key] = (profile, time.monotonic() + ttl)
            self._cache.move_to_end(key)
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
            self._pending.pop(key, None)
        return profile

    def _known_by_name(self, team_id: str, user_id: str) -> bool:
        # A person first met through a mention carries their user id as name: ask Slack for the real one.
        with Session(self.engine) as session:
            name = org.stored_name(session, team_id, user_id)
        return name is not None and name != user_id

    def _ask_slack(self, user_id: str) -> dict:
        return self.client.users_info(user=user_id, include_locale=True)["user"]


def _reason(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or exc.response.status_code)
    return type(exc).__name__
