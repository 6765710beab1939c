"""Business-hours calendars and SLA policies: worked examples, bad input, and properties.

Pure time arithmetic: no database. The property tests compare the day-by-day walk with
an independent reference that reads the wall clock minute by minute.
"""

from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from panal.engagement.calendar import (
    BREACHED,
    DAYS,
    OK,
    SEARCH_DAYS,
    WARNING,
    BusinessHours,
    CalendarError,
    SlaPolicy,
    Targets,
    deadline_with_pauses,
    paused_business_time,
)

H = timedelta(hours=1)
M = timedelta(minutes=1)
US = timedelta(microseconds=1)
DAY = timedelta(days=1)
WORKDAYS = ("mon", "tue", "wed", "thu", "fri")


def at(zone: str, *parts: int, fold: int = 0) -> datetime:
    """A local wall time in `zone` (fold=1 picks the second pass of a repeated hour)."""
    return datetime(*parts, tzinfo=ZoneInfo(zone), fold=fold)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def office(zone="Europe/Madrid", hours=(("09:00", "18:00"),), days=WORKDAYS, **extra):
    week = {day: [list(pair) for pair in hours] for day in days}
    return BusinessHours.from_dict({"timezone": zone, "week": week, **extra})


# ---------------------------------------------------------------------------------------
# Worked examples


def test_friday_evening_plus_an_hour_is_monday_morning():
    cal = office()
    due = cal.add_business_time(at("Europe/Madrid", 2026, 5, 15, 17, 30), H)
    assert due == at("Europe/Madrid", 2026, 5, 18, 9, 30)
    assert due.tzinfo is UTC
    assert due == utc(2026, 5, 18, 7, 30)


def test_results_are_utc_whatever_the_input_zone():
    cal = office()
    start = at("Asia/Tokyo", 2026, 5, 18, 17, 0)  # 10:00 in Madrid
    due = cal.add_business_time(start, 2 * H)
    assert due.tzinfo is UTC
    assert due == at("Europe/Madrid", 2026, 5, 18, 12, 0)


def test_the_lunch_gap_does_not_count():
    cal = office(hours=(("09:00", "14:00"), ("15:00", "18:00")))
    monday = at("Europe/Madrid", 2026, 5, 18, 13, 30)
    assert cal.add_business_time(monday, H) == at("Europe/Madrid", 2026, 5, 18, 15, 30)
    assert not cal.is_open(at("Europe/Madrid", 2026, 5, 18, 14, 30))
    assert cal.is_open(at("Europe/Madrid", 2026, 5, 18, 15, 0))
    day = cal.business_time_between(
        at("Europe/Madrid", 2026, 5, 18, 0, 0), at("Europe/Madrid", 2026, 5, 19, 0, 0)
    )
    assert day == 8 * H


def test_a_holiday_is_skipped():
    cal = office(holidays=["2026-05-18"])
    due = cal.add_business_time(at("Europe/Madrid", 2026, 5, 15, 17, 30), H)
    assert due == at("Europe/Madrid", 2026, 5, 19, 9, 30)


def test_a_special_short_day_then_a_holiday():
    cal = office(holidays=["2026-12-25"], special={"2026-12-24": [["09:00", "14:00"]]})
    christmas_eve = at("Europe/Madrid", 2026, 12, 24, 13, 30)
    assert not cal.is_open(at("Europe/Madrid", 2026, 12, 24, 15, 0))
    # Thursday 13:30 + 1 h: 30 min on the short day, Friday 25 is a holiday, then Monday.
    assert cal.add_business_time(christmas_eve, H) == at("Europe/Madrid", 2026, 12, 28, 9, 30)


def test_a_special_day_can_open_a_weekend_or_close_a_weekday():
    cal = office(special={"2026-05-16": [["10:00", "12:00"]], "2026-05-18": []})
    saturday = at("Europe/Madrid", 2026, 5, 16, 11, 0)
    assert cal.is_open(saturday)
    assert cal.add_business_time(saturday, 2 * H) == at("Europe/Madrid", 2026, 5, 19, 10, 0)


def test_a_start_during_a_holiday_counts_from_the_next_opening():
    cal = office(holidays=["2026-12-25"])
    start = at("Europe/Madrid", 2026, 12, 25, 10, 0)  # a Friday, and a holiday
    assert not cal.is_open(start)
    assert cal.next_open(start) == at("Europe/Madrid", 2026, 12, 28, 9, 0)
    assert cal.add_business_time(start, 2 * H) == at("Europe/Madrid", 2026, 12, 28, 11, 0)


def test_a_count_ending_at_closing_time_returns_the_closing_not_the_next_opening():
    cal = office()
    start = at("Europe/Madrid", 2026, 5, 15, 17, 0)
    assert cal.add_business_time(start, H) == at("Europe/Madrid", 2026, 5, 15, 18, 0)
    assert cal.add_business_time(start, timedelta(0)) == start


def test_next_open_is_the_instant_itself_when_open():
    cal = office()
    open_now = at("Europe/Madrid", 2026, 5, 15, 12, 0)
    assert cal.next_open(open_now) == open_now
    assert cal.next_open(at("Europe/Madrid", 2026, 5, 15, 18, 0)) == at(
        "Europe/Madrid", 2026, 5, 18, 9, 0
    )


def test_business_time_between_is_negative_backwards_and_remaining_counts_down():
    cal = office()
    monday = at("Europe/Madrid", 2026, 5, 18, 9, 0)
    tuesday = at("Europe/Madrid", 2026, 5, 19, 12, 0)
    assert cal.business_time_between(monday, tuesday) == 12 * H
    assert cal.business_time_between(tuesday, monday) == -12 * H
    assert cal.remaining(tuesday, monday) == 12 * H
    assert cal.remaining(monday, tuesday) == -12 * H


def test_an_interval_may_end_at_midnight_and_touch_the_next_day():
    cal = office(hours=(("20:00", "24:00"), ("00:00", "02:00")), days=DAYS)
    start = at("Europe/Madrid", 2026, 5, 18, 23, 0)
    assert cal.is_open(at("Europe/Madrid", 2026, 5, 19, 0, 0))
    assert cal.add_business_time(start, 2 * H) == at("Europe/Madrid", 2026, 5, 19, 1, 0)
    spans = cal.open_spans(start, at("Europe/Madrid", 2026, 5, 19, 3, 0))
    assert spans == [(utc(2026, 5, 18, 21, 0), utc(2026, 5, 19, 0, 0))]


def test_always_open_is_real_time_even_across_dst():
    cal = BusinessHours.always_open("America/New_York")
    start = at("America/New_York", 2026, 3, 7, 12, 0).astimezone(UTC)
    assert cal.add_business_time(start, timedelta(days=30)) == start + timedelta(days=30)
    spring = cal.business_time_between(
        at("America/New_York", 2026, 3, 8, 0, 0), at("America/New_York", 2026, 3, 9, 0, 0)
    )
    autumn = cal.business_time_between(
        at("America/New_York", 2026, 11, 1, 0, 0), at("America/New_York", 2026, 11, 2, 0, 0)
    )
    assert (spring, autumn) == (23 * H, 25 * H)
    assert cal.to_dict()["week"]["sun"] == [["00:00", "24:00"]]


# Daylight saving time: Europe/Madrid changes on the last Sundays of March and October
# (2026-03-29 02:00 -> 03:00, 2026-10-25 03:00 -> 02:00).


def test_madrid_spring_forward_day_has_two_real_hours_in_01_to_04():
    cal = office(hours=(("01:00", "04:00"),), days=("sun",))
    week = cal.business_time_between(utc(2026, 3, 23), utc(2026, 3, 30))
    assert week == 2 * H
    saturday = at("Europe/Madrid", 2026, 3, 28, 12, 0)
    assert cal.next_open(saturday) == utc(2026, 3, 29, 0, 0)  # 01:00 CET
    assert cal.add_business_time(saturday, 90 * M) == at("Europe/Madrid", 2026, 3, 29, 3, 30)
    assert cal.add_business_time(saturday, 2 * H) == utc(2026, 3, 29, 2, 0)  # 04:00 CEST


def test_madrid_fall_back_day_has_four_real_hours_in_01_to_04():
    cal = office(hours=(("01:00", "04:00"),), days=("sun",))
    assert cal.business_time_between(utc(2026, 10, 19), utc(2026, 10, 26)) == 4 * H
    saturday = at("Europe/Madrid", 2026, 10, 24, 12, 0)
    assert cal.next_open(saturday) == utc(2026, 10, 24, 23, 0)  # 01:00 CEST
    due = cal.add_business_time(saturday, 3 * H + 30 * M)
    assert due == at("Europe/Madrid", 2026, 10, 25, 3, 30) == utc(2026, 10, 25, 2, 30)
    # Both passes of 02:30 are open.
    assert cal.is_open(at("Europe/Madrid", 2026, 10, 25, 2, 30, fold=0))
    assert cal.is_open(at("Europe/Madrid", 2026, 10, 25, 2, 30, fold=1))


def test_a_boundary_in_the_skipped_hour_takes_effect_at_the_change():
    cal = office(hours=(("02:30", "03:30"),), days=("sun",))
    spans = cal.open_spans(utc(2026, 3, 28), utc(2026, 3, 30))
    assert spans == [(utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 1, 30))]  # 03:00-03:30 CEST
    only_gap = office(hours=(("02:00", "03:00"),), days=("sun",))
    assert only_gap.business_time_between(utc(2026, 3, 28), utc(2026, 3, 30)) == timedelta(0)


def test_an_interval_inside_the_repeated_hour_is_open_twice():
    cal = office(hours=(("02:15", "02:45"),), days=("sun",))
    spans = cal.open_spans(utc(2026, 10, 24), utc(2026, 10, 26))
    assert spans == [
        (utc(2026, 10, 25, 0, 15), utc(2026, 10, 25, 0, 45)),  # CEST pass
        (utc(2026, 10, 25, 1, 15), utc(2026, 10, 25, 1, 45)),  # CET pass
    ]
    assert cal.business_time_between(utc(2026, 10, 24), utc(2026, 10, 26)) == H


def test_new_york_office_across_both_changes():
    cal = office(zone="America/New_York")
    # Fri 2026-03-06 17:30 EST + 1 h = Mon 09:30 EDT (13:30 UTC, not 14:30).
    assert cal.add_business_time(at("America/New_York", 2026, 3, 6, 17, 30), H) == utc(
        2026, 3, 9, 13, 30
    )
    # Fri 2026-10-30 17:30 EDT + 1 h = Mon 09:30 EST (14:30 UTC).
    assert cal.add_business_time(at("America/New_York", 2026, 10, 30, 17, 30), H) == utc(
        2026, 11, 2, 14, 30
    )


def test_new_york_early_sunday_hours_on_the_change_days():
    cal = office(zone="America/New_York", hours=(("01:00", "03:00"),), days=("sun",))
    spring = cal.business_time_between(utc(2026, 3, 7), utc(2026, 3, 9))
    autumn = cal.business_time_between(utc(2026, 10, 31), utc(2026, 11, 2))
    assert (spring, autumn) == (H, 3 * H)


def test_santiago_changes_at_midnight():
    # 2026-04-05 00:00 -> 2026-04-04 23:00 (Saturday's last hour twice);
    # 2026-09-06 00:00 -> 01:00 (Sunday's first hour never shown).
    late = office(zone="America/Santiago", hours=(("23:00", "24:00"),), days=("sat",))
    assert late.business_time_between(utc(2026, 4, 3), utc(2026, 4, 6)) == 2 * H
    early = office(zone="America/Santiago", hours=(("00:00", "02:00"),), days=("sun",))
    assert early.open_spans(utc(2026, 9, 5), utc(2026, 9, 7)) == [
        (utc(2026, 9, 6, 4, 0), utc(2026, 9, 6, 5, 0))
    ]


def test_a_day_the_zone_skipped_has_no_open_time():
    # Samoa moved across the date line: 2011-12-30 never happened in Pacific/Apia.
    cal = BusinessHours.always_open("Pacific/Apia")
    before = at("Pacific/Apia", 2011, 12, 29, 0, 0)
    after = at("Pacific/Apia", 2011, 12, 31, 0, 0)
    assert cal.business_time_between(before, after) == 24 * H
    fridays = office(zone="Pacific/Apia", days=("fri",))
    assert fridays.business_time_between(before, after) == timedelta(0)


def test_bogota_has_no_dst_and_a_year_of_weekdays_is_counted_exactly():
    cal = office(zone="America/Bogota", hours=(("08:00", "17:00"),))
    year = cal.business_time_between(
        at("America/Bogota", 2026, 1, 1), at("America/Bogota", 2027, 1, 1)
    )
    assert year == 261 * 9 * H  # 2026 has 261 weekdays


# ---------------------------------------------------------------------------------------
# Storage shape and validation


def test_the_dict_shape_round_trips():
    data = {
        "timezone": "Europe/Madrid",
        "week": {"mon": [["09:00", "14:00"], ["15:00", "18:00"]], "fri": [["9:00", "15:00"]]},
        "holidays": ["2026-12-25", "2026-01-01"],
        "special": {"2026-12-24": [["09:00", "14:00"]], "2026-12-31": []},
    }
    cal = BusinessHours.from_dict(data)
    stored = cal.to_dict()
    assert stored["week"]["fri"] == [["09:00", "15:00"]]
    assert stored["week"]["sun"] == []
    assert stored["holidays"] == ["2026-01-01", "2026-12-25"]
    assert stored["special"] == {"2026-12-24": [["09:00", "14:00"]], "2026-12-31": []}
    again = BusinessHours.from_dict(stored)
    assert again == cal and hash(again) == hash(cal)
    assert again.to_dict() == stored
    assert cal.timezone == "Europe/Madrid"
    assert "Europe/Madrid" in repr(cal)


def test_the_constructor_takes_dates_and_tuples():
    cal = BusinessHours(
        "UTC", {"mon": [("09:00", "10:00")]}, holidays=[date(2026, 5, 18)], special={}
    )
    assert cal.to_dict()["holidays"] == ["2026-05-18"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"timezone": "Mars/Olympus", "week": {}}, "unknown timezone 'Mars/Olympus'"),
        ({"timezone": "../../etc/passwd", "week": {}}, "unknown timezone"),
        ({"timezone": "", "week": {}}, "IANA name"),
        ({"timezone": 3, "week": {}}, "IANA name"),
        ({"week": {}}, "needs a 'timezone' field"),
        ({"timezone": "UTC"}, "needs a 'week' field"),
        ({"timezone": "UTC", "week": {}, "colour": "red"}, "unknown calendar field"),
        ({"timezone": "UTC", "week": {"monday": []}}, "unknown day name"),
        ({"timezone": "UTC", "week": []}, "week must map day names"),
        ({"timezone": "UTC", "week": {"mon": [["18:00", "09:00"]]}}, "mon: reversed or empty"),
        ({"timezone": "UTC", "week": {"mon": [["09:00", "09:00"]]}}, "reversed or empty"),
        (
            {"timezone": "UTC", "week": {"tue": [["09:00", "14:00"], ["13:00", "18:00"]]}},
            "tue: overlapping intervals 09:00-14:00 and 13:00-18:00",
        ),
        ({"timezone": "UTC", "week": {"mon": [["09:00", "25:00"]]}}, "'25:00' is out of range"),
        ({"timezone": "UTC", "week": {"mon": [["09:60", "10:00"]]}}, "'09:60' is out of range"),
        ({"timezone": "UTC", "week": {"mon": [["24:00", "24:00"]]}}, "'24:00' is out of range"),
        ({"timezone": "UTC", "week": {"mon": [["09:00", "24:30"]]}}, "'24:30' is out of range"),
        ({"timezone": "UTC", "week": {"mon": [["9am", "5pm"]]}}, "is not a time like"),
        ({"timezone": "UTC", "week": {"mon": [["09:00"]]}}, "must be a pair"),
        ({"timezone": "UTC", "week": {"mon": "09:00-18:00"}}, "expected a list"),
        ({"timezone": "UTC", "week": {}, "holidays": ["25/12/2026"]}, "not a date"),
        ({"timezone": "UTC", "week": {}, "holidays": "2026-12-25"}, "holidays must be a list"),
        (
            {"timezone": "UTC", "week": {}, "special": {"2026-12-24": [["14:00", "09:00"]]}},
            "special day 2026-12-24: reversed",
        ),
        (
            {
                "timezone": "UTC",
                "week": {},
                "holidays": ["2026-12-24"],
                "special": {"2026-12-24": [["09:00", "14:00"]]},
            },
            "2026-12-24 is both a holiday and a special day",
        ),
        ("not a dict", "must be a JSON object"),
    ],
)
def test_bad_calendars_are_refused_with_the_reason(data, message):
    with pytest.raises(CalendarError, match=message):
        BusinessHours.from_dict(data)


def test_calendar_errors_are_value_errors():
    assert issubclass(CalendarError, ValueError)


def test_naive_and_wrong_inputs_are_refused():
    cal = office()
    naive = datetime(2026, 5, 18, 9, 0)
    with pytest.raises(CalendarError, match="naive"):
        cal.is_open(naive)
    with pytest.raises(CalendarError, match="naive"):
        cal.add_business_time(naive, H)
    with pytest.raises(CalendarError, match="naive"):
        cal.business_time_between(utc(2026, 5, 18), naive)
    with pytest.raises(CalendarError, match="must be a datetime"):
        cal.next_open(date(2026, 5, 18))
    with pytest.raises(CalendarError, match="must not be negative"):
        cal.add_business_time(utc(2026, 5, 18), -H)
    with pytest.raises(CalendarError, match="must be a timedelta"):
        cal.add_business_time(utc(2026, 5, 18), 3600)


def test_a_calendar_never_open_does_not_loop():
    closed = BusinessHours.from_dict({"timezone": "UTC", "week": {}, "holidays": ["2026-01-01"]})
    assert closed.never_open
    with pytest.raises(CalendarError, match="the calendar is never open"):
        closed.add_business_time(utc(2026, 5, 18), H)
    with pytest.raises(CalendarError, match="the calendar is never open"):
        closed.next_open(utc(2026, 5, 18))
    assert closed.business_time_between(utc(2026, 1, 1), utc(2030, 1, 1)) == timedelta(0)
    assert not closed.is_open(utc(2026, 5, 18, 12))
    # Zero business time needs no opening.
    assert closed.add_business_time(utc(2026, 5, 18), timedelta(0)) == utc(2026, 5, 18)


def test_searches_give_up_after_two_years_of_closed_time():
    once = BusinessHours.from_dict(
        {"timezone": "UTC", "week": {}, "special": {"2026-01-05": [["09:00", "10:00"]]}}
    )
    assert not once.never_open
    assert once.add_business_time(utc(2025, 6, 1), H) == utc(2026, 1, 5, 10, 0)
    with pytest.raises(CalendarError, match=f"no open time in the {SEARCH_DAYS} days after"):
        once.add_business_time(utc(2026, 2, 1), H)
    with pytest.raises(CalendarError, match="no open time"):
        once.next_open(utc(2026, 1, 5, 10, 0))
    # Counting between two given instants is bounded by them, not by the search limit.
    assert once.business_time_between(utc(2020, 1, 1), utc(2030, 1, 1)) == H


def test_the_end_of_time_is_an_error_not_an_overflow():
    cal = BusinessHours.always_open()
    with pytest.raises(CalendarError, match="outside the supported date range"):
        cal.add_business_time(datetime.max.replace(tzinfo=UTC), H)


# ---------------------------------------------------------------------------------------
# SLA policies

POLICY = SlaPolicy(
    targets={
        "urgent": Targets(first_response=30 * M, resolution=4 * H),
        "normal": Targets(first_response=4 * H, resolution=3 * 9 * H),
    },
    channels={"whatsapp": {"urgent": Targets(first_response=10 * M)}},
)


def test_deadlines_per_priority_with_a_channel_override():
    cal = office()
    opened = at("Europe/Madrid", 2026, 5, 15, 17, 45)  # Friday, 15 min before closing
    first, resolution = POLICY.deadlines(opened, "urgent", "email", cal)
    assert first == at("Europe/Madrid", 2026, 5, 18, 9, 15)
    assert resolution == at("Europe/Madrid", 2026, 5, 18, 12, 45)
    first, resolution = POLICY.deadlines(opened, "urgent", "whatsapp", cal)
    assert first == at("Europe/Madrid", 2026, 5, 15, 17, 55)  # 10 min, still on Friday
    assert resolution == at("Europe/Madrid", 2026, 5, 18, 12, 45)  # not overridden
    first, resolution = POLICY.deadlines(opened, "normal", None, cal)
    assert first == at("Europe/Madrid", 2026, 5, 18, 12, 45)
    assert resolution == at("Europe/Madrid", 2026, 5, 20, 17, 45)


def test_unknown_priority_is_an_error():
    with pytest.raises(CalendarError, match="no target for priority 'low'"):
        POLICY.deadlines(utc(2026, 5, 18), "low", None, office())


def test_the_state_uses_business_time_and_warns_before_the_breach():
    cal = office()
    opened = at("Europe/Madrid", 2026, 5, 15, 17, 0)  # Friday
    _first, due = POLICY.deadlines(opened, "urgent", None, cal)  # 4 h: Monday 12:00
    assert due == at("Europe/Madrid", 2026, 5, 18, 12, 0)
    # Saturday: only 1 business hour used of 4, although a day has passed.
    saturday = at("Europe/Madrid", 2026, 5, 16, 17, 0)
    assert POLICY.state(due, saturday, opened, cal) == OK
    # Monday 11:11: 3 h 11 min used, under 80 % (3 h 12 min).
    assert POLICY.state(due, at("Europe/Madrid", 2026, 5, 18, 11, 11), opened, cal) == OK
    assert POLICY.state(due, at("Europe/Madrid", 2026, 5, 18, 11, 12), opened, cal) == WARNING
    assert POLICY.state(due, at("Europe/Madrid", 2026, 5, 18, 12, 0), opened, cal) == BREACHED
    assert POLICY.state(due, at("Europe/Madrid", 2026, 5, 19, 9, 0), opened, cal) == BREACHED
    clock = POLICY.clock(due, at("Europe/Madrid", 2026, 5, 18, 11, 30), opened, cal)
    assert (clock.target, clock.elapsed, clock.remaining) == (4 * H, 3.5 * H, 30 * M)
    late = POLICY.clock(due, at("Europe/Madrid", 2026, 5, 18, 13, 0), opened, cal)
    assert late.remaining == -H and late.state == BREACHED


def test_a_paused_case_moves_its_deadline_by_the_business_time_paused():
    cal = office()
    opened = at("Europe/Madrid", 2026, 5, 18, 9, 0)  # Monday
    waiting = (at("Europe/Madrid", 2026, 5, 18, 10, 0), at("Europe/Madrid", 2026, 5, 18, 12, 0))
    weekend = (at("Europe/Madrid", 2026, 5, 16, 0, 0), at("Europe/Madrid", 2026, 5, 18, 0, 0))
    due = deadline_with_pauses(opened, 4 * H, [waiting, weekend], cal)
    assert due == at("Europe/Madrid", 2026, 5, 18, 15, 0)
    # A pause that only covers closed time changes nothing.
    night = (at("Europe/Madrid", 2026, 5, 18, 19, 0), at("Europe/Madrid", 2026, 5, 19, 8, 0))
    assert deadline_with_pauses(opened, 10 * H, [night], cal) == cal.add_business_time(
        opened, 10 * H
    )
    # Overlapping pauses count once.
    twice = [waiting, (at("Europe/Madrid", 2026, 5, 18, 11, 0), waiting[1])]
    assert deadline_with_pauses(opened, 4 * H, twice, cal) == due
    assert paused_business_time(opened, due, twice, cal) == 2 * H
    # A pause still going on stops the clock: no deadline yet.
    ongoing = (at("Europe/Madrid", 2026, 5, 18, 10, 0), None)
    assert deadline_with_pauses(opened, 4 * H, [ongoing], cal) is None
    # ... unless the target was met before it began.
    assert deadline_with_pauses(opened, 30 * M, [ongoing], cal) == opened + 30 * M
    assert paused_business_time(opened, due, [waiting, weekend], cal) == 2 * H
    clock = POLICY.clock(due, at("Europe/Madrid", 2026, 5, 18, 13, 0), opened, cal, [waiting])
    assert (clock.target, clock.elapsed, clock.state) == (4 * H, 2 * H, OK)


def test_bad_pauses_are_refused():
    cal = office()
    with pytest.raises(CalendarError, match="ends before it starts"):
        deadline_with_pauses(utc(2026, 5, 18), H, [(utc(2026, 5, 18, 12), utc(2026, 5, 18))], cal)
    with pytest.raises(CalendarError, match="pair"):
        deadline_with_pauses(utc(2026, 5, 18), H, [utc(2026, 5, 18)], cal)


def test_policy_dict_round_trip():
    data = {
        "warn_at": 0.75,
        "priorities": {
            "urgent": {"first_response": 15, "resolution": 240},
            "low": {"first_response": 1440, "resolution": 7200},
        },
        "channels": {"whatsapp": {"urgent": {"first_response": 5}}},
    }
    policy = SlaPolicy.from_dict(data)
    assert policy.warn_at == 0.75
    assert policy.targets_for("urgent", "whatsapp") == (5 * M, 4 * H)
    assert policy.targets_for("urgent", "x") == (15 * M, 4 * H)
    assert policy.to_dict() == data
    assert SlaPolicy.from_dict(policy.to_dict()) == policy
    assert (
        SlaPolicy.from_dict({"priorities": {"n": {"first_response": 1, "resolution": 2}}}).warn_at
        == 0.8
    )


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: SlaPolicy(targets={}), "at least one priority"),
        (lambda: SlaPolicy(targets={"n": Targets(first_response=H)}), "needs both"),
        (lambda: Targets(first_response=-H), "positive duration"),
        (lambda: Targets(resolution=timedelta(0)), "positive duration"),
        (lambda: SlaPolicy(targets={"n": Targets(H, 2 * H)}, warn_at=0), "warn_at"),
        (lambda: SlaPolicy(targets={"n": Targets(H, 2 * H)}, warn_at=1.5), "warn_at"),
        (lambda: SlaPolicy(targets={"n": Targets(H, 2 * H)}, warn_at=True), "warn_at"),
        (
            lambda: SlaPolicy(targets={"n": Targets(H, 2 * H)}, channels={"x": {"u": Targets()}}),
            "channel 'x' overrides unknown priority 'u'",
        ),
        (lambda: SlaPolicy.from_dict({"priorities": []}), 'needs "priorities"'),
        (
            lambda: SlaPolicy.from_dict({"priorities": {"n": {"first_response": "1h"}}}),
            "positive number of minutes",
        ),
        (
            lambda: SlaPolicy.from_dict({"priorities": {"n": {"first": 1}}}),
            "unknown field",
        ),
        (lambda: SlaPolicy.from_dict({"priorities": {}, "sla": 1}), "unknown SLA policy field"),
    ],
)
def test_bad_policies_are_refused_with_the_reason(make, message):
    with pytest.raises(CalendarError, match=message):
        make()


# ---------------------------------------------------------------------------------------
# Properties

ZONES = (
    "UTC",
    "Europe/Madrid",
    "America/New_York",
    "America/Bogota",
    "America/Santiago",  # changes at midnight
    "America/Havana",  # changes at midnight / 01:00
    "Australia/Lord_Howe",  # 30-minute DST
    "Asia/Kathmandu",  # +05:45
    "Pacific/Chatham",  # +12:45 / +13:45
)
FIRST, LAST = datetime(2025, 1, 1), datetime(2028, 12, 1)


@cache
def transitions(zone_name: str) -> tuple[datetime, ...]:
    """Offset changes of a zone in the test range, found by an hourly scan."""
    zone = ZoneInfo(zone_name)
    found = []
    moment = FIRST.replace(tzinfo=UTC)
    previous = moment.astimezone(zone).utcoffset()
    while moment < LAST.replace(tzinfo=UTC):
        offset = moment.astimezone(zone).utcoffset()
        if offset != previous:
            found.append(moment)
        previous = offset
        moment += H
    return tuple(found)


def clock_text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# Boundaries on quarter hours mostly, any minute sometimes; pairs of sorted distinct points.
points = st.one_of(st.integers(0, 96).map(lambda q: q * 15), st.integers(0, 1440))
day_intervals = st.lists(points, unique=True, max_size=6).map(
    lambda ps: [
        [clock_text(a), clock_text(b)]
        for a, b in zip(sorted(ps)[::2], sorted(ps)[1::2], strict=False)
    ]
)


@st.composite
def instants(draw, zone_name: str, spread: timedelta = 2 * DAY) -> datetime:
    """Any instant in range, or one within `spread` of a DST change (half the time)."""
    near = transitions(zone_name)
    if near and draw(st.booleans()):
        base = draw(st.sampled_from(near))
        return base + draw(st.timedeltas(min_value=-spread, max_value=spread))
    return draw(
        st.datetimes(
            min_value=FIRST,
            max_value=LAST,
            timezones=st.sampled_from([UTC, ZoneInfo(zone_name)]),
            allow_imaginary=False,
        )
    )


@st.composite
def scenarios(draw, spread: timedelta = 2 * DAY):
    """(stored calendar dict, a start instant): holidays and special days near the start."""
    zone_name = draw(st.sampled_from(ZONES))
    week = {day: draw(day_intervals) for day in DAYS}
    if not any(week.values()):
        week["wed"] = [["10:00", "16:30"]]
    start = draw(instants(zone_name, spread))
    local_day = start.astimezone(ZoneInfo(zone_name)).date()
    offsets = draw(st.lists(st.integers(-3, 30), unique=True, max_size=10))
    split = draw(st.integers(0, len(offsets)))
    holidays = [(local_day + timedelta(days=k)).isoformat() for k in offsets[:split]]
    special = {
        (local_day + timedelta(days=k)).isoformat(): draw(day_intervals) for k in offsets[split:]
    }
    data = {"timezone": zone_name, "week": week, "holidays": holidays, "special": special}
    return data, start


def weekly_open(data) -> timedelta:
    total = 0
    for intervals in data["week"].values():
        for a, b in intervals:
            total += int(b[:2]) * 60 + int(b[3:]) - int(a[:2]) * 60 - int(a[3:])
    return total * M


@st.composite
def durations(draw, data, weeks=4) -> timedelta:
    """Up to `weeks` weeks of the calendar's open time, to the microsecond."""
    most = weekly_open(data) * weeks // US
    return draw(st.integers(0, most)) * US


def reference_open(data, moment: datetime) -> bool:
    """Independent of the module: read the local wall clock and the stored dict."""
    wall = moment.astimezone(ZoneInfo(data["timezone"]))
    day = wall.date().isoformat()
    if day in data["special"]:
        intervals = data["special"][day]
    elif day in data["holidays"]:
        intervals = []
    else:
        intervals = data["week"][DAYS[wall.weekday()]]
    shown = wall.strftime("%H:%M:%S")
    return any(f"{a}:00" <= shown < f"{b}:00" for a, b in intervals)


PROPERTY = settings(max_examples=120, deadline=None)


@PROPERTY
@given(st.data())
def test_adding_then_measuring_gives_back_the_duration(data):
    stored, start = data.draw(scenarios())
    cal = BusinessHours.from_dict(stored)
    duration = data.draw(durations(stored))
    due = cal.add_business_time(start, duration)
    assert due >= start
    assert cal.business_time_between(start, due) == duration
    assert cal.remaining(due, start) == duration
    if duration:
        # The deadline is open or an interval's end, and nothing earlier will do.
        assert cal.is_open(due) or cal.is_open(due - US)
        assert cal.business_time_between(start, due - US) < duration


@PROPERTY
@given(st.data())
def test_a_longer_duration_never_gives_an_earlier_deadline(data):
    stored, start = data.draw(scenarios())
    cal = BusinessHours.from_dict(stored)
    one, two = sorted([data.draw(durations(stored)), data.draw(durations(stored))])
    assert cal.add_business_time(start, one) <= cal.add_business_time(start, two)


@PROPERTY
@given(st.data())
def test_adding_in_two_steps_is_adding_the_sum(data):
    stored, start = data.draw(scenarios())
    cal = BusinessHours.from_dict(stored)
    one, two = data.draw(durations(stored, weeks=2)), data.draw(durations(stored, weeks=2))
    assert cal.add_business_time(cal.add_business_time(start, one), two) == cal.add_business_time(
        start, one + two
    )


@PROPERTY
@given(st.data())
def test_business_time_is_additive_and_antisymmetric(data):
    stored, start = data.draw(scenarios())
    cal = BusinessHours.from_dict(stored)
    gaps = [
        data.draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=9)))
        for _ in range(2)
    ]
    a, b, c = start, start + gaps[0], start + gaps[0] + gaps[1]
    ab, bc, ac = (cal.business_time_between(*pair) for pair in ((a, b), (b, c), (a, c)))
    assert ab + bc == ac
    assert cal.business_time_between(c, a) == -ac
    assert timedelta(0) <= ab <= b - a
    spans = cal.open_spans(a, c)
    assert sum((end - begin for begin, end in spans), timedelta(0)) == ac
    assert all(cal.is_open(begin) and cal.is_open(end - US) for begin, end in spans)


@PROPERTY
@given(st.data())
def test_is_open_agrees_with_the_walk(data):
    stored, start = data.draw(scenarios())
    cal = BusinessHours.from_dict(stored)
    assert cal.is_open(start) == reference_open(stored, start)
    following = cal.next_open(start)
    assert (following == start) == cal.is_open(start)
    assert cal.is_open(following)
    assert cal.business_time_between(start, following) == timedelta(0)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_a_minute_by_minute_scan_agrees(data):
    stored, start = data.draw(scenarios(spread=18 * H))
    cal = BusinessHours.from_dict(stored)
    minutes = data.draw(st.integers(1, 36 * 60))
    low = start.astimezone(UTC).replace(second=0, microsecond=0) - M * (minutes // 2)
    scan = [low + M * i for i in range(minutes)]
    truth = [reference_open(stored, moment) for moment in scan]
    assert [cal.is_open(moment) for moment in scan] == truth
    high = low + M * minutes
    assert cal.business_time_between(low, high) == M * sum(truth)
    if any(truth):
        assert cal.next_open(low) == scan[truth.index(True)]
    else:
        assert cal.next_open(low) >= high


@settings(max_examples=60, deadline=None)
@given(scenarios())
def test_random_calendars_round_trip_through_their_dict(scenario):
    stored, _start = scenario
    cal = BusinessHours.from_dict(stored)
    assert BusinessHours.from_dict(cal.to_dict()) == cal


@PROPERTY
@given(st.data())
def test_pauses_are_not_counted(data):
    stored, start = data.draw(scenarios())
    cal = BusinessHours.from_dict(stored)
    target = data.draw(durations(stored, weeks=2))
    pauses = []
    for _ in range(data.draw(st.integers(0, 3))):
        begin = start + M * data.draw(st.integers(-24 * 60, 240 * 60))
        pauses.append((begin, begin + M * data.draw(st.integers(0, 72 * 60))))
    if pauses and data.draw(st.booleans()):  # one more, overlapping the first
        begin, end = pauses[0]
        pauses.append((begin + (end - begin) / 2, end + M * data.draw(st.integers(0, 24 * 60))))
    due = deadline_with_pauses(start, target, pauses, cal)
    assert due >= cal.add_business_time(start, target)
    counted = cal.business_time_between(start, due) - paused_business_time(start, due, pauses, cal)
    assert counted == target
    assert deadline_with_pauses(start, target, [], cal) == cal.add_business_time(start, target)
