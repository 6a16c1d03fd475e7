"""References to people and channels as typed in a command (``<@U1|zhang>``, ``@alice``, ``<#C1>``)."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    """The base of every command object: immutable, and an unknown field is refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class UserRef(Frozen):
    """A person named in a command: Slack user id and/or the name shown or typed."""

    user_id: str | None = None
    name: str | None = None


class ChannelRef(Frozen):
    """A channel named in a command (``<#C123|general>``)."""

    channel_id: str | None = None
    name: str | None = None


_SLACK_USER = re.compile(r"<@([A-Za-z0-9]+)(?:\|([^<>|]*))?>")
# Console form (and Slack with escaping off): "@alice", "＠张三"; punctuation ends a name.
_PLAIN_USER = re.compile(r"[@＠]([^\s@＠<>:：,，;；。、()（）]+)")
_SLACK_CHANNEL = re.compile(r"<#([A-Za-z0-9]+)(?:\|([^<>|]*))?>")


def parse_user(token: str) -> UserRef | None:
    """``<@U1>``, ``<@U1|zhang>`` or ``@alice`` as a UserRef; None if the token names no one."""
    m = _SLACK_USER.fullmatch(token)
    if m is not None:
        return UserRef(user_id=m[1], name=m[2] or None)
    m = _PLAIN_USER.fullmatch(token)
    if m is not None:
        return UserRef(name=m[1])
    return None


def parse_channel(token: str) -> ChannelRef | None:
    """``<#C1|general>`` or ``<#C1>`` as a ChannelRef; None otherwise."""
    m = _SLACK_CHANNEL.fullmatch(token)
    if m is None:
        return None
    return ChannelRef(channel_id=m[1], name=m[2] or None)
