"""What a thread switch adds to the engine's own work: the same ticks, warm and switched.

    python3 benchmarks/switch_cost.py [N]

In W1 the engine's work per step is one tick (check the step that ended,
start the next), and every tick comes right after a thread switch: a
worker ran the step's function and woke the engine, which had slept. This
script measures N such ticks twice, in one process, on a chain of steps
that finish inside run() (so no thread of their own is involved):

    warm      N ticks in a row, as app.tick() in step mode does them
    switched  N ticks, each interleaved with a round trip to a thread that does
              nothing: woken as a tick begins (as a step's thread is woken when
              the tick hands it its job), it answers once it gets the GIL, and
              the engine sleeps until then, as it sleeps on its doorbell

and prints the engine thread's CPU time per tick, and the wall time per
tick for the switched run. The difference is not in the Python work, which
is the same: it is what the switch costs the code that runs after it.
(Linux only, like the engine's shells: it reads per-thread CPU times.)

Then it measures the round trip alone, with no engine around it: a job
handed to a thread that does nothing but say it is done, and a wait for
that. Once through oautom's own means (workers.py, and a queue as the
loop's doorbell), once as the W1 floor does it (a ThreadPoolExecutor's
submit and a done-callback that puts in a queue). What a step of W1 costs
above that round trip is Python work: the floor's and the engine's.

Last, it counts how often a thread goes to sleep per step of W1, in oautom
and in the floor: the engine sleeps once a step in both, on its doorbell or
its queue of finished nodes, and so does the thread that runs the step,
waiting for its next job. In oautom the step's thread, woken while the
engine still ticks, sleeps a second time, waiting for the GIL.
"""
import os
import queue
import resource
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# pylint: disable=wrong-import-position
from oautom import Execution, Flow, OAutom, OAutomMode
from oautom.workers import Workers

import measure as workloads  # pylint: disable=wrong-import-order


class Instant(Execution):
    """A step whose work is done when run() returns."""

    def run(self, context):
        """Nothing to start: the step is done as soon as it is checked."""

    def check(self):
        return True


def ticking_app(n):
    """A step-mode app whose vect of a chain of n + 2 steps has started its first step."""
    app = OAutom(mode=OAutomMode.step)
    flow = Flow('chain', app=app)
    previous = None
    for i in range(n + 2):
        step = Instant(f's{i}', flow)
        if previous is not None:
            step.depends(previous)
        previous = step
    app.start('chain')
    app.tick()
    return app


def cpu_now():
    """(user, system) CPU seconds of this thread so far."""
    usage = resource.getrusage(resource.RUSAGE_THREAD)
    return usage.ru_utime, usage.ru_stime


def measure(n, switched):
    """(user µs, system µs, wall µs) per tick over n ticks."""
    app = ticking_app(n)
    requests, answers = queue.SimpleQueue(), queue.SimpleQueue()

    def answer():
        while requests.get():
            answers.put(True)

    helper = threading.Thread(target=answer, daemon=True)
    helper.start()
    (user, system), wall = cpu_now(), time.perf_counter()
    for _ in range(n):
        if switched:  # as in W1: the other thread wakes while the engine ticks...
            requests.put(True)
        app.tick()
        if switched:  # ...and the engine sleeps until it answers
            answers.get()
    wall = time.perf_counter() - wall
    user_after, system_after = cpu_now()
    requests.put(False)
    helper.join()
    return tuple(seconds / n * 1e6 for seconds in
                 (user_after - user, system_after - system, wall))


def oautom_round_trips(n):
    """Wall µs per job: a job handed over as the engine does, then a sleep on the doorbell
    until the job rings it."""
    workers, doorbell = Workers(), queue.SimpleQueue()

    def job():
        doorbell.put(True)
    start = time.perf_counter()
    for _ in range(n):
        workers.hand_over(job, 'round-trip')
        doorbell.get()
    return (time.perf_counter() - start) / n * 1e6


def do_nothing():
    """The floor's job."""


def floor_round_trips(n):
    """Wall µs per job: a no-op submitted as the W1 floor does, then a wait for its callback."""
    finished = queue.SimpleQueue()
    with ThreadPoolExecutor(4) as pool:
        start = time.perf_counter()
        for _ in range(n):
            pool.submit(do_nothing).add_done_callback(finished.put)
            finished.get()
        return (time.perf_counter() - start) / n * 1e6


def sleeps_per_step(n):
    """Voluntary context switches (a thread going to sleep, in any thread of the process) per
    step of a W1 chain of n steps: (oautom, the floor)."""
    def counted(run):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_nvcsw
        run()
        return (resource.getrusage(resource.RUSAGE_SELF).ru_nvcsw - before) / n
    app = OAutom(mode=OAutomMode.foreground)
    workloads.build(app, workloads.chain(n), workloads.python_step)
    mine = counted(lambda: (app.start('bench'), app.run()))
    return mine, counted(lambda: workloads.graphlib_floor(workloads.chain(n)))


def main():
    """Print the warm and the switched figures, then the round trips, each the best of
    three runs."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    for name, switched in (('warm', False), ('switched', True)):
        user, system, wall = min((measure(n, switched) for _ in range(3)),
                                 key=lambda figures: figures[2])
        print(f'{name:>8}: {user + system:5.1f} µs of engine CPU a tick (user {user:.1f}, '
              f'system {system:.1f}); {wall:5.1f} µs of wall time')
    mine = min(oautom_round_trips(n) for _ in range(3))
    floor = min(floor_round_trips(n) for _ in range(3))
    print(f'round trip: {mine:5.1f} µs with oautom\'s workers and doorbell; {floor:5.1f} µs '
          'with the floor\'s ThreadPoolExecutor and done-callback')
    mine, floor = sleeps_per_step(n)
    print(f'sleeps a W1 step: {mine:.2f} with oautom, {floor:.2f} in the floor (voluntary '
          'context switches, every thread counted)')


if __name__ == '__main__':
    main()
