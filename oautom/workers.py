"""Workers: reused threads for the work of steps (Python functions, waits for shells).

At run(), a PythonExecution hands its function to a thread that does
nothing else meanwhile, never the engine's: the function never waits
behind another one, and a BashExecution waits for its shell the same way.
Starting a new thread costs tens of microseconds, as much as a whole step
of a fast flow, so a thread whose job is done stays around for a while,
idle, and takes the next job instead.

Jobs pass from the engine to the workers through one queue, with one rule
that makes it a hand-off and never a backlog: every job in the queue has an
idle worker promised to it.

    hand_over(job)  an idle worker not promised yet? -> promise it: it takes the job
                    none?                            -> start one more worker, with the job

So a job never waits for another job to finish, only for an idle thread to
pick it up. And when the engine starts many steps in one tick, a worker that
finishes one job finds the next in the queue and runs it at once, without
going to sleep in between: that is what makes a wide fan-out cheap.

A job starts with empty context variables, as in a new thread: what the one
before set there (decimal's precision, say, which CPython keeps in one) is
gone. What it kept in a `threading.local()` is not: that needs a thread of
its own.

Workers are daemon threads: they never keep the process alive at exit. An
idle worker exits after IDLE_SECONDS. While it runs a job, a worker's thread
name is the job's name, so a debugger shows which step it is working for.
"""
import contextvars
import os
import queue
import threading

IDLE_SECONDS = 10.0


class Workers:  # pylint: disable=too-few-public-methods
    """Daemon threads that run every job at once, started only when none is idle."""

    def __init__(self):
        self._jobs = queue.SimpleQueue()  # (job, name) handed over, not taken yet
        self._lock = threading.Lock()     # guards the two counts below
        self._free = 0                    # idle workers not promised to a queued job
        self._count = 0                   # workers started so far, to number their names

    def __repr__(self):
        return f'<Workers: {self._count} started, {self._free} free>'

    def hand_over(self, job, name):
        """Run `job()` now in a worker thread named `name` while it runs."""
        with self._lock:
            start_one = self._free == 0
            if start_one:
                self._count += 1
                number = self._count
            else:
                self._free -= 1  # promised: an idle worker will take this job
        if start_one:  # the job is the thread's argument, not queued: if Thread.start() fails,
            # no job is left in the queue
            threading.Thread(target=self._work, args=([(job, name)],), daemon=True,
                             name=f'oautom-worker-{number}').start()
        else:
            self._jobs.put((job, name))

    def _work(self, first):
        # The first job comes in a list that the worker empties: the Thread object keeps its
        # args for as long as the worker lives, and must not keep the job (and the app behind).
        job, name = first.pop()
        thread = threading.current_thread()
        idle_name = thread.name
        while job is not None:
            thread.name = name
            # In an empty context, as a new thread starts with: what one job sets in context
            # variables (decimal's precision, say) does not reach the next. (It catches its own
            # errors: PythonExecution._call, BashExecution._run_shell.)
            contextvars.Context().run(job)
            job = None  # let go of it while idle: it holds its step's copy, context and app
            thread.name = idle_name
            with self._lock:
                self._free += 1
            job, name = self._next_job()

    def _next_job(self):
        """The next job from the queue; (None, None) once idle for IDLE_SECONDS, unpromised."""
        while True:
            try:
                return self._jobs.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if self._free > 0:  # not promised to any job: this worker may go
                        self._free -= 1
                        return None, None
                # else promised to a job that is on its way: wait for it


# One pool per process, not per app: idle threads serve the steps of every app alike.
WORKERS = Workers()
# A process made by os.fork() (multiprocessing's default on Linux before Python 3.14) has none
# of its parent's threads: WORKERS starts there as if new, instead of promising jobs to idle
# workers that are not there.
os.register_at_fork(after_in_child=WORKERS.__init__)
