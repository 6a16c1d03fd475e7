"""Renderers, one per surface: HTML for the wall screen, and more to come; user text is escaped here."""
