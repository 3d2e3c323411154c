"""The agenda: due times in a heap, wake-ups from any thread, stale times dropped."""
import math
from types import SimpleNamespace

from oautom.due import FIRST_CHECK_GRACE, Agenda


class Run:
    """A stand-in StepRun: due at the times in `due_at`; its step wakes the engine or not."""

    def __init__(self, *due_at, wakes=True, deadline=math.inf):
        self.due_at = set(due_at)
        self.step = SimpleNamespace(wakes_when_done=wakes)
        self.deadline = deadline  # when its attempt times out

    def is_due_at(self, when):
        return when in self.due_at


def test_pop_due_returns_what_is_due_in_time_order():
    agenda, early, late, later = Agenda(lambda: None), Run(1.0), Run(2.0), Run(9.0)
    for run, when in ((late, 2.0), (later, 9.0), (early, 1.0)):
        agenda.schedule(run, when)
    assert agenda.next_time() == 1.0
    assert agenda.pop_due(5.0) == [early, late]
    assert agenda.next_time() == 9.0


def test_a_wake_rings_and_is_due_at_once():
    rings = []
    agenda, run = Agenda(lambda: rings.append(True)), Run()
    agenda.wake(run)
    assert rings == [True] and agenda.next_time() == float('-inf')
    assert agenda.pop_due(0.0) == [run]
    assert agenda.next_time() == math.inf  # only another wake can make it due


def test_woken_steps_come_first_and_are_to_be_checked_now_whatever_their_poll_interval():
    agenda, started, woken = Agenda(lambda: None), Run(), Run()
    woken.next_check = 60.0  # its poll interval would check it a minute from now
    agenda.started(started, 0.0)
    agenda.wake(woken)
    assert agenda.pop_due(1.0) == [woken, started] and woken.next_check == 1.0


def test_only_the_first_wake_since_the_last_tick_rings():
    rings = []
    agenda, first, second = Agenda(lambda: rings.append(True)), Run(), Run()
    agenda.wake(first)
    agenda.wake(second)  # the loop is rung already: the next tick takes both
    assert rings == [True] and agenda.pop_due(0.0) == [first, second]
    agenda.wake(first)
    assert rings == [True, True]


def test_a_step_woken_many_times_before_a_tick_is_due_once():
    agenda, busy, other = Agenda(lambda: None), Run(), Run()
    for _ in range(1000):
        agenda.wake(busy)
    agenda.wake(other)
    agenda.wake(busy)
    assert agenda.pop_due(0.0) == [busy, other]  # in the order of their first wakes


def test_a_started_step_is_due_in_the_next_tick_and_the_loop_waits_a_grace_for_it():
    agenda, first, second, later = Agenda(lambda: None), Run(), Run(), Run(60.0)
    agenda.schedule(later, 60.0)
    agenda.started(first, 10.0)
    agenda.started(second, 10.001)  # same tick: the grace runs from the first
    assert agenda.next_time() == 10.0 + FIRST_CHECK_GRACE
    assert agenda.pop_due(10.0) == [first, second]  # the next tick, however early
    assert agenda.next_time() == 60.0


def test_a_started_step_with_a_timeout_is_due_at_its_deadline_too():
    agenda, timed = Agenda(lambda: None), Run(30.0, deadline=30.0)
    agenda.started(timed, 10.0)
    assert agenda.pop_due(10.0) == [timed]  # its first check
    assert agenda.next_time() == 30.0  # then its timeout
    assert agenda.pop_due(30.0) == [timed]


def test_a_started_step_that_will_not_wake_the_loop_is_due_at_once():
    agenda, waking, silent = Agenda(lambda: None), Run(), Run(wakes=False)
    agenda.started(waking, 10.0)
    agenda.started(silent, 10.001)
    assert agenda.next_time() == 10.001


def test_a_step_woken_at_every_check_leaves_no_pile_of_old_times():
    agenda, run = Agenda(lambda: None), Run()
    for check in range(1000):  # each check plans the next an hour later, then it wakes early
        run.due_at = {check + 3600.0}
        agenda.schedule(run, check + 3600.0)
        agenda.wake(run)
        assert agenda.pop_due(float(check)) == [run]
    assert len(agenda._heap) == 1  # pylint: disable=protected-access


def test_old_times_behind_a_live_one_are_swept_out_too():
    agenda, run = Agenda(lambda: None), Run()
    for check in range(1000):  # a step with a timeout (a live time, first in the heap)
        run.due_at = {0.5, check + 7200.0}  # whose check() wakes it every time
        agenda.schedule(run, check + 7200.0)
        agenda.wake(run)
        assert agenda.pop_due(float(check) / 10000) == [run]
        if check == 0:
            agenda.schedule(run, 0.5)
    assert len(agenda._heap) <= 128  # pylint: disable=protected-access


def test_stale_times_are_dropped_not_served():
    agenda, run = Agenda(lambda: None), Run(30.0)
    agenda.schedule(run, 10.0)  # planned, then superseded: the run now says 30
    agenda.schedule(run, 30.0)
    assert agenda.next_time() == 30.0
    assert agenda.pop_due(20.0) == []
    assert agenda.pop_due(30.0) == [run]


def test_an_agenda_says_what_it_holds_in_a_debugger():
    agenda = Agenda(lambda: None)
    agenda.wake(Run())
    agenda.started(Run(), 0.0)
    agenda.schedule(Run(5.0), 5.0)
    agenda.schedule(Run(9.0), 9.0)
    assert repr(agenda) == '<Agenda: 1 woken, 1 due next tick, 2 timed>'


def test_steps_a_cut_short_tick_never_visited_are_due_at_once_in_the_next():
    agenda, first, second, later = Agenda(lambda: None), Run(), Run(), Run(60.0)
    agenda.schedule(later, 60.0)
    agenda.started(first, 10.0)
    agenda.started(second, 10.0)
    visits = agenda.pop_due(10.0)
    agenda.due_again(visits[1:])  # a Ctrl-C in first's check: second was never looked at
    assert agenda.next_time() == -math.inf  # the loop must not sleep until 60 before it
    assert agenda.pop_due(10.0) == [second]


def test_a_sweep_of_old_times_keeps_the_live_ones():
    agenda = Agenda(lambda: None)
    runs = [Run(100.0) for _ in range(70)]  # more times than the 64 that make a sweep
    for run in runs:
        agenda.schedule(run, 100.0)
    assert agenda.pop_due(100.0) == runs
