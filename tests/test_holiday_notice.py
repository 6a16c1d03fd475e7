"""The State Council's notice, read as published, gives exactly the official working days."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from models.calendar import WorkCalendar
from models.holiday_notice import calendar_from_notice, parse_notice

DATA = Path(__file__).parent / "data"


def days_of(year: int):
    d = date(year, 1, 1)
    while d.year == year:
        yield d
        d += timedelta(days=1)


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_each_years_notice_matches_the_packages_official_data_day_for_day(year):
    notice = parse_notice((DATA / f"notice_{year}.txt").read_text(encoding="utf-8"))
    assert notice.ok and notice.year == year, [p.render("en") for p in notice.problems]
    ours, official = calendar_from_notice(notice), WorkCalendar()
    assert [d for d in days_of(year) if ours.is_working_day(d) != official.is_working_day(d)] == []
    # Make-up working days exactly, and every official weekday off.
    assert {d.day for d in notice.days if d.working} == {d for d in days_of(year)
                                                         if d.weekday() >= 5 and official.is_working_day(d)}


def test_the_older_style_with_bu_xiu_and_xingqi_reads_the_same_way():
    notice = parse_notice((DATA / "notice_2015.txt").read_text(encoding="utf-8"))
    assert notice.ok
    off = {d.day for d in notice.days if not d.working}
    assert {date(2015, 4, 6), date(2015, 6, 22), date(2015, 9, 27)} <= off  # 补休 and a single 放假
    ours, official = calendar_from_notice(notice), WorkCalendar()
    # 9月3日–6日 (the Victory Day anniversary) came in a separate notice that year.
    victory = {date(2015, 9, 3), date(2015, 9, 4), date(2015, 9, 6)}
    assert [d for d in days_of(2015) if ours.is_working_day(d) != official.is_working_day(d)] == sorted(victory)


def test_ranges_across_a_month_and_a_year_and_weekday_mismatches():
    text = ("国务院办公厅关于2023年部分节假日安排的通知\n"
            "一、元旦：2022年12月31日至2023年1月2日放假调休，共3天。\n"
            "二、中秋节、国庆节：9月29日至10月6日放假调休，共8天。10月7日（星期六）、10月8日（星期日）上班。\n")
    notice = parse_notice(text)
    assert notice.ok
    off = sorted(d.day for d in notice.days if not d.working)
    assert off[:3] == [date(2022, 12, 31), date(2023, 1, 1), date(2023, 1, 2)]
    assert date(2023, 9, 30) in off and date(2023, 10, 6) in off and len(off) == 11
    bad = parse_notice(text.replace("10月8日（星期日）", "10月8日（星期一）"))
    assert not bad.ok and "2023年10月8日（周日）" in bad.problems[0].render("zh")
    counted = parse_notice(text.replace("共8天", "共7天"))
    assert not counted.ok and "共 7 天" in counted.problems[0].render("zh")


def test_advice_to_rest_on_new_years_eve_is_not_a_day_off():
    notice = parse_notice((DATA / "notice_2024.txt").read_text(encoding="utf-8"))
    assert date(2024, 2, 9) not in {d.day for d in notice.days}


def test_text_without_a_year_or_sections_is_reported_not_guessed():
    assert not parse_notice("春节放假").ok
    assert parse_notice("关于2027年的通知，没有条目").problems
