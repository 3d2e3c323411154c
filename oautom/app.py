"""The app: holds flows, starts vects, and moves them forward with `tick()`.

Everything that happens, happens in `tick()`: one round in which every
running vect checks its due steps, ends what ended and hands back the steps
that became ready; the app then starts them (at most `max_parallel` at a
time) and publishes the events. The three modes only differ in who calls it:

    step        you do: nothing moves until you call app.tick()
    foreground  run() loops in your thread until no vect is left running
    background  run() starts a thread named 'oautom-engine' that loops

The loop is "tick, then sleep until something can change". Something can
change when a step is due (the earliest time any vect reports) or when
another thread rings: a step's `context.wake()`, `app.start()`, `stop()`.
So an idle app sleeps on a condition and uses no CPU, and a finished step's
downstream starts within milliseconds.
"""
import signal
import threading
from collections import deque
from enum import StrEnum

from .clock import Clock
from .errors import FlowIntegrityError, OAutomError, UnknownFlowError, \
    VectAlreadyRunningException
from .events import Subscribers
from .params import resolve_params
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
            raise OAutomError(f'unknown mode {mode!r}; use one of '
                              f'{", ".join(m.value for m in OAutomMode)} (OAutomMode.foreground)')
        self.mode = OAutomMode(mode)
        for option, value in (('max_parallel', max_parallel), ('history_size', history_size)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                      or value < 1):
                raise OAutomError(f'{option} must be a whole number of 1 or more, not {value!r}')
        self.max_parallel = max_parallel
        self.clock = clock or Clock()  # every now and every wait goes through it
        # Guards every attribute below up to _loop_done, and is the condition the
        # loop sleeps on. Never held while user code (run, check, callbacks) runs.
        self._lock = threading.Condition()
        self._flows = {}          # flow name -> Flow
        self._running = {}        # flow name -> its running Vect
        self._history = deque(maxlen=history_size)  # every kept Vect, oldest first
        self._newest = {}         # flow name -> its newest Vect
        self._numbers = {}        # flow name -> number of its last vect
        self._changed = False     # rung: something may let the loop move on
        self._stop_requested = False
        self._loop_thread = None  # the thread inside _loop(), if any
        self._loop_done = threading.Event()
        # Only touched inside tick(), which _tick_lock makes one at a time.
        self._tick_lock = threading.Lock()
        self._ticking = None      # the thread ident running tick(), to refuse re-entry
        self._queue = deque()     # (vect, StepRun) ready but held back by max_parallel
        self._subscribers = Subscribers()

    # -- flows ------------------------------------------------------------------

    def register_flow(self, flow):
        """Add a flow to this app; its name must be new here."""
        with self._lock:
            known = self._flows.get(flow.name)
            if known is not None and known is not flow:
                raise FlowIntegrityError(
                    f'this app already has a flow named {flow.name!r}; give each flow its own name')
            self._flows[flow.name] = flow
        return flow

    def flows(self):
        """The names of the registered flows."""
        with self._lock:
            return list(self._flows)

    def flow(self, name):
        """The flow called `name`."""
        with self._lock:
            flow = self._flows.get(name)
            known = ', '.join(self._flows) or 'none yet'
        if flow is None:
            raise UnknownFlowError(f'unknown flow {name!r}; the registered flows are: {known}')
        return flow

    # -- vects --------------------------------------------------------------------

    def start(self, flow_name, params=None):
        """Validate the flow and start a new vect of it; return the Vect."""
        flow = self.flow(flow_name).validate()
        values = resolve_params(flow, params)
        with self._lock:
            running = self._running.get(flow_name)
            if running is not None:
                raise VectAlreadyRunningException(
                    f'flow {flow_name!r} already has a running vect {running.id} (started '
                    f'{running.start_date:%H:%M:%S}); wait for it or call app.stop()')
            number = self._numbers[flow_name] = self._numbers.get(flow_name, 0) + 1
            vect = Vect(flow, number, values, clock=self.clock, on_change=self._ring)
            self._running[flow_name] = self._newest[flow_name] = vect
            self._history.append(vect)
            self._changed = True  # its start event and first steps go out with the next tick
            self._lock.notify_all()
        return vect

    def status(self, flow_name):
        """The status dict of the flow's newest vect, {} if it never ran."""
        self.flow(flow_name)
        with self._lock:
            vect = self._newest.get(flow_name)
        return vect.status() if vect else {}

    def logs(self):
        """Status dicts of the kept vects, newest first (at most history_size)."""
        with self._lock:
            vects = list(self._history)
        return [vect.status() for vect in reversed(vects)]

    def subscribe(self, callback):
        """Call `callback(event)` for every event; return a function that unsubscribes."""
        return self._subscribers.subscribe(callback)

    # -- the engine -------------------------------------------------------------------

    def tick(self):
        """One round of the engine; return the events it caused."""
        if self._ticking == threading.get_ident():
            raise OAutomError('app.tick() was called from inside a tick (from a step or a '
                              'callback); let the current tick finish instead')
        with self._tick_lock:
            self._ticking = threading.get_ident()
            try:
                events = self._one_round()
            finally:
                self._ticking = None
        self._subscribers.publish(events)
        return events

    def _one_round(self):
        now = self.clock.monotonic()
        with self._lock:
            vects = list(self._running.values())
            self._changed = False
        ready = [(vect, run) for vect in vects for run in vect.advance(now)]
        self._start(ready, vects, now)
        events = [event for vect in vects for event in vect.take_events()]
        with self._lock:
            for vect in vects:
                if vect.ended() and self._running.get(vect.flow_name) is vect:
                    del self._running[vect.flow_name]
        return events

    def _start(self, ready, vects, now):
        """Start ready steps, oldest held-back ones first, within max_parallel."""
        free = float('inf') if self.max_parallel is None else \
            self.max_parallel - sum(vect.running_steps for vect in vects)
        while self._queue and free > 0:
            vect, run = self._queue.popleft()
            if run.ready:  # not cancelled while it waited
                vect.start_step(run, now)
                free -= 1
        for vect, run in ready:  # once one is held back, free stays 0: no one overtakes it
            if free > 0:
                vect.start_step(run, now)
                free -= 1
            else:
                vect.hold(run)
                self._queue.append((vect, run))

    def run(self):
        """Drive the engine: loop here (foreground) or in a thread (background)."""
        if self.mode is OAutomMode.step:
            raise OAutomError('an app in step mode does not run by itself; call app.tick() '
                              'for each round, or create it with mode=OAutomMode.foreground')
        with self._lock:
            if self._loop_thread is not None:
                raise OAutomError(f'this app is already running in thread '
                                  f'{self._loop_thread.name!r}; call app.stop() first')
            self._stop_requested = False
            self._loop_done.clear()
            if self.mode is OAutomMode.background:
                # A daemon thread never keeps the process alive at exit.
                self._loop_thread = threading.Thread(target=self._loop, name='oautom-engine',
                                                     daemon=True)
            else:
                self._loop_thread = threading.current_thread()
        if self.mode is OAutomMode.background:
            self._loop_thread.start()
            return
        self._loop_until_ctrl_c()

    def _loop_until_ctrl_c(self):
        """The foreground loop. Ctrl-C only *asks* it to stop, so a KeyboardInterrupt never
        lands mid-tick (between starting a process and recording it, say); the loop cancels
        the running steps, kills their processes, and then KeyboardInterrupt is raised."""
        interrupted = []

        def on_ctrl_c(_signal_number, _frame):
            if interrupted:  # a second Ctrl-C: stop waiting for the cancellations
                raise KeyboardInterrupt
            interrupted.append(True)
            self._request_stop()

        # Python lets only the main thread set signal handlers.
        in_main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, on_ctrl_c) if in_main else None
        try:
            self._loop()
        finally:
            if in_main:
                signal.signal(signal.SIGINT, previous)
        if interrupted:
            raise KeyboardInterrupt

    def _loop(self):
        try:
            while True:
                if self._stop_requested:
                    self._cancel_running()
                self.tick()
                with self._lock:
                    if not self._running and (
                            self._stop_requested or self.mode is OAutomMode.foreground):
                        return
                    if not self._changed:
                        self.clock.wait(self._lock, self._seconds_to_next_due())
        finally:
            with self._lock:
                self._loop_thread = None
            self._loop_done.set()

    def _seconds_to_next_due(self):
        """Seconds until the earliest due time of any vect; None if only a ring can help."""
        dues = [due for vect in self._running.values() if (due := vect.next_due()) is not None]
        if not dues:
            return None
        return max(0.0, min(dues) - self.clock.monotonic())

    def stop(self):
        """Cancel every running vect and stop the loop; run() may be called again later."""
        self._request_stop()
        with self._lock:
            loop_thread = self._loop_thread
        if loop_thread is None:  # nobody loops (step mode): cancel now
            self._cancel_running()
            if self._ticking != threading.get_ident():
                self.tick()
        elif loop_thread is not threading.current_thread():
            self._loop_done.wait()

    def _request_stop(self):
        # Safe in a signal handler: it only takes the app's lock, which is reentrant.
        with self._lock:
            self._stop_requested = True
            self._changed = True
            self._lock.notify_all()

    def _cancel_running(self):
        with self._lock:
            vects = list(self._running.values())
        for vect in vects:
            vect.cancel()

    def _ring(self):
        """Something changed (a wake, a start, a cancel): let the loop tick again."""
        with self._lock:
            self._changed = True
            self._lock.notify_all()

    def __repr__(self):
        with self._lock:
            return (f'<OAutom {self.mode.value}: {len(self._flows)} flows, '
                    f'{len(self._running)} running>')
