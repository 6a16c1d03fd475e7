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
        container, view, channel = (_dict(body.get(key)) for key in ("container", "view", "channel"))
        in_home = container.get("type") == "view" and view.get("type") == "home"
        response_url = body.get("response_url")
        return cls(team_id, user_id, channel_id=_str(channel.get("id")) or _str(container.get("channel_id")),
                   response_url=response_url if isinstance(response_url, str) else None,
                   replace=container.get("is_ephemeral") is True, home=in_home)


@dataclass(frozen=True)
class FormState:
    """What a modal must remember until it is submitted (Slack's ``private_metadata``, 3,000 characters)."""

    origin: Origin
    lang: str
    task_id: int | None = None

    def dump(self) -> str:
        return json.dumps({"o": asdict(self.origin), "l": self.lang, "t": self.task_id}, separators=(",", ":"))

    @classmethod
    def load(cls, text: object) -> FormState:
        """The state ``dump`` wrote; ValueError for anything else (metadata is the one field a modal carries back)."""
        try:
            data = json.loads(text)  # type: ignore[arg-type]
            origin = Origin(**data["o"])
            lang, task_id = data["l"], data.get("t")
        except (AttributeError, TypeError, KeyError, ValueError) as exc:
            raise ValueError(f"unreadable private_metadata ({type(exc).__name__})") from None
        if not (isinstance(lang, str) and (task_id is None or type(task_id) is int)
                and all(isinstance(v, str) for v in (origin.team_id, origin.user_id))):
            raise ValueError("unreadable private_metadata (wrong types)")
        return cls(origin, lang, task_id)


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
