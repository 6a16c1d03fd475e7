"""Renderers: one per surface and format (console text, Block Kit, PNG charts, files); models/ renders nothing."""
