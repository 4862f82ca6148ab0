"""Business-hours arithmetic: pure functions over a weekly calendar, holidays and a time zone.

All arithmetic is done on UTC instants; local wall-clock times are only used to place the
opening periods, so DST changes shorten or lengthen the day exactly as a clock on the wall
would.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_DAYS = 3 * 366  # never search further for business time than this


@dataclass(frozen=True)
class Calendar:
    """``periods[weekday]`` lists (opens, closes) local times; Monday is 0. ``closes`` may be
    ``time(0)`` to mean midnight at the end of the day."""

    time_zone: str = "UTC"
    periods: dict[int, tuple[tuple[time, time], ...]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()

    @classmethod
    def always_open(cls, time_zone: str = "UTC") -> Calendar:
        day = ((time(0), time(0)),)
        return cls(time_zone=time_zone, periods=dict.fromkeys(range(7), day))

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def intervals_from(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Business intervals (UTC) that end after ``start``, in time order."""
        tz = self.tz
        day = start.astimezone(tz).date() - timedelta(days=1)
        for _ in range(MAX_DAYS + 2):
            if day not in self.holidays:
                for opens, closes in sorted(self.periods.get(day.weekday(), ())):
                    begin = datetime.combine(day, opens, tzinfo=tz).astimezone(UTC)
                    close_day = day + timedelta(days=1) if closes == time(0) else day
                    end = datetime.combine(close_day, closes, tzinfo=tz).astimezone(UTC)
                    if end > start and end > begin:
                        yield max(begin, start), end
            day += timedelta(days=1)


class NoBusinessHours(ValueError):
    pass


def business_add(calendar: Calendar, start: datetime, seconds: float) -> datetime:
    """The instant when ``seconds`` of business time have passed after ``start``."""
    start = start.astimezone(UTC)
    remaining = timedelta(seconds=seconds)
    if remaining <= timedelta(0):
        return start
    for begin, end in calendar.intervals_from(start):
        available = end - begin
        if remaining <= available:
            return begin + remaining
        remaining -= available
    raise NoBusinessHours("The calendar has no business hours in the next three years.")


def business_seconds(calendar: Calendar, start: datetime, end: datetime) -> float:
    """Business time between two instants, in seconds (negative if ``end`` is earlier)."""
    if end < start:
        return -business_seconds(calendar, end, start)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    total = timedelta(0)
    for begin, close in calendar.intervals_from(start):
        if begin >= end:
            break
        total += min(close, end) - begin
    return total.total_seconds()


def next_open(calendar: Calendar, at: datetime) -> datetime | None:
    """The first business instant at or after ``at`` (``at`` itself while open; holidays are
    closed), or None when the calendar never opens again within three years."""
    at = at.astimezone(UTC)
    for begin, _end in calendar.intervals_from(at):
        return begin
    return None


def is_open(calendar: Calendar, at: datetime) -> bool:
    return next_open(calendar, at) == at.astimezone(UTC)
