"""The start queue: ready steps start within max_parallel, first come, first served."""
from types import SimpleNamespace

import pytest

from oautom import OAutomError
from oautom.start_queue import StartQueue


class Vect:
    """A stand-in vect: counts its running steps, notes what it started and held."""

    def __init__(self):
        self.running_steps, self.started, self.held = 0, [], []

    def start_step(self, run):
        self.running_steps += 1
        self.started.append(run.name)

    def hold(self, run, max_parallel):
        self.held.append((run.name, max_parallel))


def ready(vect, *names):
    return [(vect, SimpleNamespace(name=name, ready=True)) for name in names]


def test_within_max_parallel_the_rest_wait_and_start_first_come_first_served():
    queue, vect = StartQueue(2), Vect()
    queue.start(ready(vect, 'a', 'b', 'c'), [vect])
    assert vect.started == ['a', 'b'] and vect.held == [('c', 2)]
    queue.start(ready(vect, 'd'), [vect])  # no slot is free: d waits too, behind c
    assert vect.held == [('c', 2), ('d', 2)]
    vect.running_steps = 0  # a and b ended
    queue.start([], [vect])
    assert vect.started == ['a', 'b', 'c', 'd']


def test_without_max_parallel_everything_starts_and_nothing_is_held():
    queue, vect = StartQueue(None), Vect()
    queue.start(ready(vect, *'abcdef'), [vect])
    assert vect.started == list('abcdef') and vect.held == []


def test_a_step_cancelled_while_it_waited_never_starts():
    queue, vect = StartQueue(1), Vect()
    steps = ready(vect, 'a', 'b')
    queue.start(steps, [vect])
    steps[1][1].ready = False  # its vect was cancelled
    vect.running_steps = 0
    queue.start([], [vect])
    assert vect.started == ['a']


@pytest.mark.parametrize('value', [0, -1, 1.5, True, '2'])
def test_a_bad_max_parallel_is_refused(value):
    with pytest.raises(OAutomError, match='max_parallel must be a whole number of 1 or more'):
        StartQueue(value)
