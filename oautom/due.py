"""When does the engine next need to look at a step? The vect's agenda.

Running and retrying steps are due at a known time: their next check
(`poll_interval` after the last one), their timeout, their next attempt.
Those times sit in a heap, so finding what is due costs only what is due,
and the app can sleep exactly until the earliest one. A time can go stale
(a step woken early and finished never needs its planned check): the step
says so (`run.is_due_at(when)`), and a stale time is dropped, not served.

Steps can also be due *now*, from another thread: a step whose work ended
calls `context.wake()`. Those wake-ups go on a list guarded by a lock, and
`ring` tells the app's loop to stop sleeping.
"""
import heapq
import itertools
import threading


class Agenda:
    """Due times of StepRuns, plus the wake-ups that arrived from other threads."""

    def __init__(self, ring):
        self.ring = ring                  # wakes the app's loop
        self._lock = threading.Lock()     # guards _woken: any thread may wake a step
        self._woken = []                  # StepRuns that called context.wake()
        self._heap = []                   # (monotonic time, tie-breaker, StepRun)
        self._tie = itertools.count()     # so heap entries never compare StepRuns

    def schedule(self, run, when):
        """`run` is due at monotonic time `when` (a check, a timeout or a retry)."""
        heapq.heappush(self._heap, (when, next(self._tie), run))

    def wake(self, run):
        """`run` is due now: called from any thread."""
        with self._lock:
            self._woken.append(run)
        self.ring()

    def pop_due(self, now):
        """(the StepRuns woken since the last call, those whose time has come)."""
        with self._lock:
            woken, self._woken = self._woken, []
        timed = []
        while self._heap and self._heap[0][0] <= now:
            when, _, run = heapq.heappop(self._heap)
            if run.is_due_at(when):
                timed.append(run)
        return woken, timed

    def next_time(self):
        """The earliest due time; -inf if a step was woken; None if nothing is due."""
        if self._woken:
            return float('-inf')
        while self._heap and not self._heap[0][2].is_due_at(self._heap[0][0]):
            heapq.heappop(self._heap)  # stale: nothing will happen then
        return self._heap[0][0] if self._heap else None
