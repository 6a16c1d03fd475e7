"""Notices (通知): a lead notifies a task force, members confirm (收到), the unconfirmed are told again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from jobs.sweeps import sweep_notices
from models import forces, notices
from models.errors import InvalidInput, NotFound, PermissionDenied
from models.org import PersonRef
from models.tables import AuditEvent, NoticeReceipt, Outbox
from tests.conftest import at
from tests.factories import standard_world

NOW = at("2026-11-23 10:00")  # a Monday


@pytest.fixture
def world(engine):
    with Session(engine, expire_on_commit=False) as s:
        w = standard_world(s, NOW)
        s.commit()
        yield w


def notice_rows(engine, recipient: str | None = None) -> list[Outbox]:
    with Session(engine) as s:
        q = select(Outbox).where(Outbox.kind == "notice")
        if recipient:
            q = q.where(Outbox.recipient == recipient)
        return list(s.exec(q.order_by(Outbox.id)).all())


def test_a_lead_sends_a_notice_to_every_member_with_a_receipt(engine, world):
    n = notices.send_notice(world.ctx("lin"), "周五前报送数据目录初稿", force_name="数据共享专班")
    world.session.commit()
    rows = notice_rows(engine)
    assert sorted(r.recipient for r in rows) == ["wang", "zhang"]  # not the sender
    assert all("周五前报送数据目录初稿" in r.text and r.next_attempt_at == NOW for r in rows)
    receipts = world.session.exec(select(NoticeReceipt)).all()
    assert len(receipts) == 2 and all(r.confirmed_at is None and r.sent_count == 1 for r in receipts)
    assert all(r.next_renotice_at == NOW + timedelta(hours=4) for r in receipts)
    audit = world.session.exec(select(AuditEvent).where(AuditEvent.action == "notice.sent")).one()
    assert audit.entity_id == n.id and audit.detail["members"] == 2


def test_only_a_lead_of_the_force_sends_notices_and_text_is_required(world):
    with pytest.raises(PermissionDenied):
        notices.send_notice(world.ctx("zhang"), "大家好", force_name="数据共享专班")
    with pytest.raises(InvalidInput):
        notices.send_notice(world.ctx("lin"), "   ", force_name="数据共享专班")


def test_members_confirm_and_the_lead_sees_who_has_not(world):
    n = notices.send_notice(world.ctx("lin"), "周五开会", force_name="数据共享专班")
    later = NOW + timedelta(minutes=30)
    first = notices.confirm_notice(world.ctx("zhang", now=later), n.id)
    again = notices.confirm_notice(world.ctx("zhang", now=later + timedelta(hours=1)), n.id)
    assert first.confirmed_at == again.confirmed_at == later and first.next_renotice_at is None
    status = notices.notice_status(world.ctx("lin"), n.id)
    assert status.confirmed == (("zhang", later),) and status.pending == (("wang", 1),)
    with pytest.raises(PermissionDenied):
        notices.notice_status(world.ctx("wang"), n.id)
    with pytest.raises(NotFound):
        notices.confirm_notice(world.ctx("lin"), n.id)  # the sender has no receipt
    assert notices.is_recipient(world.ctx("wang"), n.id) and not notices.is_recipient(world.ctx("lin"), n.id)
    assert len(world.session.exec(select(AuditEvent).where(AuditEvent.action == "notice.confirmed")).all()) == 1


def test_the_unconfirmed_are_told_again_every_four_hours_at_most_three_times(engine, world):
    n = notices.send_notice(world.ctx("lin"), "请补充材料", force_name="数据共享专班")
    notices.confirm_notice(world.ctx("zhang", now=NOW + timedelta(minutes=5)), n.id)
    world.session.commit()
    assert sweep_notices(engine, now=NOW + timedelta(hours=3, minutes=59)) == 0
    assert sweep_notices(engine, now=NOW + timedelta(hours=4)) == 1  # 14:00
    assert sweep_notices(engine, now=NOW + timedelta(hours=4, minutes=5)) == 0
    assert sweep_notices(engine, now=NOW + timedelta(hours=8)) == 1  # 18:00
    assert sweep_notices(engine, now=NOW + timedelta(hours=12)) == 1  # 22:00: waits for 08:00 Tuesday
    assert sweep_notices(engine, now=NOW + timedelta(days=3)) == 0  # three re-sends is the limit
    again = notice_rows(engine, "wang")[1:]
    assert len(again) == 3 and all("再次提醒" in r.text for r in again)
    assert again[-1].next_attempt_at == at("2026-11-24 08:00")
    assert notice_rows(engine, "zhang")[1:] == []
    wang = world.session.exec(select(NoticeReceipt).where(
        NoticeReceipt.person_id == world.people["wang"].id)).one()
    world.session.refresh(wang)
    assert wang.sent_count == 4 and wang.next_renotice_at is None


def test_a_notice_sent_on_a_day_off_waits_for_the_working_morning(engine, world):
    saturday = at("2026-11-28 11:00")
    n = notices.send_notice(world.ctx("lin", now=saturday), "下周一交材料", force_name="数据共享专班")
    world.session.commit()
    assert {r.next_attempt_at for r in notice_rows(engine)} == {at("2026-11-30 08:00")}
    receipt = world.session.exec(select(NoticeReceipt).where(NoticeReceipt.notice_id == n.id)).first()
    assert receipt.next_renotice_at == at("2026-11-30 12:00")  # counted from when it really goes out


def test_a_member_who_left_or_a_closed_force_is_not_told_again(engine, world):
    notices.send_notice(world.ctx("lin"), "请补充材料", force_name="数据共享专班")
    forces.force_remove(world.ctx("lin"), [PersonRef(name="wang")], force_name="数据共享专班")
    world.session.commit()
    assert sweep_notices(engine, now=NOW + timedelta(hours=4)) == 1  # zhang only
    assert [r.recipient for r in notice_rows(engine)[2:]] == ["zhang"]
