"""The App Home refresher thread: a hostile Retry-After is bounded, and no error stops the next home."""

from __future__ import annotations

import threading
import time

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.slack.home import HomeRefresher


def _error(status: int, headers: dict | None = None, data: object = None) -> SlackApiError:
    response = SlackResponse(client=None, http_verb="POST", api_url="views.publish", req_args={},
                             data=data if data is not None else {"ok": False, "error": "ratelimited"},
                             headers=headers or {}, status_code=status)
    return SlackApiError("views.publish failed", response)


class Publisher:
    """Fails with each of ``errors`` in turn, then publishes; records who got a home."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.published: list[tuple[str, str]] = []
        self.done = threading.Event()

    def __call__(self, team: str, user: str) -> None:
        if self.errors:
            raise self.errors.pop(0)
        self.published.append((team, user))
        self.done.set()


@pytest.mark.parametrize("retry_after", ["1e9", "inf", "nan", "-3", "soon", "1e400"])
def test_a_hostile_retry_after_neither_kills_the_thread_nor_holds_the_user_for_years(retry_after):
    publish = Publisher(_error(429, {"Retry-After": retry_after}))
    homes = HomeRefresher(publish, delay=0)
    try:
        homes.request("T1", "U1")
        homes.request("T1", "U2", after=0.05)
        assert publish.done.wait(5) and ("T1", "U2") in publish.published  # the next user went on
        with homes._cond:
            wait = homes._due[("T1", "U1")] - time.monotonic()
        assert 0 < wait <= 3600  # back in the queue, for an hour at most
        assert homes._thread.is_alive()
    finally:
        homes.close()


@pytest.mark.parametrize("error", [
    _error(500, data="<html>bad gateway</html>"),  # a body that is not a dict
    _error(429, headers={"Retry-After": object()}),
    RuntimeError("a bug in rendering the home"),
    KeyError("view"),
])
def test_any_error_is_logged_and_the_next_home_is_published(error, caplog):
    publish = Publisher(error)
    homes = HomeRefresher(publish, delay=0)
    try:
        homes.request("T1", "U1")
        homes.request("T1", "U2", after=0.05)
        assert publish.done.wait(5) and ("T1", "U2") in publish.published
        assert homes._thread.is_alive()
    finally:
        homes.close()
