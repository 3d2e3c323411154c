"""When does the engine next need to look at a step? The vect's agenda.

Running and retrying steps are due at a known time: their next check
(`poll_interval` after the last one), their timeout, their next attempt.
Those times sit in a heap, so finding what is due costs only what is due,
and the app can sleep exactly until the earliest one. A time can go stale
(a step woken early and finished never needs its planned check): the step
says so (`step_run.is_due_at(when)`), and a stale time is dropped, not served.

A step just started is due in the very next tick, for its first check. For
a step that wakes the engine when its work ends (`wakes_when_done`: every
Bash and Python step), the loop does not rush that tick: it gives the step
up to FIRST_CHECK_GRACE to finish first, so that a quick step is checked
once, when it is done, instead of once too early and once again. Other
steps are checked at once. In step mode nothing changes: your next tick
checks every step just started.

Steps can also be due *now*, from another thread: a step whose work ended
calls `context.wake()`. Those wake-ups go on a list guarded by a lock, and
`ring` tells the app's loop to stop sleeping.
"""
import heapq
import itertools
import math
import threading

FIRST_CHECK_GRACE = 0.005  # seconds: long enough for a no-op step, too short for anyone to see


def with_slack(now):
    """`now`, and a hair more: a due time that float rounding put past the moment it meant
    counts as come. 0.9 + 0.3 is 1.2000000000000002, so a FakeClock moved by tenths to 1.2
    would miss a check due 0.3 s after one at 0.9. A due time and the clock's reading are
    each a rounding or two from exact: four units in the last place of `now` cover them, at
    any size of `now` (a fixed nanosecond would not, past 2**24 s). With the real clock a
    due time is met at most a few nanoseconds early."""
    return now + 4 * math.ulp(now)


class Agenda:
    """Due times of StepRuns, plus the wake-ups that arrived from other threads."""

    def __init__(self, ring):
        self.ring = ring                  # wakes the app's loop
        self._lock = threading.Lock()     # guards _woken: any thread may wake a step
        self._woken = {}                  # StepRuns that called context.wake(), each once
        self._next_tick = []              # StepRuns due in the next tick, whatever its time
        self._next_tick_at = math.inf     # when the loop should tick for them (inf: none)
        self._heap = []                   # (monotonic time, tie-breaker, StepRun)
        self._tie = itertools.count()     # so heap entries never compare StepRuns
        self._tidy_at = 64                # heap size at which stale times are swept out

    def __repr__(self):  # for the debugger's variables pane
        return (f'<Agenda: {len(self._woken)} woken, {len(self._next_tick)} due next tick, '
                f'{len(self._heap)} timed>')

    def schedule(self, step_run, when):
        """`step_run` is due at monotonic time `when` (a check, a timeout or a retry)."""
        heapq.heappush(self._heap, (when, next(self._tie), step_run))
        if len(self._heap) > self._tidy_at:  # stale times pile up behind a live one (a step
            # that wakes at every check, and has a timeout): sweep them all out, at a cost
            # that stays proportional to the schedules made since the last sweep
            live = [(at, tie, due) for at, tie, due in self._heap if due.is_due_at(at)]
            heapq.heapify(live)  # before it replaces the heap: a Ctrl-C never leaves half
            self._heap, self._tidy_at = live, max(64, 2 * len(live))

    def started(self, step_run, now):
        """`step_run` started at monotonic time `now`: its first check is due in the next tick,
        which the loop holds back up to FIRST_CHECK_GRACE if the step will wake it, and its
        timeout at its deadline."""
        due = now + FIRST_CHECK_GRACE if step_run.step.wakes_when_done else now
        self._next_tick_at = min(self._next_tick_at, due)
        self._next_tick.append(step_run)
        if step_run.deadline < math.inf:
            self.schedule(step_run, step_run.deadline)

    def due_again(self, runs):
        """`runs` were taken as due, but a tick cut short never looked at them: next tick."""
        if runs:
            self._next_tick.extend(runs)
            self._next_tick_at = -math.inf

    def wake(self, step_run):
        """`step_run` is due now: called from any thread."""
        with self._lock:
            first = not self._woken
            self._woken[step_run] = None  # a dict as an ordered set: woken twice, visited once
        if first:  # later wakes ride on this ring: the next tick takes every wake at once
            self.ring()

    def pop_due(self, now):
        """The StepRuns due now: first those woken since the last call (their next check is
        made `now`, whatever their poll interval says), then those started since the last
        call, or whose time has come. A step may come twice (woken, and just started): the
        vect's second visit finds nothing left to do."""
        if self._woken:  # read without the lock: a wake it misses rings for the next tick
            with self._lock:
                due, self._woken = list(self._woken), {}
            for step_run in due:
                step_run.next_check = now
        else:
            due = []
        due += self._next_tick  # started since: one may come twice, woken as well
        self._next_tick, self._next_tick_at = [], math.inf
        while self._heap:
            when, _, step_run = self._heap[0]
            if not step_run.is_due_at(when):  # stale, due or not: dropped now, so that a step that
                heapq.heappop(self._heap)  # wakes at every check cannot pile its old times up
            elif when <= now:
                heapq.heappop(self._heap)
                due.append(step_run)
            else:
                break
        return due

    def next_time(self):
        """The time the loop should next tick: -inf if a step was woken, inf if only a
        wake can make anything due."""
        if self._woken:  # read without the lock: a wake it misses rings the loop anyway
            return -math.inf
        while self._heap:
            when, _, step_run = self._heap[0]
            if step_run.is_due_at(when):
                return min(when, self._next_tick_at)
            heapq.heappop(self._heap)  # stale: nothing will happen then
        return self._next_tick_at
