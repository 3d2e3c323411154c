"""Workers run each job at once in a daemon thread, reusing idle ones."""
import contextvars
import decimal
import gc
import os
import queue
import subprocess
import sys
import threading
import time
import weakref
from pathlib import Path

import pytest

from oautom import workers
from oautom.workers import Workers

REPO = Path(__file__).resolve().parent.parent


def run_and_wait(pool, name='job', job=lambda: None):
    """Hand `job` over; return (the thread it ran in, its name while it ran)."""
    done, seen = threading.Event(), []

    def wrapped():
        job()
        seen.append((threading.current_thread(), threading.current_thread().name))
        done.set()
    pool.hand_over(wrapped, name)
    assert done.wait(2)
    return seen[0]


def test_a_job_runs_in_a_daemon_thread_named_after_it():
    thread, name = run_and_wait(Workers(), name='oautom-python-load')
    assert thread is not threading.current_thread() and thread.daemon
    assert name == 'oautom-python-load'


def test_an_idle_worker_is_reused_and_named_idle_again():
    pool = Workers()
    first, _ = run_and_wait(pool)
    for _ in range(400):  # the worker goes idle just after its job: give it a moment
        if pool._free:  # pylint: disable=protected-access
            break  # idle (it renamed itself before it said so)
        threading.Event().wait(0.005)
    assert repr(pool) == '<Workers: 1 started, 1 free>'
    second, _ = run_and_wait(pool)
    assert second is first and first.name == 'oautom-worker-1'


@pytest.mark.skipif(not decimal.HAVE_CONTEXTVAR, reason="this decimal's context is per thread")
def test_a_reused_worker_starts_each_job_with_empty_context_variables():
    pool, precision, seen = Workers(), decimal.getcontext().prec, []
    variable = contextvars.ContextVar('user')

    def sets():
        decimal.getcontext().prec = 3
        variable.set('alice')

    def reads():
        seen.append((str(decimal.Decimal(1) / 3), variable.get('nobody')))
    first = run_and_wait(pool, job=sets)
    for _ in range(400):  # the worker goes idle just after its job: give it a moment
        if pool._free:  # pylint: disable=protected-access
            break
        threading.Event().wait(0.005)
    assert run_and_wait(pool, job=reads)[0] is first[0]  # the same thread, reused
    assert seen == [(str(decimal.Decimal(1) / 3), 'nobody')]  # as in a thread of its own
    assert decimal.getcontext().prec == precision


def test_jobs_never_wait_behind_a_busy_worker():
    pool, release = Workers(), threading.Event()
    pool.hand_over(lambda: release.wait(2), 'busy')
    try:
        thread, _ = run_and_wait(pool)  # would time out if queued behind 'busy'
        assert thread.name != 'busy'
    finally:
        release.set()


def test_an_idle_worker_lets_go_of_its_last_job():
    # A job holds its step's copy and context, and through them the whole app.
    class Payload:  # pylint: disable=too-few-public-methods
        """Something a job holds."""
    payload, done = Payload(), threading.Event()
    alive = weakref.ref(payload)
    pool = Workers()
    pool.hand_over(lambda held=payload: done.set(), 'job')
    del payload
    assert done.wait(2)
    for _ in range(200):
        gc.collect()
        if alive() is None:
            break
        threading.Event().wait(0.005)
    assert alive() is None


def test_an_idle_worker_exits_after_its_idle_time(monkeypatch):
    monkeypatch.setattr(workers, 'IDLE_SECONDS', 0.05)
    thread, _ = run_and_wait(Workers())
    thread.join(2)
    assert not thread.is_alive()


def test_a_worker_idle_for_a_while_still_takes_the_next_job():
    pool = Workers()
    first, _ = run_and_wait(pool)
    deadline = time.monotonic() + 2  # (run_and_wait returns before the worker says it is free)
    while repr(pool) != '<Workers: 1 started, 1 free>' and time.monotonic() < deadline:
        time.sleep(0.001)
    threading.Event().wait(0.15)  # idle longer than a tick, far less than IDLE_SECONDS
    second, _ = run_and_wait(pool)
    assert second is first and repr(pool).startswith('<Workers: 1 started,')


class RacingQueue:
    """A worker's queue whose first get() times out just as a job is handed over."""

    def __init__(self, pool, late_job):
        self.real, self.pool, self.late_job = queue.SimpleQueue(), pool, late_job

    def put(self, item):
        self.real.put(item)

    def get(self, timeout=None):
        if self.late_job is not None:
            job, self.late_job = self.late_job, None
            self.pool.hand_over(job, 'late')  # promised to the worker that is timing out
            raise queue.Empty
        return self.real.get(timeout=timeout)


def test_an_idle_worker_whose_wait_times_out_as_a_job_is_promised_to_it_runs_that_job():
    pool, late = Workers(), threading.Event()
    pool._jobs = RacingQueue(pool, late.set)  # pylint: disable=protected-access
    run_and_wait(pool)
    assert late.wait(2)
    assert repr(pool).startswith('<Workers: 1 started,')


def test_a_burst_of_jobs_that_wait_for_each_other_all_run_at_once():
    pool, barrier, passed = Workers(), threading.Barrier(20, timeout=2), []
    for number in range(20):  # each job waits until all 20 run: none may wait for another
        pool.hand_over(lambda: passed.append(barrier.wait()), f'job-{number}')
    for _ in range(400):
        if len(passed) == 20:
            break
        threading.Event().wait(0.005)
    assert sorted(passed) == list(range(20))


def test_a_burst_of_short_jobs_shares_few_workers():
    pool, done = Workers(), threading.Semaphore(0)
    for _ in range(2000):
        pool.hand_over(done.release, 'short')
    for _ in range(2000):
        assert done.acquire(timeout=2)
    assert pool._count < 2000  # pylint: disable=protected-access  # idle workers took jobs


def test_a_worker_that_cannot_start_leaves_no_job_behind(monkeypatch):
    pool, ran = Workers(), []
    real_start = threading.Thread.start

    def refuse_once(thread):
        monkeypatch.setattr(threading.Thread, 'start', real_start)
        raise RuntimeError("can't start new thread")
    monkeypatch.setattr(threading.Thread, 'start', refuse_once)
    with pytest.raises(RuntimeError):
        pool.hand_over(lambda: ran.append('refused'), 'refused')
    barrier, met = threading.Barrier(2, timeout=2), []
    for number in range(2):  # two jobs that wait for each other still both get a thread
        pool.hand_over(lambda: met.append(barrier.wait()), f'job-{number}')
    for _ in range(400):
        if len(met) == 2:
            break
        threading.Event().wait(0.005)
    assert sorted(met) == [0, 1] and ran == []


FORK_WITH_AN_IDLE_WORKER = '''
import faulthandler, os, threading, time
from oautom.workers import WORKERS
done = threading.Event()
WORKERS.hand_over(done.set, name='job')
done.wait()
while WORKERS._free == 0:  # the worker goes idle just after its job
    time.sleep(0.001)
pid = os.fork()  # as multiprocessing does on Linux: the child has no worker thread
if pid == 0:
    faulthandler.dump_traceback_later(5, exit=True)  # a hang shows, and ends
    ran = threading.Event()
    WORKERS.hand_over(ran.set, name='job of the child')
    os._exit(0 if ran.wait(5) else 1)
print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
'''


def test_a_forked_process_starts_workers_of_its_own():
    # -W: Python 3.12 and later warn of a fork in a process with threads, which this tests
    done = subprocess.run([sys.executable, '-W', 'ignore::DeprecationWarning', '-c',
                           FORK_WITH_AN_IDLE_WORKER], capture_output=True,
                          text=True, timeout=30, check=False,
                          env={**os.environ, 'PYTHONPATH': str(REPO)})
    assert done.stdout == '0\n', done.stderr
