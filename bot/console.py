"""The console backend: the same commands as Slack, typed in a terminal as a given user.

Lines are ``/task …``, ``/force …``, ``/meeting …``, ``/guatu …`` (the slash may be left out).
``:as <user>`` switches who is typing, ``:in <channel>`` which channel you are in, ``:quit`` ends.
Messages the bot sends to people and channels (through the outbox) are printed as they go out.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TextIO

from bot.dispatch import Caller, Service
from models import i18n
from models.outbox import Notifier

CONSOLE_TEAM = "T-CONSOLE"
DEFAULT_CHANNEL = "C-console"
COMMANDS = ("/task", "/force", "/meeting", "/guatu")
ALIASES = {"task": "/task", "任务": "/task", "force": "/force", "专班": "/force", "meeting": "/meeting",
           "会议": "/meeting", "guatu": "/guatu", "挂图": "/guatu", "help": "/guatu", "帮助": "/guatu"}


class ConsoleNotifier(Notifier):
    """Prints each delivered message, addressed to a person (@id) or a channel (#id)."""

    min_interval = 0.0  # a terminal has no rate limit: no pacing between two messages to one person

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.lock = threading.Lock()
        self.count = 0

    def send(self, recipient: str, text: str, blocks: list | None = None) -> str | None:
        with self.lock:
            self.count += 1
            where = f"#{recipient}" if recipient.startswith("C") else f"@{recipient}"
            body = i18n.plain_refs(text).replace("\n", "\n    ")
            print(f"  📨 → {where}: {body}", file=self.out, flush=True)
            return f"console-{self.count}"


def split_command(line: str) -> tuple[str, str] | None:
    """``/task add x`` → ("/task", "add x"); a bare ``task add x`` is accepted too."""
    line = line.strip()
    if not line:
        return None
    head, _, rest = line.partition(" ")
    head_l = head.lower()
    if head_l in COMMANDS:
        return head_l, rest
    if head_l.lstrip("/") in ALIASES:
        cmd = ALIASES[head_l.lstrip("/")]
        return cmd, (line if head_l.lstrip("/") in ("help", "帮助") else rest)
    return None


def safe_filename(name: str) -> str:
    """``name`` reduced to one plain file name: letters (Chinese too), digits, ``-``, ``_``, ``.``, no leading dot,
    no ``..``, at most 120 characters. A task force named ``../../x`` cannot name a path."""
    name = re.sub(r"\.{2,}", ".", re.sub(r"[^\w.\-]+", "_", name)).lstrip("._")
    if len(name) > 120:
        stem, dot, suffix = name.rpartition(".")
        name = stem[: 119 - len(suffix)] + dot + suffix if dot and len(suffix) <= 10 else name[:120]
    return name or "guatu-file"


def save_file(folder: Path, name: str, data: bytes) -> Path:
    """Writes ``data`` under ``folder`` as ``safe_filename(name)``; the resolved path is checked to be inside it."""
    folder = folder.resolve()
    path = (folder / safe_filename(name)).resolve()
    if not path.is_relative_to(folder) or path == folder:
        raise ValueError(f"refusing to write outside {folder}: {name!r}")
    folder.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


class Console:
    """A terminal session; ``deliver`` flushes the outbox after each command so replies show at once."""

    def __init__(self, service: Service, user: str, *, out: TextIO = sys.stdout,
                 deliver: Callable[[], object] | None = None, channel: str = DEFAULT_CHANNEL,
                 clock: Callable[[], datetime] | None = None, files_dir: Path | None = None) -> None:
        self.service = service
        self.user = user
        self.channel = channel
        self.out = out
        self.deliver = deliver
        self.clock = clock
        self.files_dir = files_dir or Path.cwd() / "guatu-files"

    def prompt(self) -> str:
        return f"{self.user}@{self.channel}> "

    def feed(self, line: str) -> bool:
        """Handles one line; returns False when the session should end."""
        line = line.strip()
        if not line or line.startswith("#!"):
            return True
        if line.startswith(":"):
            return self._meta(line)
        parsed = split_command(line)
        if parsed is None:
            self._print(i18n.t("console.unknown", self.service.default_lang, line=line))
            return True
        command, text = parsed
        now = self.clock() if self.clock else None
        reply = self.service.handle(Caller(CONSOLE_TEAM, self.user, self.channel, name=self.user), command, text, now=now)
        self._print(reply.text)
        for name, content in reply.attachments:
            path = save_file(self.files_dir, name, content)
            self._print(i18n.t("console.saved", reply.lang, path=str(path)))
        if self.deliver is not None:
            self.deliver()
        return True

    def _meta(self, line: str) -> bool:
        word, _, arg = line[1:].partition(" ")
        arg = arg.strip()
        if word in ("quit", "q", "exit"):
            return False
        if word == "as" and arg:
            self.user = arg.lstrip("@")
            self._print(i18n.t("console.as", self.service.default_lang, user=self.user))
        elif word == "in" and arg:
            self.channel = arg.lstrip("#")
            self._print(i18n.t("console.in", self.service.default_lang, channel=self.channel))
        else:
            self._print(i18n.t("console.meta", self.service.default_lang))
        return True

    def _print(self, text: str) -> None:
        print(i18n.plain_refs(text), file=self.out, flush=True)

    def loop(self, stdin: TextIO = sys.stdin) -> None:
        interactive = stdin.isatty()
        self._print(i18n.t("console.banner", self.service.default_lang, user=self.user))
        while True:
            if interactive:
                try:
                    line = input(self.prompt())
                except (EOFError, KeyboardInterrupt):
                    self._print("")
                    break
            else:
                line = stdin.readline()
                if not line:
                    break
                if line.strip():
                    self._print(self.prompt() + line.rstrip("\n"))
            if not self.feed(line):
                break


i18n.register(
    {
        "console.banner": {
            "zh": "挂图 Guatu 控制台 —— 你现在是 {user}。输入 /guatu help 查看命令；:as <用户> 切换身份，:in <频道> 切换频道，:quit 退出。",
            "en": "Guatu console — you are {user}. Type /guatu help for commands; :as <user> switches user, :in <channel> switches channel, :quit exits.",
        },
        "console.unknown": {
            "zh": "看不懂「{line}」。命令以 /task、/force、/meeting 或 /guatu 开头；输入 /guatu help 查看帮助。",
            "en": "I don't understand “{line}”. Commands start with /task, /force, /meeting or /guatu; try /guatu help.",
        },
        "console.saved": {"zh": "文件已保存：{path}", "en": "File saved: {path}"},
        "console.as": {"zh": "现在你是 {user}。", "en": "You are now {user}."},
        "console.in": {"zh": "现在在频道 #{channel}。", "en": "You are now in #{channel}."},
        "console.meta": {"zh": "控制台命令：:as <用户>  :in <频道>  :quit", "en": "Console commands: :as <user>  :in <channel>  :quit"},
    }
)
