"""The DingTalk surface (钉钉), in Stream mode: the same commands as Slack typed to the robot, task cards
as interactive cards (互动卡片), the outbox delivered through the robot's 1:1 and group send APIs.

A DingTalk organisation is a workspace whose team id is ``dt:<corpId>``; a person's chat user id is
their staffId (userId); a group's channel id is its openConversationId (``cid…``).
"""

from __future__ import annotations

PLATFORM = "dingtalk"
TEAM_PREFIX = "dt:"
BOT_TOPIC = "/v1.0/im/bot/messages/get"
CARD_TOPIC = "/v1.0/card/instances/callback"


def team_of(corp_id: str) -> str:
    """The workspace team id of a DingTalk organisation."""
    return TEAM_PREFIX + corp_id


def is_group(recipient: str) -> bool:
    """An openConversationId (a group chat) rather than a staffId."""
    return recipient.startswith("cid")
