"""bot.dates: the Chinese/English date grammar, its errors and the echo format."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.dates import DateError, format_date, parse_date
from models.calendar import WorkCalendar
from models.errors import UsageError

D = date.fromisoformat
CAL = WorkCalendar()
# Deterministic and without an on-disk example database in the shared tree.
PROPERTY = settings(derandomize=True, database=None, deadline=None, max_examples=400)

SUNDAY = "2026-11-22"  # a Sunday: the Monday-start week is 11-16 .. 11-22
MONDAY_AT_YEAR_END = "2026-12-28"  # the week runs into 2027; 2027-01-01 is a holiday
BEFORE_SPRING_FESTIVAL = "2026-02-11"  # a Wednesday; 02-14 is a 调休 Saturday
BEFORE_NATIONAL_DAY = "2026-09-30"  # a Wednesday; 10-01..07 off, 10-10 Saturday working


def parse(text: str, today: str) -> date:
    """Parse against the shared calendar."""
    return parse_date(text, today=D(today), calendar=CAL)


CASES: list[tuple[str, str, str]] = [
    # (today, text, expected)
    # --- full dates, taken literally even in the past
    (SUNDAY, "2026-12-31", "2026-12-31"),
    (SUNDAY, "2026/12/31", "2026-12-31"),
    (SUNDAY, "2026.12.31", "2026-12-31"),
    (SUNDAY, "2026年12月31日", "2026-12-31"),
    (SUNDAY, "2026年12月31号", "2026-12-31"),
    (SUNDAY, "2026 年 12 月 31 日", "2026-12-31"),
    (SUNDAY, "2027-1-5", "2027-01-05"),
    (SUNDAY, "２０２６－１２－３１", "2026-12-31"),
    (SUNDAY, "  2026-12-31\n", "2026-12-31"),
    (SUNDAY, "2020-01-01", "2020-01-01"),
    (SUNDAY, "2028-02-29", "2028-02-29"),
    (SUNDAY, "2026年十二月三十一日", "2026-12-31"),
    # --- month-day: next occurrence on or after today
    (SUNDAY, "12-31", "2026-12-31"),
    (SUNDAY, "12/31", "2026-12-31"),
    (SUNDAY, "12.31", "2026-12-31"),
    (SUNDAY, "12月31日", "2026-12-31"),
    (SUNDAY, "12月31号", "2026-12-31"),
    (SUNDAY, "12月31", "2026-12-31"),
    (SUNDAY, "十二月三十一日", "2026-12-31"),
    (SUNDAY, "12月1日", "2026-12-01"),
    (SUNDAY, "11月22日", "2026-11-22"),  # today itself
    (SUNDAY, "11-21", "2027-11-21"),  # yesterday: next year
    (SUNDAY, "1-5", "2027-01-05"),
    (SUNDAY, "2-29", "2028-02-29"),  # waits for the leap year
    (MONDAY_AT_YEAR_END, "1-5", "2027-01-05"),
    (MONDAY_AT_YEAR_END, "1月1日", "2027-01-01"),
    (MONDAY_AT_YEAR_END, "12-28", "2026-12-28"),
    (MONDAY_AT_YEAR_END, "12-27", "2027-12-27"),
    (MONDAY_AT_YEAR_END, "12/31", "2026-12-31"),
    # --- "by" suffixes and prefix do not move the date
    (SUNDAY, "12月1日前", "2026-12-01"),
    (SUNDAY, "12月1日之前", "2026-12-01"),
    (SUNDAY, "12月1日以前", "2026-12-01"),
    (SUNDAY, "１２月１日前", "2026-12-01"),
    (SUNDAY, "明天前", "2026-11-23"),
    (SUNDAY, "下周五之前", "2026-11-27"),
    (SUNDAY, "月底前", "2026-11-30"),
    (SUNDAY, "by friday", "2026-11-27"),
    (SUNDAY, "by 12/1", "2026-12-01"),
    (MONDAY_AT_YEAR_END, "12月31日前", "2026-12-31"),
    # --- bare day of month
    (SUNDAY, "15号", "2026-12-15"),
    (SUNDAY, "22号", "2026-11-22"),
    (SUNDAY, "30号前", "2026-11-30"),
    (SUNDAY, "3日前", "2026-12-03"),  # "before the 3rd"; 3天前 would mean "3 days ago"
    (SUNDAY, "十五号", "2026-12-15"),
    ("2026-04-05", "31号", "2026-05-31"),
    ("2027-02-15", "29号", "2027-03-29"),
    # --- named days
    (SUNDAY, "今天", "2026-11-22"),
    (SUNDAY, "今日", "2026-11-22"),
    (SUNDAY, "today", "2026-11-22"),
    (SUNDAY, "TODAY", "2026-11-22"),
    (SUNDAY, "明天", "2026-11-23"),
    (SUNDAY, "明日", "2026-11-23"),
    (SUNDAY, "tomorrow", "2026-11-23"),
    (SUNDAY, "Tomorrow", "2026-11-23"),
    (SUNDAY, "后天", "2026-11-24"),
    (SUNDAY, "大后天", "2026-11-25"),
    (MONDAY_AT_YEAR_END, "大后天", "2026-12-31"),
    (MONDAY_AT_YEAR_END, "明天", "2026-12-29"),
    ("2026-12-31", "明天", "2027-01-01"),
    # --- Chinese weekdays (Monday-start weeks)
    (SUNDAY, "周五", "2026-11-27"),
    (SUNDAY, "星期五", "2026-11-27"),
    (SUNDAY, "礼拜五", "2026-11-27"),
    (SUNDAY, "周日", "2026-11-22"),
    (SUNDAY, "周天", "2026-11-22"),
    (SUNDAY, "星期日", "2026-11-22"),
    (SUNDAY, "星期天", "2026-11-22"),
    (SUNDAY, "本周五", "2026-11-20"),  # this week's, already past
    (SUNDAY, "这周五", "2026-11-20"),
    (SUNDAY, "本周日", "2026-11-22"),
    (SUNDAY, "下周五", "2026-11-27"),
    (SUNDAY, "下星期五", "2026-11-27"),
    (SUNDAY, "下个星期五", "2026-11-27"),
    (SUNDAY, "下周日", "2026-11-29"),
    (SUNDAY, "下周一", "2026-11-23"),
    (SUNDAY, "下下周一", "2026-11-30"),
    (SUNDAY, "上周五", "2026-11-13"),
    (MONDAY_AT_YEAR_END, "周一", "2026-12-28"),  # today
    (MONDAY_AT_YEAR_END, "周五", "2027-01-01"),
    (MONDAY_AT_YEAR_END, "本周五", "2027-01-01"),
    (MONDAY_AT_YEAR_END, "这周日", "2027-01-03"),
    (MONDAY_AT_YEAR_END, "下周一", "2027-01-04"),
    (MONDAY_AT_YEAR_END, "下周五", "2027-01-08"),
    (MONDAY_AT_YEAR_END, "下下周五", "2027-01-15"),
    (MONDAY_AT_YEAR_END, "上周五", "2026-12-25"),
    ("2026-11-27", "周五", "2026-11-27"),  # Friday: today
    ("2026-11-28", "周五", "2026-12-04"),  # Saturday: the coming one
    ("2026-11-28", "本周五", "2026-11-27"),
    ("2026-11-28", "下周五", "2026-12-04"),
    # --- English weekdays
    (SUNDAY, "friday", "2026-11-27"),
    (SUNDAY, "Friday", "2026-11-27"),
    (SUNDAY, "fri", "2026-11-27"),
    (SUNDAY, "this friday", "2026-11-20"),  # like 本周五: the current week's
    (SUNDAY, "next friday", "2026-11-27"),
    (SUNDAY, "next fri", "2026-11-27"),
    (SUNDAY, "sunday", "2026-11-22"),
    (SUNDAY, "next sunday", "2026-11-29"),
    (SUNDAY, "mon", "2026-11-23"),
    (SUNDAY, "next monday", "2026-11-23"),
    (SUNDAY, "coming friday", "2026-11-27"),
    (SUNDAY, "last friday", "2026-11-13"),
    (MONDAY_AT_YEAR_END, "friday", "2027-01-01"),
    (MONDAY_AT_YEAR_END, "this friday", "2027-01-01"),
    (MONDAY_AT_YEAR_END, "next friday", "2027-01-08"),  # the Friday of next week, 11 days on
    (MONDAY_AT_YEAR_END, "monday", "2026-12-28"),
    (MONDAY_AT_YEAR_END, "next monday", "2027-01-04"),
    (MONDAY_AT_YEAR_END, "tue", "2026-12-29"),
    (MONDAY_AT_YEAR_END, "wed", "2026-12-30"),
    (MONDAY_AT_YEAR_END, "thu", "2026-12-31"),
    (MONDAY_AT_YEAR_END, "sat", "2027-01-02"),
    (MONDAY_AT_YEAR_END, "sun", "2027-01-03"),
    (MONDAY_AT_YEAR_END, "Thursday", "2026-12-31"),
    ("2026-11-28", "this friday", "2026-11-27"),
    ("2026-11-28", "next friday", "2026-12-04"),
    # --- calendar-day counts
    (SUNDAY, "3天后", "2026-11-25"),
    (SUNDAY, "3日后", "2026-11-25"),
    (SUNDAY, "三天后", "2026-11-25"),
    (SUNDAY, "两天后", "2026-11-24"),
    (SUNDAY, "十天后", "2026-12-02"),
    (SUNDAY, "二十天后", "2026-12-12"),
    (SUNDAY, "十五天以后", "2026-12-07"),
    (SUNDAY, "一百天后", "2027-03-02"),
    (SUNDAY, "一百零五天后", "2027-03-07"),
    (SUNDAY, "3天", "2026-11-25"),
    (SUNDAY, "3天内", "2026-11-25"),
    (SUNDAY, "3 天后", "2026-11-25"),
    (SUNDAY, "３天后", "2026-11-25"),
    (SUNDAY, "0天后", "2026-11-22"),
    (SUNDAY, "in 3 days", "2026-11-25"),
    (SUNDAY, "3 days", "2026-11-25"),
    (SUNDAY, "3 days later", "2026-11-25"),
    (SUNDAY, "in 1 day", "2026-11-23"),
    (SUNDAY, "in three days", "2026-11-25"),
    (SUNDAY, "within 3 days", "2026-11-25"),
    (MONDAY_AT_YEAR_END, "3天后", "2026-12-31"),
    (MONDAY_AT_YEAR_END, "5天后", "2027-01-02"),
    # --- weeks, months, years
    (SUNDAY, "in 2 weeks", "2026-12-06"),
    (SUNDAY, "2 weeks", "2026-12-06"),
    (SUNDAY, "in a week", "2026-11-29"),
    (SUNDAY, "2周后", "2026-12-06"),
    (SUNDAY, "两周后", "2026-12-06"),
    (SUNDAY, "2个星期后", "2026-12-06"),
    (SUNDAY, "两个礼拜后", "2026-12-06"),
    (SUNDAY, "一周内", "2026-11-29"),
    (SUNDAY, "1个月后", "2026-12-22"),
    (SUNDAY, "一个月后", "2026-12-22"),
    (SUNDAY, "in 1 month", "2026-12-22"),
    (SUNDAY, "in 2 months", "2027-01-22"),
    (SUNDAY, "1年后", "2027-11-22"),
    ("2027-01-31", "1个月后", "2027-02-28"),  # clamped to the month's end
    ("2028-01-31", "1个月后", "2028-02-29"),
    ("2026-03-31", "一个月后", "2026-04-30"),
    ("2026-10-31", "4个月后", "2027-02-28"),
    ("2028-02-29", "1年后", "2029-02-28"),
    # --- working days
    (SUNDAY, "5个工作日内", "2026-11-27"),
    (SUNDAY, "5个工作日后", "2026-11-27"),
    (SUNDAY, "五个工作日", "2026-11-27"),
    (SUNDAY, "5个工作日", "2026-11-27"),
    (SUNDAY, "5工作日", "2026-11-27"),
    (SUNDAY, "in 5 working days", "2026-11-27"),
    (SUNDAY, "5 working days", "2026-11-27"),
    (SUNDAY, "5 workdays", "2026-11-27"),
    (SUNDAY, "5 business days", "2026-11-27"),
    (SUNDAY, "within 5 working days", "2026-11-27"),
    (SUNDAY, "1个工作日", "2026-11-23"),
    (SUNDAY, "0个工作日", "2026-11-23"),  # rolls Sunday forward
    (MONDAY_AT_YEAR_END, "2个工作日后", "2026-12-30"),
    (MONDAY_AT_YEAR_END, "4个工作日", "2027-01-04"),  # 2027-01-01 is New Year
    (BEFORE_SPRING_FESTIVAL, "3个工作日", "2026-02-14"),  # 12, 13, 14 (调休 Saturday)
    (BEFORE_SPRING_FESTIVAL, "4个工作日后", "2026-02-24"),  # then the whole festival is off
    (BEFORE_SPRING_FESTIVAL, "五个工作日内", "2026-02-25"),
    (BEFORE_SPRING_FESTIVAL, "10天后", "2026-02-21"),  # calendar days ignore holidays
    (BEFORE_NATIONAL_DAY, "1个工作日后", "2026-10-08"),
    (BEFORE_NATIONAL_DAY, "3个工作日", "2026-10-10"),  # 8, 9, 10 (调休 Saturday)
    (BEFORE_NATIONAL_DAY, "5 working days", "2026-10-13"),
    (BEFORE_NATIONAL_DAY, "0个工作日", "2026-09-30"),
    ("2026-10-01", "0个工作日", "2026-10-08"),
    ("2026-09-18", "1个工作日", "2026-09-20"),  # 调休 Sunday
    # --- ends and starts of periods
    (SUNDAY, "月底", "2026-11-30"),
    (SUNDAY, "本月底", "2026-11-30"),
    (SUNDAY, "月末", "2026-11-30"),
    (SUNDAY, "end of month", "2026-11-30"),
    (SUNDAY, "End of Month", "2026-11-30"),
    (SUNDAY, "eom", "2026-11-30"),
    (SUNDAY, "下月底", "2026-12-31"),
    (SUNDAY, "下个月底", "2026-12-31"),
    (SUNDAY, "end of next month", "2026-12-31"),
    (SUNDAY, "下月初", "2026-12-01"),
    (SUNDAY, "下个月初", "2026-12-01"),
    (SUNDAY, "季末", "2026-12-31"),
    (SUNDAY, "本季度末", "2026-12-31"),
    (SUNDAY, "end of quarter", "2026-12-31"),
    (SUNDAY, "年底", "2026-12-31"),
    (SUNDAY, "年末", "2026-12-31"),
    (SUNDAY, "end of year", "2026-12-31"),
    (SUNDAY, "下周", "2026-11-23"),
    (SUNDAY, "next week", "2026-11-23"),
    (MONDAY_AT_YEAR_END, "月底", "2026-12-31"),
    (MONDAY_AT_YEAR_END, "下月底", "2027-01-31"),
    (MONDAY_AT_YEAR_END, "下月初", "2027-01-01"),
    (MONDAY_AT_YEAR_END, "季末", "2026-12-31"),
    (MONDAY_AT_YEAR_END, "下周", "2027-01-04"),
    (MONDAY_AT_YEAR_END, "next week", "2027-01-04"),
    ("2027-01-31", "下月底", "2027-02-28"),
    ("2028-01-15", "下月底", "2028-02-29"),
    ("2026-12-31", "月底", "2026-12-31"),
    (BEFORE_SPRING_FESTIVAL, "月底", "2026-02-28"),
    (BEFORE_SPRING_FESTIVAL, "季末", "2026-03-31"),
    ("2026-05-15", "季末", "2026-06-30"),
    ("2026-08-01", "end of quarter", "2026-09-30"),
    ("2026-10-01", "季末", "2026-12-31"),
    # --- English month names and the echo formats
    (SUNDAY, "dec 25", "2026-12-25"),
    (SUNDAY, "25 dec", "2026-12-25"),
    (SUNDAY, "December 25th", "2026-12-25"),
    (SUNDAY, "1st jan", "2027-01-01"),
    (SUNDAY, "jan 5", "2027-01-05"),
    (SUNDAY, "Dec 31, 2026", "2026-12-31"),
    (SUNDAY, "Thu 31 Dec 2026", "2026-12-31"),
    (SUNDAY, "2026年12月31日（周四）", "2026-12-31"),
    (SUNDAY, "2026年12月31日(周四)前", "2026-12-31"),
]


@pytest.mark.parametrize(("today", "text", "expected"), CASES)
def test_forms(today: str, text: str, expected: str) -> None:
    assert parse(text, today) == D(expected)


INVALID = [
    "",
    "   ",
    "hello",
    "2-30",
    "02-30",
    "4月31日",
    "13月1日",
    "0月1日",
    "13-01",
    "2026-02-30",
    "2026-13-01",
    "2027-02-29",
    "0000-01-01",
    "2026-12-31-1",
    "12-31-2026",
    "2026-12/31",  # mixed separators
    "32号",
    "0号",
    "3天前",  # "3 days ago", refused rather than guessed
    "三天前",
    "两周前",
    "1个月前",
    "5个工作日前",
    "3 days ago",
    "周八",
    "下周八",
    "星期",
    "明天后天",
    "本周内",  # 内 only after a count
    "月底内",
    "within friday",
    "12345天后",  # counts are capped
    "一千天后",
    "十十天后",
    "百天后",
    "一百零天后",
    "2026年12月31日（周五）",  # weekday does not match
    "Fri 31 Dec 2026",
    "31 dec 2026 extra",
    "next",
    "前",
    "之前",
    "内",
    "by",
    "99999-01-01",
]


@pytest.mark.parametrize("text", INVALID)
def test_invalid(text: str) -> None:
    with pytest.raises(DateError):
        parse(text, SUNDAY)


@pytest.mark.parametrize(
    ("today", "text", "expected"),
    [
        (date.max, "明天", None),
        (date.max, "下周一", None),
        (date.max, "5个工作日", None),
        (date(9999, 12, 27), "4个工作日", date(9999, 12, 31)),
        (date(9999, 12, 27), "5个工作日", None),  # would be in year 10000
        (date(9999, 12, 20), "年底前", date(9999, 12, 31)),
        (date.min, "上周五", None),
        (date.min, "今天", date.min),
        (D(SUNDAY), "9999年后", None),
        (date(9999, 6, 1), "1-5", None),
        (date(9999, 6, 1), "2-29", None),
        (date(9999, 12, 2), "1号", None),
    ],
)
def test_edges_of_the_date_range(today: date, text: str, expected: date | None) -> None:
    try:
        result: date | None = parse_date(text, today=today, calendar=CAL)
    except DateError:
        result = None
    assert result == expected


def test_bare_count_of_months_is_one_month_on() -> None:
    assert parse("1个月", SUNDAY) == D("2026-12-22")


def test_date_error_is_a_usage_error_with_a_helpful_message() -> None:
    with pytest.raises(DateError) as info:
        parse("下周八", SUNDAY)
    error = info.value
    assert isinstance(error, UsageError)
    assert error.key == "date.invalid"
    assert error.params == {"text": "下周八"}
    zh = error.render("zh")
    assert "下周八" in zh and "2026-12-31" in zh and "下周五" in zh and "5个工作日内" in zh
    en = error.render("en")
    assert "下周八" in en and "next friday" in en


def test_date_error_shortens_long_text() -> None:
    with pytest.raises(DateError) as info:
        parse("x" * 500, SUNDAY)
    assert len(info.value.params["text"]) <= 40


def test_today_must_be_a_date() -> None:
    with pytest.raises(TypeError):
        parse_date("明天", today=datetime(2026, 11, 22, tzinfo=UTC), calendar=CAL)


def test_overrides_reach_the_grammar() -> None:
    cal = WorkCalendar({D("2027-02-06"): (True, "春节调休上班")})
    assert parse_date("1个工作日", today=D("2027-02-04"), calendar=cal) == D("2027-02-06")
    assert parse_date("2个工作日", today=D("2027-02-04"), calendar=CAL) == D("2027-02-12")


@pytest.mark.parametrize(
    ("day", "lang", "expected"),
    [
        ("2026-12-31", "zh", "2026年12月31日（周四）"),
        ("2026-12-31", "en", "Thu 31 Dec 2026"),
        ("2027-01-03", "zh", "2027年1月3日（周日）"),
        ("2027-01-03", "en", "Sun 3 Jan 2027"),
        ("2026-11-23", None, "2026年11月23日（周一）"),
        ("2026-11-23", "en-US", "Mon 23 Nov 2026"),
    ],
)
def test_format_date(day: str, lang: str | None, expected: str) -> None:
    assert format_date(D(day), lang) == expected


# --- properties --------------------------------------------------------------------------------

ANY_DAY = st.dates()
NEAR_DAY = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))
VOCABULARY = [
    "2026", "12", "31", "1", "0", "9999", "-", "/", ".", " ", "年", "月", "日", "号", "前", "之前",
    "以前", "内", "以内", "后", "以后", "天", "周", "星期", "礼拜", "个", "工作日", "今天", "明天",
    "后天", "大后天", "本", "这", "下", "下下", "上", "一", "二", "两", "三", "十", "百", "零", "五",
    "日", "底", "末", "初", "季", "季度", "年底", "(", ")", "（", "）", "today", "tomorrow", "next",
    "this", "last", "coming", "in", "within", "by", "friday", "fri", "sun", "dec", "jan", "day",
    "days", "week", "weeks", "month", "months", "year", "working", "workdays", "business", "end",
    "of", "eom", "a", "an", "three", "st", "th", ",", "２", "１", "－", "\n", "\t",
]


def outcome(text: str, today: date) -> date | None:
    """The parsed date, or None for DateError; any other exception fails the test."""
    try:
        result = parse_date(text, today=today, calendar=CAL)
    except DateError:
        return None
    assert type(result) is date
    return result


@PROPERTY
@given(text=st.text(), today=ANY_DAY)
def test_arbitrary_text_gives_a_date_or_date_error(text: str, today: date) -> None:
    outcome(text, today)


@PROPERTY
@given(parts=st.lists(st.sampled_from(VOCABULARY), max_size=7), today=ANY_DAY)
def test_grammar_vocabulary_gives_a_date_or_date_error(parts: list[str], today: date) -> None:
    outcome("".join(parts), today)


@PROPERTY
@given(
    parts=st.lists(
        st.one_of(st.sampled_from(VOCABULARY), st.integers(0, 99999).map(str)), max_size=6
    ),
    today=NEAR_DAY,
    sep=st.sampled_from(["", " "]),
)
def test_vocabulary_with_numbers_gives_a_date_or_date_error(
    parts: list[str], today: date, sep: str
) -> None:
    outcome(sep.join(parts), today)


def chinese_numeral(n: int) -> str:
    """The usual way to write 0..999 in Chinese numerals (一百零五, 二十, 十五)."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    hundreds, tens, units = n // 100, n // 10 % 10, n % 10
    text = f"{digits[hundreds]}百" if hundreds else ""
    if tens:
        text += ("十" if tens == 1 and not hundreds else digits[tens] + "十")
    elif hundreds and units:
        text += "零"
    if units:
        text += digits[units]
    return text


@pytest.mark.parametrize(
    ("n", "text"),
    [(0, "零"), (7, "七"), (10, "十"), (15, "十五"), (20, "二十"), (105, "一百零五"), (110, "一百一十"),
     (999, "九百九十九")],
)
def test_chinese_numeral_helper(n: int, text: str) -> None:
    assert chinese_numeral(n) == text


@PROPERTY
@given(n=st.integers(0, 999), today=NEAR_DAY)
def test_chinese_and_arabic_counts_agree(n: int, today: date) -> None:
    expected = today + timedelta(days=n)
    assert parse_date(f"{chinese_numeral(n)}天后", today=today, calendar=CAL) == expected
    assert parse_date(f"{n}天后", today=today, calendar=CAL) == expected
    assert parse_date(f"in {n} days", today=today, calendar=CAL) == expected


@PROPERTY
@given(n=st.integers(0, 300), today=NEAR_DAY)
def test_working_day_counts_use_the_calendar(n: int, today: date) -> None:
    expected = CAL.add_working_days(today, n)
    for text in (f"{n}个工作日内", f"{chinese_numeral(n)}个工作日", f"in {n} working days"):
        assert parse_date(text, today=today, calendar=CAL) == expected


@PROPERTY
@given(day=st.dates(min_value=date(1000, 1, 1)), lang=st.sampled_from(["zh", "en"]), today=ANY_DAY)
def test_echo_format_parses_back(day: date, lang: str, today: date) -> None:
    assert parse_date(format_date(day, lang), today=today, calendar=CAL) == day


WEEKDAYS_ZH = "一二三四五六日"
WEEKDAYS_EN = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


@PROPERTY
@given(today=NEAR_DAY, weekday=st.integers(0, 6))
def test_weekday_semantics(today: date, weekday: int) -> None:
    monday = today - timedelta(days=today.weekday())
    zh, en = WEEKDAYS_ZH[weekday], WEEKDAYS_EN[weekday]

    upcoming = parse_date(f"周{zh}", today=today, calendar=CAL)
    assert upcoming.weekday() == weekday and 0 <= (upcoming - today).days <= 6
    assert parse_date(en, today=today, calendar=CAL) == upcoming

    this_week = monday + timedelta(days=weekday)
    assert parse_date(f"本周{zh}", today=today, calendar=CAL) == this_week
    assert parse_date(f"this {en}", today=today, calendar=CAL) == this_week

    next_week = this_week + timedelta(weeks=1)
    assert parse_date(f"下周{zh}", today=today, calendar=CAL) == next_week
    assert parse_date(f"next {en}", today=today, calendar=CAL) == next_week
    assert parse_date(f"下下周{zh}", today=today, calendar=CAL) == next_week + timedelta(weeks=1)


@PROPERTY
@given(today=NEAR_DAY, target=NEAR_DAY)
def test_month_day_is_the_next_occurrence(today: date, target: date) -> None:
    result = parse_date(f"{target.month}月{target.day}日", today=today, calendar=CAL)
    assert (result.month, result.day) == (target.month, target.day)
    assert result >= today
    if (target.month, target.day) != (2, 29):
        assert result < date(today.year + 1, today.month, 1) + timedelta(days=31)
    # The same date "by" then, and in the other spellings.
    m, d = target.month, target.day
    for text in (f"{m}月{d}日前", f"{m}-{d}", f"{m}/{d}", f"{m}.{d}", f"{m:02d}-{d:02d}"):
        assert parse_date(text, today=today, calendar=CAL) == result
