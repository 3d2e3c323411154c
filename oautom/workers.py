"""Workers: reused threads for the work of steps (Python functions, waits for shells).

A PythonExecution calls its function in a thread of its own, started at
run(): the function never waits behind another one, and a BashExecution
waits for its shell the same way. Starting a new thread costs tens of
microseconds, as much as a whole step of a fast flow, so a thread whose job
is done stays around for a while, idle, and takes the next job instead.

Jobs pass from the engine to the workers through one queue, with one rule
that makes it a hand-off and never a backlog: there are always at least as
many idle workers as jobs in the queue.

    hand_over(job)  enough idle workers for every job queued? -> one of them takes it
                    not enough?                               -> start one more worker

So a job never waits for another job to finish, only for an idle thread to
pick it up. And when the engine starts many steps in one tick, a worker that
finishes one job finds the next in the queue and runs it at once, without
going to sleep in between: that is what makes a wide fan-out cheap.

Workers are daemon threads: they never keep the process alive at exit. An
idle worker exits after IDLE_SECONDS. While it runs a job, a worker's thread
name is the job's name, so a debugger shows which step it is working for.
"""
import queue
import threading

IDLE_SECONDS = 10.0


class Workers:  # pylint: disable=too-few-public-methods
    """Daemon threads that run every job at once, started only when none is idle."""

    def __init__(self):
        self._jobs = queue.SimpleQueue()  # (job, name) handed over, not taken yet
        self._lock = threading.Lock()     # guards the three counts below
        self._idle = 0                    # workers not running a job (queued jobs are theirs)
        self._queued = 0                  # jobs in _jobs; never more than _idle
        self._count = 0                   # workers started so far, to number their names

    def hand_over(self, job, name):
        """Run `job()` now in a worker thread named `name` while it runs."""
        with self._lock:
            self._queued += 1
            start_one = self._queued > self._idle
            if start_one:
                self._idle += 1  # counted now: the next hand_over must not count on it twice
                self._count += 1
                number = self._count
        self._jobs.put((job, name))
        if start_one:
            threading.Thread(target=self._work, daemon=True,
                             name=f'oautom-worker-{number}').start()

    def _work(self):
        thread = threading.current_thread()
        idle_name = thread.name
        while True:
            try:
                job, name = self._jobs.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if self._idle > self._queued:  # the others are enough for the queue
                        self._idle -= 1
                        return
                continue  # a job is on its way and counts on this worker
            with self._lock:
                self._queued -= 1
                self._idle -= 1
            thread.name = name
            job()  # a job catches its own errors (PythonExecution._call, BashExecution's waiter)
            thread.name = idle_name
            with self._lock:
                self._idle += 1


WORKERS = Workers()
