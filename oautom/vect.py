"""A Vect is one run of a flow: it walks the DAG, step by step, as the app ticks.

The app calls three methods, always from its tick, never concurrently:

    advance(now)          check the running steps that are due, end what ended,
                          and return the steps that became ready to start
    start_step(run, now)  start one ready step (the app decides when: max_parallel)
    hold(run)             record that a ready step waits for a free slot (queued)

A step becomes ready the way `graphlib.TopologicalSorter` hands out nodes:
each StepRun counts its upstream steps that have not ended yet; when one ends,
every downstream count goes down and the trigger rule is asked (see rules.py).
So a tick costs what changed, never the size of the flow.

Running steps are kept in a heap ordered by when they are next due (a check,
a timeout, a retry). A step that calls `context.wake()` is put on the
`_woken` list, checked in the next tick, whatever the heap says.
"""
import copy
import heapq
import itertools
import threading
import traceback
from functools import partial

from .context import AncestorOutputs, Context
from .errors import UnknownExecutionError
from .execution import SkipExecution
from .rules import RUN, decide
from .states import ENDED, FAILED, ExecutionState, VectState, check_transition
from .report import iso, jsonable
from .step_run import StepLog, StepRun

_S = ExecutionState
_IMMEDIATELY = float('-inf')


class Vect:  # pylint: disable=too-many-instance-attributes
    """One run of one flow, with its own params, step states, outputs and events."""

    def __init__(self, flow, number, params, *, clock, on_change):  # pylint: disable=too-many-arguments
        self.id = f'{flow.name}.{number}'
        self.flow_name = flow.name
        self.params = params
        self._clock = clock
        self._on_change = on_change  # tells the app's loop that something may have changed
        # Guards what other threads read or write: state, end_date, events, every
        # StepRun's state fields, _woken and _cancel_requested. Never held while
        # user code (run, check, cancel) runs.
        self._lock = threading.Lock()
        self.state = VectState.running
        self.start_date = clock.now()
        self.end_date = None
        self.events = []
        self._woken = []                  # StepRuns that called context.wake()
        self._cancel_requested = False
        self._ended = threading.Event()   # set once the vect has ended, for wait()
        # Below: touched only by the app's tick, so no lock is needed.
        self._new_events = []             # events not yet collected by the app
        self._runs = [StepRun(step, index) for index, step in enumerate(flow.executions)]
        self._by_name = {run.name: run for run in self._runs}
        for run in self._runs:
            run.upstream = [self._by_name[step.name] for step in run.step.upstream]
            run.pending = len(run.upstream)
            for upstream in run.upstream:
                upstream.downstream.append(run)
        self._ready = [run for run in self._runs if not run.upstream]
        for run in self._ready:
            run.ready = True
        self._just_ended = []             # ended StepRuns whose downstream is not told yet
        self._due = []                    # heap of (monotonic time, tie-breaker, StepRun)
        self._tie = itertools.count()     # heap entries never compare StepRuns
        self._unfinished = len(self._runs)
        self._failures = 0
        self.running_steps = 0            # StepRuns in state running, for max_parallel
        self._record(None, VectState.running, f'vect {self.id} started')

    # -- what the app calls from its tick ----------------------------------------

    def advance(self, now):
        """Check the due steps, settle what ended; return the steps ready to start."""
        with self._lock:
            woken, self._woken = self._woken, []
            cancel = self._cancel_requested
        if cancel:
            self._cancel_all()
        else:
            for run in woken:
                run.next_check = now  # woken: due now, whatever its poll interval says
            for run in woken + self._pop_due(now):
                self._visit(run, now)
            self._settle()
        self._finish_if_done()
        ready, self._ready = self._ready, []
        ready.sort(key=lambda run: run.index)
        return ready

    def start_step(self, run, now):
        """Start one attempt of a ready step: a fresh copy of it, then its run(context)."""
        run.ready = False
        run.attempts += 1
        run.attempt_began = run.next_check = now  # due in the first tick after run()
        if run.log is None:
            run.started = self._clock.now()
            run.log = StepLog()
        run.instance = copy.copy(run.step)
        run.instance.outputs = {}
        context = Context(params=self.params, outputs=AncestorOutputs(run.step, self._outputs_of),
                          vect_id=self.id, attempt=run.attempts, log=run.write_log,
                          wake=partial(self._wake, run))
        self._set_state(run, _S.running, f'attempt {run.attempts} started')
        self._schedule(run, now)
        if run.step.timeout is not None:
            run.deadline = now + run.step.timeout
            self._schedule(run, run.deadline)
        try:
            run.instance.run(context)
        except Exception as error:  # pylint: disable=broad-exception-caught
            self._fail_attempt(run, now, _describe(error), error)  # fails this step only
            self._settle()

    def hold(self, run):
        """A ready step is held back by max_parallel: record it as queued (once)."""
        if run.state is _S.waiting or run.state is _S.retrying:
            self._set_state(run, _S.queued, 'queued: max_parallel steps are already running')

    def next_due(self):
        """Monotonic time this vect next needs a tick; None if only a wake can move it."""
        if self._ready or self._woken or self._cancel_requested:
            return _IMMEDIATELY
        return self._due[0][0] if self._due else None

    def take_events(self):
        """The events since the last call (the app publishes them after its tick)."""
        events, self._new_events = self._new_events, []
        return events

    # -- the public handle ---------------------------------------------------------

    def cancel(self):
        """Stop this vect: running steps are cancelled, the others never start."""
        with self._lock:
            if self.state is not VectState.running:
                return
            self._cancel_requested = True
        self._on_change()

    def ended(self):
        """True once the vect has ended (success, failed or cancelled)."""
        return self.state is not VectState.running

    def wait(self, timeout=None):
        """Block until the vect ends or `timeout` seconds pass; True if it ended."""
        return self._ended.wait(timeout)

    def status(self):
        """A JSON-serialisable snapshot of the vect and every step."""
        with self._lock:
            return {
                'id': self.id, 'flow': self.flow_name, 'state': self.state.value,
                'params': jsonable(self.params),
                'start_date': iso(self.start_date), 'end_date': iso(self.end_date),
                'executions': [{
                    'name': run.name, 'state': run.state.value, 'attempts': run.attempts,
                    'started': iso(run.started), 'ended': iso(run.ended), 'error': run.error,
                    'outputs': jsonable(run.outputs),
                } for run in self._runs],
            }

    def log(self, step):
        """The log text of the step called `step`."""
        return self._run_named(step).log_text()

    def __repr__(self):
        done = sum(run.state in ENDED for run in self._runs)
        return f'<Vect {self.id} {self.state.value}: {done}/{len(self._runs)} done>'

    # -- inside a tick ---------------------------------------------------------------

    def _visit(self, run, now):
        """A step is due: check it, time it out, or make it ready for its next attempt."""
        if run.state is _S.running:
            if run.next_check <= now:
                self._check(run, now)
            if run.state is _S.running and run.deadline is not None and run.deadline <= now:
                self._time_out(run, now)
        elif run.state is _S.retrying and run.retry_at <= now and not run.ready:
            run.ready = True
            self._ready.append(run)

    def _check(self, run, now):
        try:
            finished = run.instance.check()
        except SkipExecution as signal:
            self._end(run, _S.skipped, f'skipped by the step: {signal}' if str(signal)
                      else 'skipped by the step')
        except Exception as error:  # pylint: disable=broad-exception-caught
            self._fail_attempt(run, now, _describe(error), error)
        else:
            if finished:
                run.outputs = run.instance.outputs
                self._end(run, _S.success, f'succeeded after {run.attempts} attempt(s)')
            else:
                run.next_check = now + run.step.poll_interval
                self._schedule(run, run.next_check)

    def _time_out(self, run, now):
        # A thread cannot be killed, so cancel() may only abandon the work:
        # the attempt's copy is dropped and whatever it produces later is ignored.
        try:
            run.instance.cancel()
        except Exception as error:  # pylint: disable=broad-exception-caught
            run.write_log(f'cancel() raised {type(error).__name__}: {error}\n')
        self._fail_attempt(run, now, f'timed out after {run.step.timeout:g} s')

    def _fail_attempt(self, run, now, reason, error=None):
        run.error = reason
        if error is not None:  # the traceback goes to the step's log, the reason to status
            run.write_log(''.join(traceback.format_exception(error)))
        run.deadline = None
        if run.attempts <= run.step.retries:
            run.retry_at = now + run.step.retry_delay
            self._set_state(run, _S.retrying, f'attempt {run.attempts} failed: {run.error}; '
                            f'retrying in {run.step.retry_delay:g} s')
            self._schedule(run, run.retry_at)
        else:
            self._end(run, _S.failed, f'failed after {run.attempts} attempt(s): {run.error}')

    def _end(self, run, state, message):
        self._set_state(run, state, message)
        self._unfinished -= 1
        self._failures += state is _S.failed
        self._just_ended.append(run)

    def _settle(self):
        """Tell the downstream of every step that just ended; ask their trigger rules."""
        while self._just_ended:
            upstream = self._just_ended.pop()
            for run in upstream.downstream:
                run.pending -= 1
                if upstream.state is _S.success:
                    run.succeeded += 1
                elif upstream.state in FAILED:
                    run.failed += 1
                else:
                    run.skipped += 1
                if run.state is not _S.waiting or run.ready:
                    continue  # already decided, e.g. one_success ran at its first success
                verdict = decide(run.step.trigger_rule, run.succeeded, run.failed, run.skipped,
                                 run.pending)
                if verdict == RUN:
                    run.ready = True
                    self._ready.append(run)
                elif verdict is not None:
                    run.cause = upstream
                    self._end(run, verdict, f'{verdict.value} by trigger rule '
                              f'{run.step.trigger_rule}: upstream {upstream.name!r} '
                              f'{upstream.state.value}')

    def _cancel_all(self):
        for run in self._runs:
            if run.state is _S.running:
                try:
                    run.instance.cancel()
                except Exception as error:  # pylint: disable=broad-exception-caught
                    run.write_log(f'cancel() raised {type(error).__name__}: {error}\n')
            if not run.has_ended():
                self._end(run, _S.cancelled, 'cancelled with its vect')
        self._just_ended.clear()  # everything has ended: no downstream to tell
        self._ready.clear()

    def _finish_if_done(self):
        if self._unfinished or self.state is not VectState.running:
            return
        if self._cancel_requested:
            state = VectState.cancelled
        else:
            state = VectState.failed if self._failures else VectState.success
        with self._lock:
            self.state = state
            self.end_date = self._clock.now()
        self._record(None, state, f'vect {self.id} ended {state.value}')
        self._ended.set()

    # -- plumbing ----------------------------------------------------------------------

    def _set_state(self, run, state, message):
        check_transition(run.name, run.state, state)
        self.running_steps += (state is _S.running) - (run.state is _S.running)
        with self._lock:
            run.state = state
            if state in ENDED:
                run.ended = self._clock.now()
        self._record(run.name, state, message)

    def _record(self, step, state, message):
        event = {'time': self._clock.now(), 'vect': self.id, 'step': step, 'state': state,
                 'message': message}
        with self._lock:
            self.events.append(event)
        self._new_events.append(event)

    def _schedule(self, run, when):
        heapq.heappush(self._due, (when, next(self._tie), run))

    def _pop_due(self, now):
        due = []
        while self._due and self._due[0][0] <= now:
            due.append(heapq.heappop(self._due)[2])
        return due

    def _wake(self, run):
        with self._lock:
            self._woken.append(run)
        self._on_change()

    def _outputs_of(self, name):
        return self._by_name[name].outputs

    def _run_named(self, name):
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownExecutionError(
                f'vect {self.id} has no step {name!r}; its steps are: '
                f'{", ".join(self._by_name)}') from None


def _describe(error):
    """'ValueError: bad row' for an exception raised by a step."""
    return f'{type(error).__name__}: {error}' if str(error) else type(error).__name__
