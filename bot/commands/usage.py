"""The usage table of every command, its catalogue entries, and the help generated from it."""

from __future__ import annotations

from bot.commands import force, guatu, meeting, task
from bot.commands.errors import CommandError
from bot.commands.table import Subcommand
from bot.commands.tokens import Token, norm
from bot.commands.values import vocab
from models import i18n

COMMANDS: dict[str, tuple[Subcommand, ...]] = {
    "task": task.SUBCOMMANDS,
    "force": force.SUBCOMMANDS,
    "meeting": meeting.SUBCOMMANDS,
    "guatu": guatu.SUBCOMMANDS,
}

COMMAND_NAMES = vocab(task=("任务",), force=("专班",), meeting=("会议",), guatu=("挂图",))
_HELP_ZH = {"task": "任务", "force": "专班", "meeting": "会议", "guatu": "挂图"}


def find_sub(command: str, tok: Token) -> Subcommand | None:
    """The subcommand named by ``tok`` (English or Chinese, any case)."""
    word = tok.norm
    for sub in COMMANDS[command]:
        if word in (sub.name, sub.zh):
            return sub
    return None


def _sub_list(command: str, lang: str) -> str:
    """``add 新建 · list 列表 · …`` in the reader's language order."""
    if lang == "en":
        return " · ".join(f"{s.name} ({s.zh})" for s in COMMANDS[command])
    return " · ".join(f"{s.zh}（{s.name}）" for s in COMMANDS[command])


i18n.register(
    {
        "usage.commands": {"zh": "/task 任务 · /force 专班 · /meeting 会议 · /guatu 挂图",
                           "en": "/task · /force · /meeting · /guatu"},
        "help.title": {"zh": "挂图 Guatu 命令（中英文子命令均可）", "en": "Guatu commands (English or Chinese subcommand names)"},
        "help.alias": {"zh": "也可写 {name}", "en": "also {name}"},
        "help.hint": {"zh": "发送 /{command} 帮助 查看完整用法。", "en": "Send /{command} help for the full forms."},
    }
)  # fmt: skip
for _cmd, _subs in COMMANDS.items():
    i18n.register(
        {f"usage.{_cmd}": {"zh": f"{_sub_list(_cmd, 'zh')}\n" + i18n.t("help.hint", "zh", command=_cmd),
                               "en": f"{_sub_list(_cmd, 'en')}\n" + i18n.t("help.hint", "en", command=_cmd)},
         f"help.{_cmd}": {"zh": f"/{_cmd} {_HELP_ZH[_cmd]}", "en": f"/{_cmd}"}}
    )  # fmt: skip
    for _s in _subs:
        i18n.register(
            {_s.usage_key: {"zh": _s.usage_zh, "en": _s.usage_en},
             _s.summary_key: {"zh": _s.summary_zh, "en": _s.summary_en}}
        )  # fmt: skip


def command_name(command: str) -> str:
    """``/task``, ``task``, ``/任务`` … as the canonical command name."""
    word = norm(command.strip()).lstrip("/")
    found = COMMAND_NAMES.get(word)
    if found is None:
        raise CommandError("cmd.unknown_command", usage="usage.commands", text=command.strip())
    return found


def help_text(lang: str, command: str | None = None, subcommand: str | None = None) -> str:
    """Help for all commands, one command, or one subcommand, in ``lang``, from the usage table."""
    lang = i18n.normalise_lang(lang)
    names = list(COMMANDS) if command is None else [command_name(command)]
    lines: list[str] = [i18n.t("help.title", lang)] if command is None else []
    for name in names:
        subs = [s for s in COMMANDS[name] if subcommand is None or subcommand in (s.name, s.zh)]
        if not subs:
            subs = list(COMMANDS[name])
        if lines:
            lines.append("")
        lines.append(i18n.t(f"help.{name}", lang))
        for s in subs:
            other = s.name if lang == "zh" else s.zh
            summary = i18n.t(s.summary_key, lang)
            alias = i18n.t("help.alias", lang, name=other)
            lines.append(f"• {summary} — {alias}")
            lines.extend(f"  {line}" for line in i18n.t(s.usage_key, lang).splitlines())
    return "\n".join(lines)
