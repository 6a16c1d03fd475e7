"""Nothing a user types reaches an unexpected error: any line gets a reply or a refusal with the fix."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.dispatch import Caller, Service
from tests.conftest import TZ, at

NOW = at("2026-11-23 10:00")
WORDS = ["add", "新建", "list", "progress", "进展", "extend", "延期", "done", "verify", "block", "assign", "node",
         "ack", "cancel", "new", "notice", "policy", "map", "digest", "export", "close", "propose", "agenda",
         "decide", "minutes", "series", "dept", "role", "calendar", "rank", "outbox", "lang", "coowner",
         "1", "#1", "2", "0", "-5", "101%", "60%", "@lin", "@zhang", "<@U1|x>", "<#C1|general>", "due:12-31",
         "due:明天", "截止:下周五", "force:数据共享专班", "dept:省大数据局", "prio:紧急", "parent:#1", "mins:15",
         "every:2m", "from:12-01", "quiet:20-8", "yellow_days:3", "remove", "done", "work", "off", "2026-10",
         "专题会议", "例会", "14:30", "理由", "x" * 600]


@pytest.fixture(scope="module")
def svc(sqlite_engine):
    from tests.conftest import _wipe

    _wipe(sqlite_engine)
    service = Service(sqlite_engine, tz=TZ)
    for user, line in [("root", "/guatu whoami"), ("lin", "/guatu whoami"), ("zhang", "/guatu whoami"),
                       ("root", "/guatu role @lin lead"), ("root", "/guatu role @lin secretary"),
                       ("lin", "/force new 数据共享专班"), ("lin", "/force add @zhang"),
                       ("lin", "/task add 编制数据目录 @zhang due:12-31"), ("lin", "/meeting new 例会 12-15")]:
        command, _, rest = line.partition(" ")
        assert service.handle(Caller("T1", user, "C1", name=user), command, rest, now=NOW).ok
    return service


@settings(max_examples=int(__import__("os").environ.get("GUATU_FUZZ_EXAMPLES", "300")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(command=st.sampled_from(["/task", "/force", "/meeting", "/guatu"]),
       user=st.sampled_from(["root", "lin", "zhang", "stranger"]),
       words=st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=12)), max_size=7))
def test_any_line_from_anyone_is_answered_without_an_internal_error(svc, command, user, words):
    reply = svc.handle(Caller("T1", user, "C1", name=user), command, " ".join(words), now=NOW)
    assert reply.text.strip()
    assert reply.error_key != "error.internal", reply.text
