"""The app: holds flows, starts vects, and moves them forward with `tick()`.

Everything that happens, happens in `tick()`: one round in which every running
vect checks its due steps, ends what ended and hands back the steps that became
ready; the app then starts them (at most `max_parallel` at a time) and
publishes the events. Plans (plans.py) start vects from the tick as well. The
three modes only differ in who calls it:

    step        you do: nothing moves until you call app.tick()
    foreground  run() loops in your thread until no vect runs and no plan is left
    background  run() starts a thread named 'oautom-engine' that loops (loop.py)
"""
import copy
import threading
from enum import StrEnum

from .clock import checked_clock, moment_text
from .context import in_a_step_function
from .due import with_slack
from .errors import OAutomError, VectAlreadyRunningException
from .events import Subscribers
from .history import History
from .loop import FINISH_ADVICE, Loop
from .names import counted, did_you_mean
from .params import resolve_params
from .plans import Plans, make_plan
from .registry import Flows
from .start_queue import StartQueue
from .vect import Vect


class OAutomMode(StrEnum):
    """Who drives the engine (see the module docstring)."""
    foreground = 'foreground'
    background = 'background'
    step = 'step'


class OAutom:  # pylint: disable=too-many-instance-attributes
    """A workflow engine: register flows, start vects, run the loop."""

    def __init__(self, mode=OAutomMode.foreground, *, max_parallel=None, history_size=100,
                 clock=None):
        if mode not in OAutomMode.__members__.values():
            close = did_you_mean(mode, [known.value for known in OAutomMode])
            raise OAutomError(f'unknown mode {mode!r}; {close}use OAutomMode.foreground, '
                              'OAutomMode.background or OAutomMode.step')
        self.mode = OAutomMode(mode)
        self._starts = StartQueue(max_parallel)  # checks it; used by the tick only
        # Every now and every wait goes through it (a real Clock unless a test gives one)
        self.clock = checked_clock(clock, background=self.mode is OAutomMode.background)
        self._flows = Flows()     # it locks for itself (registry.py)
        # Guards the five below. Never held while user code (run, check, callbacks) runs.
        self._lock = threading.Lock()
        self._running = {}        # flow name -> its running Vect
        self._started = []        # Vects started since the last tick, whose start is not published
        self._history = History(history_size)  # the vects app.logs() shows (checks its size)
        self._newest = {}         # flow name -> its newest Vect
        self._numbers = {}        # flow name -> number of its last vect
        # Written inside tick() only, which _tick_lock makes one at a time.
        self._tick_lock = threading.Lock()
        self._events = []         # events to publish, in order (vects append theirs in a tick)
        self._due = None          # next due time, -inf: now, inf: at a wake; None: none runs
        self._subscribers = Subscribers()  # it and the two below lock for themselves
        self._plans = Plans(self.clock)
        self._loop = Loop(tick=self._tick_and_sleep_time, clock=self.clock, mode=self.mode.value)

    @property
    def max_parallel(self):
        """The most steps that run at once (None: no bound), as given to OAutom()."""
        return self._starts.max_parallel

    def register_flow(self, flow):
        """Add a flow to this app; its name must be new here."""
        return self._flows.register(flow)

    def flows(self):
        """The names of the registered flows."""
        return self._flows.names()

    def flow(self, name):
        """The flow called `name`."""
        return self._flows.named(name)

    def start(self, flow_name, params=None):
        """Validate the flow and start a new vect of it; return the Vect."""
        flow, options = self._flows.runnable(flow_name)  # (options: as checked now)
        values = resolve_params(flow, params)
        if self._loop.stopping:  # else a callback that starts a flow at each end keeps a stop going
            raise OAutomError(f'flow {flow_name!r} was not started: the app is stopping; start '
                              'it once its loop has ended, then run() the app again')
        with self._lock:
            running = self._running.get(flow_name)
            if running is not None and not running.ended():  # ended: it leaves after its tick
                raise VectAlreadyRunningException(
                    f'flow {flow_name!r} already has a running vect {running.id} (started '
                    f'{moment_text(running.start_date, self.clock.now())}); one at a time: '
                    f'{FINISH_ADVICE[self.mode]}, or app.stop() cancels it', running)
            number = self._numbers[flow_name] = self._numbers.get(flow_name, 0) + 1
            vect = Vect(flow, number, values, options, clock=self.clock, loop=self._loop,
                        on_event=self._events.append, subscribers=self._subscribers)
            self._running[flow_name] = self._newest[flow_name] = vect
            self._started.append(vect)
            self._history.keep(vect)
        self._loop.ring()
        return vect

    def plan(self, flow_name, *, days=0, hours=0, minutes=0, seconds=0, cron=None,  # pylint: disable=too-many-arguments
             params=None, **unknown):
        """Start the flow every interval, or on a 5-field cron expression (see plans.py)."""
        flow, _ = self._flows.runnable(flow_name)
        resolve_params(flow, params)  # refused now, not at a firing
        plan = make_plan(flow_name, copy.deepcopy(dict(params or {})), self.clock.time(),
                         self._loop.ring, days=days, hours=hours, minutes=minutes,
                         seconds=seconds, cron=cron, **unknown)  # which it refuses
        self._plans.add(plan)
        self._loop.ring()  # a sleeping loop must learn of the new firing time
        return plan

    def plans(self):
        """The plans not cancelled."""
        return self._plans.live()

    def status(self, flow_name):
        """The status dict of the flow's newest vect, {} if it never ran."""
        self.flow(flow_name)
        with self._lock:
            vect = self._newest.get(flow_name)
        return vect.status() if vect else {}

    def logs(self):
        """Status dicts of the kept vects, newest first (at most history_size)."""
        with self._lock:
            vects = self._history.newest_first()
        return [vect.status() for vect in vects]

    def subscribe(self, callback):
        """Call `callback(event)` for every event; return a function that unsubscribes."""
        return self._subscribers.subscribe(callback)

    # -- the engine -------------------------------------------------------------------

    def tick(self):
        """One round of the engine; return the events it caused (copies, yours to change)."""
        events = self._tick_unless_ticking()
        if events is None:
            raise self._loop.second_tick_error()
        return [dict(event) for event in events]

    def _tick_unless_ticking(self):
        """A tick, unless one is under way (then None, at once). Ticks never overlap, and a
        tick never waits for another: it holds the engine up only by the user code it calls."""
        if not self._tick_lock.acquire(blocking=False):  # pylint: disable=consider-using-with
            return None
        try:
            self._loop.ticker = threading.current_thread()  # see loop.py for who asks
            self._loop.ticks += 1
            events = self._one_round()
            to_deliver = self._subscribers.post(events)  # inside the tick: posted in tick order
        finally:
            try:  # (a Ctrl-C in it, in step mode, must not keep the tick lock taken for good)
                self._subscribers.release_waits_now()  # those post() would have taken
            finally:
                self._loop.ticker = None
                self._tick_lock.release()
        if to_deliver:
            self._subscribers.deliver()  # outside every lock
        return events

    def _one_round(self):
        """Move every running vect on, fire the plans due, start the steps made ready, and
        note when the loop must tick next; return the events, in the order they happened."""
        vects = self._take_running_vects()
        now = with_slack(self.clock.monotonic())  # float rounding misses no due time (due.py)
        for vect in vects:
            vect.advance(now)
        # The plans after the vects: one that has just ended leaves its plan free to fire
        if self._plans.fire_due(self.start):
            vects = self._take_running_vects()  # with the vects they started, which start now
        self._starts.start(vects)  # their ready steps, within max_parallel (start_queue.py)
        dues = []  # when each vect still running is next due, for the loop to sleep until
        for vect in vects:
            if not vect.ended():
                dues.append(vect.next_due())  # asked under _tick_lock: no tick moves it now
            else:
                with self._lock:  # it is running no more
                    if self._running.get(vect.flow_name) is vect:  # not a new one a plan started
                        del self._running[vect.flow_name]
        self._due = min(dues, default=None)
        events = self._events.copy()  # copied, not replaced: vects hold its append()
        self._events.clear()
        return events

    def _take_running_vects(self):
        """The running vects, once the start events of those started since the last look
        are published: a vect's start comes before its steps' events."""
        with self._lock:
            vects = list(self._running.values())
            started, self._started = self._started, []
        if started:  # their start events, made by Vect()
            self._events.extend(vect.events[0] for vect in started)  # (a copy)
        return vects

    def run(self):
        """Drive the engine: loop here until no vect runs (foreground), or in a thread
        until stop() (background). Ctrl-C, SIGTERM or SIGHUP in foreground stops the app first."""
        if self.mode is OAutomMode.step:
            raise OAutomError('an app in step mode does not run by itself; call app.tick() '
                              'for each round, or create it with mode=OAutomMode.foreground')
        self._loop.start(background=self.mode is OAutomMode.background)

    def stop(self):
        """Cancel every running vect and plan, and stop the loop; run() may be called again.

        A loop in another thread: wait until it has cancelled all and ended. In this thread
        (a step or callback called stop()): it ends after this round. No loop (step mode):
        cancel now, in a tick of our own, unless one is under way, or a step's function
        called stop() (its thread must not tick while yours does): the next tick does it.
        A vect that a callback starts in our tick runs on."""
        self._plans.cancel_all()
        if not self._loop.stop():
            self._cancel_running()
            if not in_a_step_function():
                self._tick_unless_ticking()

    def _tick_and_sleep_time(self):
        """A tick for the loop; return the seconds it may sleep, inf or None (see loop.py)."""
        if self._loop.stopping:  # cancelled here, in the loop's thread: see loop.py on Ctrl-C
            self._plans.cancel_all()
            self._cancel_running()
        if self._tick_unless_ticking() is None:
            # A learner's tick is under way: wait for it, then tick again (it may miss what rang)
            with self._tick_lock:
                return 0.0
        plan_wait = self._plans.seconds_to_next()
        if self._due is None:  # no vect was running at the end of the tick, but one may
            with self._lock:  # have started since (by a callback, say); None: no work at all
                return 0.0 if self._running else plan_wait
        wait = max(0.0, self._due - self.clock.monotonic())
        return wait if plan_wait is None else min(wait, plan_wait)

    def _cancel_running(self):
        with self._lock:
            vects = list(self._running.values())
        for vect in vects:
            vect.cancel()

    def __repr__(self):
        return f'<OAutom {self.mode.value}: {counted(len(self._flows), "flow")}, ' \
               f'{len(self._running)} running>'
