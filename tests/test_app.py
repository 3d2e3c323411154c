"""Spec of oautom/app.py: the engine that registers flows, starts vects and ticks them.

Step mode with a FakeClock is used wherever time matters (retries, timeouts,
polling): `clock.advance(seconds)` then `app.tick()`. Foreground and background
modes run on real threads; Ctrl-C is sent to a real subprocess. Nothing here
sleeps for long: tests wait on real things with short polls and a deadline, and
every call that could hang on a bug runs in a helper thread with a deadline.
"""
import asyncio
import contextlib
import copy
import inspect
import json
import logging
import math
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from fractions import Fraction
from pathlib import Path

import pytest

from helpers import Scripted, states, tick_until_ended
from oautom import (ExecutionState, Flow, FlowIntegrityError, InvalidParamsError, OAutom,
                    OAutomError, OAutomMode, VectAlreadyRunningException,
                    PythonExecution, Vect, VectState)
from oautom.clock import Clock, FakeClock
from oautom import due
from oautom.due import FIRST_CHECK_GRACE
from oautom import loop as loop_module
from oautom.loop import Loop

ROOT = Path(__file__).resolve().parents[1]
DEADLINE = 5.0  # seconds: a generous bound for things that take milliseconds


def step_app(**options):
    """An app that only moves on app.tick(), on a clock that only moves on advance()."""
    clock = FakeClock()
    return OAutom(mode=OAutomMode.step, clock=clock, **options), clock


def one_step_flow(app, name='etl', **options):
    """A flow with one Scripted step 'a' (script defaults to: done at first check)."""
    flow = Flow(name, app=app)
    Scripted('a', flow, **options)
    return flow


def finishes_within(seconds, function, *args):
    """Call `function(*args)` in a helper thread; fail (not hang) if it does not return in time."""
    outcome = {}

    def call():
        try:
            outcome['value'] = function(*args)
        except BaseException as error:  # pylint: disable=broad-exception-caught
            outcome['error'] = error

    thread = threading.Thread(target=call, name='test-caller', daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f'{function!r} did not return within {seconds} s'
    if 'error' in outcome:
        raise outcome['error']
    return outcome.get('value')


def stop_later(app, seconds):
    """Call app.stop() from a timer thread (a daemon, so a hung stop() cannot hang pytest)."""
    timer = threading.Timer(seconds, app.stop)
    timer.daemon = True
    timer.start()
    return timer


def wait_until(predicate, seconds=DEADLINE):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, \
            f'gave up waiting after {seconds} s for: {inspect.getsource(predicate).strip()}'
        time.sleep(0.005)


@pytest.fixture
def background_app():
    """Make background apps; each is stopped after the test, so no engine thread lingers."""
    apps = []

    def make(**options):
        apps.append(OAutom(mode=OAutomMode.background, **options))
        return apps[-1]
    yield make
    for app in apps:
        finishes_within(DEADLINE, app.stop)


def new_threads(before):
    return [thread for thread in threading.enumerate() if thread not in before]


def event_states(events, step):
    return [event['state'].value for event in events if event['step'] == step]


# -- subscribe() -------------------------------------------------------------------------


def test_subscribe_takes_a_function_and_says_so():
    app, _ = step_app()
    with pytest.raises(OAutomError, match=r'app.subscribe takes a function of one argument \(the '
                                          r'event\), not int 5'):
        app.subscribe(5)


# -- start() -----------------------------------------------------------------------------


def test_start_validates_first_and_a_cyclic_flow_creates_no_vect():
    app, _ = step_app()
    flow = Flow('loop', app=app)
    a, b = Scripted('a', flow), Scripted('b', flow)
    a >> b >> a
    with pytest.raises(FlowIntegrityError, match='cycle'):
        app.start('loop')
    assert app.logs() == [] and app.status('loop') == {}


def test_start_refuses_a_second_vect_while_one_runs_naming_it_and_when_it_started():
    app, _ = step_app()
    one_step_flow(app, script=[False])
    app.start('etl')
    with pytest.raises(VectAlreadyRunningException) as caught:
        app.start('etl')
    assert 'etl.1' in str(caught.value) and 'started 12:00:00' in str(caught.value)
    assert caught.value.running.id == 'etl.1'
    kept = copy.copy(caught.value)  # kept, say, by code that collects the errors it met
    assert str(kept) == str(caught.value) and kept.running is caught.value.running


def test_a_vect_that_started_on_another_day_is_said_to_have_started_on_that_date():
    app, clock = step_app()
    one_step_flow(app, script=[False])
    app.start('etl')
    clock.advance(3 * 86400)
    with pytest.raises(VectAlreadyRunningException, match=r'\(started 2026-01-01 12:00:00\)'):
        app.start('etl')


@pytest.mark.parametrize('mode, advice', [
    ('foreground', 'start the next once app.run() has run this one to its end'),  # (a wait
    ('background', 'start the next once it has ended (vect.wait() waits for that)'),  # before
    ('step', 'start the next once app.tick() has moved this one to its end')])  # run() never ends)
def test_a_second_start_is_told_how_the_running_vect_ends_in_its_apps_mode(mode, advice):
    app = OAutom(OAutomMode[mode])
    PythonExecution('a', Flow('etl', app=app), lambda context: None)
    first = app.start('etl')
    with pytest.raises(VectAlreadyRunningException) as caught:
        app.start('etl')
    assert str(caught.value).endswith(f'); one at a time: {advice}, or app.stop() cancels it')
    if mode == 'foreground':  # the advice, followed
        app.run()
        assert first.state is VectState.success and app.start('etl').id == 'etl.2'
    app.stop()


def test_a_flow_may_start_again_as_soon_as_its_vect_has_ended_even_within_that_tick():
    app, _ = step_app()
    one_step_flow(app)
    started = []

    class Starter(Scripted):
        def run(self, context):  # in the tick that ended etl.1, after it ended
            super().run(context)
            started.append(app.start('etl'))

    other = Flow('other', app=app)
    Scripted('first', other) >> Starter('starter', other)
    first = app.start('etl')
    app.start('other')
    app.tick()
    app.tick()  # etl.1 ends, then 'starter' starts: etl.1 is over, though not yet let go
    assert first.ended() and [vect.id for vect in started] == ['etl.2']
    assert app.status('etl')['id'] == 'etl.2'


def test_vect_ids_count_up_per_flow_and_a_refused_start_uses_no_number():
    app, _ = step_app()
    one_step_flow(app)
    one_step_flow(app, 'other')
    first = app.start('etl')
    with pytest.raises(VectAlreadyRunningException):
        app.start('etl')
    tick_until_ended(app, first)
    second = app.start('etl')
    assert (first.id, second.id, app.start('other').id) == ('etl.1', 'etl.2', 'other.1')
    assert second.flow_name == 'etl'


def test_start_refuses_an_undeclared_param_listing_the_declared_ones():
    app, _ = step_app()
    flow = Flow('etl', app=app, params={'day': '2026-01-01', 'limit': 10})
    Scripted('a', flow)
    with pytest.raises(InvalidParamsError, match='day, limit'):
        app.start('etl', params={'dya': 'x'})
    assert app.logs() == []


def test_start_refuses_a_value_that_does_not_convert():
    app, _ = step_app()
    Scripted('a', Flow('etl', app=app, params={'limit': 10}))
    with pytest.raises(InvalidParamsError, match='ten'):
        app.start('etl', params={'limit': 'ten'})


def test_vect_params_are_the_defaults_merged_with_the_given_ones_converted():
    app, _ = step_app()
    Scripted('a', Flow('etl', app=app, params={'day': '2026-01-01', 'limit': 10}))
    vect = app.start('etl', params={'limit': '20'})
    assert vect.params == {'day': '2026-01-01', 'limit': 20}
    assert vect.status()['params'] == {'day': '2026-01-01', 'limit': 20}


# -- tick() and events -------------------------------------------------------------------


def test_tick_returns_the_events_it_caused_and_vect_events_lists_all_in_order():
    app, _ = step_app()
    one_step_flow(app)
    vect = app.start('etl')
    assert vect.events[0]['state'] is VectState.running  # recorded at start()...
    first, second = app.tick(), app.tick()
    assert [(e['step'], e['state']) for e in first] == [  # ...published by the next tick
        (None, VectState.running), ('a', ExecutionState.running)]
    assert [(e['step'], e['state']) for e in second] == [
        ('a', ExecutionState.success), (None, VectState.success)]
    assert vect.events == first + second
    assert app.tick() == []


def test_events_are_dicts_of_time_vect_step_state_message():
    app, _ = step_app()
    one_step_flow(app)
    vect = app.start('etl')
    tick_until_ended(app, vect)
    for event in vect.events:
        assert set(event) == {'time', 'vect', 'step', 'state', 'message'}
        assert isinstance(event['time'], datetime) and event['time'].tzinfo is None
        assert event['vect'] == 'etl.1' and isinstance(event['message'], str)
    start, end = vect.events[0], vect.events[-1]
    assert (start['step'], start['state']) == (None, VectState.running)
    assert (end['step'], end['state']) == (None, VectState.success)
    assert isinstance(end['state'], VectState)
    assert isinstance(vect.events[1]['state'], ExecutionState)


# -- step mode ---------------------------------------------------------------------------


def test_in_step_mode_nothing_moves_without_tick():
    app, _ = step_app()
    flow = one_step_flow(app)
    vect = app.start('etl')
    time.sleep(0.05)
    assert states(vect) == {'a': 'waiting'} and flow.execution('a').calls == []
    app.tick()
    assert states(vect) == {'a': 'running'}


def test_run_in_step_mode_raises_an_oautom_error_pointing_to_tick():
    app, _ = step_app()
    with pytest.raises(OAutomError, match=r'app\.tick\(\)'):
        app.run()


@pytest.mark.parametrize('mode', [OAutomMode.foreground, OAutomMode.background])
@pytest.mark.parametrize('kind', ['run()', 'a Python function'])
def test_run_called_by_a_step_of_the_running_app_fails_that_step_saying_why(mode, kind):
    app = OAutom(mode=mode)
    flow = Flow('etl', app=app)

    class Runner(Scripted):
        """A step whose run() runs the app, which runs already, in this very thread."""

        def run(self, context):
            app.run()
    if kind == 'run()':
        Runner('runner', flow)
    else:  # its own thread, a worker's, not the engine's
        PythonExecution('runner', flow, lambda _: app.run())
    vect = app.start('etl')
    app.run()
    assert vect.wait(DEADLINE) and vect.state is VectState.failed
    where = 'MainThread' if mode is OAutomMode.foreground else 'oautom-engine'
    assert vect.status()['executions'][0]['error'] == (
        f"OAutomError: this app is already running, in thread '{where}'; to run it again, "
        'app.stop() it first (from a step or an event callback, app.start() a vect instead)')
    app.stop()


def stall_warnings(caplog):
    return [record.getMessage() for record in caplog.records
            if 'is waited for, but nothing moves its app' in record.getMessage()]


def test_an_endless_wait_for_a_vect_that_nothing_moves_says_so_once(monkeypatch, caplog):
    monkeypatch.setattr(loop_module, 'STALL_SECONDS', 0.02)
    app = OAutom(mode=OAutomMode.foreground)
    one_step_flow(app)
    vect = app.start('etl')
    waited = []
    waiter = threading.Thread(target=lambda: waited.append(vect.wait()))
    waiter.start()  # the learner's wait() before run(): nothing would ever end it
    deadline = time.monotonic() + DEADLINE
    while not stall_warnings(caplog) and time.monotonic() < deadline:
        time.sleep(0.01)
    app.run()  # the warning read, run() is called: the wait ends
    waiter.join(DEADLINE)
    assert waited == [True] and stall_warnings(caplog) == [
        'vect etl.1 is waited for, but nothing moves its app: no loop runs, and no tick came '
        'for 0.02 s; call app.run() before waiting, from this thread: a foreground app moves '
        'only while its run() loops']


def test_a_timed_wait_for_a_vect_that_nothing_moves_says_so_too(monkeypatch, caplog):
    # It used to end in silence, False, as if the vect were only slow
    monkeypatch.setattr(loop_module, 'STALL_SECONDS', 0.02)
    app = OAutom(mode=OAutomMode.foreground)
    vect = app.start(one_step_flow(app).name)
    assert vect.wait(0.2) is False  # app.run() forgotten
    assert len(stall_warnings(caplog)) == 1
    assert vect.wait(0.01) is False and len(stall_warnings(caplog)) == 1  # too short to tell


def test_an_endless_wait_in_background_mode_before_run_is_told_to_call_run(monkeypatch,
                                                                          caplog):
    monkeypatch.setattr(loop_module, 'STALL_SECONDS', 0.02)
    app = OAutom(mode=OAutomMode.background)
    vect = app.start(one_step_flow(app).name)
    waited = []
    waiter = threading.Thread(target=lambda: waited.append(vect.wait()))
    waiter.start()
    deadline = time.monotonic() + DEADLINE
    while not stall_warnings(caplog) and time.monotonic() < deadline:
        time.sleep(0.01)
    app.run()
    waiter.join(DEADLINE)
    app.stop()
    assert waited == [True] and [warning.split('; ')[1] for warning in stall_warnings(caplog)] \
        == ["call app.run(): it starts the app's engine thread"]


def test_an_endless_wait_in_step_mode_is_quiet_while_someone_ticks(monkeypatch, caplog):
    monkeypatch.setattr(loop_module, 'STALL_SECONDS', 0.25)  # ticks: 1 ms apart
    app = OAutom(mode=OAutomMode.step)
    one_step_flow(app, script=[False] * 100 + [True], poll_interval=0.01)  # 1 s at least
    vect = app.start('etl')

    def tick_until_ended():
        while not vect.ended():
            app.tick()
            time.sleep(0.001)
    ticker = threading.Thread(target=tick_until_ended)
    began = time.monotonic()
    ticker.start()
    assert finishes_within(DEADLINE, vect.wait) and vect.state is VectState.success
    assert time.monotonic() - began > 0.75  # so the wait looked for ticks, at least thrice
    ticker.join(DEADLINE)
    assert stall_warnings(caplog) == []


# -- foreground --------------------------------------------------------------------------


def test_foreground_run_returns_when_no_vect_is_running():
    app = OAutom(mode=OAutomMode.foreground)
    one_step_flow(app, script=[False, False, True], poll_interval=0.01)
    vect = app.start('etl')
    finishes_within(DEADLINE, app.run)
    assert vect.state is VectState.success and app.logs()[0]['state'] == 'success'


def test_a_poll_interval_longer_than_the_platform_can_wait_is_fine():
    # After its first check the loop sleeps until the next, 10**10 s away: past
    # threading.TIMEOUT_MAX. The function's end wakes it.
    app = OAutom()
    PythonExecution('nap', Flow('etl', app=app), function=lambda _: time.sleep(0.05),
                    poll_interval=10**10)
    vect = app.start('etl')
    app.run()
    assert vect.state is VectState.success


def test_foreground_run_with_nothing_started_returns_at_once():
    app = OAutom(mode=OAutomMode.foreground)
    one_step_flow(app)
    finishes_within(1, app.run)
    assert app.logs() == []


def test_foreground_stop_from_another_thread_cancels_the_vect_and_run_returns():
    app = OAutom(mode=OAutomMode.foreground)
    flow = one_step_flow(app, script=[False], poll_interval=0.02)
    vect = app.start('etl')
    stopper = stop_later(app, 0.1)
    finishes_within(DEADLINE, app.run)
    stopper.join(DEADLINE)
    assert vect.state is VectState.cancelled and states(vect) == {'a': 'cancelled'}
    assert ('cancel',) in flow.execution('a').calls


def test_foreground_run_may_be_called_again_after_stop():
    app = OAutom(mode=OAutomMode.foreground)
    flow = one_step_flow(app, script=[False], poll_interval=0.02)
    stop_later(app, 0.05)
    app.start('etl')
    finishes_within(DEADLINE, app.run)
    flow.execution('a').script = [True]  # the next vect's copy finishes at once
    vect = app.start('etl')
    finishes_within(DEADLINE, app.run)
    assert vect.id == 'etl.2' and vect.state is VectState.success


# -- background --------------------------------------------------------------------------


def test_background_run_returns_at_once_from_a_daemon_thread_named_oautom_engine(background_app):
    app = background_app()
    before = threading.enumerate()
    finishes_within(1, app.run)
    engine = [thread for thread in new_threads(before) if thread.name == 'oautom-engine']
    assert len(engine) == 1 and engine[0].daemon


def test_background_runs_a_vect_started_after_run(background_app):
    app = background_app()
    one_step_flow(app, script=[False, True], poll_interval=0.01)
    app.run()
    vect = app.start('etl')
    assert vect.wait(timeout=DEADLINE) and vect.state is VectState.success


@pytest.mark.parametrize('error', [asyncio.CancelledError, KeyboardInterrupt])
def test_a_step_raising_a_base_exception_fails_and_the_engine_thread_goes_on(background_app,
                                                                             error):
    app = background_app()
    # No Exception; and a KeyboardInterrupt outside the main thread is no Ctrl-C: it comes
    # from the step, and fails only the step
    one_step_flow(app, 'cancelled', script=[error()])
    one_step_flow(app, 'other', script=[False, True], poll_interval=0.01)
    app.run()
    first = app.start('cancelled')
    assert first.wait(timeout=DEADLINE) and first.state is VectState.failed
    second = app.start('other')
    assert second.wait(timeout=DEADLINE) and second.state is VectState.success


def test_a_callback_raising_keyboard_interrupt_in_the_engine_thread_is_logged_and_ignored(
        background_app, caplog):
    app = background_app()
    one_step_flow(app)

    def interrupting(_event):
        raise KeyboardInterrupt  # not a Ctrl-C: signals never arrive in the engine's thread
    app.subscribe(interrupting)
    app.run()
    with caplog.at_level(logging.ERROR, logger='oautom'):
        vect = app.start('etl')
        assert vect.wait(timeout=DEADLINE) and vect.state is VectState.success
        again = app.start('etl')  # the engine thread lives on
        assert again.wait(timeout=DEADLINE) and again.state is VectState.success
    assert 'event callback' in caplog.text


def test_background_stop_cancels_running_vects_and_ends_the_engine_thread(background_app):
    app = background_app()
    flow = one_step_flow(app, script=[False], poll_interval=0.02)
    before = threading.enumerate()
    app.run()
    [engine] = [thread for thread in new_threads(before) if thread.name == 'oautom-engine']
    vect = app.start('etl')
    wait_until(lambda: states(vect) == {'a': 'running'})
    finishes_within(DEADLINE, app.stop)
    assert vect.state is VectState.cancelled and ('cancel',) in flow.execution('a').calls
    engine.join(DEADLINE)
    assert not engine.is_alive()


def test_background_stop_returns_when_the_engine_is_idle():
    app = OAutom(mode=OAutomMode.background)
    one_step_flow(app)
    before = threading.enumerate()
    app.run()
    [engine] = [thread for thread in new_threads(before) if thread.name == 'oautom-engine']
    assert app.start('etl').wait(timeout=DEADLINE)
    finishes_within(1, app.stop)
    engine.join(DEADLINE)
    assert not engine.is_alive()


def test_a_start_while_the_app_stops_is_refused_so_that_a_restarting_callback_ends(
        background_app, caplog):
    app = background_app()
    one_step_flow(app, script=[False], poll_interval=0.02)
    ends = []

    def start_again(event):  # keep the flow going: start it again whenever it ends
        if event['step'] is None and event['state'] is not VectState.running:
            ends.append(event['state'])
            app.start('etl')
    app.subscribe(start_again)
    app.run()
    vect = app.start('etl')
    wait_until(lambda: states(vect) == {'a': 'running'})
    with caplog.at_level(logging.ERROR, logger='oautom'):
        finishes_within(DEADLINE, app.stop)  # it used to cancel one restart after another
    assert ends == [VectState.cancelled] and app.status('etl')['id'] == 'etl.1'
    assert "flow 'etl' was not started: the app is stopping; start it once its loop has " \
           'ended, then run() the app again' in caplog.text
    app.start('etl')  # once stop() has returned, a start is taken, for the next run()
    assert app.status('etl')['id'] == 'etl.2'


def test_a_stop_that_races_a_run_neither_hangs_nor_is_lost(background_app, monkeypatch):
    app = background_app()
    flow = one_step_flow(app, script=[False], poll_interval=0.02)
    vect = app.start('etl')
    ring = Loop.ring
    requested, started = threading.Event(), threading.Event()

    def ring_late(loop):  # as if the stopping thread lost the CPU right after its request...
        if threading.current_thread().name == 'stopper':
            requested.set()
            started.wait(DEADLINE)  # ...until run() has started the engine, and step 'a'
            wait_until(lambda: states(vect) == {'a': 'running'})
        ring(loop)
    monkeypatch.setattr(Loop, 'ring', ring_late)
    stopper = threading.Thread(target=app.stop, name='stopper', daemon=True)
    stopper.start()
    assert requested.wait(DEADLINE)
    app.run()  # starts while that stop() is under way
    started.set()
    stopper.join(DEADLINE)
    assert not stopper.is_alive()  # it used to wait forever for a loop it had not stopped
    assert vect.wait(DEADLINE) and vect.state is VectState.cancelled
    assert ('cancel',) in flow.execution('a').calls


def test_a_second_run_while_the_engine_runs_is_refused(background_app):
    app = background_app()
    app.run()
    with pytest.raises(OAutomError, match='already running'):
        app.run()


def test_stop_in_step_mode_cancels_running_vects_at_once():
    app, _ = step_app()
    one_step_flow(app, script=[False])
    vect = app.start('etl')
    app.tick()
    app.stop()
    assert vect.state is VectState.cancelled and states(vect) == {'a': 'cancelled'}


def test_stop_from_a_step_s_function_in_step_mode_leaves_the_cancel_to_the_next_tick():
    # The learner ticks from one thread, and a step's function calls stop(): a tick of
    # stop()'s in the function's thread would race the learner's, refused as a second ticker
    app, _ = step_app()
    stopped = threading.Event()
    flow = Flow('etl', app=app)
    PythonExecution('stopper', flow, lambda context: (app.stop(), stopped.set()))
    Scripted('long', flow, script=[False])
    vect = app.start('etl')
    app.tick()
    assert stopped.wait(DEADLINE)
    assert vect.state is VectState.running  # no tick of stop()'s own came
    app.tick()
    assert vect.state is VectState.cancelled and states(vect)['long'] == 'cancelled'


@pytest.mark.parametrize('ticker', ['another thread', 'no one'])
def test_stop_from_any_other_thread_in_step_mode_cancels_at_once(ticker):
    app, _ = step_app()
    one_step_flow(app, script=[False])
    vect = app.start('etl')
    if ticker == 'another thread':
        helper = threading.Thread(target=app.tick)
        helper.start()
        helper.join(DEADLINE)
    app.stop()
    assert vect.state is VectState.cancelled


def test_stop_after_a_background_loop_has_ended_cancels_at_once():
    app = OAutom(mode=OAutomMode.background)
    one_step_flow(app, script=[False])
    app.run()
    app.stop()  # the engine thread has ended
    vect = app.start('etl')
    app.stop()
    assert vect.state is VectState.cancelled


# -- Ctrl-C --------------------------------------------------------------------------------

CTRL_C_SCRIPT = '''
import os, signal, subprocess, sys
from oautom import BashExecution, Flow, OAutom
signal.signal(signal.SIGINT, signal.default_int_handler)  # even if the tests run as a `cmd &`
signal.signal(signal.SIGHUP, signal.SIG_DFL)  # or under nohup
if sys.argv[1:] == ['during-popen']:  # Ctrl-C lands just as the step's shell is started
    class Popen(subprocess.Popen):
        def __init__(self, *args, **options):
            super().__init__(*args, **options)
            # A file of its own: the shell, killed at once, may have emptied the one it writes
            with open({pid_file!r} + '.popen', 'w') as pid_file:
                pid_file.write(str(self.pid))
            os.kill(os.getpid(), signal.SIGINT)
    subprocess.Popen = Popen
background = sys.argv[1:] == ['background']
if background:  # the README's recipe: the clean-up at exit runs after a SystemExit
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
app = OAutom(mode='background' if background else 'foreground')
BashExecution('sleeper', Flow('f', app=app), command='echo $$ > {pid_file}; sleep 30')
app.subscribe(lambda event: event['step'] and open({ready_file!r}, 'w').close())
vect = app.start('f')
try:
    app.run()
    vect.wait()
finally:
    print(vect.state.value, flush=True)
'''


def run_ctrl_c_script(tmp_path, *args, stop_signal=signal.SIGINT):
    """Run a foreground app in a subprocess until Ctrl-C (or `stop_signal`); return (pid of
    its step's shell, the vect's state as printed after run(), its stderr, its exit status)."""
    pid_file, ready_file = tmp_path / 'shell.pid', tmp_path / 'ready'
    script = tmp_path / 'app.py'
    script.write_text(CTRL_C_SCRIPT.format(pid_file=str(pid_file), ready_file=str(ready_file)))
    env = {**os.environ, 'PYTHONPATH': str(ROOT)}
    with subprocess.Popen([sys.executable, str(script), *args], env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        try:
            if args != ('during-popen',):  # once the shell wrote its pid, it surely runs
                wait_until(lambda: ready_file.exists() and pid_file.exists()
                           and pid_file.read_text().strip())
                process.send_signal(stop_signal)
            stdout, stderr = process.communicate(timeout=DEADLINE)
        except BaseException:  # the app did not stop: leave no shell behind either
            for written in (pid_file, pid_file.with_name('shell.pid.popen')):
                with contextlib.suppress(ValueError, OSError):
                    os.killpg(int(written.read_text()), signal.SIGKILL)
            raise
        finally:
            process.kill()
    if args == ('during-popen',):  # the shell may be killed before it writes its pid
        pid_file = pid_file.with_name('shell.pid.popen')
    wait_until(lambda: pid_file.exists() and pid_file.read_text().strip())
    return int(pid_file.read_text()), stdout.strip(), stderr, process.returncode


def process_gone(pid):
    """True once `pid` has exited; a zombie counts (its parent is gone, and PID 1 of a
    container may never reap it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        return Path(f'/proc/{pid}/stat').read_text(encoding='ascii').rsplit(')', 1)[1].split()[0] == 'Z'
    except OSError:
        return False


def assert_gone(pid, seconds, stderr):
    try:
        wait_until(lambda: process_gone(pid), seconds)
    except AssertionError:
        os.kill(pid, signal.SIGKILL)  # leave no orphan behind
        raise AssertionError(f'process {pid} survived the app; its stderr:\n{stderr}') from None


def test_ctrl_c_in_foreground_stops_the_app_and_kills_the_step_process(tmp_path):
    shell, vect_state, stderr, _ = run_ctrl_c_script(tmp_path)
    assert vect_state == 'cancelled' and 'KeyboardInterrupt' in stderr
    assert_gone(shell, DEADLINE, stderr)


def test_ctrl_c_while_a_step_process_is_being_started_still_kills_it(tmp_path):
    shell, _, stderr, _ = run_ctrl_c_script(tmp_path, 'during-popen')
    assert_gone(shell, DEADLINE, stderr)


@pytest.mark.parametrize('stop_signal', [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_or_sighup_in_foreground_stops_the_app_then_exits_as_killed(tmp_path,
                                                                            stop_signal):
    shell, vect_state, stderr, status = run_ctrl_c_script(tmp_path, stop_signal=stop_signal)
    # Without run()'s handler, the signal kills the process at once: the finally clause
    # prints nothing, and the shell, in a session of its own, runs on
    assert vect_state == 'cancelled' and status == 128 + stop_signal, stderr
    assert 'Traceback' not in stderr
    assert_gone(shell, DEADLINE, stderr)


def a_handler(_number, _frame):
    """A program's own signal handler."""


SECOND_SIGTERM_SCRIPT = '''
import sys, time
from oautom import Execution, Flow, OAutom

class Stuck(Execution):  # its check() holds the engine until well after the test's end
    def run(self, context):
        pass

    def check(self):
        open(sys.argv[1] + '.checking', 'w').close()
        end = time.monotonic() + 30
        while time.monotonic() < end:
            if app._loop.stopping:  # the first SIGTERM came: the test may send the second
                open(sys.argv[1], 'w').close()
            time.sleep(0.01)
        return True

app = OAutom()
Stuck('stuck', Flow('f', app=app))
vect = app.start('f')
try:
    app.run()
finally:
    print(vect.status()['executions'][0]['state'], vect.log('stuck'), flush=True)
'''


def test_a_second_sigterm_ends_the_process_at_once_and_fails_no_step(tmp_path):
    stopping = tmp_path / 'stopping'
    with subprocess.Popen([sys.executable, '-c', SECOND_SIGTERM_SCRIPT, str(stopping)],
                          env={**os.environ, 'PYTHONPATH': str(ROOT)}, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        try:
            wait_until(Path(f'{stopping}.checking').exists)  # run() has taken SIGTERM over
            process.send_signal(signal.SIGTERM)
            wait_until(stopping.exists)
            process.send_signal(signal.SIGTERM)  # stop waiting for that check
            stdout, stderr = process.communicate(timeout=DEADLINE)
        finally:
            process.kill()
    # Not the step's own sys.exit(): it did not fail, its log is empty, and no traceback
    assert process.returncode == 128 + signal.SIGTERM and stdout.strip() == 'running', stderr
    assert 'Traceback' not in stderr


def test_the_readme_s_sigterm_handler_for_a_background_app_leaves_no_shell_behind(tmp_path):
    shell, vect_state, stderr, status = run_ctrl_c_script(tmp_path, 'background',
                                                          stop_signal=signal.SIGTERM)
    assert vect_state == 'running' and status == 128 + signal.SIGTERM, stderr
    assert_gone(shell, DEADLINE, stderr)


def handler_during_a_foreground_run(stop_signal):
    """The handler of `stop_signal` that a step sees while a foreground run() runs in this
    (main) thread."""
    seen, app = [], OAutom()
    PythonExecution('look', Flow('etl', app=app),
                    function=lambda _: seen.append(signal.getsignal(stop_signal)))
    app.start('etl')
    app.run()
    return seen[0]


@pytest.mark.parametrize('stop_signal, handler, taken', [
    (signal.SIGINT, signal.default_int_handler, True), (signal.SIGINT, signal.SIG_DFL, True),
    (signal.SIGINT, a_handler, True),         # Ctrl-C is run()'s: it cancels first
    (signal.SIGINT, signal.SIG_IGN, False),   # as for a `cmd &` job of a shell script
    *[(number, handler, taken) for number in (signal.SIGTERM, signal.SIGHUP)
      for handler, taken in ((signal.SIG_DFL, True), (signal.SIG_IGN, False), (a_handler, False))],
])
def test_run_takes_a_stop_signal_over_in_the_main_thread_and_gives_its_handler_back(
        stop_signal, handler, taken):
    previous = signal.signal(stop_signal, handler)
    try:
        during = handler_during_a_foreground_run(stop_signal)
        assert (callable(during) and during is not handler) if taken else during is handler
        assert signal.getsignal(stop_signal) is handler
    finally:
        signal.signal(stop_signal, previous)


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
DEFAULT_HANDLERS = [signal.default_int_handler, signal.SIG_DFL, signal.SIG_DFL]


@pytest.fixture(name='default_handlers')
def fixture_default_handlers():
    """The stop signals with Python's own handlers, whatever the tests were started with
    (nohup, a `&` job that ignores Ctrl-C), and those handlers back afterwards."""
    before = [signal.signal(number, handler)
              for number, handler in zip(STOP_SIGNALS, DEFAULT_HANDLERS)]
    yield
    for number, handler in zip(STOP_SIGNALS, before):
        signal.signal(number, handler)


def handlers_now():
    return [signal.getsignal(number) for number in STOP_SIGNALS]


@pytest.mark.usefixtures('default_handlers')
@pytest.mark.parametrize('nth', [1, 2, 3], ids=['as it takes Ctrl-C', 'as it takes SIGTERM',
                                                'as it takes SIGHUP'])
def test_a_ctrl_c_as_a_foreground_run_begins_leaves_the_app_able_to_run_again(monkeypatch, nth):
    # A Ctrl-C that came once the run had claimed the thread, before it took the signals,
    # left the app claimed for good: every run() after it was refused, "already running"
    app = OAutom(mode=OAutomMode.foreground)
    vect = app.start(one_step_flow(app, script=[False], timeout=DEADLINE).name)  # runs on
    real, calls = signal.getsignal, []

    def ctrl_c_at_the_nth_look(number):
        calls.append(number)
        if len(calls) == nth:
            os.kill(os.getpid(), signal.SIGINT)  # Python runs its handler at once, here
        return real(number)
    monkeypatch.setattr(signal, 'getsignal', ctrl_c_at_the_nth_look)
    with pytest.raises(KeyboardInterrupt):
        app.run()
    monkeypatch.undo()
    assert handlers_now() == DEFAULT_HANDLERS
    if nth == 1:  # Python's own handler: interrupted before the loop began, which runs now
        assert vect.state is VectState.running
        vect.cancel()
        app.run()
    assert vect.state is VectState.cancelled  # (not timed out: the Ctrl-C stopped the app)
    second = app.start(one_step_flow(app, 'second').name)
    app.run()
    assert second.state is VectState.success


@pytest.mark.usefixtures('default_handlers')
def test_a_ctrl_c_as_a_foreground_run_ends_gives_every_handler_back(monkeypatch):
    # Ctrl-C's handler was given back first: a Ctrl-C then raised at once, and the others
    # stayed ours (the process then ignored SIGTERM for good)
    app = OAutom(mode=OAutomMode.foreground)
    app.start(one_step_flow(app).name)
    real, calls = signal.signal, []

    def ctrl_c_at_the_second_give_back(number, handler):
        calls.append(number)
        if len(calls) == 5:  # three taken, then three given back: the second of those
            os.kill(os.getpid(), signal.SIGINT)
        return real(number, handler)
    monkeypatch.setattr(signal, 'signal', ctrl_c_at_the_second_give_back)
    with pytest.raises(KeyboardInterrupt):  # the Ctrl-C is not lost: it comes once all are back
        app.run()
    monkeypatch.undo()
    assert handlers_now() == DEFAULT_HANDLERS


@pytest.mark.usefixtures('default_handlers')
def test_a_second_run_that_is_refused_takes_no_signal_from_the_first(monkeypatch):
    # It took them, then gave them back: a Ctrl-C meanwhile stopped the app, and no
    # KeyboardInterrupt came out of the first run()
    app = OAutom(mode=OAutomMode.foreground)
    looked, refused = [], []

    class RunsAgain(Scripted):
        """Its run(), in the engine's thread (the main one here), calls app.run()."""

        def run(self, context):
            real = signal.getsignal
            monkeypatch.setattr(signal, 'getsignal',
                                lambda number: looked.append(number) or real(number))
            try:
                app.run()
            except OAutomError as error:
                refused.append(str(error))
            finally:
                monkeypatch.setattr(signal, 'getsignal', real)
            super().run(context)
    RunsAgain('again', Flow('etl', app=app))
    vect = app.start('etl')
    app.run()
    assert vect.state is VectState.success and refused and not looked
    assert handlers_now() == DEFAULT_HANDLERS


def test_a_step_may_drive_an_app_of_its_own_in_step_mode():
    app = OAutom(mode=OAutomMode.foreground)

    def drive(_context):
        inner = OAutom(mode=OAutomMode.step)
        vect = inner.start(one_step_flow(inner).name)
        while not vect.ended():
            inner.tick()
        return {'inner': vect.state.value}
    PythonExecution('driver', Flow('outer', app=app), function=drive)
    vect = app.start('outer')
    app.run()
    assert vect.status()['executions'][0]['outputs'] == {'inner': 'success'}


IGNORING_SCRIPT = '''
import signal, sys
from oautom import BashExecution, Flow, OAutom
signal.signal(signal.SIGINT, signal.SIG_IGN)  # as for a `cmd &` job of a shell script
app = OAutom()
BashExecution('a', Flow('f', app=app), command='sleep 0.5')
app.subscribe(lambda event: event['step'] and open(sys.argv[1], 'w').close())
vect = app.start('f')
app.run()
print(vect.state.value)
'''


def test_a_process_that_ignores_ctrl_c_keeps_ignoring_it_in_run(tmp_path):
    ready = tmp_path / 'ready'
    with subprocess.Popen([sys.executable, '-c', IGNORING_SCRIPT, str(ready)], text=True,
                          env={**os.environ, 'PYTHONPATH': str(ROOT)},
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        try:
            wait_until(ready.exists)
            process.send_signal(signal.SIGINT)
            stdout, stderr = process.communicate(timeout=DEADLINE)
        finally:
            process.kill()
    assert stdout.strip() == 'success', stderr


# -- max_parallel ------------------------------------------------------------------------


def test_max_parallel_runs_one_step_at_a_time_and_records_the_others_queued():
    app, _ = step_app(max_parallel=1)
    flow = Flow('etl', app=app)
    for name in ('c', 'a', 'b'):  # definition order, not alphabetical
        Scripted(name, flow)
    vect = app.start('etl')
    started = []
    for _ in range(10):
        events = app.tick()
        started += [e['step'] for e in events if e['state'] is ExecutionState.running]
        assert list(states(vect).values()).count('running') <= 1
    assert started == ['c', 'a', 'b']
    assert [event_states(vect.events, name)[0] for name in ('c', 'a', 'b')] == [
        'running', 'queued', 'queued']
    assert [e['message'] for e in vect.events if e['state'] is ExecutionState.queued] == [
        'queued: max_parallel=1 steps running'] * 2
    assert vect.state is VectState.success


def test_held_back_steps_start_first_come_first_served():
    app, _ = step_app(max_parallel=1)
    flow = Flow('etl', app=app)
    first = Scripted('first', flow, script=[False, True])
    late = Scripted('late', flow)       # defined before 'early', ready one round later
    Scripted('early', flow)
    first >> late
    vect = app.start('etl')
    tick_until_ended(app, vect, seconds=1)
    running = [e['step'] for e in vect.events if e['state'] is ExecutionState.running]
    assert running == ['first', 'early', 'late']


def test_max_parallel_counts_the_steps_of_every_vect():
    app, _ = step_app(max_parallel=1)
    one_step_flow(app, 'one', script=[False, True])
    one_step_flow(app, 'two', script=[False, True])
    one, two = app.start('one'), app.start('two')
    app.tick()
    assert (states(one), states(two)) == ({'a': 'running'}, {'a': 'queued'})
    tick_until_ended(app, two, seconds=1)
    assert (one.state, two.state) == (VectState.success, VectState.success)


def test_max_parallel_is_read_only_as_set_by_the_app_it_bounds():
    app, _ = step_app(max_parallel=2)
    assert app.max_parallel == 2 and OAutom(mode=OAutomMode.step).max_parallel is None
    with pytest.raises(AttributeError, match='max_parallel'):  # it used to change nothing
        app.max_parallel = 1


def test_without_max_parallel_no_step_is_ever_queued():
    app, _ = step_app()
    flow = Flow('etl', app=app)
    for name in ('a', 'b', 'c'):
        Scripted(name, flow, script=[False, True])
    vect = app.start('etl')
    assert set(event['step'] for event in app.tick()) == {None, 'a', 'b', 'c'}
    tick_until_ended(app, vect, seconds=1)
    assert all(event['state'] is not ExecutionState.queued for event in vect.events)


def test_cancelling_a_vect_with_queued_steps_ends_it_cleanly():
    app, _ = step_app(max_parallel=1)
    flow = Flow('etl', app=app)
    Scripted('a', flow, script=[False])
    Scripted('b', flow)
    vect = app.start('etl')
    app.tick()
    assert states(vect) == {'a': 'running', 'b': 'queued'}
    vect.cancel()
    events = app.tick()
    assert states(vect) == {'a': 'cancelled', 'b': 'cancelled'}
    assert events[-1]['state'] is VectState.cancelled
    assert '0 running' in repr(app)


# -- subscribe ---------------------------------------------------------------------------


def test_a_subscriber_receives_every_event_of_every_vect_until_it_unsubscribes():
    app, _ = step_app()
    one_step_flow(app)
    one_step_flow(app, 'other')
    received = []
    unsubscribe = app.subscribe(received.append)
    vects = [app.start('etl'), app.start('other')]
    for vect in vects:
        tick_until_ended(app, vect)
    for vect in vects:  # each in its order (copies: a callback may change its own)
        assert [event for event in received if event['vect'] == vect.id] == vect.events
    unsubscribe()
    tick_until_ended(app, app.start('etl'))
    assert len(received) == sum(len(vect.events) for vect in vects)


def test_a_failing_callback_is_logged_and_ignored(caplog):
    app, _ = step_app()
    one_step_flow(app)
    received = []

    def broken(_event):
        raise RuntimeError('callback bug')
    app.subscribe(broken)
    app.subscribe(received.append)
    with caplog.at_level(logging.ERROR, logger='oautom'):
        vect = app.start('etl')
        tick_until_ended(app, vect)
    assert vect.state is VectState.success and received == vect.events
    failures = [r for r in caplog.records if r.name == 'oautom' and 'callback' in r.getMessage()]
    assert len(failures) == len(vect.events)
    assert 'callback bug' in failures[0].exc_text


def test_callbacks_run_with_no_lock_held_so_they_may_call_the_app(background_app):
    app = background_app()
    one_step_flow(app, script=[False, True], poll_interval=0.01)
    seen, blocked = [], []

    def look(event):
        seen.append((app.status('etl')['id'], len(app.logs()), app.flows(), repr(app)))
        other = threading.Thread(target=lambda: (app.flows(), app.status('etl')))
        other.start()  # a lock held by this thread would block another one
        other.join(2)
        blocked.append(other.is_alive())
    app.subscribe(look)
    app.run()
    vect = app.start('etl')
    assert vect.wait(timeout=DEADLINE)
    wait_until(lambda: len(seen) == len(vect.events))
    assert seen[0][:3] == ('etl.1', 1, ['etl']) and not any(blocked)


def test_a_foreground_run_goes_on_with_a_vect_a_callback_starts_as_the_last_one_ends():
    # The last tick found no vect running; the callback, after that tick, started one.
    app = OAutom(mode=OAutomMode.foreground, clock=FakeClock())
    one_step_flow(app, 'first')
    one_step_flow(app, 'second')
    started = []

    def then_second(event):
        if event['vect'] == 'first.1' and event['step'] is None and event['state'] != 'running':
            started.append(app.start('second'))
    app.subscribe(then_second)
    app.start('first')
    finishes_within(DEADLINE, app.run)
    assert started and started[0].state is VectState.success


def test_with_a_fake_clock_a_vect_a_callback_starts_is_not_pushed_back_by_a_time_jump():
    app = OAutom(mode=OAutomMode.foreground, clock=FakeClock())
    first = Flow('first', app=app)
    Scripted('a', first, script=[False, True], poll_interval=1)
    Scripted('slow', first, script=[False, True], poll_interval=5)  # due 5 s after it starts
    one_step_flow(app, 'second')

    def then_second(event):
        if (event['vect'], event['step'], event['state']) == ('first.1', 'a', 'success'):
            app.start('second')
    app.subscribe(then_second)
    app.start('first')
    finishes_within(DEADLINE, app.run)
    status = app.status('second')
    assert status['executions'][0]['started'] == status['start_date']  # not 4 s later


@pytest.mark.parametrize('mode', [OAutomMode.foreground, OAutomMode.background])
def test_a_vect_started_during_a_learners_own_tick_starts_at_once(mode):
    # The loop's round comes while the learner's tick (from another thread) is inside a
    # sensor's check; a flow started meanwhile must not wait for the sensor's next poll.
    app = OAutom(mode=mode)
    held, go, in_check, release = (threading.Event() for _ in range(4))

    class Sensor(Scripted):
        """Its first check waits until released."""

        def check(self):
            in_check.set()
            release.wait(DEADLINE)
            return False
    Sensor('s', Flow('sensor', app=app), poll_interval=DEADLINE * 10)
    one_step_flow(app, 'quick')

    def hold_the_loop(event):  # in the loop's thread, between two of its rounds
        if (event['step'], event['state']) == ('s', 'running') and not go.is_set():
            held.set()
            go.wait(DEADLINE)
    app.subscribe(hold_the_loop)
    ended = []

    def learner():
        held.wait(DEADLINE)
        threading.Thread(target=app.tick).start()  # the learner's own tick
        in_check.wait(DEADLINE)
        quick = app.start('quick')
        go.set()
        time.sleep(0.1)  # the loop's next round is refused: the learner's tick runs on
        release.set()
        ended.append(quick.wait(DEADLINE))
        app.stop()
    other = threading.Thread(target=learner)
    other.start()
    app.start('sensor')
    app.run()
    other.join(DEADLINE)
    assert ended == [True]


@pytest.mark.parametrize('mode', [OAutomMode.foreground, OAutomMode.background])
def test_a_vect_waited_for_in_the_engines_own_thread_is_refused_not_a_hang(mode):
    app = OAutom(mode=mode)
    one_step_flow(app, 'first')
    one_step_flow(app, 'second')
    said, ended, looks, finished = [], [], [], threading.Event()

    def chain(event):  # a callback runs in the engine's thread
        if (event['vect'], event['step'], event['state']) == ('first.1', None, 'success'):
            second = app.start('second')
            looks.append(second.wait(0))  # a look, not a wait: allowed
            try:
                second.wait()
            except OAutomError as error:
                said.append(str(error))
            ended.append(app_vects['first'].wait())  # ended already: no wait, no refusal
        if event['vect'] == 'second.1' and event['step'] is None and event['state'] != 'running':
            finished.set()
    app.subscribe(chain)
    app_vects = {'first': app.start('first')}
    if mode is OAutomMode.foreground:
        finishes_within(DEADLINE, app.run)
    else:
        app.run()
    assert finished.wait(DEADLINE) and ended == [True] and looks == [False]
    assert said == ["vect second.1 cannot end while the engine's own thread waits for it (a "
                    'callback, run(), check()): return, and act on its end event']
    app.stop()


def test_a_step_that_waits_for_another_vect_in_its_run_fails_with_the_reason():
    app = OAutom(mode=OAutomMode.foreground)
    one_step_flow(app, 'other', script=[False, True], poll_interval=0.01)
    waiter = one_step_flow(app, 'waiter')

    class Waits(Scripted):
        """Waits for the other vect in run(), in the engine's thread."""

        def run(self, context):
            app.start('other').wait()
    Waits('w', waiter)
    vect = app.start('waiter')
    finishes_within(DEADLINE, app.run)
    assert states(vect)['w'] == 'failed' and 'cannot end while the engine' in \
        vect.status()['executions'][1]['error']


def test_a_step_that_waits_for_another_vect_inside_a_learners_own_tick_fails_not_hangs():
    app, _ = step_app()
    other = app.start(one_step_flow(app, 'other').name)
    waiter = one_step_flow(app, 'waiter')

    class Waits(Scripted):
        """Waits in run(), in the thread that called app.tick(): nobody else would tick."""

        def run(self, context):
            other.wait()
    Waits('w', waiter)
    vect = app.start('waiter')
    finishes_within(DEADLINE, app.tick)
    assert states(vect)['w'] == 'failed' and 'cannot end while the engine' in \
        vect.status()['executions'][1]['error']


def test_a_step_mode_callback_that_waits_is_told_to_tick_from_another_thread(monkeypatch,
                                                                              caplog):
    # Its own tick delivers the callback, after the round: that tick cannot move the vect
    # on. The stall warning says so, and another thread's ticks end the wait.
    monkeypatch.setattr(loop_module, 'STALL_SECONDS', 0.02)
    app, _ = step_app()
    other = app.start(one_step_flow(app, 'other').name)  # done at its first check
    waited = []

    def waits(event):
        if event['vect'] == 'other.1' and event['state'] == 'running' and not waited:
            waited.append(other.wait())
    app.subscribe(waits)

    def tick_once_told():
        deadline = time.monotonic() + DEADLINE
        while not stall_warnings(caplog) and time.monotonic() < deadline:
            time.sleep(0.01)
        while not other.ended() and time.monotonic() < deadline:
            app.tick()
    helper = threading.Thread(target=tick_once_told)
    helper.start()
    finishes_within(DEADLINE, app.tick)
    helper.join(DEADLINE)
    assert waited == [True] and len(stall_warnings(caplog)) == 1
    assert stall_warnings(caplog)[0].endswith('(from another thread, if this wait is in an '
                                              'event callback: the tick that delivers it '
                                              'waits too)')


def test_stop_from_a_step_in_a_learners_own_tick_while_the_loop_runs_does_not_deadlock():
    # The loop waits for the tick lock that the learner's tick holds: stop() must not wait
    # for the loop from inside that tick.
    app = OAutom(mode=OAutomMode.background)
    one_step_flow(app, 'first')
    held, hold = threading.Event(), threading.Event()

    def hold_the_engine(event):  # keeps the loop's thread in a callback, outside its tick
        if (event['vect'], event['step'], event['state']) == ('first.1', None, 'running'):
            held.set()
            hold.wait(DEADLINE)
    app.subscribe(hold_the_engine)

    class Stopper(Scripted):
        """Stops the app from its run(), in the learner's tick."""

        def run(self, context):
            hold.set()  # the loop goes on, to wait for this tick's lock
            app.stop()
    Stopper('stopper', Flow('second', app=app))
    app.run()
    app.start('first')
    assert held.wait(DEADLINE)
    second = app.start('second')
    finishes_within(DEADLINE, app.tick)  # the learner's own tick, in background mode
    assert second.wait(DEADLINE) and second.state is VectState.cancelled


def test_app_tick_called_by_a_step_inside_a_tick_says_so():
    app, _ = step_app()
    said = []

    class Ticker(Scripted):
        """Ticks the app from its run(), inside a tick."""

        def run(self, context):
            try:
                app.tick()
            except OAutomError as error:
                said.append(str(error))
            super().run(context)
    Ticker('ticker', Flow('etl', app=app))
    app.start('etl')
    app.tick()
    assert said and said[0].startswith('app.tick() is already running in this thread, by a '
                                       'step in it;')


def test_an_endless_wait_is_quiet_while_a_long_tick_is_under_way(monkeypatch, caplog):
    monkeypatch.setattr(loop_module, 'STALL_SECONDS', 0.02)
    app = OAutom(mode=OAutomMode.step)
    one_step_flow(app, script=[True])

    class Slow(Scripted):
        """A check() that holds its tick ten times as long as a stall."""

        def check(self):
            time.sleep(0.2)
            return super().check()
    Slow('slow', app.flow('etl'))
    vect = app.start('etl')
    ticker = threading.Thread(target=lambda: [app.tick() for _ in range(3)])
    ticker.start()
    assert finishes_within(DEADLINE, vect.wait) and stall_warnings(caplog) == []
    ticker.join(DEADLINE)


def test_every_subscriber_sees_the_vect_start_before_its_steps(background_app):
    app = background_app()
    one_step_flow(app)
    received = []
    app.subscribe(received.append)
    app.run()
    vect = app.start('etl')
    assert vect.wait(timeout=DEADLINE)
    wait_until(lambda: len(received) == len(vect.events))
    assert received == vect.events


@pytest.mark.parametrize('timeout', [None, DEADLINE])
def test_a_wait_returns_once_the_callbacks_have_seen_the_vects_end(background_app, timeout):
    # The natural script: wait(), then look at what the callbacks collected
    app = background_app()
    one_step_flow(app)
    received = []
    app.subscribe(lambda event: (time.sleep(0.01), received.append(event)))  # a slow one
    app.run()
    vect = app.start('etl')
    assert finishes_within(DEADLINE, lambda: vect.wait(timeout))
    assert received == vect.events and received[-1]['state'] is VectState.success


def test_a_callback_of_a_vects_end_finds_it_ended(background_app):
    # Its wait()s are released after the callbacks: a callback of the end must not wait
    app = background_app()
    one_step_flow(app)
    said = []

    def on_end(event):
        if event['step'] is None and event['state'] is VectState.success:
            said.append((vect.ended(), vect.wait(), vect.wait(0)))
    app.subscribe(on_end)
    app.run()
    vect = app.start('etl')
    assert vect.wait(DEADLINE) and said == [(True, True, True)]


def test_a_step_mode_callback_of_a_vects_end_finds_it_ended():
    # Callbacks run in the thread that ticks, after the round: the end is already theirs
    app, _ = step_app()
    vect = app.start(one_step_flow(app).name)
    said = []

    def on_end(event):
        if event['step'] is None and event['state'] is VectState.success:
            said.append((vect.wait(DEADLINE), vect.wait()))
    app.subscribe(on_end)
    finishes_within(DEADLINE, lambda: [app.tick() for _ in range(3)])
    assert said == [(True, True)] and vect.wait(0)


def test_a_tick_cut_short_by_a_ctrl_c_still_ends_the_waits_for_a_vect_that_ended():
    app, _ = step_app()

    class CtrlC(Scripted):
        """A check() interrupted by Ctrl-C (in the main thread, where it goes on up)."""

        def check(self):
            raise KeyboardInterrupt
    done = app.start(one_step_flow(app, 'done').name)  # ends at its first check
    CtrlC('b', Flow('interrupted', app=app))
    app.start('interrupted')
    app.tick()  # starts both
    with pytest.raises(KeyboardInterrupt):
        app.tick()  # 'done' ends, then the other check is interrupted
    assert done.ended() and finishes_within(DEADLINE, done.wait, DEADLINE)


def test_a_ctrl_c_as_a_tick_ends_leaves_the_next_tick_free_to_come(monkeypatch):
    # It kept the tick lock taken: every tick after it was refused, "already running"
    app, _ = step_app()
    vect = app.start(one_step_flow(app).name)
    subscribers = app._subscribers  # pylint: disable=protected-access
    real = subscribers.release_waits_now

    def ctrl_c_once():
        monkeypatch.setattr(subscribers, 'release_waits_now', real)
        raise KeyboardInterrupt
    monkeypatch.setattr(subscribers, 'release_waits_now', ctrl_c_once)
    with pytest.raises(KeyboardInterrupt):
        app.tick()
    tick_until_ended(app, vect)
    assert vect.state is VectState.success


# -- status, logs, history ---------------------------------------------------------------


def test_status_is_empty_before_any_vect_then_the_newest_vects():
    app, _ = step_app()
    one_step_flow(app)
    assert app.status('etl') == {}
    tick_until_ended(app, app.start('etl'))
    newest = app.start('etl')
    assert app.status('etl') == newest.status() and app.status('etl')['id'] == 'etl.2'


def test_logs_lists_the_kept_vects_newest_first():
    app, _ = step_app()
    one_step_flow(app)
    one_step_flow(app, 'other')
    tick_until_ended(app, app.start('etl'))
    app.start('other')
    app.start('etl')
    assert [status['id'] for status in app.logs()] == ['etl.2', 'other.1', 'etl.1']


def test_history_size_bounds_the_logs():
    app, _ = step_app(history_size=2)
    one_step_flow(app)
    for _ in range(3):
        tick_until_ended(app, app.start('etl'))
    assert [status['id'] for status in app.logs()] == ['etl.3', 'etl.2']


def test_history_lets_the_oldest_ended_vect_go_before_one_still_running():
    app, _ = step_app(history_size=2)
    one_step_flow(app, 'long', script=[False])  # runs until cancelled
    one_step_flow(app)
    long = app.start('long')
    for _ in range(2):
        tick_until_ended(app, app.start('etl'))
    assert [status['id'] for status in app.logs()] == ['etl.2', 'long.1']
    assert long.state is VectState.running


@pytest.mark.parametrize('option', ['max_parallel', 'history_size'])
@pytest.mark.parametrize('value', [0, -1, 1.5, True])
def test_app_options_must_be_whole_numbers_of_one_or_more(option, value):
    with pytest.raises(OAutomError, match=option):
        OAutom(mode=OAutomMode.step, **{option: value})


def test_status_is_json_serialisable_with_iso_dates_and_repr_of_odd_outputs():
    app, _ = step_app()
    odd = datetime(2026, 3, 4, 5, 6, 7)
    one_step_flow(app, outputs={'when': odd, 'rows': 3})
    vect = app.start('etl')
    assert vect.status()['end_date'] is None
    tick_until_ended(app, vect)
    status = json.loads(json.dumps(app.status('etl')))
    assert status['executions'][0]['outputs'] == {'when': repr(odd), 'rows': 3}
    assert datetime.fromisoformat(status['start_date']) == vect.start_date
    assert datetime.fromisoformat(status['end_date']) == vect.end_date
    assert json.dumps(app.logs())


# -- vect.cancel(), wait(), ended() ------------------------------------------------------


def test_vect_cancel_in_step_mode_takes_effect_on_the_next_tick():
    app, _ = step_app()
    flow = Flow('etl', app=app)
    first = Scripted('first', flow, script=[False])
    first >> Scripted('second', flow)
    vect = app.start('etl')
    app.tick()
    vect.cancel()
    assert vect.state is VectState.running and states(vect)['first'] == 'running'
    app.tick()
    assert states(vect) == {'first': 'cancelled', 'second': 'cancelled'}
    assert vect.state is VectState.cancelled and ('cancel',) in first.calls
    # the log of the step that ran says how its attempt ended; the one that never ran has none
    assert vect.log('first').endswith('[attempt 1 cancelled with its vect]\n')
    assert vect.log('second') == ''


def test_cancel_on_an_ended_vect_changes_nothing():
    app, _ = step_app()
    one_step_flow(app)
    vect = app.start('etl')
    tick_until_ended(app, vect)
    events = list(vect.events)
    vect.cancel()
    assert app.tick() == [] and vect.state is VectState.success and vect.events == events


def test_wait_is_false_while_running_and_true_once_ended():
    app, _ = step_app()
    one_step_flow(app)
    vect = app.start('etl')
    assert not vect.wait(timeout=0.01) and not vect.ended()
    tick_until_ended(app, vect)
    assert vect.wait(timeout=0) and vect.ended()


def test_wait_takes_seconds_of_any_length_and_refuses_what_is_not_seconds():
    app = OAutom(mode=OAutomMode.background)
    PythonExecution('a', Flow('etl', app=app), lambda context: None)
    vect = app.start('etl')
    app.run()
    try:
        for endless in (math.inf, 1e300, 10**400):  # longer than a lock can wait
            assert vect.wait(endless)
        assert vect.wait(-1) and vect.wait(2)  # ended: at once
        for timeout in ('5', True, math.nan, [1], Fraction(1, 2)):
            with pytest.raises(OAutomError) as refusal:
                vect.wait(timeout)
            assert str(refusal.value) == (
                'a wait takes a timeout in seconds, or None to wait until the end, not '
                f'{type(timeout).__name__} {timeout!r}')
    finally:
        app.stop()


# -- logging and reprs -------------------------------------------------------------------


def test_the_oautom_logger_reports_vect_start_end_and_step_failure(caplog):
    app, _ = step_app()
    one_step_flow(app, script=[ValueError('bad row')])
    with caplog.at_level(logging.INFO, logger='oautom'):
        tick_until_ended(app, app.start('etl'))
    messages = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == 'oautom']
    assert any('etl.1' in text and 'started' in text for _, text in messages)
    assert any('etl.1' in text and 'ended failed' in text for _, text in messages)
    assert any(level == logging.WARNING and 'etl.1 a' in text and 'bad row' in text
               for level, text in messages)


def test_reprs_say_what_they_hold():
    app, _ = step_app()
    flow = Flow('etl', app=app)
    Scripted('a', flow) >> Scripted('b', flow)
    vect = app.start('etl')
    assert repr(vect) == '<Vect etl.1 running: 0/2 done>'
    assert repr(app) == '<OAutom step: 1 flow, 1 running>'
    tick_until_ended(app, vect)
    assert repr(vect) == '<Vect etl.1 success: 2/2 done>'
    Flow('report', app=app)
    assert repr(app) == '<OAutom step: 2 flows, 0 running>'


# -- flows run side by side --------------------------------------------------------------


def test_a_failing_step_in_one_flow_does_not_affect_another_flows_vect():
    app, _ = step_app()
    bad_flow, good_flow = Flow('bad', app=app), Flow('good', app=app)
    Scripted('a', bad_flow, script=[ValueError('boom')]) >> Scripted('b', bad_flow)
    Scripted('a', good_flow, script=[False, False, True]) >> Scripted('b', good_flow)
    bad, good = app.start('bad'), app.start('good')
    tick_until_ended(app, good, seconds=1)
    assert (bad.state, good.state) == (VectState.failed, VectState.success)
    assert states(good) == {'a': 'success', 'b': 'success'}


# -- time: retries, timeouts, polling (FakeClock) ----------------------------------------


def test_a_retry_waits_its_retry_delay_on_the_clock():
    app, clock = step_app()
    flow = one_step_flow(app, scripts=[[ValueError('flaky')], [True]], retries=1,
                         retry_delay=60)
    vect = app.start('etl')
    app.tick()
    app.tick()
    assert states(vect) == {'a': 'retrying'}
    clock.advance(59)
    app.tick()
    assert states(vect) == {'a': 'retrying'} and ('run', 2) not in flow.execution('a').calls
    clock.advance(1.5)
    app.tick()
    assert states(vect) == {'a': 'running'} and ('run', 2) in flow.execution('a').calls
    tick_until_ended(app, vect)
    assert vect.state is VectState.success and vect.status()['executions'][0]['attempts'] == 2


def test_a_step_running_past_its_timeout_is_cancelled_and_fails():
    app, clock = step_app()
    flow = one_step_flow(app, script=[False], timeout=3600)
    vect = app.start('etl')
    app.tick()
    app.tick()
    clock.advance(3599)
    app.tick()
    assert states(vect) == {'a': 'running'} and ('cancel',) not in flow.execution('a').calls
    clock.advance(1)
    app.tick()
    assert states(vect) == {'a': 'failed'} and vect.state is VectState.failed
    assert 'timed out after 3600 s' in vect.status()['executions'][0]['error']
    assert ('cancel',) in flow.execution('a').calls


class Slow(Scripted):
    """A Scripted step whose run() and check() take `seconds` of the fake clock."""

    def __init__(self, name, flow, clock, seconds, **options):
        super().__init__(name, flow, **options)
        self.clock, self.seconds = clock, seconds

    def run(self, context):
        super().run(context)
        self.clock.advance(self.seconds)

    def check(self):
        self.clock.advance(self.seconds)
        return super().check()


def test_a_timeout_a_retry_delay_and_a_poll_interval_do_not_count_the_time_of_other_steps():
    app, clock = step_app()
    flow = Flow('etl', app=app)
    Slow('slow', flow, clock, seconds=0.6, script=[True])  # starts first, in the same tick
    timed = Scripted('timed', flow, script=[False], timeout=0.5)
    flaky = Scripted('flaky', flow, scripts=[[ValueError('flaky')], [True]], retries=1,
                     retry_delay=1)
    polled = Scripted('polled', flow, script=[False, False, True], poll_interval=1)
    vect = app.start('etl')
    app.tick()  # starts them all; 'slow' takes 0.6 s of it, so the others start at 0.6
    clock.advance(0.3)
    app.tick()  # at 0.9: 'slow' is checked first (0.6 s more), then the others, at 1.5
    assert states(vect)['timed'] == 'running'  # started at 0.6: not timed out before 1.1
    clock.advance(0.4)
    app.tick()  # at 1.9: due are the timeout (1.1), not the retry (2.5) nor the poll (2.5)
    assert states(vect) == {'slow': 'success', 'timed': 'failed', 'flaky': 'retrying',
                            'polled': 'running'}
    assert timed.calls.count(('check',)) == 1 and polled.calls.count(('check',)) == 1
    clock.advance(0.6)
    app.tick()  # at 2.5: the retry and the second poll are due
    assert ('run', 2) in flaky.calls and polled.calls.count(('check',)) == 2


def test_check_is_not_called_again_before_poll_interval_has_passed():
    app, clock = step_app()
    step = one_step_flow(app, script=[False], poll_interval=10).execution('a')
    app.start('etl')
    app.tick()
    app.tick()  # the first tick after run() checks
    assert step.calls.count(('check',)) == 1
    clock.advance(9)
    app.tick()
    assert step.calls.count(('check',)) == 1
    clock.advance(1)
    app.tick()
    assert step.calls.count(('check',)) == 2


def test_the_loop_checks_a_step_that_will_not_wake_it_at_once_and_one_that_will_after_a_grace():
    for wakes, waited in ((False, 0.0), (True, FIRST_CHECK_GRACE)):
        clock = FakeClock()
        app = OAutom(mode=OAutomMode.foreground, clock=clock)
        step = one_step_flow(app, script=[True], poll_interval=60).execution('a')
        step.wakes_when_done = wakes  # a Scripted step says True at its first check
        vect = app.start('etl')
        app.run()  # a fake clock's timed wait skips ahead at once
        assert vect.state is VectState.success and step.calls == [('run', 1), ('check',)]
        assert clock.monotonic() == pytest.approx(waited)  # never poll_interval: 60


def test_a_python_step_that_ends_within_the_grace_is_checked_once_when_it_wakes_the_loop(
        monkeypatch):
    # A grace long enough for its thread however busy the machine is: counted from run(),
    # 5 ms could be over before the tick that called run() even ends.
    monkeypatch.setattr(due, 'FIRST_CHECK_GRACE', DEADLINE)
    app = OAutom(mode=OAutomMode.foreground)
    checks = []

    class Counted(PythonExecution):
        def check(self):
            checks.append(self.name)
            return super().check()
    Counted('quick', Flow('etl', app=app), function=lambda context: time.sleep(0.05),
            poll_interval=60)
    vect = app.start('etl')
    began = time.monotonic()
    app.run()
    assert time.monotonic() - began < DEADLINE / 2  # the wake ended the wait, not the grace
    assert vect.state is VectState.success
    assert checks == ['quick']  # not an early check before its thread ran, then another


class Wakeable(Scripted):
    """A Scripted step that hands its contexts out, so a test can call wake()."""

    def __init__(self, *args, **options):
        super().__init__(*args, **options)
        self.contexts = []  # shared by every per-run copy

    def run(self, context):
        super().run(context)
        self.contexts.append(context)


def test_wake_from_another_thread_makes_the_next_tick_check_at_once():
    app, _ = step_app()
    step = Wakeable('a', Flow('etl', app=app), script=[False, True], poll_interval=3600)
    vect = app.start('etl')
    app.tick()
    app.tick()
    app.tick()
    assert step.calls.count(('check',)) == 1
    waker = threading.Thread(target=step.contexts[0].wake)
    waker.start()
    waker.join()
    app.tick()
    assert step.calls.count(('check',)) == 2 and vect.state is VectState.success


def test_history_size_cannot_be_none():
    with pytest.raises(OAutomError, match='history_size'):
        OAutom(mode=OAutomMode.step, history_size=None)


@pytest.mark.parametrize('mode, close', [('bogus', ''), ('forground', "did you mean 'foreground'? "),
                                         (None, '')])
def test_an_unknown_mode_says_which_modes_exist(mode, close):
    with pytest.raises(OAutomError) as refusal:
        OAutom(mode=mode)
    assert str(refusal.value) == (f'unknown mode {mode!r}; {close}use OAutomMode.foreground, '
                                  'OAutomMode.background or OAutomMode.step')


class OwnClock:
    """A clock of one's own, not derived from Clock: its methods need an instance."""

    def monotonic(self):
        """Real time."""
        return time.monotonic()

    def now(self):
        """Real time."""
        return datetime.now()

    def time(self):
        """Real time."""
        return time.time()

    def wait(self, doorbell, timeout):
        """As the real clock waits."""
        Clock().wait(doorbell, timeout)


@pytest.mark.parametrize('clock', [FakeClock, OwnClock])
def test_a_clock_class_instead_of_a_clock_is_refused_saying_how_to_make_one(clock):
    name = clock.__name__
    with pytest.raises(OAutomError, match=rf'^clock takes a clock, not the class {name}: '
                                          rf'write clock={name}\(\)$'):
        OAutom(mode=OAutomMode.step, clock=clock)
    assert OAutom(mode=OAutomMode.step, clock=clock())  # what the message says to write


def test_a_class_of_static_methods_still_serves_as_a_clock():
    class StaticClock:  # pylint: disable=too-few-public-methods
        """Real time, from static methods: nothing to make an instance of."""
        monotonic, now, time = Clock.monotonic, Clock.now, Clock.time

        @staticmethod
        def wait(doorbell, timeout):
            """As Clock.wait, with no self."""
            Clock().wait(doorbell, timeout)
    app = OAutom(mode=OAutomMode.foreground, clock=StaticClock)
    Scripted('a', Flow('etl', app=app), script=[False, True], poll_interval=0.01)
    vect = app.start('etl')
    app.run()
    assert vect.state is VectState.success


def test_the_loop_asks_how_long_to_sleep_only_between_ticks(monkeypatch):
    # next_due() tidies a vect's agenda, which a learner's own app.tick() in another thread
    # may be changing: the loop asks it under the tick lock.
    app = OAutom(mode=OAutomMode.foreground)
    locked = []
    original = Vect.next_due
    monkeypatch.setattr(Vect, 'next_due',
                        lambda vect: locked.append(app._tick_lock.locked()) or original(vect))
    Scripted('a', Flow('etl', app=app), script=[False, True], poll_interval=0.01)
    vect = app.start('etl')
    app.run()
    assert vect.state is VectState.success and locked and all(locked)


def test_a_tick_from_a_second_thread_is_refused_while_one_runs():
    app, _ = step_app()
    flow = Flow('etl', app=app)
    inside, release, refused = threading.Event(), threading.Event(), []

    class Slow(Scripted):
        """Holds its tick until released."""

        def run(self, context):
            inside.set()
            release.wait(DEADLINE)
            super().run(context)
    Slow('slow', flow)
    app.start('etl')
    ticking = threading.Thread(target=app.tick)
    ticking.start()
    assert inside.wait(DEADLINE)
    try:
        app.tick()
    except OAutomError as error:
        refused.append(str(error))
    release.set()
    ticking.join(DEADLINE)
    assert refused and 'already running in thread' in refused[0]


def test_a_refused_tick_whose_ticker_has_just_finished_names_no_thread_none():
    app, _ = step_app()
    app._tick_lock.acquire()  # pylint: disable=protected-access
    try:  # as if another thread's tick were ending: the lock held, its name already cleared
        with pytest.raises(OAutomError, match='already running in another thread;'):
            app.tick()
    finally:
        app._tick_lock.release()  # pylint: disable=protected-access


def test_a_run_that_blocks_the_engine_is_reported(caplog):
    app = OAutom(mode=OAutomMode.step, clock=FakeClock())
    flow = Flow('etl', app=app)

    class Blocking(Scripted):
        """A run() that does the work itself instead of starting it."""

        def run(self, context):
            app.clock.advance(2)  # two (fake) seconds pass inside run()
            super().run(context)
    Blocking('blocking', flow)
    vect = app.start('etl')
    with caplog.at_level(logging.WARNING, logger='oautom'):
        tick_until_ended(app, vect)
    assert "run() of step 'blocking' took 2.0 s" in caplog.text
    assert 'run() must only start the work' in vect.log('blocking')


def test_a_join_of_thousands_of_steps_builds_and_runs():
    app = OAutom()
    flow = Flow('wide', app=app)
    first, last = Scripted('first', flow), Scripted('last', flow)
    middle = [Scripted(f'm{i}', flow) for i in range(5000)]
    first >> middle >> last
    assert len(last.upstream) == 5000
    vect = app.start('wide')
    app.run()
    assert vect.state is VectState.success


def test_subscribers_see_the_events_of_all_vects_in_the_order_they_happened():
    app = OAutom(mode=OAutomMode.step, max_parallel=1, clock=FakeClock())
    x, y = Flow('x', app=app), Flow('y', app=app)
    Scripted('xa', x) >> Scripted('xb', x)
    Scripted('ya', y)
    running, most = set(), []

    def count(event):
        if event['step'] is not None:
            key = (event['vect'], event['step'])
            (running.add if event['state'] is ExecutionState.running else running.discard)(key)
            most.append(len(running))
    app.subscribe(count)
    one, two = app.start('x'), app.start('y')
    for _ in range(20):
        app.tick()
    assert one.ended() and two.ended()
    assert max(most) == 1  # as max_parallel allows: a subscriber never sees two at once


# -- a tick cut short, and slots freed inside a tick -----------------------------------------


def test_a_slot_freed_by_a_step_failing_in_run_goes_to_the_next_queued_step():
    app = OAutom(mode=OAutomMode.foreground, max_parallel=1)
    one_step_flow(app, 'first', fail_on_run=ValueError('no'))  # ends inside start_step
    one_step_flow(app, 'second')
    first, second = app.start('first'), app.start('second')
    finishes_within(5, app.run)  # the second step must not wait for a ring that never comes
    assert (first.state, second.state) == (VectState.failed, VectState.success)


def test_a_tick_cut_short_by_ctrl_c_in_a_run_starts_the_other_ready_steps_in_the_next():
    app, _ = step_app()
    flow = Flow('etl', app=app)
    Scripted('a', flow, fail_on_run=KeyboardInterrupt())
    Scripted('b', flow)
    vect = app.start('etl')
    with pytest.raises(KeyboardInterrupt):
        app.tick()                         # 'a' starts, and its run() is interrupted
    tick_until_ended(app, vect)
    assert states(vect)['b'] == 'success'  # ('a' has no state of its run: its check fails)


def test_a_tick_cut_short_by_ctrl_c_in_a_check_loses_no_event_and_no_check():
    app, _ = step_app()
    interrupted = one_step_flow(app, 'interrupted', script=[KeyboardInterrupt(), True])
    one_step_flow(app, 'other')
    first = app.start('interrupted')
    published = app.tick()                 # 'a' starts
    second = app.start('other')
    with pytest.raises(KeyboardInterrupt):
        app.tick()                         # 'a' is checked: Ctrl-C; 'other' started meanwhile
    for _ in range(10):
        published += app.tick()
    assert interrupted.execution('a').calls.count(('check',)) == 2  # checked again
    assert (first.state, second.state) == (VectState.success, VectState.success)
    assert [e for e in published if e['vect'] == 'other.1'] == second.events  # start included
    assert [e for e in published if e['vect'] == 'interrupted.1'] == first.events


def test_the_events_tick_returns_are_copies_to_change_at_will():
    app, _ = step_app()
    one_step_flow(app)
    vect = app.start('etl')
    for event in app.tick():
        event['time'] = event['time'].isoformat()  # made JSON-ready, say
    assert all(isinstance(event['time'], datetime) for event in vect.events)


class StartsAnother(Scripted):
    """A step whose run() starts another flow of its app (as a callback may too)."""

    def __init__(self, name, flow, app, other, **options):
        super().__init__(name, flow, **options)
        self.app, self.other, self.started = app, other, []  # started: shared by the copies

    def run(self, context):
        super().run(context)
        self.started.append(self.app.start(self.other))


def test_a_vect_started_in_the_tick_that_ended_the_one_before_it_runs_to_its_end():
    # In one tick, one.1 fails inside its run(), then a step of 'two' starts one.2: the end
    # of that tick drops one.1 from the running vects, and must not drop one.2 with it
    app = OAutom(mode=OAutomMode.step)
    Scripted('bad', Flow('one', app=app), fail_on_run=ValueError('no'))
    starter = StartsAnother('starter', Flow('two', app=app), app, 'one')
    app.start('one')
    app.start('two')
    app.tick()
    (again,) = starter.started
    assert again.id == 'one.2'
    tick_until_ended(app, again)
    assert app.status('one')['state'] == 'failed' and app.start('one').id == 'one.3'
