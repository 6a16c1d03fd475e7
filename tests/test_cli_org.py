"""The CLI speaks the operator's language and every refusal exits non-zero."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.cli import main
from models.tables import CalendarOverride

DATA = Path(__file__).parent / "data"


@pytest.fixture
def sqlite_url(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'guatu.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    return url


def test_seed_on_a_used_database_says_how_to_start_afresh_and_exits_1(sqlite_url, capsys):
    assert main(["seed", "--demo"]) == 0
    assert "已载入示例" in capsys.readouterr().out
    assert main(["seed", "--demo"]) == 1
    err = capsys.readouterr().err
    assert "从头开始" in err and "guatu.db" in err


def test_seed_in_english(sqlite_url, capsys, monkeypatch):
    monkeypatch.setenv("GUATU_LANG", "en")
    assert main(["seed", "--demo"]) == 0
    assert main(["seed", "--demo"]) == 1
    assert "To start afresh" in capsys.readouterr().err


def test_calendar_import_dry_run_prints_the_grid_and_writes_nothing(sqlite_url, capsys):
    assert main(["calendar", "import", str(DATA / "notice_2026.txt"), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "2026年2月" in out and "放假 33 天，调休上班 6 天" in out and "--dry-run" in out
    from models.db import make_engine

    assert main(["db", "upgrade"]) == 0
    with Session(make_engine(sqlite_url)) as s:
        assert s.exec(select(CalendarOverride)).all() == []
    assert main(["calendar", "import", str(DATA / "notice_2026.txt")]) == 0
    assert "新增 39 天" in capsys.readouterr().out


def test_calendar_import_from_stdin_with_a_wrong_weekday_exits_1(sqlite_url, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("国务院办公厅关于2027年部分节假日安排的通知\n一、元旦：1月1日（周四）放假1天。"))
    assert main(["calendar", "import", "-"]) == 1
    assert "星期与日期不符" in capsys.readouterr().err


def test_missing_files_and_unknown_jobs_are_refused_in_english_too(sqlite_url, capsys, monkeypatch):
    monkeypatch.setenv("GUATU_LANG", "en")
    assert main(["import-org", "nowhere.xlsx"]) == 2
    assert "error: no such file: nowhere.xlsx" in capsys.readouterr().err
    assert main(["jobs", "run", "nothing"]) == 2
    assert "unknown job" in capsys.readouterr().err
    assert main(["sync-directory"]) == 2
    assert "SLACK_BOT_TOKEN" in capsys.readouterr().err


def test_the_start_up_log_says_when_next_years_schedule_is_missing(sqlite_url, caplog):
    from datetime import date

    from bot.cli_org import log_calendar_gap
    from bot.settings import Settings

    assert main(["db", "upgrade"]) == 0
    settings = Settings(_env_file=None)
    assert log_calendar_gap(settings, today=date(2026, 11, 2)) == [2027]
    assert "2027 年的官方节假日安排还没有录入" in caplog.text
    assert log_calendar_gap(settings, today=date(2026, 10, 31)) == []
    assert main(["calendar", "import", str(DATA / "notice_2026.txt")]) == 0  # any 2027 overrides would do too
    assert log_calendar_gap(settings, today=date(2025, 11, 2)) == []
