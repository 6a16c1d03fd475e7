"""Where a user acted (a channel, their own ephemeral card, App Home), so the answer goes back there."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Origin:
    """The place to answer: a response URL if Slack gave one, else the channel, else a direct message."""

    team_id: str
    user_id: str
    channel_id: str | None = None
    response_url: str | None = None
    # The answer may replace the clicked message only when it is the user's own ephemeral card:
    # replacing a channel message would show one person's view to everyone.
    replace: bool = False
    home: bool = False

    @classmethod
    def of_action(cls, body: dict[str, Any], team_id: str, user_id: str) -> Origin:
        """The origin of a block action: a message (ephemeral or not) or the App Home view."""
        container = body.get("container") or {}
        in_home = container.get("type") == "view" and (body.get("view") or {}).get("type") == "home"
        return cls(team_id, user_id, channel_id=(body.get("channel") or {}).get("id") or container.get("channel_id"),
                   response_url=body.get("response_url"), replace=bool(container.get("is_ephemeral")), home=in_home)


@dataclass(frozen=True)
class FormState:
    """What a modal must remember until it is submitted (Slack's ``private_metadata``, 3,000 characters)."""

    origin: Origin
    lang: str
    task_id: int | None = None

    def dump(self) -> str:
        return json.dumps({"o": asdict(self.origin), "l": self.lang, "t": self.task_id}, separators=(",", ":"))

    @classmethod
    def load(cls, text: str) -> FormState:
        data = json.loads(text)
        return cls(Origin(**data["o"]), data["l"], data.get("t"))
