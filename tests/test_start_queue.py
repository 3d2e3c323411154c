"""The start queue: ready steps start within max_parallel, first come, first served."""
from types import SimpleNamespace

import pytest

from oautom import OAutomError
from oautom.start_queue import StartQueue


class Vect:
    """A stand-in vect: hands out the steps made ready, counts its running steps, notes what
    it started and held."""

    def __init__(self):
        self.ready, self.running_steps, self.started, self.held = [], 0, [], []

    def make_ready(self, *names):
        runs = [SimpleNamespace(name=name, ready=True) for name in names]
        self.ready += runs
        return runs

    def take_ready(self):
        ready, self.ready = self.ready, []
        return ready

    def start_step(self, run):
        self.running_steps += 1
        self.started.append(run.name)

    def hold(self, run, max_parallel):
        self.held.append((run.name, max_parallel))


def test_within_max_parallel_the_rest_wait_and_start_first_come_first_served():
    queue, vect = StartQueue(2), Vect()
    vect.make_ready('a', 'b', 'c')
    queue.start([vect])
    assert vect.started == ['a', 'b'] and vect.held == [('c', 2)]
    vect.make_ready('d')
    queue.start([vect])  # no slot is free: d waits too, behind c
    assert vect.held == [('c', 2), ('d', 2)]
    vect.running_steps = 0  # a and b ended
    queue.start([vect])
    assert vect.started == ['a', 'b', 'c', 'd']


def test_steps_of_several_vects_share_the_slots():
    queue, first, second = StartQueue(1), Vect(), Vect()
    first.make_ready('a')
    second.make_ready('b')
    queue.start([first, second])
    assert first.started == ['a'] and second.held == [('b', 1)]
    queue.start([first, second])  # a runs on: b still waits
    assert second.started == []
    first.running_steps = 0
    queue.start([first, second])
    assert second.started == ['b']


def test_without_max_parallel_everything_starts_and_nothing_is_held():
    queue, vect = StartQueue(None), Vect()
    vect.make_ready(*'abcdef')
    queue.start([vect])
    assert vect.started == list('abcdef') and vect.held == []


def test_a_step_cancelled_while_it_waited_never_starts():
    queue, vect = StartQueue(1), Vect()
    runs = vect.make_ready('a', 'b')
    queue.start([vect])
    runs[1].ready = False  # its vect was cancelled
    vect.running_steps = 0
    queue.start([vect])
    assert vect.started == ['a']


@pytest.mark.parametrize('value', [0, -1, 1.5, True, '2'])
def test_a_bad_max_parallel_is_refused(value):
    with pytest.raises(OAutomError, match=r'max_parallel must be a whole number \(an int\) of 1 or more'):
        StartQueue(value)


def test_a_start_queue_says_its_bound_and_what_waits_in_a_debugger():
    queue, vect = StartQueue(max_parallel=1), Vect()
    vect.make_ready('a', 'b', 'c')
    queue.start([vect])
    assert repr(queue) == '<StartQueue max_parallel=1: 2 queued>'
