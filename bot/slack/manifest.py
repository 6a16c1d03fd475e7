"""The Slack app manifest (``guatu manifest``): commands, interactivity, events, App Home, scopes."""

from __future__ import annotations

import json
from typing import Any

import yaml

from bot.commands import COMMANDS
from bot.slack import EVENTS_PATH

NAME = "挂图 Guatu"
BOT_SCOPES = [
    "commands",          # the four slash commands
    "chat:write",        # answers, reminders and announcements
    "chat:write.public",  # announcements in a task force's public channel without inviting the bot
    "im:write",          # direct messages: exports and war maps go to the person who asked
    "users:read",        # names, languages and time zones on first contact
    "users:read.email",  # sync-directory maps the organisation file's 邮箱 to Slack accounts
    "files:write",       # Excel exports and war-map pictures
    "app_mentions:read",  # "@挂图" in a channel answers with a hint
    # Whether a message whose answer was lost arrived after all (the outbox tags each with its id in
    # metadata): read only by the delivery worker, only for such a message, only since its first attempt.
    "channels:history",
    "groups:history",
    "im:history",
]
BOT_EVENTS = ["app_home_opened", "app_mention", "user_change"]  # user_change: profiles follow Slack

_DESCRIPTIONS = {
    "task": "任务：新建、列表、进展、完成、受阻、延期、销号…（tasks: add, list, progress, done, block, extend, verify…）",
    "force": "工作专班：新建、成员、挂图、周报、规则、通知、导出…（task forces: members, war map, digest, policy…）",
    "meeting": "会议：专题会议、例会、议题申报、议程、议定事项、纪要（meetings, agenda, decisions, minutes）",
    "guatu": "挂图：帮助、我、部门、角色、日历、赛马、发送队列、语言（help, whoami, departments, roles, calendar…）",
}
_HINTS = {
    "task": "add 标题 <@责任人> due:12-31 · list · progress 12 60% · help",
    "force": "new 专班名称 · add @成员 · map · digest · help",
    "meeting": "new 专题会议 12-20 14:30 · propose 3 议题 · agenda 3 · help",
    "guatu": "help · whoami · dept list · role @某人 负责人 · lang en",
}
_LONG = (
    "挂图 Guatu 把工作专班“挂图作战”的工作方法搬进聊天：每项任务有责任人、责任单位和时间节点，红黄绿灯一目了然；"
    "进展、延期申请、完成销号都在一条命令或一个按钮里完成；提前提醒、逐级督办，尊重法定节假日和调休；"
    "专题会议与工作例会的议题征集、议程生成、议定事项跟踪；周报、挂图与赛马排名。\n"
    "Guatu brings the task-force way of working to chat: every task has an owner, a department and deadlines, lit "
    "green, yellow or red; progress, extension requests and close-out are one command or one button; reminders and "
    "escalations respect the Chinese working calendar; meetings, digests, the war map and the horse race are built in."
)


def manifest(url: str) -> dict[str, Any]:
    """The manifest for a bot served at ``url`` (its public base URL)."""
    request_url = url.rstrip("/") + EVENTS_PATH
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": NAME,
            "description": "工作专班挂图作战：任务、督办、会议、周报与赛马（task forces, by chat）",
            "long_description": _LONG,
            "background_color": "#b71c1c",
        },
        "features": {
            "app_home": {"home_tab_enabled": True, "messages_tab_enabled": True,
                         "messages_tab_read_only_enabled": True},
            "bot_user": {"display_name": "guatu", "always_online": True},
            "slash_commands": [
                {"command": f"/{name}", "url": request_url, "description": _DESCRIPTIONS[name],
                 "usage_hint": _HINTS[name], "should_escape": True}  # mentions arrive as <@U…|name>
                for name in COMMANDS
            ],
        },
        "oauth_config": {"scopes": {"bot": BOT_SCOPES}},
        "settings": {
            "event_subscriptions": {"request_url": request_url, "bot_events": BOT_EVENTS},
            "interactivity": {"is_enabled": True, "request_url": request_url},
            "org_deploy_enabled": False,
            "socket_mode_enabled": False,
            "token_rotation_enabled": False,
        },
    }


def render_manifest(url: str, *, as_json: bool = False) -> str:
    """YAML (Slack's own example format) or JSON, ready to paste into "Create an app from a manifest"."""
    data = manifest(url)
    if as_json:
        return json.dumps(data, ensure_ascii=False, indent=2)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)
