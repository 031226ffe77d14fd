"""Cron expressions as the panel's library reads them: fields, names, steps, ranges and the L/W/# specials;
``cron_next_run`` finds the next matching minute."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any


class CronError(ValueError):
    """The expression does not evaluate (the panel answers 400 "...does not evaluate to a valid expression.")."""


_MONTH_NAMES = {
    name: index
    for index, name in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1
    )
}
_DAY_NAMES = {name: index for index, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}
# (position name, lowest, highest, names)
_CRON_FIELDS: list[tuple[str, int, int, dict[str, int]]] = [
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day_of_month", 1, 31, {}),
    ("month", 1, 12, _MONTH_NAMES),
    ("day_of_week", 0, 7, _DAY_NAMES),
]


@dataclass
class CronField:
    values: set[int]
    wildcard: bool
    # Day-of-month specials: "L" (last day), "LW" (last weekday), nW (nearest weekday).
    last_day: bool = False
    last_weekday: bool = False
    nearest_weekday: set[int] = field(default_factory=set)
    # Day-of-week specials: nL (last n-day of the month), n#k (k-th n-day).
    last_of_weekday: set[int] = field(default_factory=set)
    nth_weekday: set[tuple[int, int]] = field(default_factory=set)


def _cron_value(text: str, low: int, high: int, names: dict[str, int]) -> int:
    upper = text.upper()
    if upper in names:
        return names[upper]
    if not re.fullmatch(r"\d+", text):
        raise CronError(text)
    number = int(text)
    if number < low or number > high:
        raise CronError(text)
    return number


def parse_cron_field(text: str, position: int) -> CronField:
    name, low, high, names = _CRON_FIELDS[position]
    if text in ("*", "?") and (text == "*" or name in ("day_of_month", "day_of_week")):
        return CronField(set(range(low, high + 1)), wildcard=True)
    result = CronField(set(), wildcard=False)
    for part in text.split(","):
        if part == "":
            raise CronError(text)
        upper = part.upper()
        if name == "day_of_month" and upper == "L":
            result.last_day = True
            continue
        if name == "day_of_month" and upper == "LW":
            result.last_weekday = True
            continue
        if name == "day_of_month" and re.fullmatch(r"\d{1,2}W", upper):
            result.nearest_weekday.add(_cron_value(upper[:-1], 1, 31, {}))
            continue
        if name == "day_of_week" and re.fullmatch(r"(\d|[A-Z]{3})L", upper):
            result.last_of_weekday.add(_cron_value(upper[:-1], 0, 7, names) % 7)
            continue
        if name == "day_of_week" and re.fullmatch(r"(\d|[A-Z]{3})#[1-5]", upper):
            day, nth = upper.split("#")
            result.nth_weekday.add((_cron_value(day, 0, 7, names) % 7, int(nth)))
            continue
        range_text, _unused, step_text = part.partition("/")
        step = 1
        if _unused:
            if not re.fullmatch(r"\d+", step_text) or int(step_text) < 1:
                raise CronError(text)
            step = int(step_text)
        if range_text == "*":
            start, end = low, high
        elif "-" in range_text:
            first, _unused, last = range_text.partition("-")
            start, end = _cron_value(first, low, high, names), _cron_value(last, low, high, names)
        else:
            start = _cron_value(range_text, low, high, names)
            end = high if _unused else start
        result.values.update(range(start, end + 1, step))
    if name == "day_of_week" and 7 in result.values:
        result.values.discard(7)
        result.values.add(0)
    return result


def _nearest_weekday(year: int, month: int, day: int) -> int | None:
    last = calendar.monthrange(year, month)[1]
    if day > last:
        return None
    weekday = calendar.weekday(year, month, day)  # Monday = 0
    if weekday < 5:
        return day
    if weekday == 5:  # Saturday -> Friday, or Monday when the 1st
        return day - 1 if day > 1 else day + 2
    return day + 1 if day < last else day - 2  # Sunday -> Monday, or Friday at the month's end


def _day_matches(dom: CronField, dow: CronField, year: int, month: int, day: int) -> bool:
    last = calendar.monthrange(year, month)[1]
    cron_weekday = (calendar.weekday(year, month, day) + 1) % 7  # Sunday = 0

    def dom_match() -> bool:
        if day in dom.values or (dom.last_day and day == last):
            return True
        if dom.last_weekday:
            target = last
            while calendar.weekday(year, month, target) >= 5:
                target -= 1
            if day == target:
                return True
        return any(_nearest_weekday(year, month, wanted) == day for wanted in dom.nearest_weekday)

    def dow_match() -> bool:
        if cron_weekday in dow.values:
            return True
        if cron_weekday in dow.last_of_weekday and day + 7 > last:
            return True
        return (cron_weekday, (day - 1) // 7 + 1) in dow.nth_weekday

    if dom.wildcard and dow.wildcard:
        return True
    if dom.wildcard:
        return dow_match()
    if dow.wildcard:
        return dom_match()
    return dom_match() or dow_match()  # both restricted: either one matches, like cron


def cron_next_run(minute: Any, hour: Any, day_of_month: Any, month: Any, day_of_week: Any, after: float) -> float:
    """The next matching minute strictly after ``after`` (UTC epoch seconds). Raises CronError when invalid or
    impossible (the panel's library gives up after a bounded search as well)."""
    parts = [str(minute), str(hour), str(day_of_month), str(month), str(day_of_week)]
    expression = " ".join(parts).split()
    if len(expression) != 5:
        raise CronError("wrong number of parts")
    fields = [parse_cron_field(text, position) for position, text in enumerate(expression)]
    minutes, hours, dom, months, dow = fields
    start = datetime.fromtimestamp(int(after) - int(after) % 60, tz=UTC) + timedelta(minutes=1)
    day = start.date()
    for _unused in range(366 * 8):
        if day.month in months.values and _day_matches(dom, dow, day.year, day.month, day.day):
            for hour_value in sorted(hours.values):
                for minute_value in sorted(minutes.values):
                    candidate = datetime(day.year, day.month, day.day, hour_value, minute_value, tzinfo=UTC)
                    if candidate >= start:
                        return candidate.timestamp()
        day += timedelta(days=1)
    raise CronError("impossible expression")
