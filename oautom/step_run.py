"""A StepRun is one step of one vect: its state, its attempts, its log.

A flow's steps are definitions; a vect (one run of the flow) keeps one
StepRun per step to remember what happened to it this time. This is Airflow's
"task instance", kept as small as possible because a vect of 10,000 steps
holds 10,000 of them. Only the vect (and its agenda) changes a StepRun, inside
`app.tick()`, but for its log, which the step's own threads write too.
"""
import math
import os
import threading
from types import MappingProxyType

from .answers import checked_outputs, read_check, read_run
from .copies import per_run_copy
from .errors import is_interrupt
from .execution import SkipExecution
from .failures import StepFailed, cut_short, describe, traceback_text
from .logger import logger
from .rules import blame, decide
from .states import ENDED, FAILED, STATES
from .step_log import StepLog, output_so_far

SLOW_CALL_SECONDS = 0.5  # a run() or check() slower than this blocked the whole engine

NO_OUTPUTS = MappingProxyType({})  # shared until a step publishes: 10,000 steps, no 10,000 {}
_NEW_LOG = threading.Lock()  # a step's first log line may come from any of its threads
# Taken across os.fork(), as concurrent.futures does with its own lock: a child process must
# not start with it held by a thread that only its parent has.
os.register_at_fork(before=_NEW_LOG.acquire, after_in_parent=_NEW_LOG.release,
                    after_in_child=_NEW_LOG.release)


class StepRun:  # pylint: disable=too-many-instance-attributes
    """The state of one step within one vect."""
    # __slots__ keeps each record small: there is one per step per vect.
    __slots__ = ('step', 'name', 'index', 'options', 'state', 'attempts', 'started', 'ended',
                 'error', 'outputs', 'shown', 'attempt_copy', 'next_check', 'retry_at', 'deadline',
                 'upstream', 'downstream', 'pending', 'upstream_successes',
                 'upstream_failures', 'upstream_skips', 'ready', 'log', 'noted', 'unrun')

    def __init__(self, step, index, options):
        self.step = step                  # the definition (an Execution of the flow)
        self.name = step.name             # its name as the vect started: events, status, log
        self.index = index                # position in definition order
        self.options = options            # the step's StepOptions, as checked at app.start()
        self.state = STATES.waiting
        self.attempts = 0                 # attempts started so far
        self.started = None               # datetime the first attempt started (its event's)
        self.ended = None                 # datetime it reached an end state (its event's)
        self.error = None                 # why the last attempt failed (text)
        self.outputs = NO_OUTPUTS         # what the successful attempt published
        self.shown = None                 # its fields() at its last change of state, if any
        self.attempt_copy = None          # the per-run copy of `step` (one per attempt)
        self.next_check = None            # monotonic time of the next check() while running
        self.retry_at = None              # monotonic time of the next attempt while retrying
        self.deadline = math.inf          # monotonic time the current attempt times out
        self.upstream = []                # StepRuns this one waits for
        self.downstream = []              # StepRuns that wait for this one
        self.pending = 0                  # upstream StepRuns that have not ended yet
        self.upstream_successes = 0       # how the ended upstream StepRuns ended: success,
        self.upstream_failures = 0        # failed or upstream_failed,
        self.upstream_skips = 0           # skipped
        self.ready = False                # decided to run, not started yet: a flag, not a state
        self.log = None                   # a StepLog, made at the first line written
        self.noted = ()                   # the kinds of warning noted in this attempt
        self.unrun = None                 # why its trigger rule ended it before it ran, if so

    def has_ended(self):
        """True once the step reached an end state (success, failed, skipped, ...)."""
        return self.state in ENDED

    def write_log(self, text):
        """Append `text` to this step's log; callable from the step's own threads."""
        if self.log is None:  # most no-op steps never write: make the log on demand
            with _NEW_LOG:
                if self.log is None:
                    self.log = StepLog()
        self.log.write(text)

    def log_text(self):
        """Everything kept of the log, as one string; while an attempt runs, followed by
        what its work has written so far and logs only when it ends (a shell's output)."""
        if self.unrun:  # its whole log: one line, kept as text (a chain of 10,000 below a
            return f'[{self.unrun}]\n'  # failure would make 10,000 StepLogs, 12 MB)
        attempt_copy = self.attempt_copy  # read once: the tick lets go of it when the step ends
        text = '' if self.log is None else self.log.text()  # first: no output is shown twice
        so_far = '' if attempt_copy is None else output_so_far(attempt_copy)
        if so_far or attempt_copy is None:
            return text + so_far
        return '' if self.log is None else self.log.text()  # ended since: its output is here

    def fields(self):
        """(name, state, attempts, started, ended, error, outputs), for a status dict."""
        return (self.name, self.state, self.attempts, self.started, self.ended, self.error,
                self.outputs)

    def snapshot(self):
        """Its fields() as of its last change of state (the tick sets some just before)."""
        return self.shown or (self.name, STATES.waiting, 0, None, None, None, NO_OUTPUTS)

    def record_unrun(self, verdict):
        """Record, and return, why its trigger rule ended it before it ran, `verdict` (skipped,
        upstream_failed): rules.blame's message, which is its log too, as a skip's reason is."""
        self.unrun = blame(self, verdict)
        return self.unrun

    def count_ended(self, upstream):
        """Count one more ended upstream StepRun, by how it ended."""
        self.pending -= 1
        if upstream.state is STATES.success:
            self.upstream_successes += 1
        elif upstream.state in FAILED:
            self.upstream_failures += 1
        else:
            self.upstream_skips += 1

    def verdict(self):
        """Its trigger rule's verdict on the upstream steps counted so far, or None if this
        step was decided already (see rules.py)."""
        if self.state is not STATES.waiting or self.ready:
            return None  # e.g. one_success already ran at the first success
        return decide(self.options.trigger_rule, self.upstream_successes, self.upstream_failures,
                      self.upstream_skips, self.pending)

    def prepare_attempt(self, now):
        """Count a new attempt, due for its first check in the next tick (monotonic `now`)."""
        self.ready = False
        self.attempts += 1
        self.next_check = now
        timeout = self.options.timeout
        self.deadline = math.inf if timeout is None else now + timeout
        self.error = None  # a success after a retry shows no error
        self.noted = ()
        if self.attempts > 1:  # a retry: say where its lines begin
            self.write_log(f'[attempt {self.attempts}]\n')

    def start_attempt(self, context, began, clock):
        """Make this attempt's copy of the step and call its run(); `began` is the monotonic
        time its start began, to time run(). Return, as poll() does, (None, None) when it
        started, (skipped, reason), or (failed, the error raised) for a failed attempt."""
        try:  # user code failing fails this attempt, never the engine
            self.attempt_copy = per_run_copy(self.step)
            self.attempt_copy.outputs = {}
            returned = self.attempt_copy.run(context)
            if returned is not None:  # run() returns nothing: a slip, or an async def (answers.py)
                self._note_once('run returned', read_run(self.name, returned))
        except SkipExecution as skip:
            return self._skipped(skip)
        except BaseException as error:  # pylint: disable=broad-exception-caught
            if is_interrupt(error):
                raise
            # Whatever else the step raises fails only its step, even SystemExit or asyncio's
            # CancelledError (no Exceptions): none of them may end the engine's thread.
            return STATES.failed, error
        self._note_if_slow('run', began, clock, 'run() must only start the work (in a thread or '
                           'a process)')
        return None, None

    def _note_if_slow(self, method, began, clock, rule):
        """Note, once an attempt, a call of `method` that made the whole engine wait."""
        took = clock.monotonic() - began
        if took > SLOW_CALL_SECONDS:
            self._note_once(method, f'{method}() of step {self.name!r} took {took:.1f} s, and '
                            f'the engine waited for it; {rule}')

    def _note(self, message):
        """A warning about how the step is written: in its log, and on the oautom logger."""
        self.write_log(f'[warning] {message}\n')
        logger.warning('%s', message)

    def _note_once(self, kind, message):
        """_note(message), unless a note of this kind was made in this attempt already."""
        if kind not in self.noted:
            self.noted += (kind,)
            self._note(message)

    def poll(self, clock):
        """Call check() once. Return what it said as (state, why): (None, None) while the
        work runs, (success, message) or (skipped, reason) when the step ended, and (failed,
        the error) when this attempt failed: the vect tries again if the step allows it."""
        began = clock.monotonic()  # a check() that makes the engine wait is worth a warning
        note = None
        try:
            said = self.attempt_copy.check()
            if said is True or said is False:  # the usual answers: the others are read slowly
                finished = said
            else:  # user code too (a __bool__), as are the two lines below
                finished, note = read_check(self.name, said, self.attempt_copy.outputs)
            outputs = checked_outputs(self.name, self.attempt_copy.outputs) if finished else None
            empty = finished and not outputs
        except SkipExecution as skip:
            return self._skipped(skip)
        except BaseException as error:  # pylint: disable=broad-exception-caught
            if is_interrupt(error):  # as in start_attempt
                raise
            return STATES.failed, error
        finally:  # however it ended: one that waited for the work and then answered, too
            self._note_if_slow('check', began, clock, 'check() must only look whether the work '
                               'is done, never wait for it (its timeout waited too)')
        if note:
            self._note_once('answer', note)
        if not finished:
            return None, None
        self.outputs = NO_OUTPUTS if empty else outputs  # an empty dict need not be kept
        return STATES.success, f'succeeded after {self.attempts} attempt(s)'

    def _skipped(self, skip):
        """(skipped, the reason), with the reason in the log as well: a skip is an answer."""
        text = describe(skip)
        reason = f'skipped by the step: {text}' if text else 'skipped by the step'
        self.write_log(f'[{reason}]\n')
        return STATES.skipped, cut_short(reason)

    def record_failure(self, error):
        """Remember why this attempt failed: an exception (its traceback goes to the log)
        or a reason in words."""
        if isinstance(error, BaseException):
            if not isinstance(error, StepFailed):
                self.write_log(traceback_text(error))
            error = describe(error)
        self.error = cut_short(error)
        self.deadline = math.inf
        self.write_log(f'[attempt {self.attempts} failed: {error}]\n')

    def is_due_at(self, when):
        """True while `when` is still one of this step's due times (a check, a timeout, a
        retry); an older time, left in the vect's agenda, no longer matters."""
        if self.state is STATES.running:
            return when in (self.next_check, self.deadline)
        return self.state is STATES.retrying and when == self.retry_at

    def cancel_attempt(self, clock, why=None):
        """Ask the running copy to stop; an error in cancel() is logged, not raised. The log
        ends with `[attempt N why]`, if given (a timeout's reason is logged with its failure)."""
        began = clock.monotonic()  # a cancel() that makes the engine wait is worth a warning
        try:
            self.attempt_copy.cancel()
        except BaseException as error:  # pylint: disable=broad-exception-caught
            if is_interrupt(error):  # as in start_attempt
                raise
            self.write_log(f'[cancel() failed: {describe(error)}]\n')
        self._note_if_slow('cancel', began, clock, 'cancel() must only ask the work to stop, '
                           'never wait for it')
        if why:
            self.write_log(f'[attempt {self.attempts} {why}]\n')

    def __repr__(self):
        return f'<StepRun {self.name!r} {self.state.value}, attempt {self.attempts}>'
