"""guatu import-org / export-org: all or nothing, every bad row named, repeatable, round-trips, and fast."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import Session, func, select

from bot.exchange import as_data
from bot.orgexchange import export_org_file, import_org_file
from models import org
from models.tables import AuditEvent, Department, Person, RoleGrant


def book(path: Path, depts: list[list[object]], people: list[list[object]], *, english: bool = False) -> Path:
    wb = Workbook()
    ds = wb.active
    ds.title = "单位"
    ds.append(["Department", "Parent department", "Head"] if english else ["单位", "上级单位", "负责人"])
    for r in depts:
        ds.append(r)
    ps = wb.create_sheet("人员")
    ps.append(["Name", "Department", "Title", "Reports to", "Roles", "E-mail"] if english
              else ["姓名", "单位", "职务", "上级", "角色", "邮箱"])
    for r in people:
        ps.append(r)
    as_data(ds)
    as_data(ps)  # the operator's file holds such text as data too
    wb.save(path)
    return path


DEPTS = [["浙江省人民政府", None, "chen@zj.gov.cn"], ["浙江省大数据局", "浙江省人民政府", "王华"],
         ["杭州市数据局", "浙江省大数据局", None]]
PEOPLE = [["陈军", "浙江省人民政府", "省长", None, "领导", "chen@zj.gov.cn"],
          ["王华", "浙江省大数据局", "局长", "陈军", "领导", "wang@zj.gov.cn"],
          ["林芳", "浙江省大数据局", "处长", "王华", "负责人、管理员", "lin@zj.gov.cn"],
          ["张伟", "杭州市数据局", "科员", "lin@zj.gov.cn", None, "zhang@zj.gov.cn"]]


def run_import(engine, path: Path, *, lang: str = "zh", skip_bad: bool = False) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = import_org_file(engine, path, lang=lang, skip_bad=skip_bad, team="T1", out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def people(engine) -> dict[str, Person]:
    with Session(engine) as s:
        return {p.name: p for p in s.exec(select(Person)).all()}


def count(engine, model) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(model)).one()


def test_an_organisation_comes_in_with_its_tree_chain_heads_and_roles(engine, tmp_path):
    code, out, err = run_import(engine, book(tmp_path / "org.xlsx", DEPTS, PEOPLE))
    assert code == 0, err
    assert "新增单位 3" in out and "新增人员 4" in out
    got = people(engine)
    assert got["张伟"].reports_to_id == got["林芳"].id and got["林芳"].reports_to_id == got["王华"].id
    assert got["张伟"].chat_user_id == "mail:zhang@zj.gov.cn" and got["张伟"].position == "科员"
    with Session(engine) as s:
        ws = org.get_or_create_workspace(s, "T1")
        assert {d.name: d.head_id for d in s.exec(select(Department)).all()}["浙江省大数据局"] == got["王华"].id
        lin = s.get(Person, got["林芳"].id)
        assert org.roles_of(s, lin) == {"member", "lead", "admin"}
        chain = [p.name for p in org.leader_chain(s, s.get(Person, got["张伟"].id))]
        assert chain == ["林芳", "王华", "陈军"] and ws.id


def test_importing_the_same_file_again_changes_nothing(engine, tmp_path):
    path = book(tmp_path / "org.xlsx", DEPTS, PEOPLE)
    assert run_import(engine, path)[0] == 0
    audits = count(engine, AuditEvent)
    code, out, _ = run_import(engine, path)
    assert code == 0 and "没有改动" in out
    assert count(engine, AuditEvent) == audits and count(engine, Person) == 4 and count(engine, RoleGrant) == 4


def test_bad_rows_are_each_named_with_line_and_reason_and_nothing_is_written(engine, tmp_path):
    depts = DEPTS + [["温州市数据局", "不存在的单位", None], ["甲", "乙", None], ["乙", "甲", None]]
    bad_people = PEOPLE + [["王华", "浙江省大数据局", None, None, None, "wang@zj.gov.cn"],
                           ["李红", "浙江省大数据局", None, None, "超级管理员", "li@zj.gov.cn"],
                           ["赵一", "浙江省大数据局", None, "钱二", None, "zhao@zj.gov.cn"],
                           ["钱二", "浙江省大数据局", None, "赵一", None, "qian@zj.gov.cn"],
                           ["孙三", "不存在的单位", None, None, None, "sun@zj.gov.cn"]]
    code, _, err = run_import(engine, book(tmp_path / "bad.xlsx", depts, bad_people))
    assert code == 1
    assert "单位表第 5 行：上级单位「不存在的单位」不存在" in err
    assert "单位表第 6 行" in err and "单位表第 7 行" in err and "循环" in err
    assert "人员表第 6 行：王华 重复（第 3 行" in err
    assert "人员表第 7 行：没有「超级管理员」这个角色" in err
    assert "人员表第 8 行：赵一 的上级关系形成循环" in err and "人员表第 9 行：钱二 的上级关系形成循环" in err
    assert "人员表第 10 行：单位「不存在的单位」不存在" in err
    assert "什么也没有导入" in err
    assert count(engine, Person) == 0 and count(engine, Department) == 0


def test_skip_bad_imports_the_good_rows_and_reports_the_rest_in_english(engine, tmp_path):
    bad_people = PEOPLE + [["李红", "浙江省大数据局", None, None, "superuser", "li@zj.gov.cn"]]
    code, out, err = run_import(engine, book(tmp_path / "bad.xlsx", DEPTS, bad_people, english=True), lang="en",
                                skip_bad=True)
    assert code == 0
    assert "people sheet, line 6: no role “superuser”" in err
    assert "4 added" in out and "1 row skipped" in out
    assert "李红" not in people(engine)


def test_a_leader_chain_cycle_through_people_already_in_guatu_is_refused(engine, tmp_path):
    assert run_import(engine, book(tmp_path / "org.xlsx", DEPTS, PEOPLE))[0] == 0
    # 陈军 to report to 张伟, who reports (in Guatu) up to 陈军.
    flipped = [["陈军", "浙江省人民政府", "省长", "张伟", "领导", "chen@zj.gov.cn"]]
    code, _, err = run_import(engine, book(tmp_path / "loop.xlsx", [], flipped))
    assert code == 1 and "人员表第 2 行：陈军 的上级关系形成循环" in err


def test_export_round_trips_and_its_text_never_becomes_a_formula(engine, tmp_path):
    tricky = PEOPLE + [["=HYPERLINK(\"http://x\")", "杭州市数据局", "-1+1", None, None, "evil@zj.gov.cn"]]
    assert run_import(engine, book(tmp_path / "org.xlsx", DEPTS, tricky))[0] == 0
    out = tmp_path / "out.xlsx"
    assert export_org_file(engine, out, lang="zh", team="T1", out=io.StringIO()) == 0
    wb = load_workbook(out)
    cell = next(c for row in wb["人员"].iter_rows() for c in row if c.value and str(c.value).startswith("=HYPER"))
    assert cell.data_type == "s" and cell.quotePrefix
    audits = count(engine, AuditEvent)
    code, text, _ = run_import(engine, out)
    assert code == 0 and "没有改动" in text
    assert count(engine, AuditEvent) == audits


def test_twenty_thousand_people_come_in_and_a_repeat_changes_nothing(engine, tmp_path):
    n_depts, n_people = 200, 20_000
    depts = [["浙江省", None, None]] + [[f"单位{i}", "浙江省", None] for i in range(1, n_depts)]
    rows = [[f"人员{i}", f"单位{i % (n_depts - 1) + 1}", "科员", f"p{i // 10}@zj.gov.cn" if i >= 10 else None,
             "领导" if i < 10 else None, f"p{i}@zj.gov.cn"] for i in range(n_people)]
    path = book(tmp_path / "big.xlsx", depts, rows)
    started = time.monotonic()
    code, out, err = run_import(engine, path)
    first = time.monotonic() - started
    assert code == 0, err[-2000:]
    assert count(engine, Person) == n_people
    started = time.monotonic()
    code, out, _ = run_import(engine, path)
    again = time.monotonic() - started
    assert code == 0 and "没有改动" in out
    # The time is reported, never asserted (a loaded machine is not a slow import): README quotes it.
    print(f"\n20,000 people on {engine.dialect.name}: first import {first:.1f} s, again {again:.1f} s")
