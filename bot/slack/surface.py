"""What every listener shares: the domain service, the Web API, the people directory, and the answer paths."""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot import commands as C
from bot.dispatch import Caller, Reply, Service
from bot.slack import blocks
from bot.slack.clients import webhook
from bot.slack.home import home_view
from bot.slack.origin import FormState, Origin
from bot.slack.people import Directory
from models import org
from models.calendar import WorkCalendar, local_today
from models.i18n import t
from models.tasks import TaskView

log = logging.getLogger("guatu.slack")

# Slack drops a request not acknowledged within 3 s; this leaves room for the network both ways.
ACK_BUDGET = 2.0
# How long a request may wait for users.info on a person's first contact (events may wait longer).
LOOKUP_WAIT = 0.5
EVENT_LOOKUP_WAIT = 5.0


class BadPayload(Exception):
    """A signed payload in a shape we cannot act on (a button value that is no task id, unreadable form metadata):
    answered with an apology and logged in one line, without a stack, because nothing here is broken."""


def signed_ids(context: BoltContext) -> tuple[str, str]:
    """The team and the user of a signed request: Slack sends both with every command, action and form."""
    if context.team_id is None or context.user_id is None:
        raise BadPayload("a request without a team or a user")
    return context.team_id, context.user_id


class _Timers:
    """One thread running every Deadline's expiry, so a request does not start (and wait for) a thread of its own."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Deadline]] = []
        self._count = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def add(self, due: float, deadline: Deadline) -> None:
        with self._cond:
            heapq.heappush(self._heap, (due, next(self._count), deadline))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="guatu-deadlines", daemon=True)
                self._thread.start()
            elif self._heap[0][2] is deadline:  # sooner than what the thread waits for
                self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._heap or self._heap[0][0] > time.monotonic():
                    self._cond.wait(self._heap[0][0] - time.monotonic() if self._heap else None)
                _, _, deadline = heapq.heappop(self._heap)
            try:
                deadline._expire()
            except Exception:  # the holding answer failed: the listener's own guard answers in the end
                log.exception("a deadline's expiry failed")


_TIMERS = _Timers()


class Deadline:
    """Runs ``on_expiry`` once if the block is still working after ``budget`` seconds.

    ``settle()`` tells the block whether it finished in time (it answers in the acknowledgement)
    or not (the holding acknowledgement went out: it answers through the response URL).
    """

    def __init__(self, budget: float, on_expiry: Callable[[], object]) -> None:
        self._on_expiry = on_expiry
        self._budget = budget
        self._lock = threading.Lock()
        self._settled = False

    def __enter__(self) -> Deadline:
        _TIMERS.add(time.monotonic() + self._budget, self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.settle()

    def _expire(self) -> None:
        with self._lock:  # ack() only records the response, so holding the lock here is cheap
            if not self._settled:
                self._settled = True
                self._on_expiry()

    def settle(self) -> bool:
        """True if in time (and the deadline is off), False if the holding answer already went out."""
        with self._lock:
            if self._settled:
                return False
            self._settled = True
            return True


class Surface:
    """The Slack side of the composition root: listeners call these, and nothing else."""

    def __init__(self, service: Service, client: WebClient, people: Directory, *, background: WebClient | None = None,
                 ack_budget: float = ACK_BUDGET, lookup_wait: float = LOOKUP_WAIT) -> None:
        self.service = service
        self.client = client
        self.background = background or client
        self.people = people
        self.ack_budget = ack_budget
        self.lookup_wait = lookup_wait

    @property
    def engine(self) -> Engine:
        return self.service.engine

    def close(self) -> None:
        self.people.close()

    # ------------------------------------------------------------ who

    def caller(self, team_id: str, user_id: str, channel_id: str | None = None, *, wait: float | None = None) -> Caller:
        p = self.people.profile(team_id, user_id, wait=self.lookup_wait if wait is None else wait)
        return Caller(team_id, user_id, channel_id, name=p.name, locale=p.locale, tz=p.tz)

    def holding_text(self) -> str:
        return t("slack.working", self.service.default_lang)

    def form_context(self, team_id: str) -> tuple[date, WorkCalendar]:
        """Today and the workspace's working calendar, so a form reads dates exactly as a command does."""
        with Session(self.engine) as session:
            calendar = org.team_calendar(session, team_id)
        return local_today(self.service.clock(), self.service.tz), calendar

    # ------------------------------------------------------------ answers

    def answer(self, reply: Reply, origin: Origin) -> None:
        """Shows the reply where the user acted, sends its file, refreshes the homes it touched."""
        if origin.home:
            self.publish_home(origin.team_id, origin.user_id, notice=blocks.reply_blocks(reply, blocks.NOTICE_BLOCKS))
        else:
            self.post(blocks.reply_message(reply), origin, replace=origin.replace and reply.ok)
        self.follow_up(reply, origin)

    def follow_up(self, reply: Reply, origin: Origin) -> None:
        """What comes after the answer itself: the file. (The App Homes of everyone touched were queued with the
        change, for the worker to publish: models.homequeue.)"""
        if reply.attachments:
            self.send_file(reply, origin)

    def run(self, caller: Caller, request: object, origin: Origin) -> Reply:
        """Runs a button's or a form's request; acting in App Home, the caller's home is published with the answer
        (``answer``), not queued behind it."""
        return self.service.run(caller, request, home_shown=origin.home)

    def post(self, message: dict[str, Any], origin: Origin, *, replace: bool = False) -> None:
        """A message only the user sees: through the response URL, else ephemeral in the channel, else a DM."""
        if origin.response_url:
            sent = webhook(origin.response_url).send_dict({**message, "replace_original": replace})
            if sent.status_code != 200:
                log.warning("response_url answered %s: %s", sent.status_code, sent.body)
        elif origin.channel_id:
            self.client.chat_postEphemeral(channel=origin.channel_id, user=origin.user_id, text=message["text"],
                                           blocks=message["blocks"])
        else:
            self.client.chat_postMessage(channel=origin.user_id, text=message["text"], blocks=message["blocks"])

    def send_file(self, reply: Reply, origin: Origin) -> None:
        """Into the user's direct messages with the bot (a lead's export is not for the whole channel), every
        file in order (a war map's pages)."""
        channel = self.client.conversations_open(users=origin.user_id)["channel"]["id"]
        for name, content in reply.attachments:
            self.client.files_upload_v2(channel=channel, file=content, filename=name, title=name)

    def publish_home(self, team_id: str, user_id: str, *, notice: Sequence[dict[str, Any]] = (),
                     client: WebClient | None = None) -> None:
        """Builds and publishes one user's App Home, with ``notice`` (the answer to their last action) on top."""
        view = home_view(self.service, self.caller(team_id, user_id, wait=EVENT_LOOKUP_WAIT), notice=notice)
        (client or self.client).views_publish(user_id=user_id, view=view)

    def open_form(self, caller: Caller, trigger_id: str, form: C.OpenForm, origin: Origin, *, lang: str) -> None:
        """Opens the modal for ``form``, showing the task it is about; refusals are answered instead."""
        task: TaskView | None = None
        choices: Sequence[TaskView] = ()
        if form.task_id is not None:
            shown = self.service.run(caller, C.TaskShow(task_id=form.task_id))
            if not shown.ok:
                self.answer(shown, origin)
                return
            task, lang = shown.cards[0], shown.lang
        elif form.form == "task_progress":
            mine = self.service.run(caller, C.TaskList(scope="mine"))
            if not (mine.ok and mine.cards):
                self.answer(mine, origin)  # the refusal, or "no tasks"
                return
            choices, lang = mine.cards, mine.lang
        state = FormState(origin, lang, form.task_id)
        view = blocks.form_modal(form, lang, metadata=state.dump(), task=task, choices=choices, owner_id=caller.user_id)
        try:
            self.client.views_open(trigger_id=trigger_id, view=view)
        except SlackApiError as exc:
            # The trigger lives 3 s; past it, say how to type the same thing as a command.
            log.warning("views.open failed: %s", exc.response.get("error"))
            usage = t(f"usage.task.{form.form.removeprefix('task_')}", lang)
            self.post(blocks.reply_message(Reply(headline=t("reply.form", lang, usage=usage), lang=lang, ok=False)), origin)

    # ------------------------------------------------------------ failures

    @contextlib.contextmanager
    def guard(self, ack: Ack, body: dict[str, Any], context: BoltContext) -> Iterator[None]:
        """Whatever fails in a listener ends in an apology with a reference: in the acknowledgement if
        that has not gone out yet, else where the user acted.

        Bolt must never see the exception once ``ack()`` was called: it would clear the acknowledgement
        and hold Slack's request until its own 3-second timeout.
        """
        try:
            yield
        except Exception as error:
            if isinstance(error, BadPayload):
                ref = self.log_unusable(str(error), body, context)
            else:
                ref = self.log_failure(error, body, context)
            if ack.response is None:
                ack(**self.apology(body, ref))
            else:
                self.apologise(body, context.team_id, context.user_id, ref)

    def log_failure(self, error: BaseException, body: dict[str, Any], context: BoltContext) -> str:
        """Logs the failure with its stack; returns the reference the user is given."""
        ref = uuid.uuid4().hex[:8]
        kind = body.get("type") or ("slash_command" if "command" in body else "?")
        log.error("Slack %s failed (ref %s) team=%s user=%s", kind, ref, context.team_id, context.user_id,
                  exc_info=error)
        return ref

    def log_unusable(self, problem: str, body: dict[str, Any], context: BoltContext) -> str:
        """One WARNING line for a signed payload we cannot act on; returns the reference the user is given."""
        ref = uuid.uuid4().hex[:8]
        kind = body.get("type") or ("slash_command" if "command" in body else "?")
        log.warning("Slack %s unusable (ref %s) team=%s user=%s: %s", kind, ref, context.team_id, context.user_id,
                    problem)
        return ref

    def apologise_later(self, body: dict[str, Any], team_id: str | None, user_id: str | None, ref: str) -> None:
        """``apologise`` off the request path: the acknowledgement must not wait for the response URL."""
        threading.Thread(target=self.apologise, args=(body, team_id, user_id, ref), name="guatu-apology",
                         daemon=True).start()

    def apology(self, body: dict[str, Any], ref: str) -> dict[str, Any]:
        """The acknowledgement that apologises: on a form's first field, else an ephemeral message."""
        text = t("error.internal", self.service.default_lang, ref=ref)
        field = blocks.first_input(body.get("view") or {}) if body.get("type") == "view_submission" else None
        if field:
            return {"response_action": "errors", "errors": {field: text}}
        return {"response_type": "ephemeral", "text": text}

    def apologise(self, body: dict[str, Any], team_id: str | None, user_id: str | None, ref: str) -> None:
        """After the acknowledgement: the apology goes where the user acted, if anywhere."""
        if not (team_id and user_id):
            return
        text = t("error.internal", self.service.default_lang, ref=ref)
        origin = Origin.of_action(body, team_id, user_id)
        try:
            if origin.home:
                self.client.views_publish(user_id=user_id, view=blocks.home_error(text))
            else:
                self.post({"response_type": "ephemeral", "text": text, "blocks": blocks.text_sections(text)}, origin)
        except Exception:
            log.exception("the apology for ref %s could not be delivered", ref)
