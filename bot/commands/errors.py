"""What can be wrong with a command line: :class:`CommandError` and the catalogue of its problems.

Each problem is a catalogue key (``cmd.bad_id`` …) in Chinese and English; the usage line of the
subcommand is added when the error is rendered, so every refusal shows the right form.
"""

from __future__ import annotations

from typing import Any

from models import i18n
from models.errors import UsageError


class CommandError(UsageError):
    """A malformed command: renders what was wrong, then the usage line of the subcommand."""

    def __init__(self, key: str, /, *, usage: str | None = None, **params: Any) -> None:
        """``key`` names the problem; ``usage`` the catalogue key of the right form."""
        super().__init__(key, **params)
        self.usage = usage

    def render(self, lang: str | None) -> str:
        """Problem first, then ``Usage: …`` in the same language."""
        problem = super().render(lang)
        if self.usage is None:
            return problem
        return f"{problem}\n{i18n.t('cmd.usage', lang)}{i18n.t(self.usage, lang)}"


def err(key: str, **params: Any) -> CommandError:
    """A problem whose usage line the dispatcher fills in (it knows the subcommand)."""
    return CommandError(key, **params)


# ---------------------------------------------------------------------------------------------
# Catalogue

i18n.register(
    {
        "cmd.usage": {"zh": "用法：", "en": "Usage: "},
        "cmd.unknown_command": {"zh": "没有「{text}」这个命令。", "en": "There is no command “{text}”."},
        "cmd.unknown_sub": {"zh": "{command} 没有「{text}」这个子命令。",
                            "en": "{command} has no subcommand “{text}”."},
        "cmd.bad_help_topic": {"zh": "没有关于「{text}」的帮助。", "en": "There is no help on “{text}”."},
        "cmd.unexpected": {"zh": "多余的内容：「{text}」。", "en": "Unexpected: “{text}”."},
        "cmd.duplicate_option": {"zh": "「{option}:」写了两次。", "en": "“{option}:” is given twice."},
        "cmd.empty_option": {"zh": "「{option}:」后面缺少内容。", "en": "“{option}:” has no value."},
        "cmd.missing_task_id": {"zh": "缺少任务编号。", "en": "The task id is missing."},
        "cmd.missing_meeting_id": {"zh": "缺少会议编号。", "en": "The meeting id is missing."},
        "cmd.missing_outbox_id": {"zh": "缺少消息编号。", "en": "The message id is missing."},
        "cmd.bad_id": {"zh": "「{text}」不是有效的编号（正整数，如 12 或 #12）。",
                       "en": "“{text}” is not a valid id (a positive number such as 12 or #12)."},
        "cmd.bad_percent": {"zh": "进度「{text}」无效：应为 0 到 100 之间的整数，如 60%。",
                            "en": "Progress “{text}” is invalid: use a whole number from 0 to 100, such as 60%."},
        "cmd.missing_reason": {"zh": "请写明原因。", "en": "Please give a reason."},
        "cmd.missing_title": {"zh": "缺少任务标题。", "en": "The task title is missing."},
        "cmd.missing_due": {"zh": "缺少截止日期：任务必须有期限，请加上 截止:<日期>。",
                            "en": "The deadline is missing: a task needs one, add due:<date>."},
        "cmd.bad_priority": {"zh": "优先级「{text}」无效，可选：高（紧急）、普通。",
                             "en": "Priority “{text}” is invalid; use high (urgent) or normal."},
        "cmd.bad_user": {"zh": "「{text}」不是一个人：请用 @某人 提及。",
                         "en": "“{text}” is not a person: mention them with @name."},
        "cmd.missing_user": {"zh": "请 @ 提及一个人。", "en": "Please mention a person with @."},
        "cmd.too_many_users": {"zh": "这里只能指定一个人（多出了 {text}）。",
                               "en": "Only one person fits here ({text} is one too many)."},
        "cmd.bad_page": {"zh": "页码「{text}」无效：应为 1 到 {most} 之间的整数，如 第2页 或 页:2。",
                         "en": "Page “{text}” is invalid: a whole number from 1 to {most}, such as page:2."},
        "cmd.bad_light": {"zh": "灯色「{text}」无效，可选：红、黄、绿、灰。",
                          "en": "Light “{text}” is invalid; use red, yellow, green or grey."},
        "cmd.bad_list_scope": {"zh": "不认识「{text}」，可选：我的、逾期、全部、@某人、专班:<名称>。",
                               "en": "Unknown “{text}”; use mine, overdue, all, @user or force:<name>."},
        "cmd.missing_date": {"zh": "缺少日期。", "en": "The date is missing."},
        "cmd.missing_node_no": {"zh": "缺少节点序号。", "en": "The node number is missing."},
        "cmd.bad_node_no": {"zh": "「{text}」不是有效的节点序号（1、2、3…）。",
                            "en": "“{text}” is not a valid node number (1, 2, 3 …)."},
        "cmd.missing_node_name": {"zh": "缺少节点名称。", "en": "The node name is missing."},
        "cmd.control_chars": {
            "zh": "命令里有不可见的控制字符（例如 NUL），请删去后重新输入。",
            "en": "The command contains invisible control characters (such as NUL); remove them and type it again.",
        },
        "cmd.edit_nothing": {
            "zh": "请说明改什么：标题:… 内容:… 截止:<更早的日期> 单位:<部门> 优先级:紧急|普通。",
            "en": "Say what to change: title:… desc:… due:<earlier date> dept:<name> prio:high|normal.",
        },
        "cmd.edit_node_due": {
            "zh": "改节点日期请写：/task 修改 <编号> 节点:<序号> 截止:<日期>（不与其他修改混写）。",
            "en": "To move a node: /task edit <id> node:<n> due:<date> (on its own).",
        },
        "cmd.missing_force_name": {"zh": "缺少专班名称。", "en": "The task force name is missing."},
        "cmd.missing_text": {"zh": "缺少内容。", "en": "The text is missing."},
        "cmd.bad_quiet": {"zh": "免打扰时段「{text}」无效：写成 开始-结束 的整点（0–23），如 20-8。",
                          "en": "Quiet hours “{text}” are invalid: write start-end hours (0–23), such as 20-8."},
        "cmd.bad_remind_days": {
            "zh": "提醒天数「{text}」无效：写成逗号分隔的 {lo}–{hi} 之间的整数（最多 {most} 个），如 3,1。",
            "en": "Reminder days “{text}” are invalid: comma-separated whole numbers {lo}–{hi} "
            "(at most {most}), such as 3,1.",
        },
        "cmd.bad_escalate": {
            "zh": "督办间隔「{text}」无效：写成逗号分隔的 {lo}–{hi} 之间的工作日数（最多 {most} 级），如 0,2,3,5。",
            "en": "Escalation delays “{text}” are invalid: comma-separated working days {lo}–{hi} "
            "(at most {most} levels), such as 0,2,3,5.",
        },
        "cmd.bad_policy_number": {"zh": "「{option}」应为 {lo} 到 {hi} 之间的整数，「{text}」不行。",
                                  "en": "“{option}” must be a whole number from {lo} to {hi}, not “{text}”."},
        "cmd.missing_meeting_title": {"zh": "缺少会议类型或标题。", "en": "The meeting type or title is missing."},
        "cmd.bad_time": {"zh": "时间「{text}」无效，请写成 14:30。", "en": "Time “{text}” is invalid; write it as 14:30."},
        "cmd.bad_minutes": {"zh": "时长「{text}」无效：应为 1 到 480 分钟。",
                            "en": "Length “{text}” is invalid: 1 to 480 minutes."},
        "cmd.bad_every": {"zh": "周期「{text}」无效：写成 每月、两个月（1 到 12 个月）。",
                          "en": "Interval “{text}” is invalid: write 1m, 2m … (1 to 12 months)."},
        "cmd.missing_series_kind": {"zh": "请写明是专题会议还是例会。",
                                    "en": "Say which series: thematic or monthly."},
        "cmd.bad_series_kind": {"zh": "「{text}」不是周期会议类型，可选：专题会议、例会。",
                                "en": "“{text}” is not a meeting series; use thematic or monthly."},
        "cmd.missing_start": {"zh": "缺少开始日期（从:<日期>）。", "en": "The start date is missing (from:<date>)."},
        "cmd.missing_topic": {"zh": "缺少议题。", "en": "The topic is missing."},
        "cmd.missing_owner": {"zh": "缺少责任人：请 @ 提及一个人。", "en": "The owner is missing: mention a person."},
        "cmd.bad_rank_scope": {"zh": "不认识「{text}」，可选：部门、专班。",
                               "en": "Unknown “{text}”; use dept or force."},
        "cmd.missing_lang": {"zh": "请写明语言：中文 或 英文。", "en": "Say which language: zh or en."},
        "cmd.bad_lang": {"zh": "不支持语言「{text}」，可选：中文、英文。",
                         "en": "Language “{text}” is not supported; use zh or en."},
        "cmd.missing_dept_name": {"zh": "缺少部门名称。", "en": "The department name is missing."},
        "cmd.missing_name": {"zh": "缺少新的姓名。", "en": "The new name is missing."},
        "cmd.missing_notice": {"zh": "请在命令后粘贴国务院办公厅关于节假日安排的通知全文。",
                               "en": "Paste the State Council's holiday notice after the command."},
        "cmd.bad_action": {"zh": "不认识「{text}」。", "en": "Unknown “{text}”."},
        "cmd.bad_role": {"zh": "没有「{text}」这个角色，可选：成员、负责人、秘书、领导、管理员。",
                         "en": "There is no role “{text}”; use member, lead, secretary, leader or admin."},
        "cmd.bad_month": {"zh": "月份「{text}」无效，请写成 2026-12 或 12月。",
                          "en": "Month “{text}” is invalid; write 2026-12 or 12."},
        "cmd.missing_work_off": {"zh": "请写明这天 上班 还是 放假。", "en": "Say whether the day is work or off."},
        "cmd.bad_work_off": {"zh": "「{text}」无效：请写 上班 或 放假。", "en": "“{text}” is invalid: write work or off."},
        "cmd.bad_outbox": {"zh": "不认识「{text}」，可选：失败、全部、重试 <编号>。",
                           "en": "Unknown “{text}”; use failed, all or retry <id>."},
    }
)  # fmt: skip
