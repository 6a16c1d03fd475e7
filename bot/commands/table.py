"""One row of the usage table: a subcommand's names, its parser, its usage line and summary.

Each parser module (task, force, meeting, guatu) ends with its rows, so a command's help text
lives next to its parser and ``/guatu help`` cannot drift from the code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.commands.tokens import Ctx, Token


@dataclass(frozen=True, slots=True)
class Subcommand:
    """One subcommand: its English and Chinese names, its parser, and its catalogue keys."""

    command: str
    name: str
    zh: str
    parse: Callable[[Ctx, list[Token]], Any]
    usage_zh: str
    usage_en: str
    summary_zh: str
    summary_en: str

    @property
    def usage_key(self) -> str:
        return f"usage.{self.command}.{self.name}"

    @property
    def summary_key(self) -> str:
        return f"summary.{self.command}.{self.name}"


def row(command: str, name: str, zh: str, parse_it: Callable[[Ctx, list[Token]], Any],
        usage: tuple[str, str], summary: tuple[str, str]) -> Subcommand:  # fmt: skip
    """A row as the tables write it: usage and summary each as a (Chinese, English) pair."""
    return Subcommand(command, name, zh, parse_it, usage[0], usage[1], summary[0], summary[1])
