"""Excel in and out: a 任务清单 imports all or nothing (or the good rows with --skip-bad); export round-trips."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import Session, func, select

from bot.exchange import export_tasks, import_tasks
from bot.settings import Settings
from models.tables import Outbox, Task
from tests.conftest import at
from tests.factories import standard_world


@pytest.fixture
def world(engine):
    with Session(engine, expire_on_commit=False) as s:
        w = standard_world(s, at("2026-11-23 10:00"))
        s.commit()
        yield w


def sheet(path: Path, rows: list[list[object]]) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(["数据共享专班 2026 年重点任务清单"])  # a title row above the header, as real lists have
    ws.append(["序号", "重点任务", "具体内容", "责任单位", "责任人", "完成时限"])
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def count(engine) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(Task)).one()


def test_bad_rows_abort_the_import_and_say_which_line(world, engine, tmp_path, capsys):
    path = sheet(tmp_path / "list.xlsx", [
        [1, "编制公共数据目录", "覆盖全部厅局", None, "zhang", datetime(2027, 3, 31)],
        [2, "接口联调", "", None, "nobody", "2027-04-30"],
        [3, "", "", None, "wang", "2027-05-31"],
    ])
    rc = import_tasks(engine, Settings(), path, force="数据共享专班", skip_bad=False, as_user=None)
    err = capsys.readouterr().err
    assert rc == 1 and "第 4 行" in err and "第 5 行" in err and "什么也没有导入" in err
    assert count(engine) == 0


def test_skip_bad_imports_the_good_rows(world, engine, tmp_path, capsys):
    path = sheet(tmp_path / "list.xlsx", [
        [1, "编制公共数据目录", "覆盖全部厅局", None, "zhang", datetime(2027, 3, 31)],
        [2, "接口联调", "", None, "nobody", "2027-04-30"],
        [3, "数据回流试点", "", None, "wang", "2027年5月31日"],
    ])
    rc = import_tasks(engine, Settings(), path, force="数据共享专班", skip_bad=True, as_user=None)
    out = capsys.readouterr()
    assert rc == 0 and "新增 2 个任务" in out.out and "第 4 行" in out.err
    with Session(engine) as s:
        titles = sorted(t.title for t in s.exec(select(Task)).all())
    assert titles == ["数据回流试点", "编制公共数据目录"]


def test_export_writes_every_task_with_its_light(world, engine, tmp_path):
    world.task("lin", "编制公共数据目录", due=at("2026-12-31 00:00").date(), owner="zhang", force="数据共享专班")
    world.session.commit()
    out = tmp_path / "out.xlsx"
    assert export_tasks(engine, Settings(), out, force="数据共享专班") == 0
    ws = load_workbook(out).active
    assert ws["A2"].value == "编号" and ws["B3"].value == "编制公共数据目录" and ws["C3"].value == "zhang"


def test_an_import_of_160_rows_is_one_message_per_owner_and_one_channel_post(world, engine, tmp_path, capsys):
    owners = ["zhang", "wang"]
    path = sheet(tmp_path / "list.xlsx", [
        [i, f"重点任务{i}", "", None, owners[i % 2], datetime(2027, 3, 1 + i % 28)] for i in range(160)])
    assert import_tasks(engine, Settings(), path, force="数据共享专班", skip_bad=False, as_user=None) == 0
    capsys.readouterr()
    with Session(engine) as s:
        rows = s.exec(select(Outbox).where(Outbox.created_at >= at("2026-11-23 10:00")).order_by(Outbox.id)).all()
        rows = [r for r in rows if r.idempotency_key.startswith("batch:")]
    by_recipient = {r.recipient: r for r in rows}
    assert len(rows) == 3 and set(by_recipient) == {"zhang", "wang", "C-数据共享专班"}
    zhang = by_recipient["zhang"]
    assert zhang.text.startswith("📋 lin 通过导入（list.xlsx）给你派了 80 项任务") and "另有 40 项" in zhang.text
    assert sum(1 for b in zhang.blocks if b.get("brief") == "line") == 40
    post = by_recipient["C-数据共享专班"].text
    assert "导入 160 项任务" in post and "责任人 2 人" in post
    with Session(engine) as s:
        per_task = s.exec(select(func.count()).select_from(Outbox).where(Outbox.kind == "announce",
                                                                         Outbox.task_id.is_not(None))).one()
        assert per_task == 0  # no post per imported task


def test_exported_text_is_data_never_a_formula(world, engine, tmp_path, capsys):
    hostile = ["=cmd|'/C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
    for i, title in enumerate(hostile):
        world.task("lin", title, due=datetime(2027, 3, 1 + i).date(), owner="zhang", force="数据共享专班")
    world.task("lin", "正常的任务", due=datetime(2027, 3, 9).date(), owner="zhang", force="数据共享专班",
               description="")
    world.session.commit()
    out = tmp_path / "out.xlsx"
    assert export_tasks(engine, Settings(), out, force="数据共享专班") == 0
    sheet_ = load_workbook(out).active
    cells = [c for row in sheet_.iter_rows(min_row=3) for c in row if isinstance(c.value, str)]
    titles = {c.value for c in cells}
    assert {h.strip() for h in hostile} <= {x.strip() for x in titles}
    formulas = [c for c in cells if c.data_type == "f"]
    assert formulas == []
    assert all(c.quotePrefix for c in cells if c.value.startswith(("=", "+", "-", "@")))


def test_importing_the_same_list_twice_updates_instead_of_duplicating(world, engine, tmp_path, capsys):
    rows = [[1, "编制公共数据目录", "覆盖全部厅局", None, "zhang", datetime(2027, 3, 31)],
            [2, "接口联调", "", None, "wang", "2027-04-30"]]
    path = sheet(tmp_path / "list.xlsx", rows)
    assert import_tasks(engine, Settings(), path, force="数据共享专班", skip_bad=False, as_user=None) == 0
    capsys.readouterr()
    assert import_tasks(engine, Settings(), path, force="数据共享专班", skip_bad=False, as_user=None) == 0
    assert "新增 0 个任务，更新 0 个，2 个没有变化" in capsys.readouterr().out
    assert count(engine) == 2
    rows[0][2] = "覆盖全部厅局和市县"
    path = sheet(tmp_path / "list2.xlsx", rows)
    assert import_tasks(engine, Settings(), path, force="数据共享专班", skip_bad=False, as_user=None) == 0
    assert "更新 1 个" in capsys.readouterr().out and count(engine) == 2
    with Session(engine) as s:
        assert s.exec(select(Task).where(Task.title == "编制公共数据目录")).one().description == "覆盖全部厅局和市县"


def test_the_exported_id_column_lets_a_renamed_task_update_in_place(world, engine, tmp_path, capsys):
    world.task("lin", "编制目录", due=datetime(2027, 3, 31).date(), owner="zhang", force="数据共享专班")
    world.session.commit()
    wb = Workbook()
    ws = wb.active
    ws.append(["编号", "任务", "责任人", "完成时限"])
    ws.append([1, "编制公共数据目录（修订）", "zhang", datetime(2027, 3, 31)])
    wb.save(tmp_path / "ids.xlsx")
    assert import_tasks(engine, Settings(), tmp_path / "ids.xlsx", force="数据共享专班", skip_bad=False, as_user=None) == 0
    with Session(engine) as s:
        assert [t.title for t in s.exec(select(Task)).all()] == ["编制公共数据目录（修订）"]


def test_an_unknown_priority_word_is_a_bad_row_with_advice_for_a_spreadsheet(world, engine, tmp_path, capsys):
    wb = Workbook()
    ws = wb.active
    ws.append(["任务", "责任人", "完成时限", "优先级"])
    ws.append(["编制目录", "zhang", datetime(2027, 3, 31), "超级紧急"])
    ws.append(["接口联调", "nobody", datetime(2027, 3, 31), "紧急"])
    wb.save(tmp_path / "prio.xlsx")
    assert import_tasks(engine, Settings(), tmp_path / "prio.xlsx", force="数据共享专班", skip_bad=False,
                        as_user=None) == 1
    err = capsys.readouterr().err
    assert "第 2 行：优先级「超级紧急」看不懂" in err
    assert "第 3 行：责任人「nobody」不在系统中" in err and "Slack" not in err and "@" not in err
    assert count(engine) == 0


def test_import_refusals_speak_the_operators_language_and_exit_non_zero(world, engine, tmp_path, capsys):
    path = sheet(tmp_path / "list.xlsx", [])
    assert import_tasks(engine, Settings(GUATU_LANG="en", _env_file=None), path, force="没有这个专班", skip_bad=False,
                        as_user=None) == 2
    assert "error: no task force named “没有这个专班”" in capsys.readouterr().err
    wb = Workbook()
    wb.active.append(["随便", "什么"])
    wb.save(tmp_path / "junk.xlsx")
    assert import_tasks(engine, Settings(), tmp_path / "junk.xlsx", force="数据共享专班", skip_bad=False, as_user=None) == 2
    assert "错误：前 10 行里没有" in capsys.readouterr().err


def test_import_with_team_touches_only_that_workspaces_force_of_the_name(world, engine, tmp_path, capsys):
    from tests.factories import World

    with Session(engine, expire_on_commit=False) as s:
        other = World(s, at("2026-11-23 10:00"), team="T2")
        other.person("root2")
        other.person("lin", "lead")
        other.person("zhang")
        other.force("数据共享专班", "lin", "zhang")
        s.commit()
    path = sheet(tmp_path / "list.xlsx", [[1, "编制公共数据目录", "", None, "zhang", datetime(2027, 3, 31)]])

    assert import_tasks(engine, Settings(), path, force="数据共享专班", skip_bad=False, as_user=None) == 2
    assert "--team" in capsys.readouterr().err and count(engine) == 0  # two workspaces have it: say which
    assert import_tasks(engine, Settings(), path, force="数据共享专班", skip_bad=False, as_user=None, team="T2") == 0
    with Session(engine) as s:
        imported = s.exec(select(Task)).all()
    assert [t.workspace_id for t in imported] == [other.ws.id] and other.ws.id != world.ws.id
    assert import_tasks(engine, Settings(), path, force="数据共享专班", skip_bad=False, as_user=None, team="T9") == 2
    assert "T9" in capsys.readouterr().err


def test_export_with_team_writes_that_workspaces_force(world, engine, tmp_path):
    world.task("lin", "T1 的任务", due=at("2027-03-31").date(), owner="zhang", force="数据共享专班")
    world.session.commit()
    out = tmp_path / "out.xlsx"
    assert export_tasks(engine, Settings(), out, force="数据共享专班", team="T1") == 0
    assert "T1 的任务" in [c.value for c in load_workbook(out).active["B"]]
    assert export_tasks(engine, Settings(), out, force="数据共享专班", team="T2") == 2
