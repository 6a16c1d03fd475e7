"""Moved to ``present.text`` (the one plain-text renderer); kept so older imports keep working."""

from present.text import *  # noqa: F403
