"""An experiment, not oautom: the smallest engine that runs W1 the way the contract asks.

`python3 benchmarks/lean_engine.py [N]` runs a chain of N no-op steps three
ways, interleaved in one process, and prints each one's time per step, the
median of 7 runs: the graphlib floor of measure.py, this lean engine, and
oautom itself.

The lean engine does per step what oautom must do for a chain of Python
steps, through oautom's own PythonExecution, workers, per-run copy, trigger
rules and transition check: a per-run copy with fresh outputs and its
context; a `running` and a `success` event, each a dict with its
`datetime.now()`, recorded with the state under a lock (for status readers);
the downstream step's trigger rule from the counts of its upstream ends; the
wake from the step's thread through a locked list and a doorbell; a look at
the `oautom` logger's level; and a timed wait until the first check of the
step it started. It leaves out what a chain does not use (polls, timeouts
and retries, max_parallel, plans, several vects, cancel requests,
subscribers and history) and the report of a slow run().

It shows where the W1 gap comes from (see README.md): a lean engine with the
same per-step duties runs at about 1.1 - 1.3 times the floor, oautom at
about 1.9 - 2.4.
"""
import datetime
import logging
import math
import os
import queue
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# pylint: disable=wrong-import-position
from oautom import Flow, OAutomMode, PythonExecution
from oautom.due import FIRST_CHECK_GRACE
from oautom.copies import per_run_copy
from oautom.rules import READY, decide
from oautom.states import ENDED, STATES, check_transition

import measure  # pylint: disable=wrong-import-order

logger = logging.getLogger('oautom')


class Context:  # pylint: disable=too-few-public-methods
    """What a step sees: its params, vect, attempt, and how to wake the engine."""

    def __init__(self, run, engine):
        self.params, self.vect_id, self.attempt = engine.params, engine.id, run.attempts
        self._run, self._engine = run, engine

    def wake(self):
        """The step's work has ended: check it now."""
        self._engine.wake(self._run)


class Run:  # pylint: disable=too-few-public-methods,too-many-instance-attributes
    """One step of the one vect: state, times, counts of upstream ends, its copy."""
    __slots__ = ('step', 'state', 'attempts', 'started', 'ended', 'attempt_copy', 'downstream',
                 'pending', 'successes', 'outputs')

    def __init__(self, step):
        self.step, self.state, self.attempts = step, STATES.waiting, 0
        self.started = self.ended = self.attempt_copy = self.outputs = None
        self.downstream, self.pending, self.successes = [], len(step.upstream), 0


class LeanEngine:  # pylint: disable=too-many-instance-attributes
    """Runs one vect of a chain of Python steps to its end, in the calling thread."""

    def __init__(self, steps):
        self.runs = [Run(step) for step in steps]
        by_name = {run.step.name: run for run in self.runs}
        for run in self.runs:
            for upstream in run.step.upstream:
                by_name[upstream.name].downstream.append(run)
        self.id, self.params, self.events = 'bench.1', {}, []
        self.lock = threading.Lock()        # state, times and events, for status readers
        self.woken_lock = threading.Lock()  # the list below: steps' threads add to it
        self.woken, self.ready = [], [run for run in self.runs if not run.pending]
        self.started, self.first_check_at = [], math.inf  # checked once their grace is over
        self.doorbell = queue.SimpleQueue()
        self.unfinished = len(self.runs)

    def wake(self, run):
        """From a step's thread: the step is due now."""
        with self.woken_lock:
            first = not self.woken
            self.woken.append(run)
        if first:  # later wakes ride on this ring: the next tick takes them all
            self.doorbell.put(True)

    def set_state(self, run, state, message):
        """A checked transition, and its event."""
        old, now = run.state, datetime.datetime.now()
        check_transition(run.step.name, old, state)
        event = {'time': now, 'vect': self.id, 'step': run.step.name, 'state': state,
                 'message': message}
        with self.lock:
            run.state = state
            if state in ENDED:
                run.ended = now
            elif run.started is None:
                run.started = now
            self.events.append(event)

    def tick(self):
        """Check the woken steps, decide their downstream, start what is ready."""
        with self.woken_lock:
            woken, self.woken = self.woken, []
        if time.monotonic() >= self.first_check_at:  # their grace is over: check them anyway
            woken += self.started
            self.started, self.first_check_at = [], math.inf
        for run in woken:
            if run.state is STATES.running and run.attempt_copy.check():
                run.outputs, run.attempt_copy = run.attempt_copy.outputs, None
                self.set_state(run, STATES.success, f'succeeded after {run.attempts} attempt(s)')
                self.unfinished -= 1
                for downstream in run.downstream:
                    downstream.pending -= 1
                    downstream.successes += 1
                    if decide(downstream.step.trigger_rule, downstream.successes, 0, 0,
                              downstream.pending) == READY:
                        self.ready.append(downstream)
        ready, self.ready = self.ready, []
        for run in ready:
            run.attempts += 1
            self.set_state(run, STATES.running, f'attempt {run.attempts} started')
            run.attempt_copy = per_run_copy(run.step)
            run.attempt_copy.outputs = {}
            run.attempt_copy.run(Context(run, self))
            self.started.append(run)
            self.first_check_at = min(self.first_check_at, time.monotonic() + FIRST_CHECK_GRACE)
        logger.isEnabledFor(logging.INFO)  # asked for its cost, as oautom asks at every tick

    def seconds_to_sleep(self):
        """None once every step has ended; 0 if a step is ready; else the seconds until the
        first check of a started step is due."""
        if not self.unfinished:
            return None
        return 0.0 if self.ready else max(0.0, self.first_check_at - time.monotonic())

    def run(self):
        """Tick, then sleep until a step wakes the engine, until every step has ended."""
        while True:
            self.tick()
            sleep = self.seconds_to_sleep()
            if sleep is None:
                return
            if sleep > 0:
                try:
                    self.doorbell.get(timeout=None if sleep == math.inf else sleep)
                except queue.Empty:
                    pass
            while not self.doorbell.empty():  # one tick answers every ring so far
                self.doorbell.get()


def lean_seconds(n):
    """Seconds the lean engine takes for a chain of n no-op PythonExecutions."""
    flow = Flow('bench')
    steps = [PythonExecution(f'a{i}', flow, function=measure.no_op) for i in range(n)]
    for upstream, step in zip(steps, steps[1:]):
        step.depends(upstream)
    start = time.perf_counter()
    LeanEngine(steps).run()
    return time.perf_counter() - start


def main():
    """Print the per-step medians of the floor, the lean engine and oautom."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    chain = measure.chain(n)
    timed = {'floor': lambda: measure.graphlib_floor(chain), 'lean engine': lambda: lean_seconds(n),
             'oautom': lambda: measure.run_oautom(OAutomMode.foreground, chain,
                                                  measure.python_step)}
    seconds = {name: [] for name in timed}
    for _ in range(7):
        for name, measurement in timed.items():
            seconds[name].append(measurement())
    floor = statistics.median(seconds['floor'])
    for name, values in seconds.items():
        median = statistics.median(values)
        print(f'{name:12} {median / n * 1e6:6.1f} µs a step  {median / floor:.2f} of the floor')


if __name__ == '__main__':
    main()
