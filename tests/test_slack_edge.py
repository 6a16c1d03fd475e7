"""The HTTP edge: bodies bounded while read, signatures checked before parsing, replays acted on once, quiet logs."""

from __future__ import annotations

import json
import logging
import socket
import time
from urllib.parse import quote, urlencode

import pytest

from bot.slack.edge import MAX_BODY, Refused, ReplayGuard, verify
from models.tables import ProcessedRequest, Task
from tests.slack_fake import SECRET, Harness, fake, harness, sign, slack

FORM = "application/x-www-form-urlencoded"


def _command(text: str, *, team: str = "T1", user: str = "U1") -> bytes:
    return urlencode({"team_id": team, "user_id": user, "channel_id": "C1", "command": "/task", "text": text,
                      "response_url": "http://127.0.0.1:9/r", "trigger_id": "1.1.t"}).encode()


def _quiet(caplog: pytest.LogCaptureFixture, *, warnings: int) -> None:
    """Exactly ``warnings`` WARNING lines, nothing worse, and no stack anywhere."""
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.levelname for r in loud] == ["WARNING"] * warnings, [r.getMessage() for r in loud]
    assert not any(r.exc_info for r in caplog.records) and "Traceback" not in caplog.text


def _raw(slack: Harness, head: bytes, *parts: bytes, pause: float = 0.0) -> tuple[bytes, socket.socket]:
    """Sends ``head`` then ``parts`` on a socket of its own and reads what the server answered so far."""
    sock = socket.create_connection(("127.0.0.1", slack.server.port), timeout=5)
    sock.sendall(head)
    for part in parts:
        sock.sendall(part)
    time.sleep(pause)
    sock.settimeout(5)
    return sock.recv(65536), sock


# ---------------------------------------------------------------- size


@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "signed"])
def test_a_two_megabyte_body_is_refused_with_413_and_nothing_runs(slack: Harness, signed: bool, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    body = _command("add " + "a" * (2 << 20))
    assert len(body) > 2 * MAX_BODY
    r = slack.post(body, FORM, signed=signed)
    assert r.status_code == 413
    slack.settle()
    assert slack.count(Task) == 0 and not slack.fake.calls
    _quiet(caplog, warnings=1)


def test_a_declared_length_over_the_limit_is_refused_before_any_of_the_body_is_sent(slack: Harness) -> None:
    head = (f"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: {FORM}\r\n"
            f"Content-Length: {200 << 20}\r\n\r\n").encode()
    answer, sock = _raw(slack, head)
    sock.close()
    assert answer.startswith(b"HTTP/1.1 413")


def test_a_chunked_body_is_refused_once_past_the_limit_while_the_client_is_still_sending(slack: Harness) -> None:
    """The server stops reading at 1 MB: the 413 arrives while 99 MB are still to come."""
    head = f"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: {FORM}\r\nTransfer-Encoding: chunked\r\n\r\n"
    chunk = b"%x\r\n%s\r\n" % (64 << 10, b"a" * (64 << 10))
    answer, sock = _raw(slack, head.encode(), chunk * 18, pause=0.3)  # 1.1 MB, then the client waits
    sock.close()
    assert answer.startswith(b"HTTP/1.1 413")


def test_memory_does_not_grow_with_refused_bodies(slack: Harness) -> None:
    body = b"text=" + b"a" * (2 << 20)
    ts = int(time.time())
    headers = {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": sign(body, ts)}
    slack.post(body, FORM, signed=False)  # warm up: connections, code paths
    before = _rss_mb()
    for _ in range(10):
        assert slack.http.post("/slack/events", content=body, headers={"Content-Type": FORM}).status_code == 413
        signed = slack.http.post("/slack/events", content=body, headers={"Content-Type": FORM, **headers})
        assert signed.status_code == 413
    assert _rss_mb() - before < 8  # 40 MB were sent; before the limit, one 5 MB signed command peaked at +640 MB


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024


# ---------------------------------------------------------------- signatures, before anything is parsed

JUNK = [b"", b"\xff\xfe\x00 not utf-8", b"payload=%7Bnot json", b"payload=" + quote("[1,2]").encode(), b'{"a":',
        b"[]", b"payload=" + quote(json.dumps({"type": "block_actions", "actions": []})).encode(),
        b"command=/task&text=JUNKTEXT&team_id=TJUNK&user_id=UJUNK"]


@pytest.mark.parametrize("content_type", [FORM, "application/json"])
def test_unsigned_junk_gets_401_one_warning_and_no_trace_of_the_body(slack: Harness, content_type: str, caplog) -> None:
    for junk in JUNK:
        caplog.clear()
        caplog.set_level(logging.DEBUG)  # bolt used to dump every rejected body at INFO
        assert slack.post(junk, content_type, signed=False).status_code == 401
        _quiet(caplog, warnings=1)
        assert "JUNK" not in caplog.text and "not json" not in caplog.text
    slack.settle()
    assert not slack.fake.calls


@pytest.mark.parametrize("stamp", ["abc", "", "1e9", "١٢٣", -301, 400])
def test_a_bad_or_stale_timestamp_gets_401_and_nothing_from_the_body_is_logged(slack: Harness, stamp: str | int,
                                                                               caplog) -> None:
    caplog.set_level(logging.DEBUG)
    if isinstance(stamp, int):  # seconds from now, counted when the test runs
        stamp = str(int(time.time()) + stamp)
    body = _command("add 秘密任务", team="TSECRET", user="USECRET")
    signature = sign(body, int(stamp)) if stamp.isascii() and stamp.lstrip("-").isdigit() else "v0=00"
    r = slack.http.post("/slack/events", content=body, headers={
        "Content-Type": FORM, "X-Slack-Request-Timestamp": stamp.encode(), "X-Slack-Signature": signature})
    assert r.status_code == 401
    _quiet(caplog, warnings=1)
    assert "TSECRET" not in caplog.text and "USECRET" not in caplog.text and "秘密" not in caplog.text


def test_a_signature_that_is_not_ascii_is_refused_not_raised(slack: Harness, caplog) -> None:
    body, ts = _command("list"), int(time.time())
    r = slack.http.post("/slack/events", content=body, headers={
        "Content-Type": FORM, "X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": "v0=签名".encode()})
    assert r.status_code == 401
    _quiet(caplog, warnings=1)


@pytest.mark.parametrize("junk", JUNK[:6], ids=lambda j: repr(j[:12]))
def test_signed_junk_gets_400_with_one_warning_and_no_traceback(slack: Harness, junk: bytes, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    assert slack.post(junk, FORM).status_code in (400, 404)  # 404: a form bolt reads, with nothing to route on
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) <= 1
    assert not any(r.exc_info for r in caplog.records) and "Traceback" not in caplog.text


def test_verify_checks_the_raw_bytes_in_constant_time_within_five_minutes() -> None:
    body, now = b"token=x&text=%E4%BD%A0", 1_800_000_000
    good = {"x-slack-signature": sign(body, now), "x-slack-request-timestamp": str(now)}
    assert verify(SECRET, body, good, now=now + 299) == (sign(body, now), now)
    for headers, now_, reason in (({}, now, "no Slack signature"), (good, now + 301, "away from now"),
                                  ({**good, "x-slack-signature": "v0=" + "0" * 64}, now, "bad Slack signature")):
        with pytest.raises(Refused, match=reason) as refused:
            verify(SECRET, body, headers, now=now_)
        assert refused.value.status == 401
    with pytest.raises(Refused):
        verify(SECRET, body + b"&user_id=UEVIL", good, now=now)


# ---------------------------------------------------------------- replays


def test_a_replayed_signed_command_runs_once_and_the_replay_gets_an_empty_200(slack: Harness) -> None:
    slack.world()
    body, ts = _command("add 编制共享清单 <@U2|zhang> due:12-31"), int(time.time())
    headers = {"Content-Type": FORM, "X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": sign(body, ts)}
    first = slack.http.post("/slack/events", content=body, headers=headers)
    assert first.status_code == 200 and "编制共享清单" in first.json()["text"]
    for _ in range(3):
        replay = slack.http.post("/slack/events", content=body, headers=headers)
        assert replay.status_code == 200 and replay.content == b""
    slack.settle()
    assert slack.count(Task) == 2  # the world's task and this one, once
    assert slack.count(ProcessedRequest, ProcessedRequest.signature == sign(body, ts)) == 1


def test_a_second_web_process_recognises_a_replay_through_the_database(slack: Harness) -> None:
    ts = int(time.time())
    signature = sign(b"x", ts)
    assert ReplayGuard(slack.engine).first(signature, ts)
    assert not ReplayGuard(slack.engine).first(signature, ts)  # an empty cache: the row decides
    assert ReplayGuard(slack.engine).first(sign(b"y", ts), ts)


def test_the_in_process_cache_is_bounded_and_forgets_closed_windows(slack: Harness) -> None:
    guard, ts = ReplayGuard(slack.engine, capacity=3), int(time.time())
    for n in range(5):
        assert guard.first(f"v0={n}", ts)
    assert len(guard._seen) == 3
    guard.first("v0=late", ts, now=ts + 10_000)
    assert list(guard._seen) == ["v0=late"]


# ---------------------------------------------------------------- clients that go away


def test_a_client_that_disconnects_mid_body_is_not_an_error(slack: Harness, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    head = f"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: {FORM}\r\nContent-Length: 5000\r\n\r\n".encode()
    sock = socket.create_connection(("127.0.0.1", slack.server.port), timeout=5)
    sock.sendall(head + b"command=/task&text=")
    time.sleep(0.2)
    sock.close()
    time.sleep(0.3)
    assert slack.http.get("/healthz").status_code == 200
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not any(r.exc_info for r in caplog.records) and "Traceback" not in caplog.text


def test_a_client_that_disconnects_while_its_command_runs_is_not_an_error(slack: Harness, caplog) -> None:
    slack.world()
    slack.fake.delay("users.info", 0.4)  # a first contact: the listener waits for Slack, the client gives up
    caplog.set_level(logging.INFO)
    body, ts = _command("list", user="U7"), int(time.time())
    head = (f"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: {FORM}\r\nContent-Length: {len(body)}\r\n"
            f"X-Slack-Request-Timestamp: {ts}\r\nX-Slack-Signature: {sign(body, ts)}\r\n\r\n").encode()
    sock = socket.create_connection(("127.0.0.1", slack.server.port), timeout=5)
    sock.sendall(head + body)
    time.sleep(0.1)
    sock.close()
    slack.settle()
    time.sleep(0.5)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not any(r.exc_info for r in caplog.records) and "Traceback" not in caplog.text


# ---------------------------------------------------------------- every payload shape Slack documents, signed


def _event(slack: Harness, event: dict, *, event_id: str, authorizations: list | None = None, **top) -> int:
    data = {"token": "legacy", "team_id": "T1", "api_app_id": "AGUATU", "event": event, "type": "event_callback",
            "event_id": event_id, "event_time": 1700000000, **top}
    if authorizations is not None:
        data["authorizations"] = authorizations
    return slack.post(json.dumps(data).encode(), "application/json").status_code


def test_an_org_wide_install_app_home_opened_with_the_team_only_in_the_body_publishes_the_home(slack: Harness,
                                                                                                caplog) -> None:
    event = {"type": "app_home_opened", "user": "U1", "channel": "DU1", "tab": "home", "event_ts": "1.1"}
    org_wide = [{"enterprise_id": "E1", "team_id": None, "user_id": "UBOT", "is_bot": True,
                 "is_enterprise_install": True}]
    assert _event(slack, event, event_id="EvOrg", authorizations=org_wide, enterprise_id="E1",
                  is_enterprise_install=True) == 200
    assert slack.published_home("U1")["type"] == "home"
    slack.settle()
    _quiet(caplog, warnings=0)


def test_an_app_home_opened_without_any_team_is_ignored_in_one_line(slack: Harness, caplog) -> None:
    event = {"type": "app_home_opened", "user": "U1", "tab": "home", "event_ts": "1.1"}
    data = {"type": "event_callback", "event": event, "event_id": "EvNoTeam", "api_app_id": "AGUATU"}
    assert slack.post(json.dumps(data).encode(), "application/json").status_code == 200
    slack.settle()
    assert not slack.fake.calls_to("views.publish")
    _quiet(caplog, warnings=1)


def test_a_mention_by_another_bot_gets_no_hint_and_no_error(slack: Harness, caplog) -> None:
    event = {"type": "app_mention", "bot_id": "BOTHER", "channel": "C1", "text": "<@UBOT> 日报", "ts": "1.4",
             "event_ts": "1.4", "bot_profile": {"id": "BOTHER", "name": "日报机器人"}}
    assert _event(slack, event, event_id="EvBot") == 200
    slack.settle()
    slack.fake.quiet(0.2)
    assert not slack.fake.calls_to("chat.postEphemeral")
    _quiet(caplog, warnings=0)


def _actions_payload(slack: Harness, actions: list, **extra) -> dict:
    return {"type": "block_actions", "user": {"id": "U1", "username": "u1", "team_id": "T1"}, "api_app_id": "AGUATU",
            "token": "legacy", "trigger_id": "9.9.t", "team": {"id": "T1", "domain": "t1"},
            "container": {"type": "message", "message_ts": "1.1", "channel_id": "C1", "is_ephemeral": True},
            "channel": {"id": "C1", "name": "zhuanban"}, "response_url": slack.fake.response_url("bad"),
            "actions": actions, **extra}


@pytest.mark.parametrize("actions", [[], None, ["not a dict"], [{"type": "button"}]],
                         ids=["empty", "missing", "not-a-dict", "no-action-id"])
def test_block_actions_without_a_usable_action_are_acknowledged_with_an_apology(slack: Harness, actions,
                                                                                caplog) -> None:
    data = _actions_payload(slack, actions or [])
    if actions is None:
        del data["actions"]
    assert slack.payload(data).status_code == 200
    (apology,) = slack.fake.wait_for("response_url")
    ref = caplog.records[-1].getMessage().split("(ref ")[1][:8]
    assert f"参考编号 {ref}" in apology.body["text"]
    _quiet(caplog, warnings=1)


@pytest.mark.parametrize("action_id,value", [("task.done", "abc"), ("task.progress", "１２"), ("task.done", ""),
                                             ("notice.ack", "x1"), ("task.edit_due", "1:not-a-date:0"),
                                             ("task.edit_due", "1:2026-12-01"), ("task.done", None)])
def test_a_button_with_a_value_that_is_no_id_is_answered_with_an_apology_not_a_traceback(slack: Harness, action_id,
                                                                                         value, caplog) -> None:
    slack.world()
    action = {"action_id": action_id, "block_id": "b1", "type": "button", "action_ts": "1.2"}
    if value is not None:
        action["value"] = value
    assert slack.payload(_actions_payload(slack, [action])).status_code == 200
    (apology,) = slack.fake.wait_for("response_url")
    assert "参考编号" in apology.body["text"]
    slack.settle()
    assert slack.task(1).status == "todo"
    _quiet(caplog, warnings=1)


@pytest.mark.parametrize("option", [{"value": "done:x"}, {"value": "done"}, {}, None])
def test_an_overflow_choice_that_names_no_task_is_answered_with_an_apology(slack: Harness, option, caplog) -> None:
    action = {"action_id": "task.menu", "block_id": "b1", "type": "overflow", "action_ts": "1.2"}
    if option is not None:
        action["selected_option"] = option
    assert slack.payload(_actions_payload(slack, [action])).status_code == 200
    assert slack.fake.wait_for("response_url")
    _quiet(caplog, warnings=1)


@pytest.mark.parametrize("metadata", ["not json", "", "[]", '{"o": "x", "l": "zh"}', '{"o": {"team_id": 1}}',
                                      '{"o": {"team_id": "T1", "user_id": "U1"}, "l": "zh", "t": "1"}', None])
def test_a_form_with_unreadable_private_metadata_gets_an_apology_on_its_first_field(slack: Harness, metadata,
                                                                                    caplog) -> None:
    view = {"type": "modal", "callback_id": "task_progress", "title": {"type": "plain_text", "text": "进展"},
            "blocks": [{"type": "input", "block_id": "percent", "label": {"type": "plain_text", "text": "%"},
                        "element": {"type": "plain_text_input", "action_id": "v"}}]}
    if metadata is not None:
        view["private_metadata"] = metadata
    r = slack.submit(view, {"percent": "50"})
    assert r.status_code == 200
    answer = r.json()
    assert answer["response_action"] == "errors" and list(answer["errors"]) == ["percent"]
    _quiet(caplog, warnings=1)


def test_a_view_submission_without_a_view_is_acknowledged(slack: Harness, caplog) -> None:
    data = {"type": "view_submission", "team": {"id": "T1"}, "user": {"id": "U1", "team_id": "T1"}, "view": "x"}
    assert slack.payload(data).status_code == 200
    _quiet(caplog, warnings=1)
