"""App Home: the home as a request through the dispatcher, and publishing it off the request path."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict
from slack_sdk.errors import SlackApiError

from bot.dispatch import Reply, handles
from models.context import Ctx
from models.home import Home, home
from models.outbox import retry_after_seconds

log = logging.getLogger("guatu.slack.home")


class ShowHome(BaseModel):
    """The caller's home (工作台); only Slack shows it, so the request lives here."""

    model_config = ConfigDict(frozen=True)
    kind: Literal["slack.home"] = "slack.home"


class HomeReply(Reply):
    """A request for App Home: no words, the home's content."""

    def __init__(self, *, lang: str, home: Home | None = None) -> None:
        super().__init__(headline="", lang=lang)
        self.home = home


@handles("slack.home")
def _show_home(ctx: Ctx, request: object) -> Reply:  # a ShowHome; the dispatcher's handlers take any request
    # Through the dispatcher: the same workspace scoping, first-contact and error handling as commands.
    return HomeReply(lang=ctx.lang, home=home(ctx))


class HomeRefresher:
    """Publishes App Homes in one background thread, so a change never waits for them.

    Requests for the same user before their publish coalesce into one (it shows the latest state
    anyway); a 429 from Slack puts that user back by Retry-After (bounded, like the outbox's) instead
    of blocking a thread. The thread survives any error: it is logged and the next request goes on.
    """

    def __init__(self, publish: Callable[[str, str], None], *, delay: float = 0.2, spacing: float = 0.0,
                 nice: int = 0) -> None:
        self._publish = publish
        self._delay = delay
        # A user's next publish waits this long after their last one ended: a burst of changes by one person
        # (or one whose home is slow to build) is shown once more at the end, not rebuilt back to back.
        self._spacing = spacing
        self._nice = nice
        self._done: dict[tuple[str, str], float] = {}  # when each user's last publish ended (for ``spacing``)
        self._due: dict[tuple[str, str], float] = {}
        self._cond = threading.Condition()
        self._closed = False
        self._busy = 0
        self._thread = threading.Thread(target=self._run, name="guatu-home", daemon=True)
        self._thread.start()

    def request(self, team_id: str, user_id: str, *, after: float | None = None) -> None:
        with self._cond:
            key = (team_id, user_id)
            now = time.monotonic()
            due = now + (self._delay if after is None else retry_after_seconds(after))
            if after is None and self._spacing:
                due = max(due, self._done.get(key, -self._spacing) + self._spacing)
            self._due[key] = min(due, self._due.get(key, due))
            self._cond.notify()

    def idle(self, timeout: float = 5.0) -> bool:
        """Waits until nothing is queued or being published (for tests and shutdown)."""
        end = time.monotonic() + timeout
        with self._cond:
            while self._due or self._busy:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def _next(self) -> tuple[str, str] | None:
        with self._cond:
            while not self._closed:
                if self._due:
                    key, due = min(self._due.items(), key=lambda item: item[1])
                    wait = due - time.monotonic()
                    if wait <= 0:
                        del self._due[key]
                        self._busy += 1
                        return key
                else:
                    wait = None
                self._cond.wait(wait)
            return None

    def _run(self) -> None:
        if self._nice:
            _lower_priority(self._nice)
        while True:
            try:
                key = self._next()
            except Exception:
                log.exception("the home refresher's queue failed; going on")
                time.sleep(self._delay)
                continue
            if key is None:
                return
            try:
                self._publish(*key)
            except SlackApiError as exc:
                try:
                    if exc.response.status_code == 429:
                        self.request(*key, after=_retry_after(exc))
                    else:
                        log.warning("views.publish failed for %s/%s: %s", *key, exc.response.get("error"))
                except Exception:
                    log.exception("handling a views.publish error for %s/%s failed", *key)
            except Exception:
                log.exception("publishing the home of %s/%s failed", *key)
            finally:
                with self._cond:
                    self._busy -= 1
                    if self._spacing:
                        self._done[key] = time.monotonic()
                        if len(self._done) > 10_000:  # forget users whose spacing is long over
                            cutoff = time.monotonic() - self._spacing
                            self._done = {k: v for k, v in self._done.items() if v > cutoff}
                    self._cond.notify_all()


def _lower_priority(nice: int) -> None:
    """This thread at a lower CPU priority (Linux schedules threads one by one): a home being built must not
    take the core a request's thread needs to answer within Slack's budget."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
    except (AttributeError, OSError) as exc:  # not Linux, or not permitted: the same thread, at the same priority
        log.info("the home refresher keeps its priority: %s", exc)


def _retry_after(exc: SlackApiError) -> float:
    headers = exc.response.headers or {}
    return retry_after_seconds(headers.get("Retry-After") or headers.get("retry-after"))
