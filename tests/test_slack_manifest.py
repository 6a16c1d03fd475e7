"""The app manifest validates against Slack's published schema and tells Slack where everything goes."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from bot.cli import main
from bot.slack.manifest import render_manifest

SCHEMA = json.loads((Path(__file__).parent / "data" / "manifest.schema.1.0.0.json").read_text())
URL = "https://guatu.zj.gov.cn/bot/"


def test_the_yaml_manifest_validates_against_slacks_schema() -> None:
    data = yaml.safe_load(render_manifest(URL))
    jsonschema.validate(data, SCHEMA)


def test_the_json_manifest_is_the_same_manifest() -> None:
    data = json.loads(render_manifest(URL, as_json=True))
    jsonschema.validate(data, SCHEMA)
    assert data == yaml.safe_load(render_manifest(URL))


def test_commands_interactivity_and_events_all_point_at_the_one_endpoint() -> None:
    data = yaml.safe_load(render_manifest(URL))
    endpoint = "https://guatu.zj.gov.cn/bot/slack/events"
    commands = data["features"]["slash_commands"]
    assert [c["command"] for c in commands] == ["/task", "/force", "/meeting", "/guatu"]
    assert all(c["url"] == endpoint and c["description"] and c["usage_hint"] for c in commands)
    assert all(c["should_escape"] for c in commands)  # mentions arrive as <@U…|name>, which the parser reads
    settings = data["settings"]
    assert settings["interactivity"] == {"is_enabled": True, "request_url": endpoint}
    assert settings["event_subscriptions"]["request_url"] == endpoint
    assert "app_home_opened" in settings["event_subscriptions"]["bot_events"]
    assert settings["socket_mode_enabled"] is False
    assert data["features"]["app_home"]["home_tab_enabled"] is True
    assert {"commands", "chat:write", "im:write", "users:read", "files:write"} <= set(data["oauth_config"]["scopes"]["bot"])


def test_guatu_manifest_prints_it(capsys) -> None:
    assert main(["manifest", "--url", URL, "--json"]) == 0
    jsonschema.validate(json.loads(capsys.readouterr().out), SCHEMA)
