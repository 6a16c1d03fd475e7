"""Message catalogue: every user-facing string in Chinese and English.

Chinese first: ``zh`` is the default; a person's own choice (``Person.lang``) overrides
``GUATU_LANG``. Modules add their own entries with :func:`register` at import time so each
string lives next to the code that uses it (a command's usage next to its parser).
"""

from __future__ import annotations

import logging
import os
import re
import string
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"

_CATALOG: dict[str, dict[str, str]] = {}
log = logging.getLogger(__name__)


def register(entries: Mapping[str, Mapping[str, str]]) -> None:
    """Add entries ``{key: {"zh": ..., "en": ...}}``; both languages are required."""
    for key, texts in entries.items():
        missing = [lang for lang in LANGS if lang not in texts]
        if missing:
            raise ValueError(f"message {key!r} lacks {missing}")
        existing = _CATALOG.get(key)
        if existing is not None and existing != dict(texts):
            raise ValueError(f"message {key!r} registered twice with different text")
        _CATALOG[key] = dict(texts)


@lru_cache(maxsize=256)
def normalise_lang(lang: str | None) -> str:
    """``zh`` or ``en`` for what a person or a setting calls their language (pure: cached, as every message
    rendered asks it twice)."""
    if not lang:
        return DEFAULT_LANG
    lang = lang.lower()
    if lang.startswith("zh") or lang in ("中文", "cn"):
        return "zh"
    if lang.startswith("en") or lang in ("英文", "english"):
        return "en"
    return DEFAULT_LANG


class MissingMessage(LookupError):
    """A key the catalogue lacks, or a template parameter its caller did not give (strict mode only)."""


def strict() -> bool:
    """Whether a catalogue leak raises: the test suite sets ``GUATU_STRICT_I18N=1`` (tests/conftest.py)."""
    return os.environ.get("GUATU_STRICT_I18N") == "1"


class _Blank(dict):
    # Production's best effort: a parameter nobody gave reads as "—", never as "{name}".
    def __missing__(self, key: str) -> str:
        return "—"


class _Formatter(string.Formatter):
    """``str.format`` plus English plurals: ``{n} {n:task|tasks}`` reads "1 task", "2 tasks"."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if "|" in format_spec:
            one, _, many = format_spec.partition("|")
            return one if _count(value) == 1 else many
        return super().format_field(value, format_spec)


class _Lenient(_Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        try:
            return super().format_field(value, format_spec)
        except (TypeError, ValueError):
            return str(value)


def _count(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float(len(value)) if hasattr(value, "__len__") else 2.0


_FORMATTER, _LENIENT = _Formatter(), _Lenient()


def _leak(problem: str) -> None:
    if strict():
        raise MissingMessage(problem)
    log.warning("message catalogue: %s", problem)


# The bot's own references to a person or a channel, marked with a private-use pair (U+E000 … U+E001) that the
# command parser refuses in typed text: a surface renders exactly these as live references and shows every
# other ``<@…>`` or ``<#…>`` as the text someone typed.
REF_OPEN, REF_CLOSE = "\ue000", "\ue001"
REF = re.compile("\ue000([@#][A-Za-z0-9]+)\ue001")
MARKERS = re.compile("[\ue000\ue001]")


def mention(user_id: str) -> str:
    """The bot's own reference to a chat user: live in chat, ``@U1`` in plain text."""
    return f"{REF_OPEN}@{user_id}{REF_CLOSE}"


def channel(channel_id: str) -> str:
    """The bot's own reference to a channel: live in chat, ``#C1`` in plain text."""
    return f"{REF_OPEN}#{channel_id}{REF_CLOSE}"


def plain_refs(text: str) -> str:
    """Text with the bot's references shown readably (``@U1``, ``#C1``) and no marker left."""
    return MARKERS.sub("", REF.sub(r"\1", text))


def t(key: str, lang: str | None = None, /, **params: Any) -> str:
    """Render ``key`` in ``lang``. Strict (tests): an unknown key or a missing parameter raises
    :class:`MissingMessage`. Production: it is logged and the text degrades (the key, "—" for a
    missing parameter) rather than failing the user's action."""
    texts = _CATALOG.get(key)
    if texts is None:
        _leak(f"unknown key {key!r}")
        return key
    template = texts[normalise_lang(lang)]
    params = {k: (v.render(lang) if hasattr(v, "render") else v) for k, v in params.items()}
    try:
        if "|" in template:
            return _FORMATTER.vformat(template, (), params)
        return template.format(**params)
    except KeyError as exc:
        _leak(f"{key!r} needs parameter {exc.args[0]!r}")
    except (IndexError, ValueError) as exc:
        _leak(f"{key!r} cannot be formatted: {exc}")
    try:
        return _LENIENT.vformat(template, (), _Blank(params))
    except (IndexError, ValueError):
        return template


class Msg:
    """A message not yet rendered: a key and its params, rendered late in the reader's language."""

    __slots__ = ("_rendered", "key", "params")

    def __init__(self, key: str, /, **params: Any) -> None:
        self.key = key
        self.params = params
        self._rendered: tuple[str | None, str] | None = None

    def render(self, lang: str | None) -> str:
        # The last rendering is kept: a message and its briefing line share their parts (the subject, the
        # route …), and a notice to several people in one language is the same text for each of them.
        done = self._rendered
        if done is not None and done[0] == lang:
            return done[1]
        params = {k: (v.render(lang) if hasattr(v, "render") else v) for k, v in self.params.items()}
        text = t(self.key, lang, **params)
        self._rendered = (lang, text)
        return text

    def __repr__(self) -> str:
        return f"Msg({self.key!r}, {self.params!r})"


_ZH_WD = "一二三四五六日"
_EN_WD = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_EN_MON = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_day(d: Any, lang: str | None) -> str:
    """A date as users read it: zh "2026年12月31日（周四）", en "Thu 31 Dec 2026"."""
    if normalise_lang(lang) == "en":
        return f"{_EN_WD[d.weekday()]} {d.day} {_EN_MON[d.month - 1]} {d.year}"
    return f"{d.year}年{d.month}月{d.day}日（周{_ZH_WD[d.weekday()]}）"


def format_short_day(d: Any, lang: str | None) -> str:
    """A day within the year, for lines that repeat dates: zh "12月1日", en "1 Dec"."""
    if normalise_lang(lang) == "en":
        return f"{d.day} {_EN_MON[d.month - 1]}"
    return f"{d.month}月{d.day}日"


def format_moment(dt: Any, lang: str | None) -> str:
    """A local time of day on a day: zh "12月1日 10:00", en "1 Dec 10:00" (the caller picks the zone)."""
    return f"{format_short_day(dt, lang)} {dt.strftime('%H:%M')}"


class Day:
    """A date parameter rendered late, in the reader's language."""

    __slots__ = ("day",)

    def __init__(self, day: Any) -> None:
        self.day = day

    def render(self, lang: str | None) -> str:
        return format_day(self.day, lang)

    def __repr__(self) -> str:
        return f"Day({self.day!r})"


class Join:
    """A list parameter rendered late: each item in the reader's language, joined (、 or , )."""

    __slots__ = ("items",)

    def __init__(self, items: Any) -> None:
        self.items = list(items)

    def render(self, lang: str | None) -> str:
        sep = ", " if normalise_lang(lang) == "en" else "、"
        return sep.join(i.render(lang) if hasattr(i, "render") else str(i) for i in self.items)

    def __repr__(self) -> str:
        return f"Join({self.items!r})"


class Cat:
    """Parameters rendered late and joined with nothing between them (optional parts of a sentence)."""

    __slots__ = ("items",)

    def __init__(self, *items: Any) -> None:
        self.items = [i for i in items if i is not None and i != ""]

    def render(self, lang: str | None) -> str:
        return "".join(i.render(lang) if hasattr(i, "render") else str(i) for i in self.items)

    def __repr__(self) -> str:
        return f"Cat({self.items!r})"


def has(key: str) -> bool:
    return key in _CATALOG
