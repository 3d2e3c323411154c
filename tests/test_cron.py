"""Cron expressions: five fields, Vixie cron's day rule, errors that name the field."""
import re
from datetime import datetime

import pytest

from oautom import InvalidScheduleError
from oautom.cron import Cron

FRIDAY = datetime(2026, 1, 2, 10, 0)  # 2 January 2026 is a Friday


@pytest.mark.parametrize('expression, after, expected', [
    ('*/5 * * * *', datetime(2026, 1, 1, 12, 3), datetime(2026, 1, 1, 12, 5)),
    ('*/5 * * * *', datetime(2026, 1, 1, 12, 5), datetime(2026, 1, 1, 12, 10)),  # strictly after
    ('*/5 * * * *', datetime(2026, 1, 1, 12, 4, 59), datetime(2026, 1, 1, 12, 5)),
    ('0,30 8-10 * * *', datetime(2026, 1, 1, 10, 30), datetime(2026, 1, 2, 8, 0)),
    ('15 14 1 * *', datetime(2026, 1, 1, 14, 16), datetime(2026, 2, 1, 14, 15)),
    ('0 9 * * mon-fri', FRIDAY, datetime(2026, 1, 5, 9, 0)),
    ('0 0 1 jan *', FRIDAY, datetime(2027, 1, 1, 0, 0)),
    ('0 0 * * 7', FRIDAY, datetime(2026, 1, 4, 0, 0)),   # 7 is Sunday
    ('0 0 * * 0', FRIDAY, datetime(2026, 1, 4, 0, 0)),   # and so is 0
    ('0 0 29 2 *', FRIDAY, datetime(2028, 2, 29, 0, 0)),  # the next leap day
    ('0 12 10-20/5 * *', FRIDAY, datetime(2026, 1, 10, 12, 0)),
    ('59 23 31 dec *', datetime(2026, 12, 31, 23, 59), datetime(2027, 12, 31, 23, 59)),
    ('0 9 * * MON-Fri', FRIDAY, datetime(2026, 1, 5, 9, 0)),  # names in any case
    ('0 0 1 JAN *', FRIDAY, datetime(2027, 1, 1, 0, 0)),
])
def test_next_after(expression, after, expected):
    assert Cron(expression).next_after(after) == expected


def test_a_start_with_a_step_runs_from_that_start_to_the_top_of_the_field():
    # 5/15 is 5-59/15 (Vixie cron), not 5 alone
    assert Cron('5/15 * * * *').minutes == {5, 20, 35, 50}
    assert Cron('0 20/2 * * *').hours == {20, 22}


def test_restricted_day_and_weekday_match_either():
    # Vixie cron: "on the 1st, and on every Monday"
    cron = Cron('0 9 1 * mon')
    assert cron.next_after(datetime(2026, 1, 2, 0, 0)) == datetime(2026, 1, 5, 9, 0)   # a Monday
    assert cron.next_after(datetime(2026, 1, 26, 10, 0)) == datetime(2026, 2, 1, 9, 0)  # the 1st


def test_a_day_field_starting_with_a_star_counts_as_unrestricted():
    # */2 starts with '*': both fields must match, so odd days that are Mondays
    cron = Cron('0 9 */2 * mon')
    assert cron.next_after(datetime(2026, 1, 1, 0, 0)) == datetime(2026, 1, 5, 9, 0)
    assert cron.next_after(datetime(2026, 1, 5, 10, 0)) == datetime(2026, 1, 19, 9, 0)


@pytest.mark.parametrize('expression, field', [
    ('60 * * * *', 'minute'), ('* 24 * * *', 'hour'), ('* * 0 * *', 'day-of-month'),
    ('* * * 13 *', 'month'), ('* * * * 8', 'day-of-week'), ('* * * foo *', 'month'),
    ('5-1 * * * *', 'minute'), ('*/0 * * * *', 'minute'), ('0 0 30 2 *', 'day-of-month'),
    ('0 0 31 apr,jun *', 'day-of-month'),
])
def test_a_bad_field_is_named(expression, field):
    with pytest.raises(InvalidScheduleError, match=f'cron field {field}'):
        Cron(expression)


@pytest.mark.parametrize('expression, message', [
    ('*/0 * * * *', 'cron field minute: step /0 is not allowed; a step is a whole number from 1 '
                    'to 59, as in [*]/5'),
    ('0 0 * * */x', 'cron field day-of-week: step /x is not allowed'),
    ('5/ * * * *', 'cron field minute: step / is not allowed'),
    ('*/ * * * *', 'cron field minute: step / is not allowed'),
    ('² * * * *', "cron field minute: '²' is not allowed"),
    ('50-10 * * * *', "cron field minute: range '50-10' runs backwards; write ranges "
                      'low-high, such as 50-59,0-10$'),
    ('0 0 * * sat-sun', "cron field day-of-week: range 'sat-sun' runs backwards; write ranges "
                        'low-high, such as 6-7 [(]7 is Sunday too[)]'),
    ('0 0 * * fri-tue', 'such as 5-6,0-2$'),
    ('0 0 * * 7-3', 'such as 0-3$'),
    ('0 0 * * sat-mon', 'such as 6,0-1$'),
    ('0 0 31-2 * *', 'such as 31,1-2$'),
    ('*/² * * * *', 'cron field minute: step /² is not allowed'),
    ('0 0 L * *', "cron field day-of-month: 'L' is not allowed"),  # as written, not lowered
    ('0 0 * JANX *', "cron field month: 'JANX' is not allowed"),
    ('0 0 * * SAT-SUN', "cron field day-of-week: range 'SAT-SUN' runs backwards"),
    ('0 0 * * 7-0', r'such as 0 \(Sunday alone\)$'),  # Sunday to Sunday: not "0-0"
    # An item of no known shape is quoted whole: it used to be "'*' is not allowed; use *"
    ('*-5 * * * *', "cron field minute: '[*]-5' is no value, range or step; write a value "
                    r'\(5\), a range \(1-5\), [*] or a step \([*]/15, 1-30/5\), or a list of '
                    r'them \(1,15\)$'),
    ('5-* * * * *', "'5-[*]' is no value, range or step"),
    ('1-2-3 * * * *', "'1-2-3' is no value"),  # not its '2-3'
    ('-5 * * * *', "'-5' is no value"),
    ('1-/2 * * * *', "'1-/2' is no value"),
    ('/5 * * * *', "'/5' is no value"),
    ('1,,2 * * * *', "cron field minute: '1,,2' has an empty item"),
])
def test_a_bad_step_or_range_says_how_to_write_it(expression, message):
    with pytest.raises(InvalidScheduleError, match=message):
        Cron(expression)


@pytest.mark.parametrize('preset, fields', [('@daily', '0 0 * * *'), (' @HOURLY', '0 * * * *'),
                                            ('@weekly', '0 0 * * 0')])
def test_a_cron_preset_is_refused_with_the_fields_it_stands_for(preset, fields):
    with pytest.raises(InvalidScheduleError, match=f"presets such as .* are not supported; "
                                                   f"write its 5 fields: '{re.escape(fields)}'"):
        Cron(preset)


@pytest.mark.parametrize('word', ['@reboot', ' @every 5m'])
def test_a_shorthand_that_names_no_time_is_refused_as_such(word):
    with pytest.raises(InvalidScheduleError) as refusal:
        Cron(word)
    assert str(refusal.value) == (f'cron expression {word.strip()!r} names no time that oautom '
                                  'knows: write 5 fields: minute hour day-of-month month '
                                  "day-of-week, such as '0 0 * * *' (what @daily stands for)")


@pytest.mark.parametrize('expression, found', [('* * * *', ' (it has 4)'),
                                               ('0,  5 * * * *', ' (it has 6)'),
                                               ('', ' (it has 0)'),
                                               (None, ', as a string (not NoneType)')])
def test_five_fields_are_required_and_the_count_found_is_said(expression, found):
    with pytest.raises(InvalidScheduleError) as refusal:
        Cron(expression)
    assert str(refusal.value) == (f'cron expression {expression!r} must have 5 fields{found}: '
                                  'minute hour day-of-month month day-of-week, such as '
                                  '"*/5 * * * *"')


def test_an_impossible_day_is_fine_when_a_weekday_can_fire():
    assert Cron('0 0 30 2 mon').next_after(FRIDAY) == datetime(2026, 2, 2, 0, 0)  # Mondays in Feb


def test_schedule_errors_are_value_errors():
    with pytest.raises(ValueError):
        Cron('nope')


def test_the_search_spans_the_calendar_cycle():
    # Feb 29 on a Sunday: 2088, then not again until 2128
    assert Cron('0 0 29 2 */7').next_after(datetime(2089, 3, 1)) == datetime(2128, 2, 29)
