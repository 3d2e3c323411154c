"""The loop: tick, then sleep until something can change; it survives a failing tick."""
import logging
import math
import signal
import sys
import threading

import pytest

from oautom.clock import Clock, FakeClock
from oautom.loop import Loop


def test_a_foreground_loop_ticks_until_no_work_is_left():
    work = [3]

    def tick():  # returns how long the loop may sleep; None: no work left
        work[0] -= 1
        return 0.0 if work[0] > 0 else None
    loop = Loop(tick=tick, clock=Clock(), mode='foreground')
    loop.start(background=False)
    assert work == [0]


def test_a_failing_tick_is_logged_and_the_loop_goes_on(caplog):
    ticks = []

    def tick():
        ticks.append(True)
        if len(ticks) == 1:
            raise RuntimeError('an engine bug')
        return 0.0 if len(ticks) < 3 else None
    clock = FakeClock()  # its pause after the failure takes no time
    loop = Loop(tick=tick, clock=clock, mode='foreground')
    with caplog.at_level(logging.ERROR, logger='oautom'):
        loop.start(background=False)
    assert len(ticks) == 3 and 'the engine failed in a tick' in caplog.text
    assert clock.monotonic() == 1.0  # a second's pause, never a spin on a tick that fails


def test_a_sys_exit_from_a_tick_ends_a_foreground_loop_but_not_a_background_one(caplog):
    # A SIGTERM handler that calls sys.exit() ends the program, loop and all; in the engine's
    # thread, user code outside every guard (a property of a step) would end it in silence
    ticks, ticked = [], threading.Event()

    def tick():
        ticks.append(True)
        if len(ticks) == 1:
            sys.exit(3)
        ticked.set()
        return None if loop.stopping or not background else math.inf
    background = False
    loop = Loop(tick=tick, clock=FakeClock(), mode='foreground')  # its 1 s pause: no time
    with pytest.raises(SystemExit):
        loop.start(background=False)
    ticks.clear()
    background = True
    loop = Loop(tick=tick, clock=FakeClock(), mode='background')
    loop.start(background=True)
    assert ticked.wait(2) and 'the engine failed in a tick' in caplog.text
    assert loop.stop()


def test_a_background_loop_sleeps_until_rung():
    ticked = threading.Event()
    count = []

    def tick():
        count.append(True)
        if len(count) > 1:
            ticked.set()
        return None if loop.stopping else math.inf  # work, but only a ring can move it
    loop = Loop(tick=tick, clock=Clock(), mode='background')
    assert repr(loop) == '<Loop background, not looping, ticks so far: 0>'
    loop.start(background=True)
    assert not ticked.wait(0.1)  # nothing is due: it sleeps after its first tick
    assert repr(loop).startswith("<Loop background, looping in 'oautom-engine'")
    loop.ring()
    assert ticked.wait(2)
    assert loop.stop() and not loop.stop()  # it waited for the loop; then none runs


def test_nobody_loops_so_rings_are_not_kept():
    loop = Loop(tick=lambda: None, clock=Clock(), mode='foreground')
    for _ in range(1000):
        loop.ring()
    assert loop._doorbell.empty()  # pylint: disable=protected-access


def test_an_engine_thread_that_cannot_start_leaves_the_loop_stopped(monkeypatch):
    loop = Loop(tick=lambda: None if loop.stopping else math.inf, clock=Clock(), mode='foreground')
    start = threading.Thread.start

    def at_the_thread_limit(thread):
        if thread.name == 'oautom-engine':
            raise RuntimeError("can't start new thread")
        start(thread)
    monkeypatch.setattr(threading.Thread, 'start', at_the_thread_limit)
    with pytest.raises(RuntimeError, match="can't start new thread"):
        loop.start(background=True)
    monkeypatch.undo()
    loop.start(background=True)  # not "already running"
    assert loop.stop() and not loop.stop()


def test_a_stop_made_while_the_engine_thread_fails_to_start_does_not_wait_for_it(monkeypatch):
    loop = Loop(tick=lambda: None if loop.stopping else math.inf, clock=Clock(), mode='foreground')
    start, stopped = threading.Thread.start, []

    def stopped_meanwhile(thread):
        if thread.name != 'oautom-engine':
            return start(thread)
        stopper = threading.Thread(target=lambda: stopped.append(loop.stop()), daemon=True)
        start(stopper)  # it finds the thread about to start, and waits for its end
        stopper.join(0.1)
        raise RuntimeError("can't start new thread")
    monkeypatch.setattr(threading.Thread, 'start', stopped_meanwhile)
    with pytest.raises(RuntimeError):
        loop.start(background=True)
    monkeypatch.undo()
    for _ in range(400):  # the stopper returns once the loop has given up
        if stopped:
            break
        threading.Event().wait(0.005)
    assert stopped == [True]


def test_a_second_ctrl_c_as_a_foreground_loop_begins_is_only_noted_the_loop_still_ticks(
        monkeypatch):
    ticks = []
    loop = Loop(tick=lambda: ticks.append(True), clock=Clock(), mode='foreground')
    claim = loop._claim  # pylint: disable=protected-access

    def claim_under_two_ctrl_cs(thread):  # both land after the signals are taken, before
        signal.raise_signal(signal.SIGINT)  # the loop runs: it must still tick once (to
        signal.raise_signal(signal.SIGINT)  # cancel what runs), then raise the Ctrl-C
        claim(thread)
    monkeypatch.setattr(loop, '_claim', claim_under_two_ctrl_cs)
    with pytest.raises(KeyboardInterrupt):
        loop.start(background=False)
    assert ticks == [True]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # given back


def test_a_wait_that_saw_one_tick_then_none_still_says_nothing_moves(monkeypatch, caplog):
    monkeypatch.setattr('oautom.loop.STALL_SECONDS', 0.1)
    loop = Loop(tick=lambda: None, clock=Clock(), mode='step')

    def one_tick():  # a learner ticks once, early in the wait, then never again
        loop.ticks += 1
    threading.Timer(0.03, one_tick).start()
    with caplog.at_level(logging.WARNING, logger='oautom'):
        assert loop.wait_for(threading.Event(), 0.6, 'vect f.1') is False
    assert 'vect f.1 is waited for, but nothing moves its app' in caplog.text
