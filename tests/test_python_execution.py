"""PythonExecution: a step that calls `function(context)` in a thread of its own.

These tests run real threads and read as its contract (API.md, section 2):

- the function gets the context (params, vect id, attempt, log) and runs in a
  daemon thread started at `run()`, never in the engine's thread, so the
  engine goes on ticking and independent steps run at the same time;
- a returned dict becomes the outputs, any other non-None value
  `outputs['return_value']`, None no outputs;
- `SkipExecution` skips the step; any other exception fails it, with
  'Type: message' as the error and the traceback in the step's log;
- a failed attempt is retried; a timed-out attempt fails with "timed out after
  N s"; since a thread cannot be killed, a timed-out or cancelled attempt is
  abandoned: its late result is ignored, and a function that never returns
  never keeps the process alive.

Functions that must block wait on a threading.Event that the test releases,
with a deadline, so a broken engine fails a test instead of hanging it.
"""
import functools
import gc
import json
import math
import os
import re
import subprocess
import sys
import textwrap
import threading
import time
import weakref
from unittest import mock
from pathlib import Path
from types import MappingProxyType

import pytest

from oautom import (BashExecution, Flow, FlowIntegrityError, OAutom, OAutomMode, PythonExecution,
                    SkipExecution, VectState)
from oautom.clock import FakeClock

DEADLINE = 3.0  # seconds to wait for something that should happen within milliseconds
REPO = Path(__file__).resolve().parent.parent


# -- helpers -------------------------------------------------------------------------

def run_function(function, *, params=None, start_params=None, **options):
    """Run a one-step flow calling `function` in the foreground until it ends; return the vect."""
    app = OAutom(mode=OAutomMode.foreground)
    PythonExecution('call', Flow('python', app=app, params=params), function=function, **options)
    vect = app.start('python', params=start_params)
    app.run()
    return vect


def step_status(vect, name='call'):
    """The status dict of one step of `vect`."""
    return next(step for step in vect.status()['executions'] if step['name'] == name)


def step_states(vect, name='call'):
    """The states a step went through, from the vect's events."""
    return [event['state'] for event in vect.events if event['step'] == name]


def tick_until(app, predicate, timeout=DEADLINE):
    """Tick a step-mode app until `predicate()` is true; False after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        app.tick()
        time.sleep(0.005)
    return True


@pytest.fixture(name='release')
def fixture_release():
    """An event a blocked function waits for; set at the end of the test whatever happens."""
    event = threading.Event()
    yield event
    event.set()


# -- the call --------------------------------------------------------------------------

def test_the_function_gets_the_params_the_vect_id_and_the_attempt():
    seen = {}

    def record(context):
        seen.update(params=dict(context.params), vect_id=context.vect_id,
                    attempt=context.attempt)

    run_function(record, params={'day': 'monday', 'limit': 10}, start_params={'limit': 5})
    assert seen == {'params': {'day': 'monday', 'limit': 5}, 'vect_id': 'python.1',
                    'attempt': 1}


def test_the_function_runs_in_a_daemon_thread_not_the_engines():
    seen = {}

    def record(context):
        thread = threading.current_thread()
        seen.update(ident=thread.ident, daemon=thread.daemon)

    run_function(record)  # the foreground engine loops in this thread
    assert seen['ident'] != threading.get_ident()
    assert seen['daemon'] is True


def test_the_thread_is_named_after_the_vect_and_the_step():
    seen = {}
    app = OAutom(mode=OAutomMode.foreground)
    PythonExecution('load rows', Flow('python', app=app),
                    function=lambda ctx: seen.update(name=threading.current_thread().name))
    app.start('python')
    app.run()
    assert seen['name'] == 'oautom-python python.1 load rows'  # its vect's id, its name


def test_context_log_lines_appear_in_the_steps_log():
    def chatty(context):
        context.log('reading 3 rows')
        context.log('done')

    vect = run_function(chatty)
    assert 'reading 3 rows\ndone\n' in vect.log('call')


def test_status_copes_with_a_function_that_changes_its_params_meanwhile():
    done = threading.Event()

    def churn(context):  # the vect's params are the context's: a step may change them
        number = 0
        while not done.is_set():
            context.params[f'k{number % 50}'] = number
            context.params.pop(f'k{(number + 25) % 50}', None)
            number += 1

    app = OAutom(mode=OAutomMode.step)
    PythonExecution('call', Flow('python', app=app, params={'a': 1}), function=churn)
    vect = app.start('python')
    app.tick()
    try:  # status() used to show them as their repr, now and then, when a change came mid-read
        kinds = {type(vect.status()['params']) for _ in range(3000)}
    finally:
        done.set()
    assert kinds == {dict} and tick_until(app, vect.ended)


# -- what the function returns ----------------------------------------------------------

@pytest.mark.parametrize('returned, outputs', [
    ({'rows': 3, 'day': 'monday'}, {'rows': 3, 'day': 'monday'}),
    ({}, {}),
    (42, {'return_value': 42}),
    ('text', {'return_value': 'text'}),
    ([1, 2], {'return_value': [1, 2]}),
    (0, {'return_value': 0}),
    (False, {'return_value': False}),
    (None, {}),
    (MappingProxyType({'rows': 3}), {'rows': 3}),
], ids=['dict', 'empty dict', 'int', 'str', 'list', 'zero', 'False', 'None', 'mapping'])
def test_the_return_value_becomes_the_outputs(returned, outputs):
    vect = run_function(lambda context: returned)
    assert step_status(vect)['state'] == 'success'
    assert step_status(vect)['outputs'] == outputs


def test_outputs_that_contain_themselves_still_give_a_json_status_and_logs():
    def looped(_context):
        outputs = {'rows': 3}
        outputs['self'] = outputs
        return outputs

    vect = run_function(looped)
    # the step's outputs are a copy of the dict returned, which holds the dict itself
    assert step_status(vect)['outputs'] == {'rows': 3, 'self': {'rows': 3, 'self': '...'}}
    assert json.dumps(vect.status())


def test_a_downstream_function_reads_the_outputs_in_its_context():
    app = OAutom(mode=OAutomMode.foreground)
    flow = Flow('python', app=app)
    extract = PythonExecution('extract', flow, function=lambda ctx: {'rows': 3})
    extract >> PythonExecution('report', flow,
                               function=lambda ctx: ctx.outputs['extract']['rows'] * 2)
    vect = app.start('python')
    app.run()
    assert step_status(vect, 'report')['outputs'] == {'return_value': 6}


def test_a_function_may_pass_an_ancestors_outputs_on_as_its_own():
    app = OAutom(mode=OAutomMode.foreground)
    flow = Flow('python', app=app)
    extract = PythonExecution('extract', flow, function=lambda ctx: {'rows': 3})
    extract >> PythonExecution('relay', flow, function=lambda ctx: ctx.outputs['extract'])
    vect = app.start('python')
    app.run()
    assert step_status(vect, 'relay')['outputs'] == {'rows': 3}


# -- skips and failures ------------------------------------------------------------------

class ApiError(Exception):
    """An error that shows its payload as attributes: a missing one raises KeyError, which
    traceback.format_exception() meets when it asks getattr(error, '__notes__', None)."""

    def __init__(self, payload):
        super().__init__(payload['message'])
        self.payload = payload

    def __getattr__(self, name):
        return self.payload[name]


def test_an_error_whose_traceback_cannot_be_made_still_fails_the_step():
    def call_api(_context):
        raise ApiError({'message': 'quota exceeded'})

    vect = run_function(call_api)  # it used to end success, its worker thread dying
    assert vect.state is VectState.failed
    assert step_status(vect)['error'] == 'ApiError: quota exceeded'
    # Python 3.11 and 3.12 cannot make its traceback, and the log says so; 3.13 can
    assert vect.log('call').startswith(('ApiError: quota exceeded (its traceback could not be '
                                        'shown)\n', 'Traceback (most recent call last):\n'))

def test_skip_execution_skips_the_step_and_its_downstream():
    def no_data(context):
        raise SkipExecution('no data today')

    app = OAutom(mode=OAutomMode.foreground)
    flow = Flow('python', app=app)
    PythonExecution('call', flow, function=no_data) >> \
        PythonExecution('after', flow, function=lambda ctx: None)
    vect = app.start('python')
    app.run()
    assert step_status(vect)['state'] == 'skipped'
    assert vect.log('call') == '[skipped by the step: no data today]\n'  # the reason, kept
    assert step_status(vect, 'after')['state'] == 'skipped'
    assert vect.state is VectState.success


def test_an_exception_fails_the_step_with_its_type_and_message():
    def explode(context):
        raise ValueError('boom')

    vect = run_function(explode)
    assert step_status(vect)['state'] == 'failed'
    assert step_status(vect)['error'] == 'ValueError: boom'
    assert vect.state is VectState.failed


def test_the_traceback_of_an_exception_goes_to_the_log():
    def explode(context):
        raise ValueError('boom')

    log = run_function(explode).log('call')
    assert 'Traceback (most recent call last)' in log
    assert 'in explode' in log
    assert 'ValueError: boom' in log


def test_system_exit_fails_the_step_without_stopping_the_engine():
    app = OAutom(mode=OAutomMode.foreground)
    flow = Flow('python', app=app)
    PythonExecution('call', flow, function=lambda ctx: sys.exit(3))
    PythonExecution('independent', flow, function=lambda ctx: {'ran': True})
    vect = app.start('python')
    app.run()
    assert step_status(vect)['state'] == 'failed'
    assert 'sys.exit(3)' in step_status(vect)['error']
    assert step_status(vect, 'independent')['outputs'] == {'ran': True}


class Unshowable:  # pylint: disable=too-few-public-methods
    """An exit code whose str() raises (it needs something that is gone, say)."""

    def __str__(self):
        raise RuntimeError('no str for this code')


def test_system_exit_with_a_code_that_cannot_be_shown_fails_the_step_all_the_same():
    vect = run_function(lambda context: sys.exit(Unshowable()))
    assert (step_status(vect)['state'], step_status(vect)['error']) == (
        'failed', 'the step called sys.exit(a code that cannot be shown); raise an exception '
        'to fail a step')


def test_a_failed_attempt_is_retried_until_one_succeeds():
    def fail_twice(context):
        if context.attempt < 3:
            raise ValueError(f'attempt {context.attempt} failed')
        return {'attempt': context.attempt}

    vect = run_function(fail_twice, retries=2)
    assert step_status(vect)['state'] == 'success'
    assert step_status(vect)['attempts'] == 3
    assert step_status(vect)['outputs'] == {'attempt': 3}
    assert step_states(vect) == ['running', 'retrying', 'running', 'retrying', 'running',
                                 'success']


# -- time: timeouts and concurrency -------------------------------------------------------------

def test_a_timeout_fails_the_step_with_timed_out_after(release):
    began = time.monotonic()
    vect = run_function(lambda context: release.wait(DEADLINE), timeout=0.1)
    assert time.monotonic() - began < DEADLINE
    assert step_status(vect)['state'] == 'failed'
    assert step_status(vect)['error'] == 'timed out after 0.1 s'
    assert vect.log('call').startswith('[a thread cannot be stopped: the function runs on in its '
                                       'thread, and what it returns will be ignored]\n')


def test_the_late_result_of_a_timed_out_attempt_is_ignored(release):
    threads = []

    def answer_late(context):
        threads.append(threading.current_thread())
        release.wait(DEADLINE)
        return {'late': 'yes'}

    app = OAutom(mode=OAutomMode.step)
    PythonExecution('call', Flow('python', app=app), function=answer_late, timeout=0.1,
                    retries=1, retry_delay=60)  # stays 'retrying' while the late answer comes
    vect = app.start('python')
    assert tick_until(app, lambda: step_status(vect)['state'] == 'retrying')
    assert threads[0].name == 'oautom-python python.1 call'  # working for the step, until:
    release.set()
    deadline = time.monotonic() + DEADLINE  # until the worker has finished the abandoned call
    while threads[0].name == 'oautom-python python.1 call' and time.monotonic() < deadline:
        time.sleep(0.005)
    for _ in range(3):
        app.tick()
    assert step_status(vect)['state'] == 'retrying'
    assert step_status(vect)['outputs'] == {}
    assert step_status(vect)['error'] == 'timed out after 0.1 s'
    vect.cancel()
    app.tick()


def test_lines_an_abandoned_attempt_logs_later_say_whose_they_are(release):
    logged = threading.Event()

    def work(context):
        if context.attempt == 1:  # times out, then logs while attempt 2 runs
            release.wait(DEADLINE)
            context.log('late line')
            logged.set()

    app = OAutom(mode=OAutomMode.step)
    PythonExecution('call', Flow('python', app=app), function=work, timeout=0.1, retries=1)
    vect = app.start('python')
    assert tick_until(app, lambda: step_status(vect)['attempts'] == 2)
    release.set()
    assert logged.wait(DEADLINE)
    assert '[attempt 2]\n[from attempt 1, after it ended] late line\n' in vect.log('call')
    tick_until(app, vect.ended)


def test_lines_the_last_attempt_logs_after_its_timeout_say_it_was_abandoned(release):
    logged = threading.Event()

    def work(context):
        context.log('early line')
        release.wait(DEADLINE)
        context.log('late line')
        logged.set()

    app = OAutom(mode=OAutomMode.step)
    PythonExecution('call', Flow('python', app=app), function=work, timeout=0.1)
    vect = app.start('python')
    assert tick_until(app, vect.ended)
    release.set()
    assert logged.wait(DEADLINE)
    log = vect.log('call')
    assert log.startswith('early line\n[a thread cannot be stopped: the function runs on in its '
                          'thread, and what it returns will be ignored]\n'
                          '[the function was here when its attempt was given up:]\n')
    assert log.endswith('[attempt 1 failed: timed out after 0.1 s]\n'
                        '[from attempt 1, after it ended] late line\n')


def test_a_timed_out_function_s_log_shows_the_line_it_hung_on_from_its_own_first_call(release):
    started = threading.Event()

    def waits(_context):
        started.set()
        release.wait(DEADLINE)

    def work(context):
        waits(context)

    app = OAutom(mode=OAutomMode.step, clock=FakeClock())
    PythonExecution('call', Flow('python', app=app), function=work, timeout=5)
    vect = app.start('python')
    app.tick()
    assert started.wait(DEADLINE)
    app.clock.advance(5)
    app.tick()  # timed out: given up while it waits
    release.set()
    where = vect.log('call').split('given up:]\n')[1].split('\n[attempt 1 failed')[0]
    lines = where.splitlines()
    assert re.fullmatch(r'  File ".*test_python_execution.py", line \d+, in work', lines[0])
    assert lines[1] == '    waits(context)'
    assert re.fullmatch(r'  File ".*test_python_execution.py", line \d+, in waits', lines[2])
    assert lines[3] == '    release.wait(DEADLINE)' and 'threading.py' in lines[4]  # and on


def test_the_engine_goes_on_ticking_while_the_function_runs(release):
    app = OAutom(mode=OAutomMode.step)
    PythonExecution('call', Flow('python', app=app), function=lambda ctx: release.wait(DEADLINE))
    vect = app.start('python')
    app.tick()        # starts the step; must come back while the function still waits
    release.set()     # so the function only sees this if tick() did not wait for it
    assert tick_until(app, vect.ended)
    assert step_status(vect)['outputs'] == {'return_value': True}


def waiting_flow(app, name, wait, **options):
    """A one-step flow whose function calls `wait(its own vect)`, with what it returned or
    raised put in the list this returns."""
    vects, said = [], []

    def waits(context):
        try:
            said.append(wait(vects[0]))
        except Exception as error:
            said.append(error)
            raise
    PythonExecution('waits', Flow(name, app=app), function=waits, **options)
    vects.append(app.start(name))
    return vects[0], said


@pytest.mark.parametrize('timeout', [None, math.inf])  # inf: longer than a lock can wait
def test_a_function_that_waits_for_its_own_vect_fails_with_the_reason_not_hangs(timeout):
    app = OAutom(mode=OAutomMode.background)
    vect, said = waiting_flow(app, 'selfish', lambda vect: vect.wait(timeout))
    app.run()
    try:
        assert vect.wait(DEADLINE)  # it hung here, the function waiting for its own end
    finally:
        app.stop()
    message = ("step 'waits' waits for its own vect selfish.1, which cannot end before that "
               'step does; return from it instead (steps downstream of it run after it, and '
               'an event callback sees the vect end)')
    assert [str(error) for error in said] == [message]
    assert step_status(vect, 'waits')['error'] == f'OAutomError: {message}'


def test_a_function_may_wait_for_its_own_vect_with_a_timeout_or_for_another_vect():
    app = OAutom(mode=OAutomMode.background)
    PythonExecution('quick', Flow('other', app=app), function=lambda context: None)
    other = app.start('other')
    own, said_own = waiting_flow(app, 'own', lambda vect: vect.wait(0.01))
    others, said_other = waiting_flow(app, 'others', lambda vect: other.wait())
    app.run()
    try:
        assert own.wait(DEADLINE) and others.wait(DEADLINE)
    finally:
        app.stop()
    assert said_own == [False] and said_other == [True]


def test_a_function_may_wait_for_another_vect_that_still_runs(release):
    # Only a wait for its own vect is refused: another one's end comes without it
    app = OAutom(mode=OAutomMode.background)
    PythonExecution('slow', Flow('other', app=app), function=lambda context: release.wait(DEADLINE))
    other = app.start('other')

    def wait_for_other(vect):
        assert not vect.ended()
        threading.Timer(0.05, release.set).start()  # once this wait has begun, most likely
        return vect.wait()  # no timeout: the only wait that could be refused
    waiting, said = waiting_flow(app, 'waiting', lambda _own: wait_for_other(other))
    app.run()
    try:
        assert waiting.wait(DEADLINE)
    finally:
        app.stop()
    assert said == [True] and step_status(waiting, 'waits')['state'] == 'success'


def test_an_abandoned_attempt_may_wait_for_its_vect_to_end(release):
    # Timed out, it no longer holds the vect up: its wait ends when the vect does
    app = OAutom(mode=OAutomMode.background)
    flow, vects, said, finish = Flow('late', app=app), [], [], threading.Event()

    def late_wait(context):
        if context.attempt == 1:
            release.wait(DEADLINE)  # until attempt 2 has begun
            said.append(vects[0].wait())
    PythonExecution('waits', flow, function=late_wait, timeout=0.05, retries=1)
    PythonExecution('holds', flow, function=lambda context: finish.wait(DEADLINE))
    vects.append(app.start('late'))
    app.run()
    try:
        deadline = time.monotonic() + DEADLINE
        while step_status(vects[0], 'waits')['attempts'] < 2 and time.monotonic() < deadline:
            time.sleep(0.005)
        release.set()
        time.sleep(0.05)  # a wait refused would be refused by now, the vect still running
        finish.set()
        assert vects[0].wait(DEADLINE)
        while not said and time.monotonic() < deadline:
            time.sleep(0.005)
    finally:
        app.stop()
    assert said == [True]


def test_an_idle_worker_keeps_nothing_of_the_step_it_worked_for():
    # The worker marks its thread with the step's context while the function runs: an idle
    # worker that kept the mark would keep the context, its vect and its app alive
    contexts = []
    vect = run_function(lambda context: contexts.append(weakref.ref(context)))
    assert vect.state is VectState.success
    del vect
    for _ in range(200):
        gc.collect()
        if contexts[0]() is None:
            break
        time.sleep(0.005)
    assert contexts[0]() is None


def test_two_independent_steps_run_at_the_same_time():
    barrier = threading.Barrier(2, timeout=DEADLINE)  # breaks unless both wait at once
    app = OAutom(mode=OAutomMode.foreground)
    flow = Flow('python', app=app)
    PythonExecution('left', flow, function=lambda ctx: barrier.wait())
    PythonExecution('right', flow, function=lambda ctx: barrier.wait())
    vect = app.start('python')
    app.run()
    assert vect.state is VectState.success


def test_every_ready_step_gets_a_thread_at_once_without_a_pool():
    count = 40  # more than a default ThreadPoolExecutor would run at once
    barrier = threading.Barrier(count, timeout=DEADLINE)
    app = OAutom(mode=OAutomMode.foreground)
    flow = Flow('python', app=app)
    for number in range(count):
        PythonExecution(f'step {number}', flow, function=lambda ctx: barrier.wait())
    vect = app.start('python')
    app.run()
    assert vect.state is VectState.success


def test_the_downstream_starts_as_soon_as_the_function_returns():
    # Without the wake at return, the next check would wait for poll_interval (5 s).
    app = OAutom(mode=OAutomMode.foreground)
    flow = Flow('python', app=app)
    PythonExecution('call', flow, function=lambda ctx: time.sleep(0.1), poll_interval=5) >> \
        PythonExecution('after', flow, function=lambda ctx: None)
    vect = app.start('python')
    began = time.monotonic()
    app.run()
    assert vect.state is VectState.success
    assert time.monotonic() - began < 2


def test_cancel_abandons_a_running_function(release):
    app, started = OAutom(mode=OAutomMode.background), threading.Event()

    def wait_for_release(_context):
        started.set()
        release.wait(DEADLINE)
        return {'late': True}
    PythonExecution('call', Flow('python', app=app), function=wait_for_release)
    app.run()
    try:
        vect = app.start('python')
        assert started.wait(DEADLINE)
        vect.cancel()
        assert vect.wait(DEADLINE)
        assert step_status(vect)['state'] == 'cancelled'
        assert vect.log('call').startswith('[a thread cannot be stopped')
        release.set()  # the abandoned function returns at last: its result is ignored
        worker = next(thread for thread in threading.enumerate()
                      if thread.name == 'oautom-python python.1 call')
        deadline = time.monotonic() + DEADLINE
        while worker.name == 'oautom-python python.1 call' and time.monotonic() < deadline:
            time.sleep(0.001)  # its job is over once the worker takes its own name back
        assert worker.name != 'oautom-python python.1 call'
        assert step_status(vect)['outputs'] == {} and step_status(vect)['state'] == 'cancelled'
    finally:
        app.stop()


EXIT_SCRIPT = textwrap.dedent('''
    import threading
    from oautom import Flow, OAutom, OAutomMode, PythonExecution

    started = threading.Event()

    def block_forever(context):
        started.set()
        threading.Event().wait()

    app = OAutom(mode=OAutomMode.background)
    PythonExecution('forever', Flow('stuck', app=app), function=block_forever)
    app.start('stuck')
    app.run()
    assert started.wait(5), 'the function never started'
    print('exiting')
''')


def test_a_function_that_never_returns_does_not_keep_the_process_alive():
    result = subprocess.run([sys.executable, '-c', EXIT_SCRIPT], capture_output=True, text=True,
                            env={**os.environ, 'PYTHONPATH': str(REPO)}, timeout=DEADLINE + 5,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout == 'exiting\n'


# -- construction ------------------------------------------------------------------------------

@pytest.mark.parametrize('function', [None, 'print', 42, {'not': 'callable'}],
                         ids=['None', 'str', 'int', 'dict'])
def test_a_function_that_is_not_callable_is_refused_at_construction(function):
    with pytest.raises(FlowIntegrityError, match='callable|give the function to call'):
        PythonExecution('call', Flow('python'), function=function)


@pytest.mark.parametrize('make, told', [
    (lambda flow: PythonExecution('call', flow, python_callable=print),
     "step 'call': Airflow's python_callable= is function= here; give the function to call: "
     'PythonExecution(name, flow, function=f), which calls f(context)'),
    (lambda flow: PythonExecution('call', flow),
     "step 'call': give the function to call: PythonExecution(name, flow, function=f), which "
     'calls f(context)'),
    (lambda flow: BashExecution('list', flow=flow, bash_command='ls'),
     "step 'list': Airflow's bash_command= is command= here; give the shell code to run: "
     "BashExecution(name, flow, command='...')"),
    (lambda flow: BashExecution('list', flow, retries=1),
     "step 'list': give the shell code to run: BashExecution(name, flow, command='...')")])
def test_a_step_made_without_its_function_or_command_is_told_what_to_give(make, told):
    # Python's own TypeError said only "missing 1 required positional argument: 'function'"
    flow = Flow('python')
    with pytest.raises(FlowIntegrityError) as refusal:
        make(flow)
    assert str(refusal.value) == told and not flow.executions


def no_argument():
    """Airflow's PythonOperator may call this; oautom calls function(context)."""


def keywords_only(**context):
    """Airflow 2 passes the context as keywords; oautom passes it as one argument."""
    return context


@pytest.mark.parametrize('function, message', [
    (no_argument, r"function no_argument\(\) cannot be called as function\(context\), which is "
                  r"how oautom calls it; write def no_argument\(context\): \.\.\. \(the context "
                  r"gives params, outputs and log\)$"),
    (keywords_only, r"function keywords_only\(\*\*context\) cannot be called as function"
                    r"\(context\), which is how oautom calls it; oautom passes the context as one "
                    r"argument, not as keywords as Airflow does; write def keywords_only\(context\)"),
    (lambda: None, r'function <lambda>\(\) cannot .* write lambda context: \.\.\. '),
    (lambda context, extra: None, r'function <lambda>\(context, extra\) cannot be called'),
], ids=['no argument', 'keywords only', 'lambda', 'two arguments'])
def test_a_function_that_cannot_take_the_context_is_refused_at_construction(function, message):
    flow = Flow('python')
    with pytest.raises(FlowIntegrityError, match=message):
        PythonExecution('call', flow, function=function)
    assert not flow.executions  # refused before it joined its flow


async def fetch(context):
    """An async step function: its call makes a coroutine."""
    return context


def rows(context):
    """A generator: its call makes a generator."""
    yield context


@pytest.mark.parametrize('function, message', [
    (fetch, "step 'call': fetch is an async function: a call makes a coroutine and runs none "
            'of its body, and nothing here awaits it; give a function that runs it: '
            'function=lambda context: asyncio.run(fetch(context))'),
    (rows, "step 'call': rows is a generator function (it yields): a call makes a generator "
           'and runs none of its body; return a dict of outputs instead of yielding')])
def test_a_function_whose_call_would_not_run_its_body_is_refused_at_construction(function,
                                                                                 message):
    flow = Flow('python')
    for given in (function, functools.partial(function), functools.partial(
            functools.partial(function))):  # a partial calls it: refused as well
        with pytest.raises(FlowIntegrityError) as refusal:
            PythonExecution('call', flow, function=given)
        assert str(refusal.value) == message and not flow.executions


@pytest.mark.parametrize('function, told', [
    (None, "step 'call': function must be callable, not NoneType None"),
    (no_argument, "step 'call': function no_argument() cannot be called as function(context)"),
    (fetch, "step 'call': fetch is an async function"),
])
def test_a_function_set_after_the_step_was_made_is_checked_when_it_runs(function, told):
    app = OAutom(mode=OAutomMode.foreground)
    flow = Flow('python', app=app)
    step = PythonExecution('call', flow, function=lambda context: None)
    step.function = function  # as Airflow users set python_callable
    PythonExecution('other', flow, function=lambda context: {'ran': True})
    vect = app.start('python')
    app.run()
    error = step_status(vect)['error']
    assert step_status(vect)['state'] == 'failed'
    assert error.startswith(told) and error.endswith(' (set after the step was made)')
    assert step_status(vect, 'other')['outputs'] == {'ran': True}


def test_a_good_function_set_after_the_step_was_made_is_called():
    app = OAutom(mode=OAutomMode.foreground)
    step = PythonExecution('call', Flow('python', app=app), function=lambda context: None)
    step.function = lambda context: {'attempt': context.attempt}
    vect = app.start('python')
    app.run()
    assert step_status(vect)['outputs'] == {'attempt': 1}


def test_a_callable_that_answers_every_attribute_is_not_taken_for_an_async_function():
    PythonExecution('call', Flow('python'), function=mock.MagicMock())


@pytest.mark.parametrize('function, kind, fix', [(fetch, 'coroutine', 'asyncio.run(...)'),
                                               (rows, 'generator', 'list(...)')])
def test_a_wrapped_function_that_returns_an_unrun_body_fails_the_step(function, kind, fix):
    vect = run_function(lambda context: function(context))  # pylint: disable=unnecessary-lambda
    assert (step_status(vect)['state'], step_status(vect)['error']) == (
        'failed', f'the function returned a {kind}, whose body nothing here runs (from an '
        f'async def or a generator, wrapped?); run it in the function: {fix}')


@mock.patch('os.getcwd')
def patched(context, getcwd):  # what is called takes the context: mock.patch adds getcwd
    return context, getcwd


class Task:  # pylint: disable=too-few-public-methods
    """A callable object: oautom calls task(context)."""

    def __call__(self, context):
        return context


@pytest.mark.parametrize('function', [lambda context, extra=1: None, lambda *args: None, print,
                                      functools.partial(lambda prefix, context: None, 'p'),
                                      patched, Task()],
                         ids=['a default', '*args', 'built-in', 'partial', 'decorated',
                              'callable object'])
def test_a_function_that_can_take_the_context_is_accepted(function):
    PythonExecution('call', Flow('python'), function=function)


def test_a_callable_that_is_no_function_is_told_to_take_the_context_without_a_def():
    with pytest.raises(FlowIntegrityError, match=r"function functools.partial\(.*\)\(\*, "
                                                 r"context=1\) cannot be called as "
                                                 r"function\(context\), which is how "
                                                 r"oautom calls it; it must take one positional "
                                                 r"argument, the context$"):
        PythonExecution('call', Flow('python'),
                        function=functools.partial(lambda context: None, context=1))


class RunsItsOwnWay(PythonExecution):
    """A subclass whose run() does not call PythonExecution.run()."""

    def run(self, context):
        self.done = True  # pylint: disable=attribute-defined-outside-init

    def check(self):
        return False


def test_cancel_of_a_subclass_with_its_own_run_neither_fails_nor_logs_a_thread():
    app = OAutom(mode=OAutomMode.step)
    RunsItsOwnWay('call', Flow('python', app=app), function=lambda context: None)
    vect = app.start('python')
    app.tick()
    vect.cancel()
    app.tick()
    assert step_status(vect)['state'] == 'cancelled'
    assert vect.log('call') == '[attempt 1 cancelled with its vect]\n'  # no thread to abandon


class Load(PythonExecution):
    """Its function is one of its own methods, which keeps per-run state on self."""

    def __init__(self, name, flow, **options):
        super().__init__(name, flow, function=self.load, **options)

    def load(self, _context):
        self.rows = getattr(self, 'rows', 0) + 10  # pylint: disable=attribute-defined-outside-init
        return {'rows': self.rows}


def test_a_step_s_own_method_as_its_function_runs_on_the_attempt_s_copy_not_the_definition():
    app = OAutom(mode=OAutomMode.foreground)
    step = Load('load', Flow('python', app=app))
    seen = []
    for _ in range(3):
        vect = app.start('python')
        app.run()
        seen.append(step_status(vect, 'load')['outputs']['rows'])
    assert seen == [10, 10, 10] and not hasattr(step, 'rows')  # the definition is unchanged


class Gather(PythonExecution):
    """Keeps per-run state on self, in its own method: given later, or in a partial."""

    def __init__(self, name, flow, *, in_a_partial=False):
        function = functools.partial(self.gather, limit=5) if in_a_partial else \
            (lambda context: None)
        super().__init__(name, flow, function=function)

    def gather(self, _context, limit=1):
        self.rows = getattr(self, 'rows', []) + [limit]  # pylint: disable=attribute-defined-outside-init
        return {'rows': self.rows}


@pytest.mark.parametrize('how', ['set later', 'in a partial', 'in a partial set later'])
def test_a_step_s_own_method_given_any_way_runs_on_the_attempt_s_copy(how):
    # Set after the step was made, or in a partial, it ran on the definition: each vect
    # saw the rows of the vects before, and the flow's definition changed
    app = OAutom(mode=OAutomMode.foreground)
    step = Gather('load', Flow('python', app=app), in_a_partial=how == 'in a partial')
    if how == 'set later':
        step.function = step.gather
    elif how == 'in a partial set later':
        step.function = functools.partial(step.gather, limit=5)
    seen = []
    for _ in range(3):
        vect = app.start('python')
        app.run()
        seen.append(step_status(vect, 'load')['outputs']['rows'])
    limit = 5 if 'partial' in how else 1
    assert seen == [[limit]] * 3 and not hasattr(step, 'rows')  # the definition is unchanged


async def produce(context):
    """An async generator: its call runs none of its body."""
    yield context


def test_a_wrapped_async_generator_fails_the_step_instead_of_being_its_return_value():
    vect = run_function(lambda context: produce(context))  # pylint: disable=unnecessary-lambda
    assert (step_status(vect)['state'], step_status(vect)['error']) == (
        'failed', 'the function returned an async generator, whose body nothing here runs '
        '(from an async def or a generator, wrapped?); run it in the function: asyncio.run() '
        'of an async def that collects it with async for')


def interrupted(_context):
    """Raises KeyboardInterrupt in its worker thread: user code, not a Ctrl-C."""
    raise KeyboardInterrupt


def test_a_keyboard_interrupt_raised_in_a_worker_fails_only_its_step():
    vect = run_function(interrupted)  # run() returns: no Ctrl-C reached the main thread
    assert step_status(vect)['state'] == 'failed'
    assert step_status(vect)['error'] == 'KeyboardInterrupt'


def test_a_function_s_traceback_is_logged_once():
    vect = run_function(lambda context: 1 / 0)
    assert vect.log('call').count('Traceback (most recent call last)') == 1


class NotesItsCopies(PythonExecution):
    """Notes a weak reference to each of its per-run copies."""
    copies = []

    def run(self, context):
        NotesItsCopies.copies.append(weakref.ref(self))
        super().run(context)


def test_a_finished_function_leaves_no_cycle_that_keeps_its_step_s_copy():
    # The frame that called the function refers to the copy: it is let go of at the end,
    # so reference counting frees the copy (and its context and app) with no collector
    app = OAutom(mode=OAutomMode.foreground)
    NotesItsCopies('call', Flow('python', app=app), function=lambda context: None)
    gc.disable()
    try:
        vect = app.start('python')
        app.run()
        assert vect.state is VectState.success
        # (the worker lets go of its job just after the function returns)
        deadline = time.monotonic() + DEADLINE
        while NotesItsCopies.copies[-1]() is not None and time.monotonic() < deadline:
            time.sleep(0.005)
        assert NotesItsCopies.copies[-1]() is None
    finally:
        gc.enable()
