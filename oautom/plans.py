"""Plans: start a flow on a schedule, every interval or on a cron expression.

    app.plan('etl', hours=1)               # one hour after plan(), then every hour
    app.plan('etl', cron='*/5 * * * *')    # at :00, :05, :10, ... of every hour

An interval plan fires on a fixed grid, anchored when the plan is made: anchor + 1
interval, anchor + 2 intervals, ... A firing that comes late (a busy or suspended machine)
does not shift the grid, and firings missed meanwhile are not caught up: the plan simply
fires at the next point of the grid. If the flow is still running when its plan fires,
that firing is skipped and logged: only one vect per flow runs at a time.

A cron plan speaks local wall-clock time: cron.py says what it does when clocks go forward
or back for daylight saving. A wall clock set back by hand, to before a plan's last firing
by more than the wait between its firings (or more than SET_BACK), plans it again from the
new time; set back by less, the plan only waits as long, and fires nothing twice.

In each tick the app asks its plans to start the flows that are due
(`Plans.fire_due(start)`); the loop sleeps until the next firing at the latest.
"""
import math
import threading
from datetime import date, datetime

from .airflow_words import plan_option_hint, timedelta_hint
from .clock import duration_text, moment_text
from .cron import Cron
from .due import with_slack
from .errors import InvalidScheduleError, OAutomError, VectAlreadyRunningException
from .logger import logger
from .names import did_you_mean

MAX_INTERVAL = 100 * 366 * 86400  # seconds
# Seconds. Epoch seconds in a float resolve about 0.2 microseconds: below that, the grid's
# next firing (start + k * interval) would stop moving, and plan() would loop for ever.
MIN_INTERVAL = 0.001
LONGEST_WAIT = 60.0  # seconds: look at the wall clock at least this often (see seconds_to_next)
SET_BACK = 3 * 3600  # seconds: a wall clock set back more re-plans even a daily plan


class Plan:
    """A schedule for one flow: `next_time` is when it fires next (epoch seconds), and
    `next_run` the same as a local datetime."""

    def __init__(self, flow_name, params, *, interval=None, cron=None, now, on_change):  # pylint: disable=too-many-arguments
        self.flow_name = flow_name
        self.params = params            # as given to plan(): each firing resolves them anew
        self._interval = interval       # seconds, or None for a cron plan
        self._cron = None if cron is None else Cron(cron)
        self._anchor = now              # when made (epoch s); an interval plan's grid starts here
        self._since = now               # when it was made or last fired (epoch seconds)
        self._on_change = on_change     # rings the app's loop
        self.cancelled = False
        # Epoch seconds, not local time: daylight saving must not make it fire twice or pause
        self.next_time = self._firing_after(now)
        if self.next_time == math.inf:
            raise InvalidScheduleError(f'plan of flow {flow_name!r} has no firing after '
                                       f'{datetime.fromtimestamp(now)}: datetimes end in 9999')

    @property
    def next_run(self):
        """The next firing, as a naive local datetime."""
        return datetime.fromtimestamp(self.next_time)

    def next_after(self, moment):
        """The first firing strictly after the naive local datetime `moment` (reads no clock;
        for a moment before the plan was made, its first firing)."""
        if not isinstance(moment, datetime):
            hint = ('; make one with datetime.combine(day, time())' if isinstance(moment, date)
                    else '')
            raise OAutomError(f'plan.next_after takes a datetime, not {type(moment).__name__} '
                              f'{moment!r}{hint}')
        try:
            seconds = self._first_after(max(moment.timestamp(), self._anchor))
            # A datetime shows microseconds: a firing less than one after `moment` shows as
            # `moment` itself (next_after(plan.next_run) would return next_run). Skip it.
            # (Timestamps, not datetimes, are compared: those ignore the fold of an hour.)
            while datetime.fromtimestamp(seconds).timestamp() <= moment.timestamp():
                seconds = self._first_after(seconds)
            return datetime.fromtimestamp(seconds)
        except InvalidScheduleError:  # a ValueError too: let it through the handler below
            raise
        except (OverflowError, ValueError):  # at the calendar's ends: no time stamp there
            if moment.year < 9999:  # so the time stamp failed at the calendar's start
                raise OAutomError(f'plan.next_after cannot convert {moment} to a time stamp: '
                                  'give a moment after the year 1') from None
            raise OAutomError(f'plan of flow {self.flow_name!r} has no firing after {moment}: '
                              'datetimes end with the year 9999') from None

    def cancel(self):
        """Never fire again."""
        self.cancelled = True
        self._on_change()  # a foreground run() may end now, if no plan is left

    def move_past(self, now):
        """The plan fired at `now` (epoch seconds): its next firing is the first after it."""
        self._since = now
        self.next_time = self._firing_after(now)

    def notice_set_back(self, now):
        """If the wall clock is now before the plan's last firing (or its making) by more
        than the wait between its firings, or than SET_BACK, plan from `now` (an interval
        grid moves whole intervals back, keeping its phase). By less, the next firing only
        comes that much later: a plan that just fired never fires again at once."""
        if now >= self._since - min(SET_BACK, self.next_time - self._since):
            return
        if self._interval is None:  # set back before it was made: a cron plan counts as made then
            self._anchor = min(self._anchor, now)
        elif now < self._anchor:
            self._anchor -= math.ceil((self._anchor - now) / self._interval) * self._interval
        self.move_past(now)

    def _firing_after(self, seconds):
        """_first_after(seconds), or inf past the year 9999 (Plans.fire_due then cancels it)."""
        try:
            firing = self._first_after(seconds)
            datetime.fromtimestamp(firing)  # as next_run shows it
        except (OverflowError, ValueError):  # (not InvalidScheduleError: raised when made)
            return math.inf
        return firing

    def _first_after(self, seconds):
        """Epoch seconds of the first firing strictly after `seconds`."""
        if self._cron is not None:
            return self._cron.next_firing(seconds, made=self._anchor)
        # The grid anchor + k * interval, k >= 1: the first point past `seconds` (the
        # loop guards against a float rounding down onto `seconds` itself).
        steps = max(0, math.floor((seconds - self._anchor) / self._interval)) + 1
        while self._anchor + steps * self._interval <= seconds:
            steps += 1
        return self._anchor + steps * self._interval

    def __repr__(self):
        every = self._cron.expression if self._cron else f'every {duration_text(self._interval)}'
        state = 'cancelled' if self.cancelled else f'next {self.next_run:%Y-%m-%d %H:%M:%S}'
        return f'<Plan {self.flow_name!r} {every}, {state}>'


def make_plan(flow_name, params, now, on_change, *, days, hours, minutes, seconds, cron,  # pylint: disable=too-many-arguments
              **unknown):
    """A Plan from app.plan()'s arguments, or InvalidScheduleError saying what is wrong."""
    if unknown:
        raise InvalidScheduleError(_unknown_option(*next(iter(unknown.items()))))
    for name, value in {'days': days, 'hours': hours, 'minutes': minutes,
                        'seconds': seconds}.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                0 <= value < math.inf):
            raise InvalidScheduleError(f'{name} must be an int or a float, finite, 0 or more; '
                                       f'not {value!r}{timedelta_hint(value, "seconds=")}')
    interval = days * 86400 + hours * 3600 + minutes * 60 + seconds
    if cron is not None:
        if interval:
            raise InvalidScheduleError('give a plan either an interval (days, hours, minutes, '
                                       'seconds) or a cron expression, not both')
        return Plan(flow_name, params, cron=cron, now=now, on_change=on_change)
    if not interval:
        raise InvalidScheduleError('a plan needs an interval above 0 (days=, hours=, minutes=, '
                                   'seconds=) or a cron expression (cron="*/5 * * * *")')
    if interval < MIN_INTERVAL:
        raise InvalidScheduleError(f'an interval of {interval:g} s is shorter than '
                                   f'{MIN_INTERVAL:g} s; give a longer one')
    if interval > MAX_INTERVAL:  # left out of the message: `:g` of a huge int would overflow
        raise InvalidScheduleError('an interval longer than a century is too long for a plan; '
                                   'give a shorter one, or a cron expression')
    return Plan(flow_name, params, interval=interval, now=now, on_change=on_change)


def _unknown_option(option, value):
    """The message for a keyword app.plan() does not take (Airflow's DAG takes some)."""
    known = ('days', 'hours', 'minutes', 'seconds', 'cron', 'params')
    return plan_option_hint(option, value) or (
        f'app.plan() takes no {option}=; {did_you_mean(option, known)}it takes '
        f'{"=, ".join(known)}=')


class Plans:
    """The app's live plans."""

    def __init__(self, clock):
        self._clock = clock  # the app's: plans read its wall-clock time()
        # Every tick reads the plans, while plan() may add one from another thread. So the
        # tuple is replaced, never changed: a reader takes it as it is, with no lock.
        self._lock = threading.Lock()  # one writer at a time: guards the replacing of _plans
        self._plans = ()

    def __repr__(self):
        return f'<Plans: {len(self.live())} live>'

    def add(self, plan):
        """Keep `plan` until it is cancelled."""
        with self._lock:
            self._plans = (*self.live(), plan)  # cancelled plans are dropped here

    def live(self):
        """The plans not cancelled."""
        return [plan for plan in self._plans if not plan.cancelled]

    def take_due(self, now):
        """Move each plan whose firing time (epoch seconds) has come on to its next firing,
        and return those plans (so a second call at the same `now` returns none)."""
        for plan in self.live():
            plan.notice_set_back(now)
        fired = [plan for plan in self.live() if plan.next_time <= now]
        for plan in fired:
            plan.move_past(now)
        return fired

    def fire_due(self, start):
        """Call `start(flow_name, params)` for every plan due now; return True if one did."""
        if not self._plans:  # the usual case, asked at every tick: answered at once
            return False
        started = False
        for plan in self.take_due(with_slack(self._clock.time())):  # (float rounding: due.py)
            if plan.cancelled:  # meanwhile, by app.stop() say: its firings are over
                continue
            try:
                start(plan.flow_name, plan.params)
                started = True
            except VectAlreadyRunningException as refusal:  # a plan never waits for a vect
                logger.warning('plan of flow %r skipped its firing: its vect %s, started %s, '
                               'is still running', plan.flow_name, refusal.running.id,
                               moment_text(refusal.running.start_date, self._clock.now()))
            except OAutomError as error:  # the flow was changed since: report, keep the plan
                logger.warning('plan of flow %r could not start it: %s', plan.flow_name, error)
            if plan.next_time == math.inf:  # that was its last firing (see Plan._firing_after)
                logger.warning('plan of flow %r is over: datetimes end in 9999', plan.flow_name)
                plan.cancel()
        return started

    def seconds_to_next(self):
        """Seconds from now until the next firing of any plan; None if no plan.

        The loop sleeps on the monotonic clock, which stands still while the machine is
        suspended and ignores the wall clock being set: it looks again at least every
        LONGEST_WAIT seconds, so a firing is never late by more than that (with a FakeClock,
        whose two times move together, its wait jumps straight to the firing).
        """
        firings = [plan.next_time for plan in self.live()] if self._plans else None
        if not firings:
            return None
        wait = max(0.0, min(firings) - self._clock.time())
        if getattr(self._clock, 'wall_time_follows_monotonic', False):  # (not on every clock)
            return wait
        return min(wait, LONGEST_WAIT)

    def cancel_all(self):
        """Cancel every plan (app.stop())."""
        with self._lock:
            plans, self._plans = self._plans, ()
        for plan in plans:
            plan.cancel()
