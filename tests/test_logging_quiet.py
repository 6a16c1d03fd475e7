"""GUATU_LOG=DEBUG shows Guatu's own detail, never the Slack or DingTalk libraries' DEBUG records, which carry
request and event bodies (what people type)."""

from __future__ import annotations

import logging

import pytest

from bot import cli


@pytest.fixture
def clean_loggers():
    names = ("", *cli._QUIET_LIBRARIES, "guatu", "guatu_quiet_test")  # "": the root, whose level this test sets
    saved = {n: logging.getLogger(n).level for n in names}
    yield
    for n, level in saved.items():
        logging.getLogger(n).setLevel(level)


def test_debug_is_ours_only(monkeypatch, clean_loggers, caplog):
    for name in cli._QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.NOTSET)
    monkeypatch.setenv("GUATU_LOG", "DEBUG")
    logging.getLogger().setLevel(logging.DEBUG)  # as basicConfig(level=DEBUG) leaves the root
    cli._setup_logging()
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("slack_sdk.web.base_client").debug("Sending a request - json_body: {'text': '机密内容'}")
        logging.getLogger("slack_bolt.App").debug("Received request body: text=%2Ftask+progress+1+50%25+机密")
        logging.getLogger("dingtalk_stream.client").debug("frame: {'text': {'content': '机密'}}")
        ours = logging.getLogger("guatu_quiet_test")  # a logger of ours whatever other tests did to "guatu"
        ours.setLevel(logging.DEBUG)
        ours.debug("our own detail")
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["our own detail"]
    assert all(logging.getLogger(n).getEffectiveLevel() == logging.INFO for n in cli._QUIET_LIBRARIES)


def test_a_quieter_setting_is_kept(monkeypatch, clean_loggers):
    logging.getLogger("slack_sdk").setLevel(logging.ERROR)
    monkeypatch.setenv("GUATU_LOG", "DEBUG")
    cli._setup_logging()
    assert logging.getLogger("slack_sdk").level == logging.ERROR
