"""Time, injected: every "now" and every wait of the engine goes through a clock.

`Clock` is real time. `FakeClock` is time that only moves when told to, so a
test can check a 60-second retry delay or a one-hour timeout in microseconds:
advance the clock, then `app.tick()`. This is what `sched.scheduler` does with
its `timefunc` and `delayfunc` arguments.

Three kinds of time are kept apart on purpose:
- `monotonic()` (seconds, never jumps backwards) for due times and durations;
- `now()` (a naive local `datetime`) for what humans read: events, status;
- `time()` (seconds since the epoch) for plans: wall-clock time, but one that
  a daylight-saving change does not move back or forth.
"""
import inspect
import math
import numbers
import queue
from datetime import datetime, timedelta
from fractions import Fraction
from threading import TIMEOUT_MAX
from time import monotonic as monotonic_seconds, time as epoch_seconds

from .errors import OAutomError


class Clock:  # pylint: disable=too-few-public-methods
    """The real clock: its three kinds of time are the standard library's own functions.

    They are set as they are, not wrapped in methods that call them: the engine asks
    the time several times for each step, and a wrapper adds a third to each call."""

    monotonic = staticmethod(monotonic_seconds)  # seconds; only differences mean anything
    now = staticmethod(datetime.now)             # the local wall-clock time, a naive datetime
    time = staticmethod(epoch_seconds)           # seconds since the epoch
    # Does time() move as monotonic() does? Not here: monotonic() stands still while the
    # machine is suspended, and time() moves when the wall clock is set, so a wait for a
    # plan's firing looks at time() again now and then (plans.py)
    wall_time_follows_monotonic = False

    def __repr__(self):
        return '<Clock: real time>'

    def wait(self, doorbell: queue.SimpleQueue, timeout):
        """Sleep until something rings `doorbell` (puts in it), or `timeout` seconds pass.
        A wait past the platform's longest (threading.TIMEOUT_MAX, 292 years on Linux: a
        poll_interval of 10**10 s, say) ends there, and the loop simply waits again."""
        try:
            doorbell.get(timeout=None if timeout is None else min(timeout, TIMEOUT_MAX))
        except queue.Empty:
            pass


class FakeClock(Clock):
    """A clock for tests: time stands still until `advance()` or a timed `wait()`.

    It is for steps whose work takes no real time: step mode, or steps that are done
    when checked. In a foreground `run()` every timed wait jumps to its end (unless the
    loop was rung: then it ends at once, as a real one would), so a real thread or
    process still at work would see fake time race past its timeout."""

    wall_time_follows_monotonic = True  # both move by advance(): a wait jumps to a firing

    def __init__(self, start=datetime(2026, 1, 1, 12, 0, 0)):
        if not isinstance(start, datetime) or start.tzinfo is not None:  # local, as now()'s
            raise OAutomError(f'FakeClock starts at a local datetime with no time zone, not '
                              f'{type(start).__name__} {start!r}: FakeClock(datetime(2026, 1, 1, '
                              '12, 0))')
        try:  # time() gives its seconds since the epoch
            start.timestamp()
        except (OverflowError, ValueError):  # the year 1 east of UTC, the year 9999 west
            raise OAutomError(f'FakeClock cannot start at {start}: it has no time stamp in this '
                              "time zone, so near the calendar's end; start it a day inside "
                              'the years 1 to 9999') from None
        self._start = start
        # Exact, so that rounding errors never pile up: 0.1 added 36,000 times as floats is
        # 3599.9999999978213, and an hour's timeout would strike a tenth of a second late
        self._elapsed = Fraction(0)

    def __repr__(self):
        moved = seconds_text(float(self._elapsed))
        return f'<FakeClock at {self.now():%Y-%m-%d %H:%M:%S}, moved {moved} s>'

    def monotonic(self):
        """Seconds since the clock was made, as far as it was told to move."""
        return float(self._elapsed)

    def now(self):
        """The local datetime of time(), as a wall clock shows it: across a daylight-saving
        change too, where its start plus the seconds it moved would be an hour off."""
        return datetime.fromtimestamp(self.time())

    def time(self):
        """Its start in seconds since the epoch, plus the seconds it was told to move."""
        return self._start.timestamp() + float(self._elapsed)

    def advance(self, seconds):
        """Move time forward by `seconds` (a number or a timedelta, 0 or more: time never
        goes back)."""
        if isinstance(seconds, timedelta):  # as datetime arithmetic would have it
            seconds = seconds.total_seconds()
        if isinstance(seconds, bool) or not isinstance(seconds, numbers.Real) or \
                not 0 <= seconds < math.inf:  # NaN fails the comparison too
            back = ': monotonic time never goes back' if isinstance(seconds, numbers.Real) and \
                seconds < 0 else ''  # (a timedelta is taken as its seconds)
            raise OAutomError(f'FakeClock.advance takes a number of seconds, 0 or more, not '
                              f'{seconds!r}{back}')
        # Exactly as given when Fraction takes it (an int, a float), else as the float it is
        # (numpy's float32, say)
        exact = Fraction(seconds) if isinstance(seconds, (numbers.Rational, float)) else \
            Fraction(float(seconds))
        try:  # now() must still tell a date, which the engine asks for at every tick
            datetime.fromtimestamp(self._start.timestamp() + float(self._elapsed + exact))
        except (OverflowError, ValueError, OSError):  # (OSError: the platform's own limit)
            raise OAutomError(f'FakeClock.advance({seconds!r}) would move it past the end of '
                              'the calendar (the year 9999), where it can tell no date; '
                              'advance it by less') from None
        self._elapsed += exact

    def wait(self, doorbell, timeout):
        # A timed wait jumps straight to its end, so a foreground run() with a
        # fake clock skips every delay instantly. Waiting with no timeout means
        # "until something happens in another thread": that must really block.
        if timeout is None:
            doorbell.get()
        elif doorbell.empty():  # else someone rang: a real wait would end at once
            try:
                self.advance(max(timeout, 0.0))
            except OAutomError:  # said of what the engine waits for, not of advance()
                raise OAutomError(f'the engine would wait {seconds_text(timeout)} s on its '
                                  'FakeClock, until what it waits for next (a poll_interval, a '
                                  'retry_delay, a timeout), past the end of the calendar (the '
                                  'year 9999); make that time shorter') from None


def checked_clock(clock, *, background):
    """The clock of an app: a real Clock if `clock` is None. One that cannot serve is refused
    now, in words, not at the first tick with an AttributeError from deep in the engine."""
    if clock is None:
        return Clock()
    names = ('monotonic', 'now', 'time', 'wait')
    if isinstance(clock, type) and any(_takes_self(clock, name) for name in names):
        raise OAutomError(f'clock takes a clock, not the class {clock.__name__}: write '
                          f'clock={clock.__name__}()')
    missing = [f'{name}()' for name in names if not callable(getattr(clock, name, None))]
    if missing:
        raise OAutomError(f'clock {clock!r} has no {", ".join(missing)}; give a Clock() (real '
                          'time, the default) or a FakeClock() from oautom.clock')
    if background and isinstance(clock, FakeClock):
        raise OAutomError('a FakeClock cannot drive a background app: its timed waits end at '
                          'once, so fake time would race past every poll, retry and plan; use '
                          'it in step mode, with app.tick() and clock.advance()')
    return clock


def _takes_self(cls, name):
    """True if cls.name is a method that needs an instance (not a static function)."""
    function = inspect.getattr_static(cls, name, None)
    return inspect.isfunction(function) and \
        next(iter(inspect.signature(function).parameters), None) == 'self'


def seconds_text(value):
    """A number of seconds, as messages show it: as it was given, 0.2, 5, 2592000, 0.1234567
    (`:g` would say 2.592e+06 and 0.123457), and 0.3 for 3 * 0.1."""
    return format(value, '.15g')


def duration_text(seconds):
    """A duration, as a repr shows it: 0:10:00 or 1 day, 0:00:00 as timedelta does for whole
    seconds, 0.2 s for a fraction (where timedelta would say 0:00:00.200000)."""
    if seconds == int(seconds):
        return str(timedelta(seconds=seconds))
    return f'{seconds_text(seconds)} s'


def moment_text(moment, now):
    """A datetime, as messages show it: 14:05:09 on the day of `now`, with its date else (a
    vect that started 14:05:09 three days ago did not start today)."""
    return f'{moment:%H:%M:%S}' if moment.date() == now.date() else f'{moment:%Y-%m-%d %H:%M:%S}'
