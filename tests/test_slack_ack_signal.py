"""bolt's wait for ack() ends when ack() is called, not at its next 10 ms poll."""

from __future__ import annotations

import threading

from slack_bolt.listener import thread_runner

from bot.slack import app as slack_app


def test_bolts_listener_runner_waits_through_the_signalling_sleep():
    assert thread_runner.time.sleep is slack_app._sleep_until_acked
    assert thread_runner.time.time() > 0


def test_a_request_waiting_for_its_ack_wakes_when_another_thread_acks():
    ack = slack_app._SignallingAck()
    slack_app._WAITING.ack = ack
    try:
        threading.Timer(0.05, lambda: ack(text="ok")).start()
        slack_app._sleep_until_acked(3600)  # would hold the test for an hour if the ack did not wake it
        assert ack.response is not None and ack.response.status == 200
        slack_app._sleep_until_acked(3600)  # already acknowledged: returns at once
    finally:
        slack_app._WAITING.ack = None
