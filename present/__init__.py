"""Renderers: one per surface and format (console text, Block Kit, HTML for the wall screen, PNG/SVG charts, files); models/ renders nothing, and user text is escaped here."""
