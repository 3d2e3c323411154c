"""Workers: reused threads for the work of steps (Python functions, waits for shells).

A PythonExecution calls its function in a thread of its own, started at
run(): the function never waits in a queue behind another one, and a
BashExecution waits for its shell the same way. Starting a new thread costs
tens of microseconds, as much as a whole step of a fast flow, so a thread
whose job is done stays around for a while, idle, and the next job is handed
to it instead:

    hand_over(job)  an idle worker?  -> it runs the job at once
                    none idle?       -> a new worker thread runs it

Workers are daemon threads: they never keep the process alive at exit. An
idle worker exits after IDLE_SECONDS. While it runs a job, a worker's thread
name is the job's name, so a debugger shows which step it is working for.
"""
import queue
import threading

IDLE_SECONDS = 10.0


class Workers:  # pylint: disable=too-few-public-methods
    """A set of daemon threads that run jobs at once, started or reused as needed."""

    def __init__(self):
        self._lock = threading.Lock()  # guards _idle: hand_over and the workers race for it
        self._idle = []                # the inboxes (SimpleQueues) of the idle workers
        self._count = 0                # workers started so far, to number their names

    def hand_over(self, job, name):
        """Run `job()` now in a worker thread named `name` while it runs."""
        with self._lock:
            inbox = self._idle.pop() if self._idle else None
            if inbox is None:
                self._count += 1
                number = self._count
        if inbox is None:
            inbox = queue.SimpleQueue()
            threading.Thread(target=self._work, args=(inbox,), daemon=True,
                             name=f'oautom-worker-{number}').start()
        inbox.put((job, name))

    def _work(self, inbox):
        thread = threading.current_thread()
        idle_name = thread.name
        while True:
            try:
                job, name = inbox.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if inbox in self._idle:  # nobody picked this worker: it may exit
                        self._idle.remove(inbox)
                        return
                job, name = inbox.get()  # picked just now: its job is on the way
            thread.name = name
            job()  # a job catches its own errors (PythonExecution._call, BashExecution's waiter)
            thread.name = idle_name
            with self._lock:
                self._idle.append(inbox)


WORKERS = Workers()
