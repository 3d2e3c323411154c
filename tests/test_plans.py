"""Plans start a flow every interval (on a fixed grid) or on a cron expression."""
import logging
import os
import pathlib
import subprocess
import sys
import threading
from datetime import datetime

import pytest

from oautom import (Flow, FlowIntegrityError, InvalidParamsError, InvalidScheduleError, OAutom,
                    OAutomMode, Plan, UnknownFlowError)
from oautom.clock import FakeClock
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
    ({'minutes': 5, 'cron': '* * * * *'}, 'not both'), ({'cron': '0 0 30 2 *'}, 'cron field day'),
])
def test_a_bad_schedule_is_refused(app, options, message):
    with pytest.raises(InvalidScheduleError, match=message):
        app.plan('etl', **options)
    assert app.plans() == []


def test_a_plan_checks_its_flow_and_params_at_once(app):
    with pytest.raises(UnknownFlowError):
        app.plan('nope', minutes=1)
    with pytest.raises(InvalidParamsError):
        app.plan('etl', minutes=1, params={'limit': 'many'})
    Flow('empty', app=app)
    with pytest.raises(FlowIntegrityError, match='empty'):
        app.plan('empty', minutes=1)
    assert app.plans() == []


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


CTRL_C_WITH_A_PLAN = '''
import os, signal, threading
from oautom import Flow, OAutom, PythonExecution
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
