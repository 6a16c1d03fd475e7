"""Slack: the surface where civil servants work (slash commands, buttons, modals, App Home).

``server`` serves Slack's HTTP requests (or Socket Mode) and wires the parts once; listeners in
``commands``, ``actions``, ``views`` and ``events`` are thin (ack → Caller → Service → render →
answer); ``blocks`` and ``forms`` are pure; ``notifier`` delivers the outbox; ``manifest`` describes
the app to Slack.
"""

# Slash commands, interactivity and events all arrive here (the manifest tells Slack so).
EVENTS_PATH = "/slack/events"
