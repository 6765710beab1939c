"""Business-hours calendars and SLA deadlines: pure, timezone-aware time arithmetic (issue 8).

No Django here: a calendar is built from the plain dict a JSONField stores, and every
answer is an aware UTC datetime or a timedelta of *business* time.

What "open" means (the one definition everything else follows):
    An instant is open when the local wall clock of the calendar's timezone, at that
    instant, shows a date and a time inside that date's opening intervals. A date's
    intervals are its special-day intervals if it has any entry in `special`, none if it
    is a holiday, else its weekday's intervals. Intervals are half-open: 09:00-18:00 is
    open at 09:00 and closed at 18:00; "24:00" is the end of the day.

Daylight-saving changes follow from that definition, deliberately:
    * Skipped wall times (spring forward, e.g. Europe/Madrid 02:00 -> 03:00) are never
      shown, so nothing is open during them and an interval boundary that falls in the gap
      takes effect at the change itself: 01:00-04:00 that day has 2 real hours, and
      02:30-03:30 opens at 03:00 and has 30 minutes.
    * Repeated wall times (fall back, 03:00 -> 02:00) are shown twice, so an interval that
      covers them is open during both passes: 01:00-04:00 that day has 4 real hours and
      02:15-02:45 is open twice (1 real hour, in two spans).
    * A day a zone skipped entirely (Pacific/Apia, 2011-12-30) has no open time.

Deadlines: `add_business_time(start, d)` is the earliest instant `t >= start` with
`business_time_between(start, t) == d`. So a start outside hours starts counting at the
next opening; a count that ends exactly at a closing returns that closing (Friday 18:00,
not Monday 09:00); a zero duration returns `start` itself. With this definition adding
d1 then d2 is exactly adding d1 + d2.

How it is computed: time is walked one UTC day at a time. Each UTC day is cut into spans
of constant UTC offset (offsets are sampled every 12 hours and each change is located to
the second by bisection, cached per zone and day; two changes undoing each other within
12 hours would be missed, and in tzdata 2026 offset changes are at least four days
apart), and each span's wall-clock range is intersected with the local dates' intervals.
Searches for an opening give up after about two years of closed time with a
`CalendarError` instead of looping.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SEARCH_DAYS = 732  # about two years of closed time before a search gives up
DAY_SECONDS = 86_400

_ZERO = timedelta(0)
_ONE_DAY = timedelta(days=1)
_ONE_SECOND = timedelta(seconds=1)
_SAMPLE = timedelta(hours=12)
_TIME = re.compile(r"(\d{1,2}):(\d{2})")
# The first and last UTC days whose neighbours still fit in a datetime.
_FIRST_DAY = date(1, 1, 3)
_LAST_DAY = date(9999, 12, 29)

Interval = tuple[int, int]  # seconds since local midnight, [start, end)
Span = tuple[datetime, datetime]  # aware UTC instants, [start, end)


class CalendarError(ValueError):
    """A calendar or SLA policy that cannot be built, or a question it cannot answer."""


# ---------------------------------------------------------------------------------------
# Parsing and validation


def _zone(name: object) -> ZoneInfo:
    if not isinstance(name, str) or not name:
        raise CalendarError(f"the timezone must be an IANA name like 'Europe/Madrid', got {name!r}")
    return _load_zone(name)


@lru_cache(maxsize=256)
def _load_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise CalendarError(f"unknown timezone {name!r}") from None


def _parse_time(text: object, where: str, *, end: bool) -> int:
    match = _TIME.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise CalendarError(f'{where}: {text!r} is not a time like "09:00"')
    hours, minutes = int(match[1]), int(match[2])
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not end)):
        raise CalendarError(
            f"{where}: {text!r} is out of range (00:00 to 23:59, and 24:00 only as an end)"
        )
    return hours * 3600 + minutes * 60


def _format_time(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _format_interval(interval: Interval) -> str:
    return f"{_format_time(interval[0])}-{_format_time(interval[1])}"


def _parse_intervals(value: object, where: str) -> tuple[Interval, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise CalendarError(f'{where}: expected a list of ["HH:MM", "HH:MM"] pairs, got {value!r}')
    intervals = []
    for pair in value:
        if isinstance(pair, str | bytes) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise CalendarError(
                f'{where}: an interval must be a pair ["HH:MM", "HH:MM"], got {pair!r}'
            )
        start = _parse_time(pair[0], where, end=False)
        end = _parse_time(pair[1], where, end=True)
        if end <= start:
            raise CalendarError(
                f"{where}: reversed or empty interval {pair[0]}-{pair[1]} (the end must be later)"
            )
        intervals.append((start, end))
    intervals.sort()
    for before, after in pairwise(intervals):
        if after[0] < before[1]:
            raise CalendarError(
                f"{where}: overlapping intervals {_format_interval(before)} and "
                f"{_format_interval(after)}"
            )
    return tuple(intervals)


def _parse_date(value: object, where: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise CalendarError(f"{where}: {value!r} is not a date like 2026-12-25")


def _utc(value: object, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise CalendarError(f"{name} must be a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise CalendarError(f"{name} is a naive datetime; give it a timezone (UTC is fine)")
    return value.astimezone(UTC)


def _duration(value: object, name: str) -> timedelta:
    if not isinstance(value, timedelta):
        raise CalendarError(f"{name} must be a timedelta, got {value!r}")
    return value


# ---------------------------------------------------------------------------------------
# UTC offsets


@lru_cache(maxsize=16_384)
def _pieces(zone_name: str, day: date) -> tuple[tuple[datetime, datetime, timedelta], ...]:
    """The UTC day `day` cut into spans of constant UTC offset in the zone, in order."""
    zone = _load_zone(zone_name)
    start = datetime.combine(day, time(), UTC)
    points = [start, start + _SAMPLE, start + 2 * _SAMPLE]
    offsets = [_offset(zone, point) for point in points]
    if offsets.count(offsets[0]) == len(offsets):
        return ((start, points[-1], offsets[0]),)
    changes: list[tuple[datetime, timedelta]] = []
    for i in range(2):
        changes += _changes(zone, points[i], offsets[i], points[i + 1], offsets[i + 1])
    pieces = []
    low, offset = start, offsets[0]
    for at, new in changes:
        if at >= points[-1]:
            break
        if at > low:
            pieces.append((low, at, offset))
        low, offset = at, new
    pieces.append((low, points[-1], offset))
    return tuple(pieces)


def _offset(zone: ZoneInfo, at: datetime) -> timedelta:
    offset = at.astimezone(zone).utcoffset()
    assert offset is not None  # a ZoneInfo always has one
    return offset


def _changes(
    zone: ZoneInfo, low: datetime, low_offset: timedelta, high: datetime, high_offset: timedelta
) -> list[tuple[datetime, timedelta]]:
    """Offset changes in (low, high], located to the second by bisection."""
    if low_offset == high_offset:
        return []
    seconds = (high - low) // _ONE_SECOND
    if seconds <= 1:
        return [(high, high_offset)]
    middle = low + _ONE_SECOND * (seconds // 2)
    middle_offset = _offset(zone, middle)
    return _changes(zone, low, low_offset, middle, middle_offset) + _changes(
        zone, middle, middle_offset, high, high_offset
    )


# ---------------------------------------------------------------------------------------
# The calendar


class BusinessHours:
    """When a team works: a timezone, weekly intervals, holidays and special days.

    `week` maps "mon".."sun" to lists of ("HH:MM", "HH:MM") intervals (missing days are
    closed); `holidays` are whole local dates closed; `special` maps local dates to their
    own intervals (an empty list closes the day). A date may not be both.
    """

    __slots__ = ("_cache", "_holidays", "_key", "_never_open", "_special", "_week", "_zone")

    def __init__(
        self,
        timezone: str,
        week: Mapping[str, Sequence[Sequence[str]]],
        holidays: Iterable[date | str] = (),
        special: Mapping[date | str, Sequence[Sequence[str]]] | None = None,
    ) -> None:
        self._zone = _zone(timezone)
        if not isinstance(week, Mapping):
            raise CalendarError(f"week must map day names ({', '.join(DAYS)}) to intervals")
        unknown = sorted(str(day) for day in week if day not in DAYS)
        if unknown:
            raise CalendarError(f"unknown day name(s) {', '.join(unknown)}; use {', '.join(DAYS)}")
        self._week = tuple(_parse_intervals(week.get(day, ()), day) for day in DAYS)
        if isinstance(holidays, str | bytes) or not isinstance(holidays, Iterable):
            raise CalendarError("holidays must be a list of dates like 2026-12-25")
        self._holidays = frozenset(_parse_date(day, "holidays") for day in holidays)
        if special is not None and not isinstance(special, Mapping):
            raise CalendarError("special must map dates like 2026-12-24 to intervals")
        days: dict[date, tuple[Interval, ...]] = {}
        for key, value in (special or {}).items():
            day = _parse_date(key, "special")
            if day in days:
                raise CalendarError(f"special day {day.isoformat()} is given twice")
            days[day] = _parse_intervals(value, f"special day {day.isoformat()}")
        both = sorted(self._holidays & days.keys())
        if both:
            raise CalendarError(
                f"{both[0].isoformat()} is both a holiday and a special day; keep one"
            )
        self._special = days
        self._never_open = not any(self._week) and not any(days.values())
        self._key = (
            self._zone.key,
            self._week,
            tuple(sorted(self._holidays)),
            tuple(sorted(days.items())),
        )
        self._cache: dict[date, tuple[Span, ...]] = {}

    # -- building and storing ------------------------------------------------------------

    @classmethod
    def always_open(cls, timezone: str = "UTC") -> BusinessHours:
        """24/7: every instant of every day is open."""
        return cls(timezone, {day: [("00:00", "24:00")] for day in DAYS})

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BusinessHours:
        """Build from the stored shape (see `to_dict`), validating everything."""
        if not isinstance(data, Mapping):
            raise CalendarError("a calendar must be a JSON object")
        unknown = sorted(
            str(key) for key in data if key not in {"timezone", "week", "holidays", "special"}
        )
        if unknown:
            raise CalendarError(f"unknown calendar field(s): {', '.join(unknown)}")
        for required in ("timezone", "week"):
            if required not in data:
                raise CalendarError(f"a calendar needs a {required!r} field")
        return cls(
            data["timezone"],
            data["week"],
            holidays=data.get("holidays") or (),
            special=data.get("special") or {},
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape: timezone, week (all seven days), holidays and special days."""

        def pairs(intervals: tuple[Interval, ...]) -> list[list[str]]:
            return [[_format_time(start), _format_time(end)] for start, end in intervals]

        return {
            "timezone": self._zone.key,
            "week": {
                day: pairs(intervals) for day, intervals in zip(DAYS, self._week, strict=True)
            },
            "holidays": [day.isoformat() for day in sorted(self._holidays)],
            "special": {day.isoformat(): pairs(iv) for day, iv in sorted(self._special.items())},
        }

    @property
    def timezone(self) -> str:
        return self._zone.key

    @property
    def never_open(self) -> bool:
        """True when no weekday and no special day has any opening interval."""
        return self._never_open

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BusinessHours):
            return NotImplemented
        return self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    def __repr__(self) -> str:
        return f"BusinessHours.from_dict({self.to_dict()!r})"

    # -- questions -------------------------------------------------------------------------

    def is_open(self, at: datetime) -> bool:
        """Whether business time runs at the instant `at`."""
        instant = _utc(at, "at")
        try:
            local = instant.astimezone(self._zone)
        except OverflowError:
            raise CalendarError(f"{at!r} is outside the supported date range") from None
        seconds = local.hour * 3600 + local.minute * 60 + local.second
        return any(start <= seconds < end for start, end in self._intervals_on(local.date()))

    def next_open(self, at: datetime) -> datetime:
        """The instant business time next runs: `at` itself when open, in UTC."""
        for start, _end in self._walk(_utc(at, "at")):
            return start
        raise AssertionError("unreachable: _walk raises before it runs dry")  # pragma: no cover

    def add_business_time(self, start: datetime, duration: timedelta) -> datetime:
        """The deadline: the earliest instant by which `duration` of open time has passed."""
        moment = _utc(start, "start")
        left = _duration(duration, "duration")
        if left < _ZERO:
            raise CalendarError(f"duration must not be negative, got {duration}")
        if left == _ZERO:
            return moment
        for low, high in self._walk(moment):
            span = high - low
            if left <= span:
                return low + left
            left -= span
        raise AssertionError("unreachable: _walk raises before it runs dry")  # pragma: no cover

    def business_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Open time in [a, b); negative when b is before a."""
        low, high = _utc(a, "a"), _utc(b, "b")
        if high < low:
            return -self.business_time_between(high, low)
        total = _ZERO
        for start, end in self.open_spans(low, high):
            total += end - start
        return total

    def open_spans(self, a: datetime, b: datetime) -> list[Span]:
        """The open spans inside [a, b), in order (adjacent days' spans may touch)."""
        low, high = _utc(a, "a"), _utc(b, "b")
        spans = []
        if low < high and not self._never_open:
            for start, end in self._walk(low, until=high):
                if start >= high:
                    break
                spans.append((start, min(end, high)))
        return spans

    def remaining(self, deadline: datetime, now: datetime) -> timedelta:
        """Business time left until `deadline` (negative once it has passed)."""
        return self.business_time_between(now, deadline)

    # -- the walk --------------------------------------------------------------------------

    def _intervals_on(self, day: date) -> tuple[Interval, ...]:
        """The local date's opening intervals (seconds since local midnight)."""
        special = self._special.get(day)
        if special is not None:
            return special
        if day in self._holidays:
            return ()
        return self._week[day.weekday()]

    def _walk(self, start: datetime, until: datetime | None = None) -> Iterator[Span]:
        """Open spans ending after `start`, in order, the first clipped to `start`.

        Without `until` the walk goes on while there is open time, and raises when the
        calendar is never open or stays closed for `SEARCH_DAYS`.
        """
        if self._never_open:
            raise CalendarError("the calendar is never open")
        day = start.date()
        closed_days = 0
        while until is None or datetime.combine(day, time(), UTC) < until:
            found = False
            for low, high in self._spans_of_utc_day(day):
                if high > start:
                    found = True
                    yield (max(low, start), high)
            if found:
                closed_days = 0
            elif until is None:
                closed_days += 1
                if closed_days > SEARCH_DAYS:
                    raise CalendarError(
                        f"the calendar has no open time in the {SEARCH_DAYS} days after "
                        f"{start.isoformat()}"
                    )
            day += _ONE_DAY

    def _spans_of_utc_day(self, day: date) -> tuple[Span, ...]:
        """Open spans inside the UTC day `day`, in order, touching spans merged."""
        cached = self._cache.get(day)
        if cached is not None:
            return cached
        if not _FIRST_DAY <= day <= _LAST_DAY:
            raise CalendarError(f"{day.isoformat()} is outside the supported date range")
        spans: list[Span] = []
        for low, high, offset in _pieces(self._zone.key, day):
            local = (low + offset).date()
            last = (high + offset - timedelta(microseconds=1)).date()
            while local <= last:
                # The instant this piece's wall clock shows local midnight.
                midnight = datetime.combine(local, time(), UTC) - offset
                for start, end in self._intervals_on(local):
                    a = max(low, midnight + timedelta(seconds=start))
                    b = min(high, midnight + timedelta(seconds=end))
                    if a < b:
                        if spans and spans[-1][1] == a:
                            spans[-1] = (spans[-1][0], b)
                        else:
                            spans.append((a, b))
                local += _ONE_DAY
        result = tuple(spans)
        if len(self._cache) >= 4096:
            self._cache.clear()
        self._cache[day] = result
        return result


# ---------------------------------------------------------------------------------------
# Pauses (a case waiting on the customer stops its clock)

Pause = tuple[datetime, datetime | None]  # (from, to); to None while the pause goes on


def _merge_pauses(pauses: Iterable[Pause], after: datetime) -> list[Pause]:
    """Validated pauses ending after `after`, sorted and merged; None ends last."""
    items: list[tuple[datetime, datetime | None]] = []
    for pause in pauses:
        if isinstance(pause, str | bytes) or not isinstance(pause, Sequence) or len(pause) != 2:
            raise CalendarError(f"a pause must be a (from, to) pair, got {pause!r}")
        begin = _utc(pause[0], "a pause's start")
        end = None if pause[1] is None else _utc(pause[1], "a pause's end")
        if end is not None and end < begin:
            raise CalendarError(f"a pause ends before it starts: {begin} to {end}")
        if end is None or end > after:
            items.append((max(begin, after), end))
    items.sort(key=lambda item: item[0])
    merged: list[Pause] = []
    for begin, end in items:
        if merged:
            last_begin, last_end = merged[-1]
            if last_end is None:
                break
            if begin <= last_end:
                merged[-1] = (last_begin, None if end is None else max(end, last_end))
                continue
        merged.append((begin, end))
    return merged


def paused_business_time(
    a: datetime, b: datetime, pauses: Iterable[Pause], calendar: BusinessHours
) -> timedelta:
    """Business time in [a, b) that falls inside the pauses (an open pause runs to b)."""
    low, high = _utc(a, "a"), _utc(b, "b")
    total = _ZERO
    for begin, end in _merge_pauses(pauses, low):
        stop = high if end is None else min(end, high)
        if begin < stop:
            total += calendar.business_time_between(begin, stop)
    return total


def deadline_with_pauses(
    start: datetime, target: timedelta, pauses: Iterable[Pause], calendar: BusinessHours
) -> datetime | None:
    """The deadline when business time inside `pauses` does not count.

    None while a pause that began before the deadline is still open (the clock is
    stopped, so there is no deadline yet).
    """
    cursor = _utc(start, "start")
    left = _duration(target, "target")
    if left < _ZERO:
        raise CalendarError(f"the target must not be negative, got {target}")
    for begin, end in _merge_pauses(pauses, cursor):
        if begin > cursor:
            available = calendar.business_time_between(cursor, begin)
            if available >= left:
                return calendar.add_business_time(cursor, left)
            left -= available
        if end is None:
            return None
        cursor = max(cursor, end)
    return calendar.add_business_time(cursor, left)


# ---------------------------------------------------------------------------------------
# SLA policies

OK = "ok"
WARNING = "warning"
BREACHED = "breached"


@dataclass(frozen=True)
class Targets:
    """Business time allowed for a first response and for a resolution.

    In a policy's per-priority table both are required; in a channel override a None
    keeps the priority's own target.
    """

    first_response: timedelta | None = None
    resolution: timedelta | None = None

    def __post_init__(self) -> None:
        for name in ("first_response", "resolution"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, timedelta) or value <= _ZERO):
                raise CalendarError(f"{name} must be a positive duration, got {value!r}")


@dataclass(frozen=True)
class SlaClock:
    """One SLA clock as a page shows it; durations are business time."""

    due: datetime
    target: timedelta
    elapsed: timedelta
    remaining: timedelta
    state: str


@dataclass(frozen=True)
class SlaPolicy:
    """SLA targets per priority, optionally overridden per channel, with a warning point.

    `channels` maps a channel kind to {priority: Targets}; `warn_at` is the fraction of
    the target (in business time) after which a clock turns to "warning".
    """

    targets: Mapping[str, Targets]
    channels: Mapping[str, Mapping[str, Targets]] = field(default_factory=dict)
    warn_at: float = 0.8

    def __post_init__(self) -> None:
        if not isinstance(self.targets, Mapping) or not self.targets:
            raise CalendarError("an SLA policy needs targets for at least one priority")
        for priority, targets in self.targets.items():
            if not isinstance(targets, Targets):
                raise CalendarError(f"priority {priority!r}: targets must be a Targets")
            if targets.first_response is None or targets.resolution is None:
                raise CalendarError(
                    f"priority {priority!r} needs both a first_response and a resolution target"
                )
        if not isinstance(self.channels, Mapping):
            raise CalendarError("channels must map a channel to {priority: targets}")
        for channel, table in self.channels.items():
            if not isinstance(table, Mapping):
                raise CalendarError(f"channel {channel!r}: expected {{priority: targets}}")
            for priority, targets in table.items():
                if priority not in self.targets:
                    raise CalendarError(
                        f"channel {channel!r} overrides unknown priority {priority!r}"
                    )
                if not isinstance(targets, Targets):
                    raise CalendarError(
                        f"channel {channel!r}, priority {priority!r}: targets must be a Targets"
                    )
        warn_at = self.warn_at
        if (
            isinstance(warn_at, bool)
            or not isinstance(warn_at, int | float)
            or not 0 < warn_at <= 1
        ):
            raise CalendarError(
                f"warn_at must be a fraction above 0 and at most 1, got {warn_at!r}"
            )

    def targets_for(self, priority: str, channel: str | None = None) -> tuple[timedelta, timedelta]:
        """(first response, resolution) for a priority on a channel, overrides applied."""
        base = self.targets.get(priority)
        if base is None:
            raise CalendarError(f"the SLA policy has no target for priority {priority!r}")
        override = self.channels.get(channel, {}).get(priority) if channel is not None else None
        first = base.first_response
        resolution = base.resolution
        if override is not None:
            if override.first_response is not None:
                first = override.first_response
            if override.resolution is not None:
                resolution = override.resolution
        assert first is not None and resolution is not None  # checked in __post_init__
        return first, resolution

    def deadlines(
        self, opened_at: datetime, priority: str, channel: str | None, calendar: BusinessHours
    ) -> tuple[datetime, datetime]:
        """(first_response_due, resolution_due) for a case opened at `opened_at`."""
        first, resolution = self.targets_for(priority, channel)
        return (
            calendar.add_business_time(opened_at, first),
            calendar.add_business_time(opened_at, resolution),
        )

    def clock(
        self,
        due: datetime,
        now: datetime,
        started: datetime,
        calendar: BusinessHours,
        pauses: Iterable[Pause] = (),
    ) -> SlaClock:
        """The clock of one target: how much business time it allows, used and has left."""
        due_at, now_at, start_at = _utc(due, "due"), _utc(now, "now"), _utc(started, "started")
        pauses = list(pauses)
        target = calendar.business_time_between(start_at, due_at)
        elapsed = calendar.business_time_between(start_at, now_at)
        if pauses:
            target -= paused_business_time(start_at, due_at, pauses, calendar)
            elapsed -= paused_business_time(start_at, now_at, pauses, calendar)
        if now_at >= due_at:
            state = BREACHED
        elif elapsed >= target * self.warn_at:
            state = WARNING
        else:
            state = OK
        return SlaClock(
            due=due_at, target=target, elapsed=elapsed, remaining=target - elapsed, state=state
        )

    def state(
        self,
        due: datetime,
        now: datetime,
        started: datetime,
        calendar: BusinessHours,
        pauses: Iterable[Pause] = (),
    ) -> str:
        """OK, WARNING (warn_at of the target's business time used) or BREACHED (due passed)."""
        return self.clock(due, now, started, calendar, pauses).state

    # -- storing ---------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SlaPolicy:
        """Build from the stored shape; durations are minutes of business time.

        {"warn_at": 0.8,
         "priorities": {"high": {"first_response": 60, "resolution": 480}},
         "channels": {"whatsapp": {"high": {"first_response": 15}}}}
        """
        if not isinstance(data, Mapping):
            raise CalendarError("an SLA policy must be a JSON object")
        unknown = sorted(
            str(key) for key in data if key not in {"warn_at", "priorities", "channels"}
        )
        if unknown:
            raise CalendarError(f"unknown SLA policy field(s): {', '.join(unknown)}")
        priorities = data.get("priorities")
        if not isinstance(priorities, Mapping):
            raise CalendarError('an SLA policy needs "priorities": {priority: targets}')
        channels = data.get("channels") or {}
        if not isinstance(channels, Mapping):
            raise CalendarError('"channels" must map a channel to {priority: targets}')
        return cls(
            targets={str(p): _targets_from(t, f"priority {p!r}") for p, t in priorities.items()},
            channels={
                str(channel): _channel_from(table, f"channel {channel!r}")
                for channel, table in channels.items()
            },
            warn_at=data.get("warn_at", 0.8),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "warn_at": self.warn_at,
            "priorities": {p: _targets_to(t) for p, t in self.targets.items()},
            "channels": {
                c: {p: _targets_to(t) for p, t in table.items()}
                for c, table in self.channels.items()
            },
        }


def _channel_from(table: object, where: str) -> dict[str, Targets]:
    if not isinstance(table, Mapping):
        raise CalendarError(f"{where}: expected {{priority: targets}}")
    return {str(p): _targets_from(t, f"{where}, priority {p!r}") for p, t in table.items()}


def _targets_from(data: object, where: str) -> Targets:
    if not isinstance(data, Mapping):
        raise CalendarError(f"{where}: expected {{first_response: minutes, resolution: minutes}}")
    unknown = sorted(str(key) for key in data if key not in {"first_response", "resolution"})
    if unknown:
        raise CalendarError(f"{where}: unknown field(s) {', '.join(unknown)}")
    values: dict[str, timedelta | None] = {}
    for name in ("first_response", "resolution"):
        minutes = data.get(name)
        if minutes is None:
            values[name] = None
        elif isinstance(minutes, bool) or not isinstance(minutes, int | float) or not minutes > 0:
            raise CalendarError(f"{where}: {name} must be a positive number of minutes")
        else:
            values[name] = timedelta(minutes=minutes)
    return Targets(**values)


def _targets_to(targets: Targets) -> dict[str, int | float]:
    out: dict[str, int | float] = {}
    for name in ("first_response", "resolution"):
        value = getattr(targets, name)
        if value is not None:
            whole, rest = divmod(value, timedelta(minutes=1))
            out[name] = whole if not rest else value.total_seconds() / 60
    return out
