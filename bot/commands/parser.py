"""The entry point: one command line in, one typed request (or a CommandError) out."""

from __future__ import annotations

import datetime as dt

from bot.commands.errors import CommandError
from bot.commands.requests import HelpRequest, Request
from bot.commands.tokens import CONTROL, Ctx, Token, tokenise
from bot.commands.usage import COMMAND_NAMES, command_name, find_sub
from models.calendar import WorkCalendar
from models.errors import UsageError

_HELP_WORDS = frozenset({"help", "帮助", "?", "-h", "--help", "用法", "usage"})


def _help_request(command: str, tokens: list[Token]) -> HelpRequest | None:
    """A HelpRequest if any word asks for help, naming the command or subcommand asked about."""
    if not any(t.norm in _HELP_WORDS for t in tokens):
        return None
    others = [t for t in tokens if t.norm not in _HELP_WORDS]
    if command == "guatu" and tokens[0].norm in _HELP_WORDS and others:
        # /guatu help <topic>: the topic is a command (task …) or a /guatu subcommand.
        topic = COMMAND_NAMES.get(others[0].norm.lstrip("/"))
        if topic is None:
            sub = find_sub("guatu", others[0])
            if sub is None:
                raise CommandError("cmd.bad_help_topic", usage="usage.guatu.help", text=others[0].raw)
            return HelpRequest(command="guatu", subcommand=sub.name)
        sub = find_sub(topic, others[1]) if len(others) > 1 else None
        return HelpRequest(command=topic, subcommand=sub.name if sub else None)  # type: ignore[arg-type]
    sub = find_sub(command, others[0]) if others else None
    if command == "guatu" and sub is None:
        return HelpRequest(command=None)
    return HelpRequest(command=command, subcommand=sub.name if sub else None)  # type: ignore[arg-type]


def parse(command: str, text: str, *, today: dt.date, calendar: WorkCalendar) -> Request:
    """The typed request for one command line; raises CommandError (a UsageError) and nothing else."""
    name = command_name(command)
    if CONTROL.search(text):
        raise CommandError("cmd.control_chars", usage=f"usage.{name}")
    tokens = tokenise(text)
    asked = _help_request(name, tokens)
    if asked is not None:
        return asked
    if not tokens:
        return HelpRequest(command=None if name == "guatu" else name)  # type: ignore[arg-type]
    sub = find_sub(name, tokens[0])
    if sub is None:
        raise CommandError("cmd.unknown_sub", usage=f"usage.{name}", command=f"/{name}", text=tokens[0].raw)
    ctx = Ctx(text=text, today=today, calendar=calendar)
    try:
        return sub.parse(ctx, tokens[1:])
    except CommandError as exc:
        if exc.usage is None:
            exc.usage = sub.usage_key
        raise
    except UsageError as exc:
        # DateError and friends: keep their key and text, add the right form.
        raise CommandError(exc.key, usage=sub.usage_key, **exc.params) from exc
