from datetime import UTC, date, datetime, time

import pytest

from helpdesk.sla.businesstime import Calendar, NoBusinessHours, business_add, business_seconds

NINE_TO_SIX = ((time(9), time(18)),)
PARIS = Calendar(
    time_zone="Europe/Paris",
    periods={day: NINE_TO_SIX for day in range(5)},  # Monday to Friday
    holidays=frozenset({date(2026, 12, 25)}),
)


def paris(*args) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(*args, tzinfo=ZoneInfo("Europe/Paris"))


def test_within_one_day():
    assert business_add(PARIS, paris(2026, 11, 23, 10, 0), 2 * 3600) == paris(2026, 11, 23, 12, 0)


def test_starting_before_opening_counts_from_opening():
    assert business_add(PARIS, paris(2026, 11, 23, 6, 0), 3600) == paris(2026, 11, 23, 10, 0)


def test_across_the_night():
    # Monday 17:00 + 2h = Tuesday 10:00
    assert business_add(PARIS, paris(2026, 11, 23, 17, 0), 2 * 3600) == paris(2026, 11, 24, 10, 0)


def test_across_the_weekend():
    # Friday 17:30 + 1h = Monday 09:30
    assert business_add(PARIS, paris(2026, 11, 27, 17, 30), 3600) == paris(2026, 11, 30, 9, 30)


def test_saturday_start_waits_for_monday():
    assert business_add(PARIS, paris(2026, 11, 28, 11, 0), 60) == paris(2026, 11, 30, 9, 1)


def test_holiday_is_skipped():
    # Thursday 24 Dec 17:00 + 2h: 1h on the 24th, Friday 25th closed, then the weekend,
    # 1h on Monday 28th
    assert business_add(PARIS, paris(2026, 12, 24, 17, 0), 2 * 3600) == paris(2026, 12, 28, 10, 0)


def test_time_zone_is_respected():
    # 08:30 UTC in winter is 09:30 in Paris: half an hour of business time already passed
    start = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
    assert business_add(PARIS, start, 30 * 60) == paris(2026, 11, 23, 10, 0)


def test_dst_change_counts_real_hours():
    always = Calendar.always_open("Europe/Paris")
    # The night of 29 March 2026 lasts 23 hours in Paris: 24 business hours later is 01:00
    start = paris(2026, 3, 29, 0, 0)
    assert business_add(always, start, 24 * 3600) == paris(2026, 3, 30, 1, 0)


def test_business_seconds_over_weekend_and_holiday():
    assert (
        business_seconds(PARIS, paris(2026, 11, 27, 17, 0), paris(2026, 11, 30, 10, 0)) == 2 * 3600
    )
    assert business_seconds(PARIS, paris(2026, 12, 24, 17, 0), paris(2026, 12, 26, 0, 0)) == 3600
    assert (
        business_seconds(PARIS, paris(2026, 11, 30, 10, 0), paris(2026, 11, 27, 17, 0)) == -2 * 3600
    )


def test_add_and_seconds_agree():
    start = paris(2026, 11, 26, 15, 17)
    end = business_add(PARIS, start, 13 * 3600 + 120)
    assert business_seconds(PARIS, start, end) == 13 * 3600 + 120


def test_split_day_periods():
    lunch = Calendar(time_zone="UTC", periods={0: ((time(9), time(12)), (time(14), time(18)))})
    start = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
    assert business_add(lunch, start, 2 * 3600) == datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def test_a_calendar_without_hours_is_an_error():
    with pytest.raises(NoBusinessHours):
        business_add(Calendar(time_zone="UTC"), datetime(2026, 1, 1, tzinfo=UTC), 60)
