"""A Vect is one run of a flow: it walks the DAG, step by step, as the app ticks.

The app drives it from its tick, never from two threads at once:

    advance(now)                  check the running steps that are due, end what ended
    take_ready()                  the steps that became ready to start, in definition order
    start_step(step_run)          start one ready step (start_queue.py says when)
    hold(step_run, limit)         note that a ready step waits for a free slot (queued)
    next_due()                    when this vect next needs a tick (due.py), so the loop can sleep

A step becomes ready as `graphlib.TopologicalSorter` hands out nodes: each StepRun counts
its upstream steps not ended yet; when one ends, every downstream count goes down and its
trigger rule is asked (rules.py). So a tick costs what changed, never the flow's size.
"""
import math
import threading

from .ancestry import Ancestry, link_runs
from .clock import seconds_text
from .context import Context, refuse_a_wait_for_itself
from .due import Agenda
from .events import make_event
from .report import vect_status
from .rules import READY
from .states import ENDED, STATES, TRANSITIONS, VectState, check_transition


class Vect:  # pylint: disable=too-many-instance-attributes
    """One run of one flow, with its own params, step states, outputs and events."""

    def __init__(self, flow, number, params, options, *, clock, loop, on_event, subscribers):  # pylint: disable=too-many-arguments
        self.id = f'{flow.name}.{number}'
        self.flow_name = flow.name
        self.params = params
        self._clock = clock
        # Guards what other threads read or write: state, end_date, _events, _cancel_requested
        # (a flag the tick reads without it), each StepRun's state, started, ended and shown
        # (what status() reads). Never held while user code (run, check) runs.
        self._lock = threading.Lock()
        self.state = VectState.running
        self.start_date = clock.now()
        self.end_date, self._cancel_requested = None, False
        self._end_reached = threading.Event()  # set by the tick that ends it (waits in a tick)
        self._end_seen = threading.Event()  # and once the callbacks saw it end (other waits)
        # Below: the tick's alone, but for wakes (the agenda locks them) and ancestry questions.
        self._on_event = on_event         # app._events.append: the tick's events, in order
        self._subscribers = subscribers   # the app's: see wait() and _finish_if_done()
        self._runs = link_runs(flow.executions, options)  # linked; those with no upstream ready
        self._ancestry = Ancestry(self._runs)  # finds steps by name, and their ancestors
        self._ready = [step_run for step_run in self._runs if step_run.ready]  # not started yet
        self._just_ended = []             # ended StepRuns whose downstream is not told yet
        self._loop = loop                 # the app's: rung, and asked if it runs in this thread
        self._agenda = Agenda(loop.ring)  # when each running step is next due; rings the loop
        self._unfinished = len(self._runs)
        self._failures, self.running_steps = 0, 0  # steps failed, and running (max_parallel)
        self._events = [make_event(self.start_date, self.id, None, VectState.running,
                                   f'vect {self.id} started')]  # its own: readers get copies

    # -- what the app calls from its tick ----------------------------------------
    def advance(self, now):
        """Check the due steps (or cancel them all, if asked) and settle what ended."""
        if self._cancel_requested:
            self._cancel_all()
        else:
            visits = self._agenda.pop_due(now)
            for position, step_run in enumerate(visits):
                try:
                    self._visit(step_run, now)
                except BaseException:  # a tick cut short (Ctrl-C in a check): the rest is
                    self._agenda.due_again(visits[position:])  # due in the next tick
                    raise
            self._settle()
        self._finish_if_done()

    def take_ready(self):
        """The steps ready to start, in definition order (the contract's order)."""
        ready, self._ready = self._ready, []
        return sorted(ready, key=lambda step_run: step_run.index) if len(ready) > 1 else ready

    def start_step(self, step_run):
        """Start one attempt of a ready step: a fresh copy of it, then its run(context)."""
        if self._cancel_requested:  # cancel() came during this tick: start nothing more
            return
        now = self._clock.monotonic()  # not the tick's: its timeout must not count earlier run()s
        step_run.prepare_attempt(now)
        self._set_state(step_run, STATES.running, f'attempt {step_run.attempts} started')
        self._agenda.started(step_run, now)  # its first check: in the next tick; its timeout
        context = Context(step_run, params=self.params, vect_id=self.id, agenda=self._agenda,
                          ancestry=self._ancestry)
        if self._act_on(step_run, step_run.start_attempt(context, now, self._clock)):
            self._settle()  # over inside run() (skipped, failed): settled at once, not later
            self._finish_if_done()

    def hold(self, step_run, limit):
        """A ready step is held back by max_parallel (the limit): it is queued."""
        self._set_state(step_run, STATES.queued, f'queued: max_parallel={limit} steps running')

    def next_due(self):
        """Monotonic time of its next tick: -inf now (steps ready, a cancel); inf: on a wake."""
        return -math.inf if self._ready or self._cancel_requested else self._agenda.next_time()

    # -- the public handle ---------------------------------------------------------
    def cancel(self):
        """Stop this vect at its next tick: running steps are cancelled, the others never start."""
        with self._lock:
            if self.state is not VectState.running:
                return
            self._cancel_requested = True
        self._loop.ring()  # wake the app's loop if it sleeps (loop.py): it cancels at once

    @property
    def events(self):
        """Its events so far, in order: copies, yours to change (the engine keeps its own)."""
        with self._lock:
            return [dict(event) for event in self._events]

    def ended(self):
        """True once the vect has ended (success, failed or cancelled)."""
        return self.state is not VectState.running

    def wait(self, timeout=None):
        """Block until the vect has ended and the callbacks saw it, or `timeout` s; True if so."""
        # In the thread that ticks or delivers, callbacks see the end only after this returns
        inside = self._loop.runs_here() or self._subscribers.delivers_here()
        end = self._end_reached if inside else self._end_seen  # then it is in what they kept
        if self._loop.endless(timeout) and not end.is_set():
            refuse_a_wait_for_itself(self._agenda, self.id)  # in a thread of one of its steps
        return self._loop.wait_for(end, timeout, f'vect {self.id}')

    def status(self):
        """A JSON-serialisable snapshot of the vect and every step."""
        with self._lock:  # a consistent copy, JSON outside; dict(): a step writes params freely
            vect = (self.id, self.flow_name, self.state, dict(self.params), self.start_date,
                    self.end_date)
            runs = [step_run.snapshot() for step_run in self._runs]
        return vect_status(vect, runs)

    def log(self, step):
        """The log text of the step called `step`."""
        return self._ancestry.run_named(step, f'vect {self.id}').log_text()

    def __repr__(self):
        done = len(self._runs) - self._unfinished
        return f'<Vect {self.id} {self.state.value}: {done}/{len(self._runs)} done>'

    # -- inside a tick ---------------------------------------------------------------
    def _visit(self, step_run, now):
        """A step is due: check it, time it out, or make it ready for its next attempt."""
        options = step_run.options  # as checked when this vect started
        if step_run.state is STATES.running:
            if step_run.next_check <= now:  # (else only its timeout is due)
                said = step_run.poll(self._clock)
                if said[0] in (STATES.failed, STATES.skipped):  # its work may run on: stop it
                    step_run.cancel_attempt(self._clock)  # before a retry can start
                if not self._act_on(step_run, said):  # runs on: again, later
                    step_run.next_check = self._clock.monotonic() + options.poll_interval
                    self._agenda.schedule(step_run, step_run.next_check)
            if step_run.state is STATES.running and step_run.deadline <= now:
                step_run.cancel_attempt(self._clock)  # a step that cannot stop its work abandons it
                self._fail_attempt(step_run, f'timed out after {seconds_text(options.timeout)} s')
        elif step_run.state is STATES.retrying and step_run.retry_at <= now and not step_run.ready:
            self._make_ready(step_run)

    def _act_on(self, step_run, said):
        """Act on run()'s or check()'s (state, why) (StepRun.poll): True if the attempt is over."""
        state, why = said
        if state is STATES.failed:  # this attempt failed: the step may be tried again
            self._fail_attempt(step_run, why)
        elif state is not None:  # it ended: success or skipped
            self._end(step_run, state, why)
        return state is not None

    def _fail_attempt(self, step_run, error):
        step_run.record_failure(error)
        options, attempts, why = step_run.options, step_run.attempts, step_run.error  # cut short
        if attempts <= options.retries:  # why comes last: a shell's ends with lines of stderr
            step_run.retry_at = self._clock.monotonic() + options.retry_delay  # from the failure
            self._set_state(step_run, STATES.retrying, f'attempt {attempts} failed, retrying in '
                            f'{seconds_text(options.retry_delay)} s: {why}')
            self._agenda.schedule(step_run, step_run.retry_at)
        else:
            self._end(step_run, STATES.failed, f'failed after {attempts} attempt(s): {why}')

    def _end(self, step_run, state, message):
        step_run.ready = False  # a step queued by max_parallel may be cancelled before it starts
        step_run.attempt_copy = None  # the per-run copy has done its work: a big vect keeps none
        self._set_state(step_run, state, message)
        self._unfinished -= 1
        self._failures += state is STATES.failed
        self._just_ended.append(step_run)

    def _settle(self):
        """Tell the downstream of the steps that just ended, then ask their trigger rules, and
        again for what a rule ended. All ends are counted first: a failure outweighs a skip."""
        while self._just_ended:
            ended, self._just_ended, told = self._just_ended, [], []
            for upstream in ended:
                for step_run in upstream.downstream:
                    step_run.count_ended(upstream)
                    told.append(step_run)
            for step_run in told:
                verdict = step_run.verdict()  # None for one decided already (told twice, say)
                if verdict == READY:
                    self._make_ready(step_run)
                elif verdict is not None:
                    self._end(step_run, verdict, step_run.record_unrun(verdict))

    def _cancel_all(self):
        for step_run in self._runs:
            if step_run.state is STATES.running:
                step_run.cancel_attempt(self._clock, 'cancelled with its vect')
            if not step_run.has_ended():
                self._end(step_run, STATES.cancelled, 'cancelled with its vect')
        self._just_ended, self._ready = [], []  # everything has ended: none to tell or start

    def _finish_if_done(self):
        if self._unfinished or self.state is not VectState.running:
            return
        state = (VectState.cancelled if self._cancel_requested else
                 VectState.failed if self._failures else VectState.success)
        event = make_event(self._clock.now(), self.id, None, state,
                           f'vect {self.id} ended {state.value}')
        with self._lock:
            self.state = state
            self.end_date = event['time']
            self._events.append(event)
        self._on_event(event)
        self._ancestry.forget()  # n * n bits for n steps: not for a vect kept in history
        self._end_reached.set()
        self._subscribers.after_events(self._end_seen.set)  # once the callbacks have seen it end

    def _set_state(self, step_run, state, message):
        old, at = step_run.state, self._clock.now()
        if state not in TRANSITIONS[old]:  # looked up here: a call per change costs more
            check_transition(step_run.name, old, state)  # an engine bug: said loudly
        self.running_steps += (state is STATES.running) - (old is STATES.running)  # +1, -1 or 0
        event = make_event(at, self.id, step_run.name, state, message)
        with self._lock:  # state, times and event change together for readers
            step_run.state = state
            if state in ENDED:
                step_run.ended = at
            elif step_run.started is None and state is STATES.running:
                step_run.started = at
            step_run.shown = step_run.fields()  # what status() shows of it, until its next change
            self._events.append(event)
        self._on_event(event)

    def _make_ready(self, step_run):
        step_run.ready = True
        self._ready.append(step_run)
