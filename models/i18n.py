"""Message catalogue: every user-facing string in Chinese and English.

Chinese first: ``zh`` is the default; a person's own choice (``Person.lang``) overrides
``GUATU_LANG``. Modules add their own entries with :func:`register` at import time so each
string lives next to the code that uses it (a command's usage next to its parser).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"

_CATALOG: dict[str, dict[str, str]] = {}


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


def normalise_lang(lang: str | None) -> str:
    if not lang:
        return DEFAULT_LANG
    lang = lang.lower()
    if lang.startswith("zh") or lang in ("中文", "cn"):
        return "zh"
    if lang.startswith("en") or lang in ("英文", "english"):
        return "en"
    return DEFAULT_LANG


def t(key: str, lang: str | None = None, /, **params: Any) -> str:
    """Render ``key`` in ``lang``; unknown keys render as the key itself (never raise)."""
    texts = _CATALOG.get(key)
    if texts is None:
        return key
    template = texts[normalise_lang(lang)]
    params = {k: (v.render(lang) if hasattr(v, "render") else v) for k, v in params.items()}
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template


class Msg:
    """A message not yet rendered: a key and its params, rendered late in the reader's language."""

    __slots__ = ("key", "params")

    def __init__(self, key: str, /, **params: Any) -> None:
        self.key = key
        self.params = params

    def render(self, lang: str | None) -> str:
        params = {k: (v.render(lang) if hasattr(v, "render") else v) for k, v in self.params.items()}
        return t(self.key, lang, **params)

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


def has(key: str) -> bool:
    return key in _CATALOG
