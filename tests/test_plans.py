"""Plans start a flow every interval (on a fixed grid) or on a cron expression."""
import logging
import os
import pathlib
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta
from fractions import Fraction
from types import MappingProxyType

import pytest

from oautom import (Flow, FlowIntegrityError, InvalidParamsError, InvalidScheduleError, OAutom,
                    OAutomError, OAutomMode, Plan, UnknownFlowError)
from oautom.clock import FakeClock
from oautom.plans import LONGEST_WAIT, SET_BACK
from helpers import Scripted

NOON = datetime(2026, 1, 1, 12, 0)  # FakeClock's start
ROOT = pathlib.Path(__file__).parents[1]


@pytest.fixture(name='app')
def app_fixture():
    app = OAutom(mode=OAutomMode.step, clock=FakeClock(start=NOON))
    Scripted('a', Flow('etl', app=app, params={'limit': 10}))
    return app


def vect_ids(app):
    return sorted(status['id'] for status in app.logs())


def at(app, hour, minute):
    """Move the fake clock to hour:minute on the first day, then tick."""
    app.clock.advance((datetime(2026, 1, 1, hour, minute) - app.clock.now()).total_seconds())
    app.tick()


def test_an_interval_plan_fires_one_interval_after_it_was_made(app):
    plan = app.plan('etl', minutes=10)
    assert isinstance(plan, Plan) and plan.flow_name == 'etl'
    assert plan.next_run == datetime(2026, 1, 1, 12, 10)
    at(app, 12, 9)
    assert vect_ids(app) == []
    at(app, 12, 10)
    assert vect_ids(app) == ['etl.1']
    assert plan.next_run == datetime(2026, 1, 1, 12, 20)


def test_a_late_firing_keeps_the_grid_and_skips_what_it_missed(app):
    plan = app.plan('etl', minutes=10)
    at(app, 12, 43)  # 12:10, 12:20, 12:30 and 12:40 all passed while nothing ticked
    assert vect_ids(app) == ['etl.1']
    assert plan.next_run == datetime(2026, 1, 1, 12, 50)


def test_a_fake_clock_moved_by_the_interval_meets_every_firing(app):
    # Float rounding put every other firing of this grid a hair past the clock's reading:
    # the plan missed it, and fired one interval late
    app.clock.advance(0.2)
    app.plan('etl', seconds=0.2)
    for firing in range(1, 9):
        app.clock.advance(0.2)
        app.tick()  # its vect, started now, ends in the next tick, which is the next firing's
        assert len(app.logs()) == firing
        app.tick()


def test_next_after_a_firing_is_the_one_after_it_even_off_the_microsecond(app):
    app.clock.advance(0.0000004)  # a plan made at a time with more digits than a datetime
    plan = app.plan('etl', hours=1)
    firings = [plan.next_run]
    for _ in range(3):
        firings.append(plan.next_after(firings[-1]))
    assert [firing.hour for firing in firings] == [13, 14, 15, 16]


def test_next_after_is_pure(app):
    plan = app.plan('etl', hours=1, minutes=30)
    assert plan.next_after(datetime(2026, 1, 1, 14, 0)) == datetime(2026, 1, 1, 15, 0)
    assert plan.next_after(datetime(2026, 1, 1, 15, 0)) == datetime(2026, 1, 1, 16, 30)
    assert plan.next_run == datetime(2026, 1, 1, 13, 30)


@pytest.mark.parametrize('schedule', [{'hours': 1}, {'cron': '0 0 * * *'}])
def test_next_after_the_end_of_the_calendar_says_so(app, schedule):
    plan = app.plan('etl', **schedule)
    for moment in (datetime(9999, 12, 31, 23, 30), datetime(9999, 12, 31, 23, 59, 59)):
        with pytest.raises(OAutomError) as refusal:
            plan.next_after(moment)
        assert str(refusal.value) == (f"plan of flow 'etl' has no firing after {moment}: "
                                      'datetimes end with the year 9999')


@pytest.mark.parametrize('schedule', [{'days': 1}, {'cron': '0 0 * * *'}])
def test_a_plan_at_the_end_of_the_calendar_fires_its_last_time_then_is_over(schedule, caplog):
    app = OAutom(mode=OAutomMode.step, clock=FakeClock(start=datetime(9999, 12, 30, 12)))
    Scripted('a', Flow('etl', app=app))
    plan = app.plan('etl', **schedule)  # once more on the 31st, and never again
    app.clock.advance(86400)
    app.tick()
    app.tick()
    assert vect_ids(app) == ['etl.1'] and plan.cancelled and app.plans() == []
    assert "plan of flow 'etl' is over: datetimes end in 9999" in caplog.text
    app.clock.advance(3600)
    app.tick()  # the engine goes on (its tick used to fail on an OverflowError, at each tick)
    with pytest.raises(InvalidScheduleError, match=r"^plan of flow 'etl' has no firing after "
                                                   r'9999-12-31 13:00:00: datetimes end in '
                                                   r'9999$'):
        app.plan('etl', **schedule)


def test_next_after_a_moment_too_early_for_a_time_stamp_says_so(app):
    with pytest.raises(OAutomError, match='^plan.next_after cannot convert 0001-01-01 05:00:00 '
                                          'to a time stamp: give a moment after the year 1$'):
        app.plan('etl', hours=1).next_after(datetime(1, 1, 1, 5))


def test_next_after_takes_a_datetime_and_says_so(app):
    plan = app.plan('etl', hours=1)
    with pytest.raises(OAutomError, match=r'plan.next_after takes a datetime, not date '
                                          r'datetime.date\(2026, 1, 1\); make one with '
                                          r'datetime.combine\(day, time\(\)\)'):
        plan.next_after(date(2026, 1, 1))
    with pytest.raises(OAutomError, match=r"^plan.next_after takes a datetime, not str "
                                          r"'2026-01-01'$"):
        plan.next_after('2026-01-01')


def test_a_cron_plan_fires_on_its_expression(app):
    plan = app.plan('etl', cron='*/5 * * * *')
    assert plan.next_run == datetime(2026, 1, 1, 12, 5)
    at(app, 12, 5)
    assert vect_ids(app) == ['etl.1']
    assert plan.next_run == datetime(2026, 1, 1, 12, 10)


def test_a_firing_that_finds_the_flow_running_is_skipped_and_logged(app, caplog):
    app.flow('etl').execution('a').script = [False]  # never finishes
    app.plan('etl', minutes=10)
    at(app, 12, 10)
    with caplog.at_level(logging.WARNING, logger='oautom'):
        at(app, 12, 20)
    assert vect_ids(app) == ['etl.1']
    assert "plan of flow 'etl' skipped its firing: its vect etl.1, started 12:10:00, is still " \
           'running' in caplog.text


def test_a_skipped_firing_names_the_day_its_vect_started_on_when_that_is_not_today(app,
                                                                                      caplog):
    app.flow('etl').execution('a').script = [False]  # never finishes
    app.plan('etl', days=1)
    for _ in range(2):
        app.clock.advance(86400)
        app.tick()
    assert "its vect etl.1, started 2026-01-02 12:00:00, is still running" in caplog.text


def test_the_plan_params_reach_the_vect(app):
    app.plan('etl', seconds=30, params={'limit': '25'})
    app.clock.advance(30)
    app.tick()
    assert app.logs()[0]['params'] == {'limit': 25}


def test_a_cancelled_plan_never_fires(app):
    plan = app.plan('etl', minutes=1)
    assert app.plans() == [plan]
    plan.cancel()
    assert app.plans() == []
    at(app, 13, 0)
    assert vect_ids(app) == []


def test_stop_cancels_the_plans(app):
    app.plan('etl', minutes=1)
    app.stop()
    assert app.plans() == []


@pytest.mark.parametrize('options, message', [
    ({}, 'needs an interval'), ({'minutes': 0}, 'needs an interval'),
    ({'minutes': -5}, 'minutes must be'), ({'hours': 'one'}, 'hours must be'),
    ({'seconds': Fraction(1, 2)}, r'seconds must be an int or a float, finite, 0 or more; not '
                                  r'Fraction\(1, 2\)$'),  # (said to be no number, before)
    ({'minutes': 5, 'cron': '* * * * *'}, 'not both'),
    ({'cron': '0 0 30 2 *'}, 'cron field day-of-month'),
])
def test_a_bad_schedule_is_refused(app, options, message):
    with pytest.raises(InvalidScheduleError, match=message):
        app.plan('etl', **options)
    assert app.plans() == []


def test_an_interval_too_small_for_a_grid_is_refused_not_looped_on_for_ever(app):
    refused = []

    def plan():
        with pytest.raises(InvalidScheduleError, match=r'^an interval of 1e-20 s is shorter '
                                                        r'than 0.001 s; give a longer one$'):
            app.plan('etl', seconds=1e-20)
        refused.append(True)
    thread = threading.Thread(target=plan, daemon=True)  # a regression hangs: not the suite
    thread.start()
    thread.join(10)
    assert refused == [True]


def test_the_shortest_interval_is_taken(app):
    plan = app.plan('etl', seconds=0.001)
    assert plan.next_time == app.clock.time() + 0.001


def test_a_plan_checks_its_flow_and_params_at_once(app):
    with pytest.raises(UnknownFlowError):
        app.plan('nope', minutes=1)
    with pytest.raises(InvalidParamsError):
        app.plan('etl', minutes=1, params={'limit': 'many'})
    Flow('empty', app=app)
    with pytest.raises(FlowIntegrityError, match='empty'):
        app.plan('empty', minutes=1)
    assert app.plans() == []


def test_a_plan_takes_any_mapping_of_params(app):
    app.plan('etl', minutes=10, params=MappingProxyType({'limit': '20'}))
    at(app, 12, 10)
    assert app.logs()[0]['params'] == {'limit': 20}


def test_each_firing_gets_params_of_its_own_and_the_defaults_of_its_moment():
    app = OAutom(mode=OAutomMode.step, clock=FakeClock(start=NOON))
    flow = Flow('etl', app=app, params={'seen': [], 'limit': 10})

    class Noting(Scripted):
        def run(self, context):
            super().run(context)
            context.params['seen'].append(context.vect_id)
    Noting('a', flow)
    given = {'seen': ['given']}
    app.plan('etl', minutes=10, params=given)
    given['seen'].append('changed after plan()')  # the plan keeps what it was given
    for minute in (10, 20):
        at(app, 12, minute)
        app.tick()
        flow.params['limit'] = 20  # a later default is the next firing's
    assert [(status['id'], status['params']) for status in app.logs()] == [
        ('etl.2', {'seen': ['given', 'etl.2'], 'limit': 20}),
        ('etl.1', {'seen': ['given', 'etl.1'], 'limit': 10})]
    assert given == {'seen': ['given', 'changed after plan()']}


def test_foreground_run_goes_on_while_a_plan_is_left():
    app = OAutom(mode=OAutomMode.foreground, clock=FakeClock(start=NOON))
    Scripted('a', Flow('etl', app=app))
    ended = []

    def on_event(event):
        if event['step'] is None and event['state'] == 'success':
            ended.append(event['vect'])
            if len(ended) == 3:
                app.stop()  # from the loop's own thread: it ends after this round
    app.subscribe(on_event)
    app.plan('etl', hours=1)
    runner = threading.Thread(target=app.run, daemon=True)
    runner.start()
    runner.join(5)
    assert not runner.is_alive() and ended == ['etl.1', 'etl.2', 'etl.3']
    assert app.clock.now() >= datetime(2026, 1, 1, 15, 0)  # fake hours went by, not real ones


def test_a_background_app_fires_its_plan_on_the_real_clock():
    app = OAutom(mode=OAutomMode.background)
    Scripted('a', Flow('etl', app=app))
    app.run()
    try:
        app.plan('etl', seconds=0.05)
        for _ in range(200):
            if len(app.logs()) >= 2:
                break
            threading.Event().wait(0.01)
        assert len(app.logs()) >= 2
    finally:
        app.stop()


def test_repr_says_when_it_fires(app):
    plan = app.plan('etl', minutes=10)
    assert repr(plan) == "<Plan 'etl' every 0:10:00, next 2026-01-01 12:10:00>"
    plan.cancel()
    assert repr(app.plan('etl', seconds=0.2)) == \
        "<Plan 'etl' every 0.2 s, next 2026-01-01 12:00:00>"  # not every 0:00:00.200000
    assert repr(app._plans) == '<Plans: 1 live>'  # pylint: disable=protected-access


CTRL_C_WITH_A_PLAN = '''
import os, signal, threading
from oautom import Flow, OAutom, PythonExecution
signal.signal(signal.SIGINT, signal.default_int_handler)  # even if the tests run as a `cmd &`
app = OAutom()
PythonExecution('a', Flow('etl', app=app), function=lambda ctx: None)
app.plan('etl', hours=1)
threading.Timer(0.2, os.kill, args=(os.getpid(), signal.SIGINT)).start()
app.run()
'''


def test_ctrl_c_ends_a_foreground_run_that_still_has_a_plan():
    done = subprocess.run([sys.executable, '-c', CTRL_C_WITH_A_PLAN], capture_output=True,
                          text=True, timeout=10, check=False,
                          env={**os.environ, 'PYTHONPATH': str(ROOT)})
    assert done.returncode != 0 and 'KeyboardInterrupt' in done.stderr


@pytest.mark.parametrize('options', [{'seconds': float('nan')}, {'hours': float('inf')},
                                     {'days': 10 ** 9}])
def test_an_interval_that_is_not_a_usable_number_is_refused(app, options):
    with pytest.raises(InvalidScheduleError):
        app.plan('etl', **options)


@pytest.mark.parametrize('options', [{'days': 36601}, {'seconds': 10**400}, {'minutes': 2**1100}])
def test_an_interval_longer_than_a_century_is_refused_however_big(app, options):
    with pytest.raises(InvalidScheduleError, match='an interval longer than a century is too '
                                                   'long for a plan; give a shorter one'):
        app.plan('etl', **options)  # a whole number too big for a float once raised OverflowError


@pytest.mark.parametrize('interval, fix', [
    (timedelta(seconds=90), 'give seconds=90'), (timedelta(days=30), 'give seconds=2592000'),
    (timedelta(hours=1, seconds=0.1234567), 'give seconds=3600.123457'),
    (-timedelta(minutes=5), None),  # a fix that would be refused too: none
])
def test_a_timedelta_interval_is_refused_with_its_seconds_as_the_fix(app, interval, fix):
    with pytest.raises(InvalidScheduleError) as caught:
        app.plan('etl', minutes=interval)
    assert str(caught.value) == (f'minutes must be an int or a float, finite, 0 or more; not '
                                 f'{interval!r}' + (f'; oautom takes numbers where Airflow takes '
                                                    f'a timedelta: {fix}' if fix else ''))


@pytest.mark.parametrize('option, value, says', [
    ('schedule', '0 6 * * *', "takes no schedule= (Airflow's DAG does); give cron='0 6 * * *'"),
    ('schedule', '@hourly', "takes no schedule= (Airflow's DAG does); give cron='0 * * * *'"),
    ('schedule', '@once', "takes no schedule= (Airflow's DAG does); a flow needs no plan to "
                          'run: app.start() runs it'),
    ('schedule_interval', timedelta(hours=1), "takes no schedule_interval= (Airflow's DAG "
                                              'does); give seconds=3600'),
    ('catchup', False, 'takes no catchup=: a plan fires from now on, and never catches up'),
    ('minute', 5, "takes no minute=; did you mean 'minutes'? it takes days=, hours=, minutes=, "
                  'seconds=, cron=, params='),
])
def test_an_unknown_plan_option_is_refused_with_the_one_meant(app, option, value, says):
    with pytest.raises(InvalidScheduleError) as caught:
        app.plan('etl', **{option: value})
    assert str(caught.value) == f'app.plan() {says}' and app.plans() == []
    if '; give ' in says:  # and the fix it gives is taken
        fix = says.split('; give ')[1]
        app.plan('etl', **eval(f'dict({fix})'))  # pylint: disable=eval-used
        assert len(app.plans()) == 1


@pytest.mark.parametrize('value', ['@reboot', '0 0 * * * *'])
def test_a_schedule_that_cron_would_refuse_too_is_not_given_as_the_fix(app, value):
    with pytest.raises(InvalidScheduleError) as caught:
        app.plan('etl', schedule=value)
    assert str(caught.value) == ("app.plan() takes no schedule= (Airflow's DAG does); give "
                                 "cron='minute hour day-of-month month day-of-week'")


def test_a_plan_cancelled_while_the_plans_due_fire_does_not_fire(app, caplog):
    Scripted('b', Flow('other', app=app))
    first, second = app.plan('etl', minutes=5), app.plan('other', minutes=5)
    real_start = app.start

    def start_and_stop_the_rest(flow_name, params=None):  # as app.stop() from another thread
        vect = real_start(flow_name, params)
        second.cancel()
        return vect
    app.start = start_and_stop_the_rest
    with caplog.at_level(logging.WARNING, logger='oautom'):
        at(app, 12, 5)  # both are due in this tick: the first fires, the second no longer
    assert vect_ids(app) == ['etl.1'] and app.plans() == [first] and not caplog.records


def test_cancelling_the_last_plan_ends_a_foreground_run_at_once():
    app = OAutom(mode=OAutomMode.foreground)
    Scripted('a', Flow('etl', app=app))
    plan = app.plan('etl', seconds=30)
    threading.Timer(0.1, plan.cancel).start()
    runner = threading.Thread(target=app.run, daemon=True)
    runner.start()
    runner.join(5)
    assert not runner.is_alive()
    assert app.logs() == []


@pytest.fixture(name='paris_time')
def paris_time_fixture(monkeypatch):
    """Local time with daylight saving, as a POSIX rule: no time zone files needed.
    In 2026, clocks go forward on March 29 at 02:00 and back on October 25 at 03:00."""
    monkeypatch.setenv('TZ', 'CET-1CEST,M3.5.0,M10.5.0/3')
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def cron_plan(expression, now):
    return Plan('etl', {}, cron=expression, now=now.timestamp(), on_change=lambda: None)


def firings(expression, now, count):
    """The first `count` firings of a cron plan made at `now`, as (hour, minute, fold)."""
    plan, found = cron_plan(expression, now), []
    for _ in range(count):
        found.append((plan.next_run.hour, plan.next_run.minute, plan.next_run.fold))
        plan.move_past(plan.next_time)
    return found


def test_a_cron_firing_in_the_hour_clocks_go_back_over_is_never_in_the_past(paris_time):
    now = datetime(2026, 10, 25, 2, 5, fold=1)  # 02:05 again, the second time today
    plan = cron_plan('30 2 * * *', now)
    assert plan.next_time - now.timestamp() == 25 * 60  # the second 02:30, not the first


def test_a_daily_cron_fires_once_in_the_hour_clocks_go_back_over(paris_time):
    assert firings('30 2 * * *', datetime(2026, 10, 25, 1, 0), 2) == [(2, 30, 0), (2, 30, 0)]


def test_a_daily_cron_fired_late_in_the_second_pass_does_not_fire_again_that_night(paris_time):
    # Made before the clocks went back, it fires once that night: a tick that comes late, in
    # the second pass of the hour, fires it then, and not again at 02:30 of the second pass
    plan = cron_plan('30 2 * * *', datetime(2026, 10, 25, 1, 0))
    late = datetime(2026, 10, 25, 2, 10, fold=1)
    plan.move_past(late.timestamp())
    assert plan.next_run == datetime(2026, 10, 26, 2, 30)
    assert plan.next_after(late) == datetime(2026, 10, 26, 2, 30)  # as the plan does


def test_a_daily_cron_made_in_the_first_pass_after_its_time_waits_for_the_next_day(paris_time):
    # Made at 02:45 before the clocks go back: 02:30 comes again, but for a plan made once
    # they were back only
    assert cron_plan('30 2 * * *', datetime(2026, 10, 25, 2, 45)).next_run == datetime(
        2026, 10, 26, 2, 30)


def test_a_cron_made_in_the_second_pass_a_year_before_fires_once_in_this_one(paris_time):
    # Made in the second 02:10 of 2025: its first firing is the second 02:30 of that night,
    # but a year on it fires at the first 02:30 only
    plan = cron_plan('30 2 * * 0', datetime(2025, 10, 26, 2, 10, fold=1))
    assert (plan.next_run, plan.next_run.fold) == (datetime(2025, 10, 26, 2, 30), 1)
    while plan.next_run < datetime(2026, 10, 25):
        plan.move_past(plan.next_time)
    first = plan.next_time
    plan.move_past(first)
    assert plan.next_time - first == 7 * 86400 + 3600  # next Sunday (winter time: one hour more)


def test_a_cron_of_every_hour_fires_in_both_passes_of_the_hour_clocks_go_back_over(paris_time):
    # Every 20 minutes stays every 20 minutes (it used to pause for 80 minutes, as Vixie cron
    # and Airflow do not)
    assert firings('*/20 * * * *', datetime(2026, 10, 25, 1, 50), 8) == [
        (2, 0, 0), (2, 20, 0), (2, 40, 0), (2, 0, 1), (2, 20, 1), (2, 40, 1), (3, 0, 0),
        (3, 20, 0)]


def test_a_cron_firing_in_the_hour_clocks_skip_comes_at_that_moment_in_the_new_time(paris_time):
    now = datetime(2026, 3, 29, 1, 50)
    plan = cron_plan('30 2 * * *', now)
    assert plan.next_time - now.timestamp() == 40 * 60 and plan.next_run.hour == 3
    # Each firing of the hour clocks skip comes: only the first did, at 03:00
    assert firings('*/20 2 * * *', now, 4) == [(3, 0, 0), (3, 20, 0), (3, 40, 0), (2, 0, 0)]
    # 02:00 and 03:00 name the same moment, and so do 02:30 and 03:30: each fires once
    assert firings('0,30 1-3 * * *', now, 5) == [(3, 0, 0), (3, 30, 0), (1, 0, 0), (1, 30, 0),
                                                 (2, 0, 0)]


def test_times_that_a_half_hour_change_skips_fire_after_the_first_real_time(monkeypatch):
    # At Lord Howe Island, clocks go forward 30 minutes, 02:00 -> 02:30: 02:10 is 02:40 that
    # day, 02:20 is 02:50, and 02:30, which does exist, comes first
    monkeypatch.setenv('TZ', '<+1030>-10:30<+11>-11,M10.1.0,M4.1.0')
    time.tzset()
    try:
        plan, found = cron_plan('10,20,30 2 * * *', datetime(2025, 10, 5, 1, 50)), []
        for _ in range(4):
            found.append((plan.next_run.day, plan.next_run.hour, plan.next_run.minute))
            plan.move_past(plan.next_time)
        assert found == [(5, 2, 30), (5, 2, 40), (5, 2, 50), (6, 2, 10)]
    finally:
        monkeypatch.undo()
        time.tzset()


def test_a_time_that_a_two_hour_change_skips_fires_two_hours_later(monkeypatch):
    # At Troll (Antarctica), clocks go forward two hours: 02:30 is 04:30 that day
    monkeypatch.setenv('TZ', '<+00>0<+02>-2,M3.5.0/1,M10.5.0/3')
    time.tzset()
    try:
        plan = cron_plan('30 2 * * *', datetime(2026, 3, 29, 3, 45))
        assert (plan.next_run.day, plan.next_run.hour, plan.next_run.minute) == (29, 4, 30)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_next_after_lists_both_passes_of_the_hour_clocks_go_back_over(paris_time):
    plan = Plan('etl', {}, interval=1800, now=datetime(2026, 10, 25, 1, 50).timestamp(),
                on_change=lambda: None)
    firings = [plan.next_run]
    for _ in range(4):
        firings.append(plan.next_after(firings[-1]))
    assert [(f.hour, f.minute, f.fold) for f in firings] == [
        (2, 20, 0), (2, 50, 0), (2, 20, 1), (2, 50, 1), (3, 20, 0)]  # every 30 minutes


@pytest.mark.parametrize('schedule', [{'hours': 1}, {'cron': '0 * * * *'}])
def test_next_after_a_moment_before_the_plan_is_its_first_firing(app, schedule):
    plan = app.plan('etl', **schedule)  # made at noon
    assert plan.next_after(datetime(2026, 1, 1, 9, 30)) == datetime(2026, 1, 1, 13, 0)


def firing_minutes(length, set_back_at, seconds_back, **schedule):
    """The minutes at which a plan of `schedule` fired, in `length` minutes of a step-mode
    app whose wall clock is set back `seconds_back` at minute `set_back_at`."""
    class SetBack(FakeClock):
        offset = 0.0

        def time(self):
            return super().time() + self.offset
    clock = SetBack(start=NOON)
    app = OAutom(mode=OAutomMode.step, clock=clock)
    Scripted('a', Flow('etl', app=app))
    app.plan('etl', **schedule)
    fired = []
    for minute in range(length):
        if minute == set_back_at:
            clock.offset -= seconds_back
        for _ in range(2):  # two ticks a minute: a vect started by one has ended by the next
            if any(event['step'] is None and event['state'] == 'running'
                   for event in app.tick()):
                fired.append(minute)
            clock.advance(30)
    return fired


def test_one_tick_an_hour_runs_an_hourly_plan_every_hour_in_step_mode(app, caplog):
    # The tick that ends a planned vect fires its plan again: the vects move first
    app.plan('etl', hours=1)
    for _ in range(6):
        app.clock.advance(3600)
        app.tick()
    assert vect_ids(app) == [f'etl.{n}' for n in range(1, 7)]
    assert 'skipped its firing' not in caplog.text
    assert [status['state'] for status in app.logs()[1:]] == ['success'] * 5


def test_a_wall_clock_set_back_plans_the_firings_again_from_the_new_time():
    # a day back: the hourly grid goes on, on the day before
    assert firing_minutes(6 * 60, 90, 86400, hours=1) == [60, 120, 180, 240, 300]
    # a frequent plan set back less than SET_BACK goes on too, not silent for 2.9 hours:
    # its next grid point after the new time is the next minute
    assert firing_minutes(40, 30, int(2.9 * 3600), minutes=1) == [*range(1, 30), *range(31, 40)]


def test_a_wall_clock_set_back_more_than_set_back_plans_even_a_daily_plan_again():
    # 13:00 fired; at 14:00 the clock goes back 5 hours to 09:00, 4 hours before that firing
    # (more than SET_BACK, less than a day): 13:00 comes again, 4 hours on, not in 28 hours
    assert SET_BACK < 4 * 3600
    assert firing_minutes(400, 120, 5 * 3600, cron='0 13 * * *') == [60, 360]


def test_a_wall_clock_set_back_a_little_only_delays_the_next_firing():
    # 2.5 minutes back, just after the 13:00 firing: 13:00 does not fire twice
    assert firing_minutes(3 * 60, 61, 150, hours=1) == [60, 122]  # at 122.5
    # 10 minutes back after a daily firing: tomorrow's comes 10 minutes later, no repeat
    assert firing_minutes(3 * 60, 61, 600, cron='0 13 * * *') == [60]


def test_a_wall_clock_set_back_by_exactly_the_wait_between_firings_only_delays_the_next():
    # By more, the plan would be planned again from the new time; by exactly that, not
    made = NOON.timestamp()
    plan = Plan('etl', {}, interval=3600, now=made, on_change=lambda: None)
    plan.notice_set_back(made - 3600)
    assert plan.next_time == made + 3600
    plan.notice_set_back(made - 3600.5)
    assert plan.next_time == made - 3600  # planned from the new time, on its grid


def test_a_cron_plan_set_back_far_is_made_again_at_the_new_time(app):
    plan = app.plan('etl', cron='0 * * * *')  # made at noon
    plan.notice_set_back((NOON - timedelta(hours=3, minutes=30)).timestamp())  # to 08:30
    assert plan.next_run == datetime(2026, 1, 1, 9, 0)
    assert plan.next_after(datetime(2026, 1, 1, 8, 30)) == plan.next_run


def test_the_loop_looks_at_the_wall_clock_at_least_every_longest_wait():
    # It sleeps on the monotonic clock, which ignores a wall clock set and a suspended machine
    app = OAutom(mode=OAutomMode.step)  # real time
    Scripted('a', Flow('etl', app=app))
    plan = app.plan('etl', hours=1)
    assert app._plans.seconds_to_next() == LONGEST_WAIT  # pylint: disable=protected-access
    plan.cancel()
    app.plan('etl', seconds=10)
    assert 9 < app._plans.seconds_to_next() <= 10  # pylint: disable=protected-access


def test_a_fake_clock_s_wait_jumps_straight_to_the_next_firing(app):
    # Its wall time and monotonic time move together: nothing to look at again meanwhile
    app.plan('etl', hours=1)
    assert app._plans.seconds_to_next() == 3600  # pylint: disable=protected-access
    app.clock.advance(3600 - 10)
    assert app._plans.seconds_to_next() == 10  # pylint: disable=protected-access


def test_a_foreground_run_with_a_fake_clock_ticks_about_once_a_firing():
    app = OAutom(mode=OAutomMode.foreground, clock=FakeClock(start=NOON))
    Scripted('a', Flow('etl', app=app))
    plan = app.plan('etl', cron='0 0 * * *')  # at midnight, 12 hours on: then cancelled
    app.subscribe(lambda event: event['step'] is None and event['state'] == 'success'
                  and plan.cancel())
    app.run()
    assert vect_ids(app) == ['etl.1'] and app.clock.now() < NOON + timedelta(hours=12, minutes=1)
    assert app._loop.ticks < 10  # pylint: disable=protected-access  # not one a minute: 720
