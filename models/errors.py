"""Domain errors whose text is safe to show to the user, in the user's language."""

from __future__ import annotations

from typing import Any

from models import i18n


class GuatuError(Exception):
    """Base of errors a surface shows as is. ``key`` names a catalogue message."""

    key = "error.generic"

    def __init__(self, key: str | None = None, /, **params: Any) -> None:
        if key is not None:
            self.key = key
        self.params = params
        super().__init__(f"{self.key} {params}")

    def render(self, lang: str | None) -> str:
        params = {
            k: (v.render(lang) if hasattr(v, "render") else v) for k, v in self.params.items()
        }
        return i18n.t(self.key, lang, **params)


class UsageError(GuatuError):
    """The command was malformed; the message says what was wrong and shows the right form."""

    key = "error.usage"


class InvalidInput(GuatuError):
    """A value was well-formed but not acceptable (date in the past, progress over 100 …)."""

    key = "error.invalid"


class NotFound(GuatuError):
    key = "error.not_found"


class PermissionDenied(GuatuError):
    """The caller lacks a role; ``role`` names the one needed."""

    key = "error.permission"


def role_denied(role: str) -> PermissionDenied:
    """The refusal for an action that needs ``role`` (rendered with the role's own name)."""
    return PermissionDenied(role=i18n.Msg(f"role.{role}"))


class Conflict(GuatuError):
    """The action does not fit the current state (already done, already closed …)."""

    key = "error.conflict"


i18n.register(
    {
        "error.generic": {"zh": "操作失败。", "en": "The action failed."},
        "error.usage": {"zh": "命令格式不对。", "en": "The command is malformed."},
        "error.invalid": {"zh": "输入无效。", "en": "Invalid input."},
        "error.not_found": {"zh": "找不到。", "en": "Not found."},
        "error.permission": {
            "zh": "没有权限：此操作需要「{role}」角色。",
            "en": "Not allowed: this needs the {role} role.",
        },
        "error.conflict": {"zh": "当前状态下不能这样做。", "en": "Not possible in the current state."},
        "role.member": {"zh": "成员", "en": "member"},
        "role.lead": {"zh": "负责人", "en": "lead"},
        "role.force_lead": {"zh": "本专班负责人", "en": "lead of this task force"},
        "role.owner_or_lead": {"zh": "任务责任人或专班负责人", "en": "task owner or task-force lead"},
        "role.secretary": {"zh": "秘书", "en": "secretary"},
        "role.leader": {"zh": "领导", "en": "leader"},
        "role.admin": {"zh": "管理员", "en": "admin"},
        "error.internal": {
            "zh": "抱歉，出了点问题（参考编号 {ref}）。我们已记录，请稍后再试。",
            "en": "Sorry, something went wrong (reference {ref}). It has been logged; please try again later.",
        },
    }
)
