"""App Home: the home as a request through the dispatcher, and its view.

A change does not build anyone's home in the web process: ``bot.dispatch.Service`` records the homes it made
stale (``models.homequeue``) and the worker's delivery loop builds and publishes them through
``bot.slack.notifier.SlackNotifier.publish_home``. The web process still builds the home a user looks at
(``app_home_opened``) and the one they acted in (the answer on top).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from bot.dispatch import Caller, Reply, Service, handles
from bot.slack import blocks
from models.calendar import to_local
from models.context import Ctx
from models.home import Home, home

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


def home_view(service: Service, caller: Caller, *, notice: Sequence[dict[str, Any]] = (),
              now: datetime | None = None) -> dict[str, Any]:
    """The App Home view of ``caller``, with ``notice`` (the answer to their last action) on top; built through the
    dispatcher at ``now`` (the service's clock by default). A failure becomes the home's apology."""
    now = now or service.clock()
    reply = service.run(caller, ShowHome(), now=now)
    if isinstance(reply, HomeReply) and reply.home is not None:
        updated = to_local(now, service.tz).strftime("%Y-%m-%d %H:%M")
        return blocks.home_view(reply.home, reply.lang, updated=updated, notice=notice)
    return blocks.home_error(reply.text)
