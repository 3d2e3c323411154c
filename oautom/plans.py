"""Plans: start a flow on a schedule, every interval or on a cron expression.

    app.plan('etl', hours=1)               # one hour after plan(), then every hour
    app.plan('etl', cron='*/5 * * * *')    # at :00, :05, :10, ... of every hour

An interval plan fires on a fixed grid, anchored when the plan is made:
anchor + 1 interval, anchor + 2 intervals, ... A firing that comes late (a
busy or suspended machine) does not shift the grid, and firings missed
meanwhile are not caught up: the plan simply fires at the next point of the
grid. If the flow is still running when its plan fires, that firing is
skipped and logged: only one vect per flow runs at a time.

The app asks its plans, in each tick, which are due (`Plans.due(now)`) and
starts their flows; the loop sleeps until the next firing at the latest.
"""
import logging
import threading
from datetime import timedelta

from .cron import Cron
from .errors import InvalidScheduleError, OAutomError, VectAlreadyRunningException

logger = logging.getLogger('oautom')


class Plan:
    """A schedule for one flow: `next_run` is when it fires next."""

    def __init__(self, flow_name, params, *, interval=None, cron=None, now):  # pylint: disable=too-many-arguments
        self.flow_name = flow_name
        self.params = params
        self._interval = interval       # a timedelta, or None for a cron plan
        self._cron = None if cron is None else Cron(cron)
        self._anchor = now              # an interval plan's grid starts here
        self.cancelled = False
        self.next_run = self.next_after(now)

    def next_after(self, moment):
        """The first firing strictly after `moment` (pure: reads no clock)."""
        if self._cron is not None:
            return self._cron.next_after(moment)
        steps = max(0, (moment - self._anchor) // self._interval) + 1
        return self._anchor + steps * self._interval

    def cancel(self):
        """Never fire again."""
        self.cancelled = True

    def __repr__(self):
        every = self._cron.expression if self._cron else f'every {self._interval}'
        state = 'cancelled' if self.cancelled else f'next {self.next_run:%Y-%m-%d %H:%M:%S}'
        return f'<Plan {self.flow_name!r} {every}, {state}>'


def make_plan(flow_name, params, now, *, days, hours, minutes, seconds, cron):  # pylint: disable=too-many-arguments
    """A Plan from app.plan()'s arguments, or InvalidScheduleError saying what is wrong."""
    parts = {'days': days, 'hours': hours, 'minutes': minutes, 'seconds': seconds}
    for name, value in parts.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise InvalidScheduleError(f'{name} must be a number of 0 or more, not {value!r}')
    interval = timedelta(**parts)
    if cron is not None:
        if interval:
            raise InvalidScheduleError('give a plan either an interval (days, hours, minutes, '
                                       'seconds) or a cron expression, not both')
        return Plan(flow_name, params, cron=cron, now=now)
    if not interval:
        raise InvalidScheduleError('a plan needs an interval above 0 (days=, hours=, minutes=, '
                                   'seconds=) or a cron expression (cron="*/5 * * * *")')
    return Plan(flow_name, params, interval=interval, now=now)


class Plans:
    """The app's live plans."""

    def __init__(self):
        self._lock = threading.Lock()  # guards _plans: plan() and stop() come from any thread
        self._plans = []

    def add(self, plan):
        """Keep `plan` until it is cancelled."""
        with self._lock:
            self._plans.append(plan)

    def live(self):
        """The plans not cancelled, dropping the cancelled ones."""
        with self._lock:
            self._plans = [plan for plan in self._plans if not plan.cancelled]
            return list(self._plans)

    def due(self, now):
        """The plans whose firing time has come; each moves on to its next firing."""
        fired = [plan for plan in self.live() if plan.next_run <= now]
        for plan in fired:
            plan.next_run = plan.next_after(now)
        return fired

    def fire_due(self, now, start):
        """Call `start(flow_name, params)` for every plan due at `now`."""
        for plan in self.due(now):
            try:
                start(plan.flow_name, plan.params)
            except VectAlreadyRunningException as refusal:
                logger.warning('plan of flow %r skipped its firing: %s', plan.flow_name, refusal)
            except OAutomError as error:  # the flow was changed since: report, keep the plan
                logger.warning('plan of flow %r could not start it: %s', plan.flow_name, error)

    def seconds_to_next(self, now):
        """Seconds until the next firing of any plan; None if there is no plan."""
        firings = [plan.next_run for plan in self.live()]
        return max(0.0, (min(firings) - now).total_seconds()) if firings else None

    def cancel_all(self):
        """Cancel every plan (app.stop())."""
        for plan in self.live():
            plan.cancel()
