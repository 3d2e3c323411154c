"""A vect walks its flow's DAG: readiness, trigger rules, failures, retries, outputs.

These tests drive a step-mode app by hand with a fake clock and scripted
steps, so every round of the engine is visible and nothing sleeps.
"""
import asyncio
import copyreg
import gc
import json
import math
import pathlib
import sys
import weakref

import pytest

from oautom import (Execution, ExecutionState, Flow, OAutom, OAutomMode, SkipExecution,
                    VectState)
from oautom.clock import FakeClock
from oautom.errors import UnknownExecutionError
from oautom.step_log import LOG_LIMIT
from oautom.step_run import StepRun
from helpers import Scripted, states, tick_until_ended


@pytest.fixture(name='app')
def app_fixture():
    return OAutom(mode=OAutomMode.step, clock=FakeClock())


@pytest.fixture(name='flow')
def flow_fixture(app):
    return Flow('etl', app=app, params={'day': 'monday'})


def test_steps_start_when_their_upstream_succeeded(app, flow):
    a, b = Scripted('a', flow), Scripted('b', flow)
    a >> b
    vect = app.start('etl')
    assert states(vect) == {'a': 'waiting', 'b': 'waiting'}
    app.tick()
    assert states(vect) == {'a': 'running', 'b': 'waiting'}
    app.tick()
    assert states(vect) == {'a': 'success', 'b': 'running'}
    app.tick()
    assert vect.state is VectState.success


def test_check_is_first_called_in_the_tick_after_run(app, flow):
    a = Scripted('a', flow)
    vect = app.start('etl')
    app.tick()
    assert a.calls == [('run', 1)]
    app.tick()
    assert a.calls == [('run', 1), ('check',)]
    assert vect.ended()


def test_a_failure_blocks_only_its_downstream(app, flow):
    a = Scripted('a', flow)
    bad = Scripted('bad', flow, script=[ValueError('no rows')])
    after_bad, other, after_other = (Scripted(n, flow) for n in ('after bad', 'other', 'last'))
    a >> bad >> after_bad
    a >> other >> after_other
    vect = app.start('etl')
    tick_until_ended(app, vect)
    assert states(vect) == {'a': 'success', 'bad': 'failed', 'after bad': 'upstream_failed',
                            'other': 'success', 'last': 'success'}
    assert vect.state is VectState.failed
    (event,) = [e for e in vect.events if e['step'] == 'after bad' and e['state'] != 'waiting']
    assert event['state'] is ExecutionState.upstream_failed
    assert "upstream 'bad' failed" in event['message']


def test_failed_step_error_and_traceback(app, flow):
    Scripted('bad', flow, script=[ValueError('no rows')])
    vect = app.start('etl')
    tick_until_ended(app, vect)
    (step,) = vect.status()['executions']
    assert step['error'] == 'ValueError: no rows'
    assert 'Traceback' in vect.log('bad') and 'ValueError: no rows' in vect.log('bad')


def test_upstream_failed_propagates_through_a_chain(app, flow):
    bad, b, c = Scripted('bad', flow, script=[RuntimeError('x')]), Scripted('b', flow), \
        Scripted('c', flow)
    bad >> b >> c
    vect = app.start('etl')
    tick_until_ended(app, vect)
    assert states(vect) == {'bad': 'failed', 'b': 'upstream_failed', 'c': 'upstream_failed'}
    assert b.calls == [] and c.calls == []


def test_skip_signal_skips_the_step_and_its_all_success_downstream(app, flow):
    skipper = Scripted('skipper', flow, script=[SkipExecution('nothing new')])
    after = Scripted('after', flow)
    tolerant = Scripted('tolerant', flow, trigger_rule='none_failed')
    skipper >> [after, tolerant]
    vect = app.start('etl')
    tick_until_ended(app, vect)
    assert states(vect) == {'skipper': 'skipped', 'after': 'skipped', 'tolerant': 'success'}
    assert vect.state is VectState.success
    skip_event = next(e for e in vect.events if e['step'] == 'skipper' and e['state'] == 'skipped')
    assert 'nothing new' in skip_event['message']


def test_one_failed_rollback_runs_but_the_vect_still_fails(app, flow):
    bad = Scripted('bad', flow, script=[ValueError('x')])
    rollback = Scripted('rollback', flow, trigger_rule='one_failed')
    bad >> rollback
    vect = app.start('etl')
    tick_until_ended(app, vect)
    assert states(vect) == {'bad': 'failed', 'rollback': 'success'}
    assert vect.state is VectState.failed


def test_one_success_runs_while_other_upstream_still_run(app, flow):
    fast, slow = Scripted('fast', flow), Scripted('slow', flow, script=[False])
    first = Scripted('first', flow, trigger_rule='one_success')
    [fast, slow] >> first
    vect = app.start('etl')
    app.tick()
    app.tick()
    assert states(vect)['first'] == 'running' and states(vect)['slow'] == 'running'
    app.tick()
    assert states(vect)['first'] == 'success'
    assert first.calls.count(('run', 1)) == 1


@pytest.mark.parametrize('rule, expected', [('all_done', 'success'), ('all_failed', 'skipped')])
def test_after_one_upstream_succeeded_and_one_failed(app, flow, rule, expected):
    ok, bad = Scripted('ok', flow), Scripted('bad', flow, script=[ValueError('x')])
    after = Scripted('after', flow, trigger_rule=rule)
    [ok, bad] >> after
    vect = app.start('etl')
    tick_until_ended(app, vect)
    assert states(vect)['after'] == expected


@pytest.mark.parametrize('failed_first', [True, False], ids=['failed first', 'skipped first'])
def test_a_failure_and_a_skip_of_the_same_tick_decide_as_the_failure_whatever_their_order(
        app, flow, failed_first):
    answers = {'bad': ValueError('x'), 'skip': SkipExecution('nothing to do')}
    order = ['bad', 'skip'] if failed_first else ['skip', 'bad']  # the order of definition
    upstream = [Scripted(name, flow, script=[answers[name]]) for name in order]
    after = Scripted('after', flow)  # all_success
    last = Scripted('last', flow, trigger_rule='none_failed')
    upstream >> after >> last
    vect = app.start('etl')
    tick_until_ended(app, vect)
    assert states(vect) == {'bad': 'failed', 'skip': 'skipped', 'after': 'upstream_failed',
                            'last': 'upstream_failed'}


@pytest.mark.parametrize('late', ['fails', 'fails upstream'])
def test_a_skip_waits_for_the_other_upstream_steps_whose_failure_outweighs_it(app, flow, late):
    # How a step ends must not depend on which branch ended first
    skip = Scripted('skip', flow, script=[SkipExecution('nothing to do')])
    bad = Scripted('bad', flow, script=[False, False, ValueError('x')])  # ends ticks later
    branch_end = bad if late == 'fails' else bad >> Scripted('between', flow)  # upstream_failed
    after = Scripted('after', flow)  # all_success
    [skip, branch_end] >> after
    vect = app.start('etl')
    app.tick()
    app.tick()  # 'skip' has ended, 'bad' runs on
    assert states(vect)['skip'] == 'skipped' and states(vect)['after'] == 'waiting'
    tick_until_ended(app, vect, seconds=1.0)
    assert states(vect)['after'] == 'upstream_failed'


def test_run_raising_fails_the_attempt_and_is_retried(app, flow):
    Scripted('a', flow, fail_on_run=OSError('disk full'), retries=1)
    vect = app.start('etl')
    tick_until_ended(app, vect)
    (step,) = vect.status()['executions']
    assert (step['state'], step['attempts'], step['error']) == ('failed', 2, 'OSError: disk full')
    retry = next(e for e in vect.events if e['state'] == 'retrying')
    assert retry['message'] == 'attempt 1 failed, retrying in 0 s: OSError: disk full'


@pytest.mark.parametrize('timeout, retry_delay, said', [
    (1234567, 2592000, ('timed out after 1234567 s', 'retrying in 2592000 s')),
    (0.1234567, 0.2, ('timed out after 0.1234567 s', 'retrying in 0.2 s')),
    (5.0, 1e-07, ('timed out after 5 s', 'retrying in 1e-07 s'))])
def test_timeout_and_retry_messages_give_the_seconds_as_they_were_given(app, flow, timeout,
                                                                        retry_delay, said):
    Scripted('a', flow, script=[False], timeout=timeout, retries=1, retry_delay=retry_delay)
    vect = app.start('etl')
    app.tick()
    app.clock.advance(timeout)
    app.tick()
    retry = next(event for event in vect.events if event['state'] == 'retrying')
    assert retry['message'] == f'attempt 1 failed, {said[1]}: {said[0]}'


def test_retry_succeeds_with_a_fresh_copy_per_attempt(app, flow):
    step = Scripted('a', flow, scripts=[[ValueError('flaky')], [True]], retries=2,
                    outputs={'n': 1})
    vect = app.start('etl')
    tick_until_ended(app, vect)
    (status,) = vect.status()['executions']
    assert (status['state'], status['attempts'], status['outputs']) == ('success', 2, {'n': 1})
    assert step.calls.count(('run', 1)) == step.calls.count(('run', 2)) == 1
    assert step.outputs == {}  # the definition is never changed by a run
    assert not hasattr(step, 'context')


@pytest.mark.parametrize('answer', [SkipExecution('enough'), ValueError('gave up')])
def test_an_attempt_ended_by_its_check_is_cancelled_before_any_retry(app, flow, answer):
    # Its work may still run (a subclass's check() that gives up on a shell, say): a retry
    # must not run beside it, and nothing of it may outlive its vect
    step = Scripted('a', flow, script=[answer], retries=1)
    vect = app.start('etl')
    tick_until_ended(app, vect)
    assert step.calls[:3] == [('run', 1), ('check',), ('cancel',)]
    assert step.calls.count(('cancel',)) == step.calls.count(('run', 1)) + step.calls.count(
        ('run', 2))  # one per attempt: a skip is not retried


def test_an_attempt_whose_run_raised_is_not_cancelled(app, flow):
    # run() did not return: what it started is its own to stop (cancel() would find a
    # half-made attempt), as Airflow calls no on_kill() for an execute() that raised
    step = Scripted('a', flow, fail_on_run=ValueError('no'), retries=1)
    tick_until_ended(app, app.start('etl'))
    assert step.calls == [('run', 1), ('run', 2)]


def test_an_attempt_that_succeeds_or_times_out_is_cancelled_only_by_its_timeout(app, flow):
    done = Scripted('done', flow)
    slow = Scripted('slow', flow, script=[False], timeout=5)
    vect = app.start('etl')
    app.tick()
    app.clock.advance(5)
    tick_until_ended(app, vect)
    assert ('cancel',) not in done.calls and slow.calls.count(('cancel',)) == 1


class Slotted(Execution):
    """Keeps its target in a slot: copy.copy() copies slots too."""
    __slots__ = ('target',)

    def __init__(self, name, flow, target):
        self.target = target
        super().__init__(name, flow)

    def run(self, context):
        self.outputs['seen'] = self.target

    def check(self):
        return True


class Stated(Scripted):
    """Says, through copy.copy()'s hooks, what its copies get."""

    def __getstate__(self):
        return {**self.__dict__, 'result': {'from': 'getstate'}}

    def __setstate__(self, state):
        self.__dict__.update(state, restored=True)


class OwnCopy(Scripted):
    """Makes its copies itself."""

    def __copy__(self):
        clone = Scripted.__new__(type(self))
        clone.__dict__.update(self.__dict__, result={'from': '__copy__'})
        return clone


class Registered(Scripted):
    """Its copies are made as copyreg says."""


def rebuild_registered(state):
    step = Scripted.__new__(Registered)
    step.__dict__.update(state, result={'from': 'copyreg'})
    return step


copyreg.pickle(Registered, lambda step: (rebuild_registered, (vars(step),)))


class Decorated(Scripted):
    """Gets its copy hook after its class statement (as a class decorator would give it)."""


def copy_decorated(step):
    clone = Scripted.__new__(type(step))
    clone.__dict__.update(step.__dict__, result={'from': 'a hook added later'})
    return clone


Decorated.__copy__ = copy_decorated


def test_the_per_run_copy_is_copy_copy_of_the_step_whatever_its_class(app, flow):
    Scripted('plain', flow, outputs={'n': 1})
    Slotted('slotted', flow, target=42)
    stated = Stated('stated', flow)
    OwnCopy('own copy', flow)
    Registered('registered', flow)
    Decorated('decorated', flow)
    vect = app.start('etl')
    tick_until_ended(app, vect)
    outputs = {step['name']: step['outputs'] for step in vect.status()['executions']}
    assert outputs == {'plain': {'n': 1}, 'slotted': {'seen': 42},
                       'stated': {'from': 'getstate'}, 'own copy': {'from': '__copy__'},
                       'registered': {'from': 'copyreg'},
                       'decorated': {'from': 'a hook added later'}}
    assert not hasattr(stated, 'restored')  # the definition is never changed by a run


def test_context_gives_params_vect_id_attempt_and_upstream_outputs(app, flow):
    a = Scripted('a', flow, outputs={'rows': 3})
    b = Scripted('b', flow)
    a >> b
    vect = app.start('etl', params={'day': 'tuesday'})
    tick_until_ended(app, vect)
    assert not hasattr(b, 'context')  # the context went to the per-run copy only
    seen = vect_context(app, 'etl')
    assert seen.params == {'day': 'tuesday'}
    assert seen.vect_id == 'etl.2' and seen.attempt == 1
    assert seen.outputs['a'] == {'rows': 3}


def vect_context(app, flow_name):
    """Run the flow again with a step that keeps its context in a list."""
    kept = []

    class Keeper(Scripted):
        """Keeps each context it is given."""

        def run(self, context):
            kept.append(context)
            super().run(context)

    flow = app.flow(flow_name)
    keeper = Keeper('keeper', flow)
    keeper.depends(flow.execution('a'))
    vect = app.start(flow_name, params={'day': 'tuesday'})
    tick_until_ended(app, vect)
    return kept[0]


def test_outputs_view_shows_ancestors_only_and_is_read_only(app, flow):
    a, b, c, side = (Scripted(n, flow, outputs={'from': n}) for n in ('a', 'b', 'c', 'side'))
    a >> b >> c
    kept = []
    c.run = lambda context, original=c.run: (kept.append(context), original(context))[1]
    vect = app.start('etl')
    tick_until_ended(app, vect)
    outputs = kept[0].outputs
    assert outputs['a'] == {'from': 'a'} and outputs['b'] == {'from': 'b'}
    assert sorted(outputs) == ['a', 'b'] and len(outputs) == 2
    with pytest.raises(TypeError):
        outputs['a']['from'] = 'changed'
    with pytest.raises(KeyError, match="'side' is not upstream of 'c'.*ancestors are: a, b"):
        outputs['side']  # pylint: disable=pointless-statement
    assert side.calls  # it ran; it just is not an ancestor


def test_context_log_goes_to_the_step_log(app, flow):
    class Talker(Scripted):
        """Logs a line when it starts."""

        def run(self, context):
            context.log('hello from run')
            super().run(context)

    Talker('talker', flow)
    vect = app.start('etl')
    tick_until_ended(app, vect)
    assert vect.log('talker') == 'hello from run\n'


@pytest.mark.parametrize('so_far, shown', [
    (lambda: 'written elsewhere\n', 'written elsewhere\n'),  # what the protocol is for
    (lambda: None, ''),                                     # an override that returns nothing
    (lambda: 1 / 0, '[output_so_far() failed: ZeroDivisionError: division by zero]\n'),
    ([], "[output_so_far() failed: TypeError: 'list' object is not callable]\n"),  # per-run state
    (lambda: sys.exit(3), '[output_so_far() failed: the step called sys.exit(3); raise an '
                          'exception to fail a step]\n'),  # it must not end the program
    (lambda: 42, '[output_so_far() returned int, not text]\n'),
    (lambda: b'bytes', '[output_so_far() returned bytes, not text]\n'),
    (lambda: 'x' * (LOG_LIMIT + 10) + 'end', '[... 13 earlier characters dropped ...]\n'
                                             + 'x' * (LOG_LIMIT - 3) + 'end'),  # its tail
], ids=['text', 'none', 'raises', 'shadowed', 'exits', 'int', 'bytes', 'huge'])
def test_the_log_of_a_running_step_ends_with_its_output_so_far_whatever_that_does(app, flow,
                                                                                 so_far, shown):
    class Writer(Scripted):
        def run(self, context):
            context.log('started')
            self.output_so_far = so_far
            super().run(context)

    Writer('writer', flow, script=[False])
    vect = app.start('etl')
    app.tick()
    assert vect.log('writer') == 'started\n' + shown  # user code: it never makes log() raise


def test_a_wake_from_an_attempt_that_is_over_is_dropped(app, flow):
    kept = []

    class Sensor(Scripted):  # keeps its context, as a thread of its own would
        def run(self, context):
            kept.append(context)
            super().run(context)

    Sensor('sensor', flow)
    vect = app.start('etl')
    tick_until_ended(app, vect)
    for _ in range(1000):  # a thread that goes on waking a step that has ended
        kept[0].wake()
    assert not vect._agenda._woken  # pylint: disable=protected-access  # nothing piles up


class PayloadError(Exception):
    """Its attributes come from a payload: getattr(error, '__notes__') raises KeyError."""

    def __getattr__(self, name):
        return {}[name]


class Len0Raises(dict):
    """A mapping whose len() raises."""

    def __len__(self):
        raise RuntimeError('no len')


@pytest.mark.parametrize('where', ['run', 'check', 'outputs'])
def test_user_code_that_fails_oddly_fails_its_attempt_never_the_tick(app, flow, where):
    class Odd(Execution):
        def run(self, context):
            if where == 'run':
                raise PayloadError('in run')

        def check(self):
            if where == 'check':
                raise PayloadError('in check')
            if where == 'outputs':
                self.outputs = Len0Raises()
            return True

    Odd('odd', flow)
    vect = app.start('etl')
    tick_until_ended(app, vect)  # a tick that raised would raise here
    assert states(vect) == {'odd': 'failed'}


def test_status_is_json_and_complete(app, flow):
    Scripted('a', flow, outputs={'when': object()})
    vect = app.start('etl')
    tick_until_ended(app, vect)
    status = json.loads(json.dumps(vect.status()))
    assert status['id'] == 'etl.1' and status['flow'] == 'etl'
    assert status['state'] == 'success' and status['params'] == {'day': 'monday'}
    assert status['start_date'].startswith('2026-01-01T12:00')
    (step,) = status['executions']
    assert set(step) == {'name', 'state', 'attempts', 'started', 'ended', 'error', 'outputs'}
    assert step['outputs']['when'].startswith('<object object')


def test_log_of_an_unknown_step_lists_the_steps(app, flow):
    Scripted('a', flow)
    vect = app.start('etl')
    with pytest.raises(UnknownExecutionError, match="no step 'zz'; its steps are: a"):
        vect.log('zz')
    with pytest.raises(UnknownExecutionError, match=r"no step \['a'\]; its steps are: a"):
        vect.log(['a'])  # unhashable: a plain dict lookup would raise TypeError
    with pytest.raises(UnknownExecutionError, match="^vect etl.1 has no step 'A'; did you mean "
                                                    "'a'[?] its steps are: a$"):
        vect.log('A')
    with pytest.raises(UnknownExecutionError, match="^vect etl.1 has no step <Scripted 'a' of "
                                                    "flow 'etl'>: give the step's name, 'a', not "
                                                    "the step$"):
        vect.log(flow.execution('a'))
    with pytest.raises(UnknownExecutionError, match=r"no step PurePosixPath\('a'\); its steps are"):
        vect.log(pathlib.PurePosixPath('a'))  # a .name of its own, but no step


def test_events_follow_the_transitions_in_order(app, flow):
    Scripted('a', flow, script=[False, True])
    vect = app.start('etl')
    tick_until_ended(app, vect, seconds=1.0)
    assert [(e['step'], e['state'].value) for e in vect.events] == [
        (None, 'running'), ('a', 'running'), ('a', 'success'), (None, 'success')]
    assert {e['vect'] for e in vect.events} == {'etl.1'}


def test_a_chain_of_ten_thousand_steps_runs():
    app = OAutom()
    flow = Flow('long', app=app)
    steps = [Scripted(f's{i}', flow) for i in range(10_000)]
    for upstream, downstream in zip(steps, steps[1:]):
        upstream >> downstream
    vect = app.start('long')
    app.run()
    assert vect.state is VectState.success
    assert repr(vect) == '<Vect long.1 success: 10000/10000 done>'


def test_a_rule_verdict_blames_the_upstream_that_caused_it(app, flow):
    bad = Scripted('bad', flow, script=[ValueError('x')])
    late = Scripted('late skip', flow, script=[False, SkipExecution('nothing')])
    either = Scripted('either', flow, trigger_rule='one_success')
    [bad, late] >> either
    vect = app.start('etl')
    tick_until_ended(app, vect, seconds=1.0)
    (event,) = [e for e in vect.events if e['step'] == 'either']
    assert event['state'] is ExecutionState.upstream_failed
    assert event['message'] == "upstream_failed by trigger rule one_success: upstream 'bad' failed"


def test_a_skipped_verdict_names_every_upstream_when_none_did_what_the_rule_waited_for(app, flow):
    ok, skipper = Scripted('ok', flow), Scripted('skipper', flow, script=[SkipExecution()])
    on_failure = Scripted('on failure', flow, trigger_rule='one_failed')
    [ok, skipper] >> on_failure
    vect = app.start('etl')
    tick_until_ended(app, vect)
    (event,) = [e for e in vect.events if e['step'] == 'on failure']
    assert event['message'] == ("skipped by trigger rule one_failed: upstream 'ok' success, "
                                "'skipper' skipped")


def test_an_all_failed_verdict_blames_the_upstream_that_ended_not_those_still_running(app, flow):
    ok, slow = Scripted('ok', flow), Scripted('slow', flow, script=[False])
    rollback = Scripted('rollback', flow, trigger_rule='all_failed')
    [ok, slow] >> rollback
    vect = app.start('etl')
    app.tick()
    app.tick()  # ok succeeded, slow still runs: rollback can no longer run
    assert states(vect) == {'ok': 'success', 'slow': 'running', 'rollback': 'skipped'}
    (event,) = [e for e in vect.events if e['step'] == 'rollback']
    assert event['message'] == "skipped by trigger rule all_failed: upstream 'ok' success"
    vect.cancel()
    app.tick()


def test_skip_execution_raised_by_run_skips_the_step(app, flow):
    Scripted('a', flow, fail_on_run=SkipExecution('no new files today'), retries=2)
    vect = app.start('etl')
    tick_until_ended(app, vect)
    (step,) = vect.status()['executions']
    assert (step['state'], step['attempts']) == ('skipped', 1)
    assert vect.state is VectState.success


def test_a_failing_run_ends_its_vect_in_the_same_tick(app, flow):
    Scripted('a', flow, fail_on_run=OSError('no'))
    vect = app.start('etl')
    app.tick()
    assert vect.state is VectState.failed


class Unprintable(Exception):
    """An exception whose message cannot even be shown."""

    def __str__(self):
        raise RuntimeError('cannot describe myself')


class Falsy:
    """A check() result whose truth cannot be told."""

    def __bool__(self):
        raise RuntimeError('neither true nor false')


@pytest.mark.parametrize('answer', [Unprintable(), Falsy()], ids=['bad __str__', 'bad __bool__'])
def test_user_code_failing_in_odd_ways_fails_only_its_step(app, flow, answer):
    Scripted('odd', flow, script=[answer])
    Scripted('fine', flow)
    vect = app.start('etl')
    tick_until_ended(app, vect)
    assert states(vect) == {'odd': 'failed', 'fine': 'success'}


def test_a_step_reads_the_outputs_of_a_far_ancestor_and_only_ancestors(app, flow):
    steps = [Scripted(f's{i}', flow, outputs={'n': i}) for i in range(300)]
    for upstream, downstream in zip(steps, steps[1:]):
        upstream >> downstream
    Scripted('apart', flow)
    seen = []

    def read_root(context, original=steps[-1].run):
        seen.append((context.outputs['s0']['n'], len(context.outputs), 'apart' in context.outputs))
        original(context)
    steps[-1].run = read_root
    vect = app.start('etl')
    tick_until_ended(app, vect, limit=1000)
    assert seen == [(0, 299, False)]
    assert not vect._ancestry._bits  # pylint: disable=protected-access  # n * n bits, dropped


def test_a_stale_check_time_wakes_nobody(app, flow):
    step = Scripted('a', flow, script=[False, True], poll_interval=60)
    vect = app.start('etl')
    app.tick()
    app.tick()                       # first check: still running, next check in 60 s
    assert vect.next_due() == 60
    step.contexts[0].wake()          # ...but it wakes early
    app.tick()                       # and ends now
    assert vect.ended()
    assert vect.next_due() == math.inf  # its 60 s check is gone, not waited for


class Abort(BaseException):
    """Neither an Exception nor SystemExit, as asyncio.CancelledError."""


class Exits(Scripted):
    """A step whose run(), check() or cancel() raises `error` (by default, calls sys.exit())."""

    def __init__(self, name, flow, where, error=SystemExit(2), **options):  # pylint: disable=too-many-arguments
        super().__init__(name, flow, script=[False], **options)
        self.where = where
        self.error = error

    def run(self, context):
        super().run(context)
        if self.where == 'run':
            raise self.error

    def check(self):
        if self.where == 'check':
            raise self.error
        return super().check()

    def cancel(self):
        if self.where == 'cancel':
            raise self.error


# What a step raises that is not an Exception still fails only the step, never the engine
# (made anew for each test: a raised exception keeps its traceback)
NOT_EXCEPTIONS = [(lambda: SystemExit(2), 'sys.exit(2)'),
                  (asyncio.CancelledError, 'CancelledError'),
                  (lambda: Abort('stop here'), 'Abort: stop here')]


@pytest.mark.parametrize('error, shown', NOT_EXCEPTIONS)
@pytest.mark.parametrize('where', ['run', 'check'])
def test_sys_exit_or_any_base_exception_in_a_step_fails_the_step_not_the_engine(
        app, flow, where, error, shown):
    Exits('exits', flow, where, error())
    Scripted('fine', flow)
    vect = app.start('etl')
    tick_until_ended(app, vect)
    assert states(vect) == {'exits': 'failed', 'fine': 'success'}
    assert shown in vect.status()['executions'][0]['error']


@pytest.mark.parametrize('error, shown', NOT_EXCEPTIONS)
def test_sys_exit_or_any_base_exception_in_cancel_does_not_stop_the_cancellation(
        app, flow, error, shown):
    Exits('exits', flow, 'cancel', error(), timeout=5)
    vect = app.start('etl')
    app.tick()
    app.clock.advance(5)
    app.tick()  # timed out: its cancel() raises
    assert states(vect) == {'exits': 'failed'}
    assert shown in vect.log('exits')


def test_no_step_starts_once_its_vect_is_cancelled(app, flow):
    first = Scripted('first', flow)
    vects = []

    class Canceller(Scripted):
        """Cancels its own vect from run(), as another thread might mid-tick."""

        def run(self, context):
            super().run(context)
            vects[0].cancel()
    fan = [Canceller('c0', flow)] + [Scripted(f'f{i}', flow) for i in range(1, 5)]
    first >> fan
    vects.append(app.start('etl'))
    tick_until_ended(app, vects[0])
    assert vects[0].state is VectState.cancelled
    assert all(step.calls == [] for step in fan[1:])


class Frame:  # pylint: disable=too-few-public-methods
    """Like a pandas DataFrame: asking whether it is empty raises."""

    def __bool__(self):
        raise ValueError('the truth value of a Frame is ambiguous')


class PublishesAFrame(Scripted):
    def check(self):
        self.outputs = Frame()  # not JSON-friendly, yet it must not break the engine
        return True


def test_a_check_that_returns_none_runs_on_and_is_noted_once_an_attempt(app, flow, caplog):
    # None is "still running", as any false value; it is also what a check() that forgot
    # its `return True` gives back, so the step's log and the oautom logger say so, once.
    step = Scripted('a', flow, scripts=[[None, None, ValueError('x')], [None, None, True]],
                    retries=1, poll_interval=1.0)
    vect = app.start('etl')
    tick_until_ended(app, vect, seconds=1.0)
    assert vect.state is VectState.success and step.calls.count(('check',)) == 6
    note = ("[warning] check() of step 'a' returned None, taken as False: still running; "
            'return True once the work is done (and False, not None, while it runs)')
    assert vect.log('a').count(note) == 2  # once in each attempt
    assert [record.getMessage() for record in caplog.records].count(note[10:]) == 2


def test_a_check_that_makes_the_engine_wait_is_noted_once_an_attempt(app, flow, caplog):
    # The whole engine waits for check(): a slow one holds up every flow, and its own timeout

    class Waits(Scripted):
        """A check() that waits for the work, 2 (fake) seconds, instead of looking."""

        def check(self):
            app.clock.advance(2)
            return super().check()
    # Attempt 1: still running, still running, then fails; attempt 2: waits, then succeeds
    Waits('a', flow, scripts=[[False, False, ValueError('x')], [True]], retries=1)
    vect = app.start('etl')
    tick_until_ended(app, vect, seconds=1.0)
    assert vect.state is VectState.success
    note = ("[warning] check() of step 'a' took 2.0 s, and the engine waited for it; check() "
            'must only look whether the work is done, never wait for it (its timeout waited too)')
    assert vect.log('a').count(note) == 2  # once in each attempt, not at each check
    assert [record.getMessage() for record in caplog.records].count(note[10:]) == 2


def test_a_check_that_returns_its_outputs_instead_of_filling_them_is_noted(app, flow, caplog):
    class Returns(Scripted):
        """A check() that returns the outputs it meant to publish."""

        def check(self):
            return {'rows': 3}
    Returns('a', flow)
    vect = app.start('etl')
    tick_until_ended(app, vect)
    assert vect.state is VectState.success and vect.status()['executions'][0]['outputs'] == {}
    note = ("check() of step 'a' returned a mapping, taken as True: done, with no outputs; a "
            'step publishes by filling self.outputs (self.outputs.update(...)), then returns '
            'True')
    assert vect.log('a') == f'[warning] {note}\n'
    assert [record.getMessage() for record in caplog.records] == [note]


class Row:  # pylint: disable=too-few-public-methods
    """Reads as a mapping (keys() and [name]) without being a registered Mapping."""

    def __init__(self, **values):
        self._values = values

    def keys(self):
        """The names."""
        return self._values.keys()

    def __getitem__(self, name):
        return self._values[name]

    def __iter__(self):
        return iter(self._values)

    def __len__(self):
        return len(self._values)


class PublishesARow(Scripted):
    def check(self):
        self.outputs = Row(rows=3)
        return True


class ReadsRows(Scripted):
    def run(self, context):
        row = context.outputs['row']
        self.calls.append((row['rows'], 'rows' in row, list(row), row.get('rows')))
        super().run(context)


def test_outputs_with_keys_and_items_by_name_are_published_as_the_dict_they_make(app, flow):
    reader = ReadsRows('reader', flow)
    PublishesARow('row', flow) >> reader
    vect = app.start('etl')
    tick_until_ended(app, vect)
    assert vect.state is VectState.success and (3, True, ['rows'], 3) in reader.calls
    assert vect.status()['executions'][1]['outputs'] == {'rows': 3}  # 'row', made second


def test_outputs_that_are_no_mapping_fail_the_step_without_asking_their_truth(app, flow):
    PublishesAFrame('frame', flow)  # its truth value raises: it must never be asked
    vect = app.start('etl')
    tick_until_ended(app, vect)
    assert vect.state is VectState.failed
    assert vect.status()['executions'][0]['error'] == (
        "step 'frame' finished with self.outputs of type Frame; outputs are a dict of names "
        'to values: fill self.outputs, the dict each attempt is given')


@pytest.mark.parametrize('moved_first', [0, 1e8])  # 1e8 s: a nanosecond is below its precision
def test_a_fake_clock_moved_in_tenths_of_a_second_meets_due_times_counted_in_tenths(
        app, flow, moved_first):
    # Floats round: 0.1 added ten times is 0.9999999999999999, and 0.9 + 0.3 is
    # 1.2000000000000002, so a due time may lie a hair past the clock that meets it
    step = Scripted('a', flow, script=[False], poll_interval=0.3, timeout=1.5)
    app.clock.advance(moved_first)
    vect = app.start('etl')
    app.tick()
    app.tick()  # its first check, at 0
    checked_at = []
    for tenth in range(1, 17):
        app.clock.advance(0.1)
        checks = step.calls.count(('check',))
        app.tick()
        if step.calls.count(('check',)) > checks:
            checked_at.append(tenth)
        if vect.ended():
            break
    assert checked_at == [3, 6, 9, 12, 15] and tenth == 15
    assert vect.status()['executions'][0]['error'] == 'timed out after 1.5 s'


def test_an_hour_s_timeout_strikes_after_an_hour_of_tenths_of_a_second(app, flow):
    Scripted('a', flow, script=[False], poll_interval=3600, timeout=3600)
    vect = app.start('etl')
    app.tick()
    for _ in range(36_000 - 1):  # float additions would drift to 3599.9999999978213 by then
        app.clock.advance(0.1)
    app.tick()
    assert not vect.ended()
    app.clock.advance(0.1)
    app.tick()
    assert vect.status()['executions'][0]['error'] == 'timed out after 3600 s'


def test_outputs_are_the_step_s_as_they_were_when_it_succeeded(app, flow):
    kept = []

    class Leaves(Scripted):
        """Publishes, then changes its outputs, as a thread it left running would."""

        def check(self):
            self.outputs['rows'] = 3
            kept.append(self.outputs)
            return True

    Leaves('a', flow)
    vect = app.start('etl')
    tick_until_ended(app, vect)
    kept[0]['rows'] = 'changed later'
    assert vect.status()['executions'][0]['outputs'] == {'rows': 3}


def test_outputs_that_cannot_be_read_fail_their_own_step_not_one_downstream(app, flow):
    class Unreadable(dict):
        def __iter__(self):
            raise RuntimeError('cannot list my keys')

        def keys(self):
            raise RuntimeError('cannot list my keys')

    class Publishes(Scripted):
        def check(self):
            self.outputs = Unreadable(rows=3)
            return True

    Publishes('a', flow) >> Scripted('b', flow)
    vect = app.start('etl')
    tick_until_ended(app, vect)
    assert states(vect) == {'a': 'failed', 'b': 'upstream_failed'}
    assert 'RuntimeError: cannot list my keys' in vect.status()['executions'][0]['error']


def test_a_huge_error_message_is_cut_short_in_the_step_s_error_and_whole_in_its_log(app, flow):
    Scripted('a', flow, script=[ValueError('x' * 100_000)])
    vect = app.start('etl')
    tick_until_ended(app, vect)
    error = vect.status()['executions'][0]['error']
    assert error.endswith('x [... 98012 more characters in the log]') and len(error) < 2100
    assert vect.log('a').count('x' * 100_000) == 2  # its traceback, and its failure's line


def test_a_cancel_that_makes_the_engine_wait_is_noted(app, flow, caplog):
    class Waits(Scripted):
        """A cancel() that waits for the work to stop, 2 (fake) seconds."""

        def cancel(self):
            app.clock.advance(2)

    Waits('a', flow, script=[False])
    vect = app.start('etl')
    app.tick()
    vect.cancel()
    app.tick()
    note = ("cancel() of step 'a' took 2.0 s, and the engine waited for it; cancel() must only "
            'ask the work to stop, never wait for it')
    assert vect.log('a') == f'[warning] {note}\n[attempt 1 cancelled with its vect]\n'
    assert note in [record.getMessage() for record in caplog.records]


def test_a_huge_skip_reason_is_cut_short_in_its_event_and_whole_in_its_log(app, flow):
    Scripted('a', flow, script=[SkipExecution('y' * 5000)])
    vect = app.start('etl')
    tick_until_ended(app, vect)
    assert vect.events[-2]['message'].endswith('y [... 3021 more characters in the log]')
    assert 'y' * 5000 in vect.log('a')



@pytest.mark.parametrize('option, value', [
    ('retries', '2'), ('retry_delay', None), ('timeout', 'soon'),  # refused at the next start
    ('trigger_rule', 'all_failed'), ('poll_interval', 1000)])      # for the next vect
def test_a_running_vect_keeps_the_options_checked_at_its_start(app, flow, option, value):
    # Set while a vect runs, an option is for the next one. A bad one used to fail every
    # tick of this vect (which never ended), read where the engine first needed it.
    a = Scripted('a', flow, script=[False, True])
    b = Scripted('b', flow, scripts=[[ValueError('first')], [False, True]], retries=1,
                 timeout=60, poll_interval=5)
    a >> b
    vect = app.start('etl')
    app.tick()
    setattr(b, option, value)
    tick_until_ended(app, vect, seconds=5)
    assert (vect.state, b.calls.count(('run', 2))) == (VectState.success, 1)


def test_status_shows_each_step_as_of_its_last_change_of_state(app, flow, monkeypatch):
    # The tick sets a new attempt's count, or a success's outputs, just before the state: a
    # status() read in between (from another thread) showed a retrying step at its next
    # attempt with no error, and a running one with its outputs
    Scripted('a', flow, scripts=[[ValueError('flaky')], [True]], retries=1, outputs={'n': 1})
    vect, seen = app.start('etl'), []

    def seen_after(method):
        def wrapper(step_run, *args):
            said = method(step_run, *args)
            (status,) = vect.status()['executions']
            seen.append((status['state'], status['attempts'], status['error'], status['outputs']))
            return said
        return wrapper

    monkeypatch.setattr(StepRun, 'prepare_attempt', seen_after(StepRun.prepare_attempt))
    monkeypatch.setattr(StepRun, 'poll', seen_after(StepRun.poll))
    tick_until_ended(app, vect)
    assert seen == [('waiting', 0, None, {}),                 # attempt 1 about to start
                    ('running', 1, None, {}),                 # its check raised
                    ('retrying', 1, 'ValueError: flaky', {}),  # attempt 2 about to start
                    ('running', 2, None, {})]                 # its check said done
    assert states(vect) == {'a': 'success'}


def test_a_step_renamed_while_its_vect_runs_keeps_its_name_in_that_vect(app, flow):
    a = Scripted('a', flow, script=[False, True])
    vect = app.start('etl')
    app.tick()
    a.name = 'renamed'  # the next start refuses the flow; this vect goes on as it began
    tick_until_ended(app, vect, seconds=1.0)
    assert [(event['step'], event['state']) for event in vect.events[1:-1]] == [
        ('a', 'running'), ('a', 'success')]
    assert states(vect) == {'a': 'success'}
    assert vect.log('a') == ''


def test_vect_events_are_copies_that_readers_may_change(app, flow):
    Scripted('a', flow)
    seen = []
    app.subscribe(seen.append)
    vect = app.start('etl')
    vect.events[0]['state'] = 'hacked'
    vect.events.clear()  # it used to be the engine's own list: the tick failed
    tick_until_ended(app, vect)
    assert [event['state'] for event in seen][:2] == [VectState.running, ExecutionState.running]
    assert len(vect.events) == 4


def test_a_step_its_trigger_rule_ended_before_it_ran_says_why_in_its_log(app, flow):
    # Its log was empty, and status() has no error for it: the why was only in its event
    a, b, c = Scripted('a', flow, script=[ValueError('no')]), Scripted('b', flow), \
        Scripted('c', flow, trigger_rule='all_failed')
    a >> [b, c]
    vect = app.start('etl')
    tick_until_ended(app, vect)
    assert states(vect) == {'a': 'failed', 'b': 'upstream_failed', 'c': 'success'}
    assert vect.log('b') == ("[upstream_failed by trigger rule all_success: upstream 'a' "
                             'failed]\n')
    assert vect.log('c') == ''  # it ran


def test_a_vect_cancelled_after_a_failure_ends_cancelled(app, flow):
    Scripted('bad', flow, script=[ValueError('no')])
    Scripted('slow', flow, script=[False])
    vect = app.start('etl')
    app.tick()
    app.tick()
    assert states(vect) == {'bad': 'failed', 'slow': 'running'}
    vect.cancel()
    app.tick()
    assert vect.state is VectState.cancelled  # a stop says more than the failure before it


def test_a_step_retried_keeps_the_start_of_its_first_attempt(app, flow):
    Scripted('a', flow, scripts=[[ValueError('flaky')], [True]], retries=1, retry_delay=60)
    vect = app.start('etl')
    tick_until_ended(app, vect, seconds=30)
    (step,) = vect.status()['executions']
    assert (step['attempts'], step['started']) == (2, '2026-01-01T12:00:00')


def test_steps_made_ready_in_one_tick_start_in_definition_order(app, flow):
    a, b, x, y = (Scripted(name, flow) for name in 'abxy')
    a >> y  # y's upstream ends first in the tick, x's second: x starts first all the same
    b >> x
    vect = app.start('etl')
    tick_until_ended(app, vect)
    started = [e['step'] for e in vect.events if e['state'] is ExecutionState.running]
    assert started == ['a', 'b', 'x', 'y']


class Noted(Scripted):
    """Notes a weak reference to each of its per-run copies."""
    copies = []

    def run(self, context):
        Noted.copies.append(weakref.ref(self))
        super().run(context)


def test_a_step_that_ended_lets_go_of_its_per_run_copy(app, flow):
    # A vect kept in history must not keep every copy it ran (reference counting alone
    # frees it: no cycle is left for the garbage collector)
    Noted('a', flow)
    gc.disable()
    try:
        tick_until_ended(app, app.start('etl'))
        assert Noted.copies[-1]() is None
    finally:
        gc.enable()
