"""The injected clock: real time, or a fake that moves only when told."""
import math
import numbers
import queue
import re
import threading
import time
from datetime import datetime, timedelta, timezone
from fractions import Fraction

import pytest

from oautom import Flow, OAutom, OAutomError, OAutomMode
from oautom.clock import Clock, FakeClock, moment_text
from helpers import Scripted


def test_fake_clock_moves_only_when_told():
    clock = FakeClock(start=datetime(2026, 3, 1, 8, 0))
    assert clock.monotonic() == 0.0 and clock.now() == datetime(2026, 3, 1, 8, 0)
    clock.advance(90)
    assert clock.monotonic() == 90.0 and clock.now() == datetime(2026, 3, 1, 8, 1, 30)
    assert repr(clock) == '<FakeClock at 2026-03-01 08:01:30, moved 90 s>'
    assert repr(Clock()) == '<Clock: real time>'


def test_fake_clock_advances_by_a_timedelta_too_but_never_goes_back():
    clock = FakeClock()
    clock.advance(timedelta(minutes=1))
    assert clock.monotonic() == 60
    clock.advance(Fraction(1, 2))
    assert clock.monotonic() == 60.5
    for wrong in (-5, float('nan'), math.inf, '5', None, True):
        with pytest.raises(OAutomError, match='FakeClock.advance takes a number of seconds, 0 or '
                                              'more'):
            clock.advance(wrong)
    assert clock.monotonic() == 60.5
    with pytest.raises(OAutomError, match=r"not -5: monotonic time never goes back$"):
        clock.advance(-5)
    with pytest.raises(OAutomError, match=r"not '5'$"):  # no word of going back: it does not
        clock.advance('5')
    with pytest.raises(OAutomError, match=r'past the end of the calendar \(the year 9999\)'):
        clock.advance(10**400)  # more than a float holds, too
    for beyond in (1e12, 1e300):  # a tick would fail on its date, or never end
        with pytest.raises(OAutomError, match=r'advance\([\de.+]+\) would move it past the end '):
            clock.advance(beyond)
    assert clock.monotonic() == 60.5
    clock.advance(datetime(9999, 12, 30) - clock.now())  # up to its last days: a date still
    assert clock.now() == datetime(9999, 12, 30)
    with pytest.raises(OAutomError, match='past the end of the calendar'):
        clock.advance(timedelta(days=2))


class Float32:
    """A number that Fraction does not take, as numpy's float32."""

    def __init__(self, value):
        self.value = value

    def __float__(self):
        return self.value

    def __le__(self, other):
        return self.value <= other

    def __ge__(self, other):
        return self.value >= other

    def __lt__(self, other):
        return self.value < other

    def __gt__(self, other):
        return self.value > other


numbers.Real.register(Float32)


def test_fake_clock_advances_by_any_real_number_as_the_float_it_is():
    clock = FakeClock()
    clock.advance(Float32(0.25))
    assert clock.monotonic() == 0.25


def test_fake_timed_wait_jumps_to_its_end_at_once():
    clock = FakeClock()
    clock.wait(queue.SimpleQueue(), 3600)
    assert clock.monotonic() == 3600


def test_a_fake_timed_wait_already_rung_ends_at_once_as_a_real_one_would():
    clock, doorbell = FakeClock(), queue.SimpleQueue()
    doorbell.put(True)
    clock.wait(doorbell, 3600)
    assert clock.monotonic() == 0.0 and not doorbell.empty()  # the loop drains the ring


def test_fake_untimed_wait_blocks_until_rung():
    clock, doorbell = FakeClock(), queue.SimpleQueue()
    began = time.monotonic()
    threading.Timer(0.05, doorbell.put, args=(True,)).start()
    clock.wait(doorbell, None)
    assert time.monotonic() - began >= 0.05  # it really waited for the ring
    assert clock.monotonic() == 0.0 and doorbell.empty()  # fake time stood still


def test_real_wait_returns_at_a_ring_or_at_its_timeout():
    clock, doorbell = Clock(), queue.SimpleQueue()
    doorbell.put(True)
    before = clock.monotonic()
    clock.wait(doorbell, 10)
    assert clock.monotonic() - before < 5  # returns at once: it was rung
    before = clock.monotonic()
    clock.wait(doorbell, 0.05)
    assert clock.monotonic() - before >= 0.05


def test_real_wait_longer_than_the_platform_allows_waits_for_a_ring():
    clock, doorbell = Clock(), queue.SimpleQueue()
    ring = threading.Timer(0.05, doorbell.put, (True,))
    ring.start()
    before = clock.monotonic()
    clock.wait(doorbell, 10**10)  # past threading.TIMEOUT_MAX: no OverflowError
    assert clock.monotonic() - before >= 0.04 and doorbell.empty()


def test_real_clock_is_naive_local_time():
    clock = Clock()
    assert clock.now().tzinfo is None


@pytest.mark.parametrize('clock, missing', [
    (time, 'now(), wait()'), (datetime.now, 'monotonic(), now(), time(), wait()'),
])
def test_an_app_refuses_a_clock_that_lacks_what_the_engine_asks_of_it(clock, missing):
    with pytest.raises(OAutomError, match=rf'^clock .* has no {re.escape(missing)}; give a '
                                          r'Clock\(\) \(real time, the default\) or a '
                                          r'FakeClock\(\) from oautom.clock$'):
        OAutom(mode=OAutomMode.step, clock=clock)


def test_a_fake_clock_is_refused_in_background_mode_where_its_time_would_race():
    with pytest.raises(OAutomError, match='^a FakeClock cannot drive a background app: its '
                                          'timed waits end at once'):
        OAutom(mode=OAutomMode.background, clock=FakeClock())
    assert OAutom(mode=OAutomMode.step, clock=FakeClock())  # its place


def test_a_fake_clock_starts_at_a_local_datetime_and_says_so():
    with pytest.raises(OAutomError, match=r"^FakeClock starts at a local datetime with no time "
                                          r"zone, not str '2026-01-01 12:00': FakeClock\("):
        FakeClock('2026-01-01 12:00')
    with pytest.raises(OAutomError, match=r'not datetime datetime.datetime\(2026, 1, 1, 12, 0, '
                                          r'tzinfo=datetime.timezone.utc\)'):
        FakeClock(datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc))  # now() would be local


def test_a_fake_clock_at_a_moment_with_no_time_stamp_is_refused_at_once(monkeypatch):
    monkeypatch.setenv('TZ', 'CET-1')  # east of UTC: the first hour of the year 1 is before it
    time.tzset()
    try:
        with pytest.raises(OAutomError, match=r'^FakeClock cannot start at 0001-01-01 00:00:00: '
                                              r"it has no time stamp in this time zone, so near "
                                              r"the calendar's end; start it a day inside the "
                                              r'years 1 to 9999$'):
            FakeClock(datetime(1, 1, 1))  # its time() used to fail, in the engine's first tick
    finally:
        monkeypatch.undo()
        time.tzset()


def test_a_class_of_functions_without_self_serves_as_a_clock_as_it_is():
    class Namespace:  # pylint: disable=no-method-argument
        """Functions called on the class itself: no instance is needed, nor refused."""

        def monotonic():
            return time.monotonic()

        def now():
            return datetime.now()

        def time():
            return time.time()

        def wait(doorbell, timeout):
            Clock().wait(doorbell, timeout)
    assert OAutom(mode=OAutomMode.step, clock=Namespace).clock is Namespace


def test_a_fake_clock_s_now_is_the_wall_clock_of_its_time_across_daylight_saving(monkeypatch):
    monkeypatch.setenv('TZ', 'CET-1CEST,M3.5.0,M10.5.0/3')  # forward on March 29, at 02:00
    time.tzset()
    try:
        clock = FakeClock(datetime(2026, 3, 29, 0, 0))
        clock.advance(4 * 3600)  # an hour was skipped on the way: the wall clock says 05:00
        assert clock.now() == datetime(2026, 3, 29, 5, 0) == datetime.fromtimestamp(clock.time())
    finally:
        monkeypatch.undo()
        time.tzset()


def test_a_moment_is_shown_with_its_date_unless_it_is_of_today():
    now = datetime(2026, 1, 4, 9, 0)
    assert moment_text(datetime(2026, 1, 4, 8, 59, 1), now) == '08:59:01'
    assert moment_text(datetime(2026, 1, 1, 12, 0), now) == '2026-01-01 12:00:00'


def test_a_foreground_wait_past_the_calendar_s_end_on_a_fake_clock_says_what_it_waits_for():
    clock = FakeClock()
    app = OAutom(mode=OAutomMode.foreground, clock=clock)
    Scripted('slow', Flow('f', app=app), script=(False,), poll_interval=1e12)  # never done
    vect = app.start('f')
    # It used to fail every tick on a bare ValueError, for ever
    with pytest.raises(OAutomError, match=r'^the engine would wait 1000000000000 s on its FakeClock, '
                                          r'until what it waits for next \(a poll_interval'):
        app.run()
    assert clock.now() == datetime(2026, 1, 1, 12, 0)  # not moved: the wait was refused
    app.stop()
    assert vect.state.value == 'cancelled'
