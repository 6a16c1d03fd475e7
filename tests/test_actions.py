"""The actions a task's card offers are the domain's (TaskView.actions): for every role and state, each
offered action is accepted by the command it triggers and each withheld one is refused."""

from __future__ import annotations

import itertools

import pytest

from bot.dispatch import Caller, Reply, Service
from models.tasks import CARD_VERBS
from tests.conftest import TZ, at

NOW = at("2026-11-23 10:00")  # Monday
ROLES = ("owner", "co_owner", "lead", "admin", "leader")
STATES = ("todo", "active", "blocked", "extension_pending", "done_requested", "done", "cancelled")
# Who plays each role: the force's lead "lin" gives "zhang" the task and "wang" a hand; "li" leads
# (the leader role) the people who report to them, zhang among them; "root" is the admin.
USER = {"owner": "zhang", "co_owner": "wang", "lead": "lin", "admin": "root", "leader": "li"}
COMMAND = {
    "progress": "/task progress {id} 50% 在推进",
    "extend": "/task extend {id} 2027-01-15 等接口",
    "done": "/task done {id}",
    "block": "/task block {id} 等接口",
    "ack": "/task ack {id}",
    "approve": "/task approve {id}",
    "reject": "/task reject {id} 理由不足",
    "verify": "/task verify {id}",
}
# Moves the commands accept that a card does not offer (models.tasks.card_actions says why): a lead's
# verify of a task nobody reported done, a lead's done of a done report (it verifies), blocking again.
# Asking more time for a task reported done is refused, like progress and block (it awaits verifying).
NOT_OFFERED_YET_ACCEPTED = {
    *((r, s, "verify") for r in ("lead", "admin") for s in ("todo", "active", "blocked", "extension_pending")),
    *((r, "done_requested", "done") for r in ("lead", "admin")),
    *((r, "blocked", "block") for r in ("owner", "co_owner", "lead", "admin")),
}
# 收到 is offered to every reader; whether anything awaits acknowledging is the escalation's business,
# so "nothing to acknowledge" is an answer, not a refusal of the person or of the task's state.
NOTHING_TO_ACK = ("esc.ack.none", "esc.ack.not_yours")


class World:
    def __init__(self, svc: Service, team: str) -> None:
        self.svc, self.team = svc, team
        self.id = 0  # the task's

    def say(self, user: str, line: str) -> Reply:
        command, _, rest = line.partition(" ")
        return self.svc.handle(Caller(self.team, user, "C1", name=user), command, rest, now=NOW)

    def must(self, user: str, line: str) -> Reply:
        reply = self.say(user, line)
        assert reply.ok, (line, reply.text)
        return reply


def build(svc: Service, team: str, state: str) -> World:
    """A task of zhang's (given by lin, co-owned by wang) in ``state``."""
    w = World(svc, team)
    for user in ("root", "lin", "zhang", "wang", "li"):
        w.must(user, "/guatu whoami")
    w.must("root", "/guatu role @lin lead")
    w.must("root", "/guatu role @li leader")
    w.must("root", "/guatu role @zhang reports-to:@li")
    w.must("lin", "/force new 数据共享专班")
    w.must("lin", "/force add @zhang @wang")
    w.id = w.must("lin", "/task add 编制数据目录 @zhang due:2026-12-31").cards[0].id
    w.must("lin", f"/task coowner {w.id} @wang")
    if state != "todo":
        w.must("zhang", f"/task progress {w.id} 30% 开始")
    if state == "blocked":
        w.must("zhang", f"/task block {w.id} 等接口")
    elif state == "extension_pending":
        w.must("zhang", f"/task extend {w.id} 2027-01-15 等接口")
    elif state in ("done_requested", "done"):
        w.must("zhang", f"/task done {w.id}")
        if state == "done":
            w.must("lin", f"/task verify {w.id}")
    elif state == "cancelled":
        w.must("lin", f"/task cancel {w.id} 不再需要")
    return w


@pytest.mark.parametrize("role,state", list(itertools.product(ROLES, STATES)))
def test_every_action_a_card_offers_is_accepted_and_every_one_it_withholds_is_refused(engine, role, state):
    svc = Service(engine, tz=TZ, default_lang="zh")
    user = USER[role]
    w = build(svc, "T0", state)
    shown = w.must(user, f"/task show {w.id}")
    (card,) = shown.cards
    offered = card.actions
    assert offered <= set(CARD_VERBS)
    for verb in CARD_VERBS:
        if verb in offered:
            continue
        reply = w.say(user, COMMAND[verb].format(id=w.id))
        if (role, state, verb) in NOT_OFFERED_YET_ACCEPTED:
            assert reply.ok, (verb, reply.text)
            w = build(svc, f"T-{verb}", state)  # that write changed the task: start again
        else:
            assert not reply.ok and reply.error_key not in NOTHING_TO_ACK, (verb, reply.text)
    for verb in sorted(offered):
        fresh = build(svc, f"T+{verb}", state)
        reply = fresh.say(user, COMMAND[verb].format(id=fresh.id))
        accepted = reply.ok or (verb == "ack" and reply.error_key in NOTHING_TO_ACK)
        assert accepted, (verb, reply.text)


def test_the_domain_offers_a_reader_only_acknowledging_and_an_owner_the_owners_moves(engine):
    svc = Service(engine, tz=TZ, default_lang="zh")
    w = build(svc, "T1", "active")
    assert w.must("li", f"/task show {w.id}").cards[0].actions == {"ack"}
    assert w.must("zhang", f"/task show {w.id}").cards[0].actions == {"progress", "extend", "done", "block", "ack"}
    assert w.must("lin", f"/task done {w.id}").ok
    assert w.must("zhang", f"/task show {w.id}").cards[0].actions == frozenset()  # closed: nothing to do
