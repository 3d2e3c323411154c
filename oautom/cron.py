"""Cron expressions: five fields that say at which minutes a plan fires.

    ┌ minute              0-59
    │ ┌ hour              0-23
    │ │ ┌ day-of-month    1-31
    │ │ │ ┌ month         1-12, jan-dec
    │ │ │ │ ┌ day-of-week 0-7, sun-sat  (0 and 7 are both Sunday)
    * * * * *

Each field is `*`, a number, a range `a-b`, a step `*/n` or `a-b/n` (or
`a/n`, from a to the top: `5/15` is 5, 20, 35, 50), or a comma-separated list
of those. As in Vixie cron, when both the day-of-month and the day-of-week
are restricted (the field does not start with `*`), a date matches if
*either* matches: `0 9 1 * mon` is "9:00 on the 1st and on every Monday".
Otherwise both must match: a field that starts with `*` still filters, so
`0 9 */2 * mon` is "9:00 on the Mondays of odd dates".

`Cron('*/5 * * * *').next_after(dt)` is pure: it reads no clock.

The fields name moments of local wall-clock time, and `next_firing` finds
the real moment they name. When clocks go forward, a time in the hour they
skip fires as the new time writes it (02:30 becomes 03:30). When they go
back, a time in the hour they go back over fires once: at its first pass,
or at its second for a plan made once the clocks were back. But for an
expression that fires in every hour: `*/20 * * * *` fires in both passes,
every 20 minutes as ever (Vixie cron and Airflow do the same).
"""
import math
import time
from datetime import datetime, timedelta

from .errors import InvalidScheduleError

# name, lowest, highest, word aliases of the values from `lowest` on (jan is 1)
FIELDS = (
    ('minute', 0, 59, ()),
    ('hour', 0, 23, ()),
    ('day-of-month', 1, 31, ()),
    ('month', 1, 12, ('jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct',
                      'nov', 'dec')),
    ('day-of-week', 0, 7, ('sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat')),
)
SHIFT = timedelta(hours=3)  # more than daylight saving moves local time (1 hour; 2 at Troll)
LONGEST_MONTH = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31,
                 11: 30, 12: 31}


# Vixie cron's shorthands, which Airflow takes too: refused, with the 5 fields they stand for.
PRESETS = {'@yearly': '0 0 1 1 *', '@annually': '0 0 1 1 *', '@quarterly': '0 0 1 */3 *',
           '@monthly': '0 0 1 * *', '@weekly': '0 0 * * 0', '@daily': '0 0 * * *',
           '@midnight': '0 0 * * *', '@hourly': '0 * * * *'}


class Cron:
    """A parsed cron expression."""

    def __init__(self, expression):
        if isinstance(expression, str) and expression.strip().lower() in PRESETS:
            raise InvalidScheduleError(
                f'cron presets such as {expression.strip()!r} are not supported; write its 5 '
                f'fields: {PRESETS[expression.strip().lower()]!r}')
        if isinstance(expression, str) and expression.strip().startswith('@'):  # '@reboot'
            raise InvalidScheduleError(
                f'cron expression {expression.strip()!r} names no time that oautom knows: write '
                "5 fields: minute hour day-of-month month day-of-week, such as '0 0 * * *' "
                '(what @daily stands for)')
        if not isinstance(expression, str) or len(expression.split()) != 5:
            found = f' (it has {len(expression.split())})' if isinstance(expression, str) else \
                f', as a string (not {type(expression).__name__})'
            raise InvalidScheduleError(
                f'cron expression {expression!r} must have 5 fields{found}: minute hour '
                f'day-of-month month day-of-week, such as "*/5 * * * *"')
        self.expression = expression
        fields = expression.split()  # aliases (jan, mon) in any case: see _number
        self.minutes, self.hours, self.days, self.months, weekdays = (
            _parse(text, *spec) for text, spec in zip(fields, FIELDS))
        self.weekdays = {day % 7 for day in weekdays}  # 7 is Sunday too
        # Vixie cron: a field that starts with '*' counts as unrestricted.
        self.days_restricted = not fields[2].startswith('*')
        self.weekdays_restricted = not fields[4].startswith('*')
        if self.days_restricted and not self.weekdays_restricted and not any(
                day <= LONGEST_MONTH[month] for day in self.days for month in self.months):
            raise InvalidScheduleError(
                f'cron field day-of-month: {fields[2]!r} never occurs in month {fields[3]!r}, so '
                f'{expression!r} would never fire; pick days that the months have')

    def matches_day(self, moment):
        """True if the date of `moment` is one this expression fires on."""
        if moment.month not in self.months:
            return False
        day_ok = moment.day in self.days
        weekday_ok = moment.isoweekday() % 7 in self.weekdays  # Sunday is 0
        if self.days_restricted and self.weekdays_restricted:
            return day_ok or weekday_ok
        return day_ok and weekday_ok

    def next_after(self, moment):
        """The first minute strictly after `moment` at which this expression fires."""
        moment = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        for _ in range(366 * 400):  # days: a whole Gregorian cycle, the calendar's period
            if not self.matches_day(moment):
                moment = datetime(moment.year, moment.month, moment.day) + timedelta(days=1)
                continue
            for hour in sorted(h for h in self.hours if h >= moment.hour):
                first = moment.minute if hour == moment.hour else 0
                minutes = [m for m in sorted(self.minutes) if m >= first]
                if minutes:
                    return moment.replace(hour=hour, minute=minutes[0])
            moment = datetime(moment.year, moment.month, moment.day) + timedelta(days=1)
        raise InvalidScheduleError(f'cron expression {self.expression!r} never fires')

    def next_firing(self, seconds, made):
        """Epoch seconds of the first firing strictly after epoch `seconds` (see the top), for
        a plan made at epoch `made`. Near a clock change, the order of wall-clock times is
        not the order of the moments they name: the moments named from SHIFT before
        `seconds` on are weighed, until every one still to weigh is known to come later than
        the earliest found."""
        now, shift = datetime.fromtimestamp(seconds), SHIFT.total_seconds()
        coming = self.next_after(now).timestamp()
        if _utc_offset(seconds - shift) == _utc_offset(seconds + shift) and \
                _utc_offset(coming - shift) == _utc_offset(coming + shift):
            return coming  # the usual case: no clock change near, wall-clock order is real
        moment, earliest = now - SHIFT, math.inf
        while True:
            moment = self.next_after(moment)
            first, second = (moment.replace(fold=fold).timestamp() for fold in (0, 1))
            if first - shift > earliest:  # any later time names a later moment
                return earliest
            # A time of the hour clocks go back over names two moments (second > first): the
            # second fires too for a cron of every hour, or for a plan made between the two
            # once the clock was back (fold 1). Not because a late tick fired it in between.
            again = second > first and (len(self.hours) == 24 or first < made < second and
                                        datetime.fromtimestamp(made).fold == 1)
            for firing in (first, second) if again else (first,):
                if seconds < firing < earliest:
                    earliest = firing

    def __repr__(self):
        return f'<Cron {self.expression!r}>'


def _utc_offset(seconds):
    """Seconds that local time is ahead of UTC at epoch `seconds`."""
    return time.localtime(seconds).tm_gmtoff


def _parse(text, name, lowest, highest, aliases):
    """The set of values a field allows."""
    values = set()
    for part in text.split(','):
        span, slash, step_text = part.partition('/')
        if not span or span.count('-') > 1 or span.strip('-') != span or (
                '*' in span and span != '*'):
            raise _malformed(name, text, part)
        step = _step(step_text, name, highest) if slash else 1
        if span == '*':
            first, last = lowest, highest
        elif '-' in span:
            start, _, end = span.partition('-')
            first, last = (_number(bound, name, lowest, highest, aliases) for bound in (start, end))
            if first > last:
                raise _backwards(name, span, (first, last), (lowest, highest))
        else:
            first = _number(span, name, lowest, highest, aliases)
            last = highest if slash else first  # '5/15' means 5, 20, 35, ...
        values.update(range(first, last + 1, step))
    return values


def _backwards(name, span, ends, bounds):
    """The error for a range written high-low (`ends`: first, last), saying how to write the
    wrap-around meant within the field's `bounds` (lowest, highest)."""
    (first, last), (lowest, highest) = ends, bounds
    if name == 'day-of-week' and first == 7:  # Sunday written as 7, then the days after it
        fix = _span(0, last) if last else '0 (Sunday alone)'
    elif name == 'day-of-week' and last == 0:  # the days up to Sunday, written as 0
        fix = f'{first}-7 (7 is Sunday too)'
    elif name == 'day-of-week':
        fix = f'{_span(first, 6)},{_span(0, last)}'
    else:
        fix = f'{_span(first, highest)},{_span(lowest, last)}'
    return InvalidScheduleError(f'cron field {name}: range {span!r} runs backwards; write '
                                f'ranges low-high, such as {fix}')


def _malformed(name, text, part):
    """The error for an item of a field's list that is no value, range or step."""
    what = f'{text!r} has an empty item' if not part else f'{part!r} is no value, range or step'
    return InvalidScheduleError(f'cron field {name}: {what}; write a value (5), a range (1-5), '
                                '* or a step (*/15, 1-30/5), or a list of them (1,15)')


def _span(first, last):
    """'first-last', or just 'first' when they are the same."""
    return str(first) if first == last else f'{first}-{last}'


def _step(text, name, highest):
    if not _is_number(text) or not 1 <= int(text) <= highest:
        raise InvalidScheduleError(f'cron field {name}: step /{text} is not allowed; a step '
                                   f'is a whole number from 1 to {highest}, as in */5')
    return int(text)


def _number(text, name, lowest, highest, aliases):
    if text.lower() in aliases:
        return lowest + aliases.index(text.lower())
    if not _is_number(text) or not lowest <= int(text) <= highest:
        allowed = f'{lowest}-{highest}' + (f' or {aliases[0]}-{aliases[-1]}' if aliases else '')
        raise InvalidScheduleError(f'cron field {name}: {text!r} is not allowed; use {allowed}, '
                                   f'*, ranges a-b, steps */n and lists a,b')
    return int(text)


def _is_number(text):
    """Digits 0-9 only: str.isdigit() alone takes '²' too, which int() refuses."""
    return text.isascii() and text.isdigit()
