"""End to end: the real `guatu console` process, driven as several people over one SQLite file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def console(db: Path, user: str, at: str, script: str, tmp: Path) -> str:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "GUATU_SCHEDULER": "off", "GUATU_LANG": "zh"}
    env.pop("SLACK_BOT_TOKEN", None)
    out = subprocess.run([sys.executable, "-m", "bot.cli", "console", "--as", user, "--at", at],
                         input=script, capture_output=True, text=True, env=env, cwd=tmp, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stdout + out.stderr, out.stderr
    return out.stdout


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "guatu.db"


def test_two_people_run_a_task_force_through_the_console(db, tmp_path):
    # Fri 2026-02-06: the admin builds the organisation; the lead sets up the force and a task
    # due Tue 02-24, after the Spring Festival (02-14 Sat is a 调休 working day, 02-16..20, 23 off).
    out = console(db, "root", "2026-02-06T10:00:00+08:00", """
/guatu whoami
:as lin
/guatu whoami
:as zhang
/guatu whoami
:as root
/guatu dept add 浙江省
/guatu dept add 省大数据局 parent:浙江省
/guatu dept add 杭州市 parent:浙江省
/guatu dept add 西湖区 parent:杭州市
/guatu dept set @zhang 省大数据局
/guatu role @lin lead
/guatu dept list
:as lin
/force new 数据共享专班
/force add @zhang
/task add 编制公共数据目录 @zhang due:2026-02-24
""", tmp_path)
    assert "管理员" in out  # the first person became admin
    assert "└ 杭州市" in out and "    └ 西湖区" in out
    assert "已成立专班「数据共享专班」" in out
    assert "已新建任务 #1，截止 2026年2月24日（周二）" in out
    assert "📨 → @zhang" in out  # the owner is told through the outbox

    # zhang, in a second process: reports progress on Mon 02-09 and asks for more time.
    out = console(db, "zhang", "2026-02-09T10:00:00+08:00", """
/task list
/task progress 1 150%
/task progress 1 40% 完成初稿
/task extend 1 2026-03-06 等待各厅局反馈
""", tmp_path)
    assert "⚠️" in out and "0 到 100" in out  # bad percent refused with the right form
    assert "已更新任务 #1 进度为 40%" in out
    assert "已申请将任务 #1 延期至 2026年3月6日（周五）" in out
    assert "📨 → @lin" in out  # the lead is asked to decide

    # Fri 02-13: two working days left (02-14 调休 Saturday, 02-24) → yellow; the lead approves.
    out = console(db, "lin", "2026-02-13T10:00:00+08:00", """
/task show 1
/task approve 1
/task show 1
""", tmp_path)
    before, after = out.split("已批准任务 #1 延期至")
    assert "🟡 #1" in before and "距截止还有 2 个工作日" in before
    assert "截止：原定 2026年2月24日（周二） → 现 2026年3月6日（周五）" in after  # baseline kept

    # zhang reports done; the lead verifies (销号).
    out = console(db, "zhang", "2026-03-02T10:00:00+08:00", "/task done 1 目录已发布\n", tmp_path)
    assert "等待负责人销号" in out
    out = console(db, "lin", "2026-03-02T11:00:00+08:00", "/task verify 1\n/task history 1\n", tmp_path)
    assert "任务 #1 已销号" in out
    said = out.split("变更记录")[1]
    assert "3月2日 11:00  lin 销号" in said and "zhang 申请延期至 2026年3月6日（周五），理由：" in said


def test_the_console_prints_the_command_to_act_on_each_message(db, tmp_path):
    # No buttons in a terminal: each message a lead or owner receives says what to type, and typing it works.
    out = console(db, "root", "2026-11-23T10:00:00+08:00", """
/guatu whoami
:as lin
/guatu whoami
:as zhang
/guatu whoami
:as root
/guatu role @lin lead
:as lin
/force new 数据共享专班
/force add @zhang
/task add 编制公共数据目录 @zhang due:2026-12-31
:as zhang
/task ack 1
/task extend 1 2027-01-15 等待各厅局反馈
:as lin
/task reject 1 节点不能后移
:as zhang
/task done 1 目录已发布
:as lin
/task reopen 1 缺少确认函
""", tmp_path)
    lines = [line for line in out.splitlines() if "📨 →" in line]
    assigned = next(line for line in lines if "@zhang" in line and "给你派了任务 #1" in line)
    assert assigned.endswith("收到：/task ack 1 · 更新进展：/task progress 1 <n>%")
    assert "已确认接收任务 #1" in out
    extension = next(line for line in lines if "@lin" in line and "申请将任务 #1" in line)
    assert extension.endswith("批准：/task approve 1 · 驳回：/task reject 1 <原因>")
    assert "已驳回任务 #1 的延期申请" in out
    done = next(line for line in lines if "@lin" in line and "报告任务 #1" in line)
    assert done.endswith("销号：/task verify 1 · 退回：/task reopen 1 <原因>")
    assert "已退回任务 #1" in out and any("@zhang" in line and "缺少确认函" in line for line in lines)


def test_a_force_named_like_a_path_exports_into_guatu_files_and_nowhere_else(db, tmp_path):
    work = tmp_path / "a" / "b" / "c"
    work.mkdir(parents=True)
    out = console(db, "lin", "2026-02-06T10:00:00+08:00", """
/force new ../../../x
/force export ../../../x
""", work)
    assert "已成立专班「../../../x」" in out, out
    saved = list((work / "guatu-files").iterdir())
    assert [p.name for p in saved] == ["x-2026-02-06.xlsx"] and f"文件已保存：{saved[0]}" in out
    assert list(tmp_path.rglob("*.xlsx")) == saved  # nothing escaped to a, b or beyond


def test_saved_file_names_keep_safe_characters_only_and_stay_inside_the_folder(tmp_path):
    from bot.console import safe_filename, save_file

    assert safe_filename("数据共享专班-2026-12-01.xlsx") == "数据共享专班-2026-12-01.xlsx"
    assert safe_filename("../../../x") == "x" and safe_filename("/etc/passwd") == "etc_passwd"
    assert safe_filename("..") == safe_filename("") == "guatu-file" and safe_filename(".env") == "env"
    assert safe_filename("a\\b c:d\x00.png") == "a_b_c_d_.png" and len(safe_filename("x" * 300 + ".xlsx")) <= 120
    path = save_file(tmp_path / "guatu-files", "../../evil.sh", b"#!")
    assert path == (tmp_path / "guatu-files" / "evil.sh").resolve() and path.read_bytes() == b"#!"
