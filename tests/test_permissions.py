"""Who may do what (models/permissions.py, CONTRACT.md "Roles"): every command against seven people, through
the dispatcher. A refusal names the role that would be needed and writes nothing."""

from __future__ import annotations

import pytest

from models import permissions
from tests.test_dispatch import NOW, say, snapshot, svc

# member of this force · its lead · lead of another force · secretary · leader · admin · stranger (in no force)
ROLES = {"member": "zhang", "lead": "lin", "other_lead": "li", "secretary": "wu", "leader": "boss",
         "admin": "root", "stranger": "xu"}

# boss leads nobody who owns #1 (no one reports to boss); wu is the secretary of meeting #1, at which the force reports
READ_TASK = {"member", "lead", "secretary", "admin"}
REPORT = {"member", "lead", "admin"}  # zhang owns task #1
LEAD = {"lead", "admin"}
READ_FORCE = {"member", "lead", "secretary", "leader", "admin"}
INSTRUMENT = {"lead", "leader", "admin"}
SECRETARY = {"secretary", "admin"}
# Attendees of meeting #1: the leads of the task forces reporting (both have live tasks), its creator.
MEETING_READ = {"lead", "other_lead", "secretary", "leader", "admin"}
ADMIN = {"admin"}
EVERYONE = set(ROLES)

F = "数据共享专班"
MEMBER_OF = f"专班「{F}」的成员"

MATRIX = [
    # (command line, who may, a piece of the refusal naming the role needed)
    ("/task show 1", READ_TASK, MEMBER_OF),
    ("/task history 1", READ_TASK, MEMBER_OF),
    ("/task ack 1", READ_TASK, "任务责任人或专班负责人"),
    ("/task progress 1 10%", REPORT, "任务责任人或专班负责人"),
    ("/task done 1", REPORT, "任务责任人或专班负责人"),
    ("/task block 1 等待接口", REPORT, "任务责任人或专班负责人"),
    ("/task extend 1 12-31 等待接口", REPORT, "任务责任人或专班负责人"),
    ("/task node 1 12-10 完成初稿", REPORT, "任务责任人或专班负责人"),
    ("/task coowner 1 @wang", REPORT, "任务责任人或专班负责人"),
    ("/task assign 1 @wang", LEAD, "本专班负责人"),
    ("/task verify 1", LEAD, "本专班负责人"),
    ("/task edit 1 title:新标题", LEAD, "本专班负责人"),  # zhang owns #1 but the lead created it
    ("/task reopen 1 材料不全", LEAD, "本专班负责人"),
    ("/task approve 1", LEAD, "本专班负责人"),
    ("/task reject 1 理由不足", LEAD, "本专班负责人"),
    ("/task cancel 1 不再需要", LEAD, "本专班负责人"),
    (f"/task add 编制目录 due:12-31 force:{F}", {"member", "lead", "admin"}, MEMBER_OF),
    (f"/task add 给王五 @wang due:12-31 force:{F}", LEAD, "本专班负责人"),
    (f"/task list force:{F}", READ_FORCE, MEMBER_OF),
    (f"/force policy force:{F}", READ_FORCE, MEMBER_OF),
    (f"/force policy force:{F} yellow:2", LEAD, "本专班负责人"),
    (f"/force notice force:{F} 周五前交材料", LEAD, "本专班负责人"),
    (f"/force add @chen force:{F}", LEAD, "本专班负责人"),
    (f"/force remove @wang force:{F}", LEAD, "本专班负责人"),
    (f"/force close {F}", LEAD, "本专班负责人"),
    (f"/force map {F}", INSTRUMENT, "本专班负责人"),
    (f"/force digest {F}", INSTRUMENT, "本专班负责人"),
    (f"/force export {F}", INSTRUMENT, "本专班负责人"),
    ("/force new 新专班", {"lead", "other_lead", "admin"}, "负责人"),
    ("/force list", EVERYONE, ""),
    ("/meeting new 例会 12-15", SECRETARY, "秘书"),
    ("/meeting series 例会 every:1m from:12-01", SECRETARY, "秘书"),
    ("/meeting decide 1 完成数据目录 @zhang due:12-31", SECRETARY, "秘书"),
    ("/meeting minutes 1 会议议定了三件事", SECRETARY, "秘书"),
    ("/meeting minutes 1", MEETING_READ, "参会人"),
    ("/meeting agenda 1", MEETING_READ, "参会人"),
    ("/meeting propose 1 公共数据授权运营", EVERYONE - {"stranger"}, "某个专班的成员"),
    ("/meeting list", EVERYONE, ""),
    ("/guatu dept add 某局", ADMIN, "管理员"),
    ("/guatu role @zhang lead", ADMIN, "管理员"),
    ("/guatu calendar set 2027-02-06 work 调休", ADMIN, "管理员"),
    ("/guatu outbox", ADMIN, "管理员"),
]


@pytest.fixture
def org(svc):
    """root (admin); lin leads 数据共享专班 (C1) with zhang and wang; li leads 另一专班 (C2); wu is a
    secretary, boss a leader, xu belongs to nothing. Task #1 is zhang's (given by lin), #2 li's; meeting #1."""
    for user in ("root", "lin", "zhang", "wang", "li", "wu", "boss", "xu", "chen"):
        assert say(svc, user, "/guatu whoami").ok
    for user, role in (("lin", "lead"), ("li", "lead"), ("wu", "secretary"), ("boss", "leader")):
        assert say(svc, "root", f"/guatu role @{user} {role}").ok
    assert say(svc, "lin", f"/force new {F}").ok
    assert say(svc, "lin", "/force add @zhang @wang").ok
    assert say(svc, "li", "/force new 另一专班", channel="C2").ok
    assert say(svc, "lin", "/task add 编制数据目录 @zhang due:12-20").ok
    assert say(svc, "li", "/task add 另一任务 due:12-20", channel="C2").ok
    assert say(svc, "wu", "/meeting new 例会 12-15", channel=None).ok
    return svc


def _is_refusal(reply) -> bool:
    return not reply.ok and (reply.error_key or "").startswith(("error.permission", "perm."))


@pytest.mark.parametrize("line,allowed,needed", MATRIX, ids=[m[0] for m in MATRIX])
def test_permission_matrix(org, engine, line, allowed, needed):
    # Refused callers first: a refusal writes nothing, so every later caller meets the same state.
    order = sorted(ROLES, key=lambda r: r in allowed)
    for role in order:
        user = ROLES[role]
        before = snapshot(engine)
        reply = say(org, user, line, channel="C9" if line.startswith("/force new") else "C1", now=NOW)
        if role in allowed:
            assert not _is_refusal(reply), f"{role} ({user}) was refused {line!r}: {reply.text}"
        else:
            assert _is_refusal(reply), f"{role} ({user}) was allowed {line!r}: {reply.text}"
            assert needed in reply.text, f"{role}: refusal of {line!r} does not name {needed!r}: {reply.text}"
            assert snapshot(engine) == before, f"{role}: the refusal of {line!r} wrote something"


def test_every_action_in_the_table_names_known_kinds_and_refusals():
    for action, (who, refusal) in permissions.TABLE.items():
        assert who and all(w in permissions.WHO for w in who), action
        assert refusal in {"force_member", "force_lead", "owner_or_lead", "in_a_force", "attendee", "lead",
                           "secretary", "admin"}, action


def test_a_member_of_another_force_is_told_which_force_in_english(org):
    assert say(org, "li", "/guatu lang en").ok
    reply = say(org, "li", "/task show 1")
    assert not reply.ok and f"a member of “{F}”" in reply.text


def test_a_creator_who_names_another_lead_still_leads_the_new_force(org):
    assert say(org, "lin", "/force new 第三专班 lead:@zhang", channel="C3").ok
    for line in ("/force add @wang", "/force policy yellow:2", "/force map"):
        reply = say(org, "lin", line, channel="C3")
        assert not _is_refusal(reply), reply.text
    reply = say(org, "zhang", "/force add @chen", channel="C3")
    assert reply.ok, reply.text  # the named lead leads it too


def test_a_stranger_cannot_read_red_tasks_through_an_agenda_but_an_attendee_can(org):
    assert say(org, "wu", "/meeting propose 1 数据安全检查 presenter:@xu").ok
    reply = say(org, "xu", "/meeting agenda 1")
    assert reply.ok, reply.text  # a presenter is an attendee
    reply = say(org, "wang", "/meeting agenda 1")
    assert _is_refusal(reply) and "参会人" in reply.text
