"""The loop that drives an app: tick, then sleep until something can change.

    while there is work:
        tick
        sleep until the next due time, or until someone rings

The app hands the loop one function (app._tick_and_sleep_time) that ticks and then
says how long the loop may sleep: a number of seconds, `math.inf` when only
a ring can change anything, or None when no work is left at all (no vect
runs and no plan waits).

Something can change when a step is due (a poll, a timeout, a retry: the
app knows the earliest) or when another thread rings the loop: a step's
`context.wake()`, `app.start()`, `app.stop()`. The doorbell is a queue:
ringing puts a token in it, and the loop sleeps in `get(timeout)` until a
token arrives or the next due time. (It sleeps through the app's clock,
`clock.wait()`: a FakeClock jumps to that time instead of sleeping.) A ring
during a tick leaves its token behind, so no wake-up is ever lost. An idle
app uses no CPU, and a finished step's downstream starts a fraction of a
millisecond later, not at the next fixed tick.

Foreground mode runs the loop in the caller's thread, where Ctrl-C, SIGTERM
and SIGHUP stop the app before they end the process (stop_signals.py);
background mode in a daemon thread named 'oautom-engine', which never keeps
the process alive.
"""
import math
import queue
import threading
import time

from . import stop_signals
from .errors import OAutomError, is_interrupt
from .logger import logger

STALL_SECONDS = 2.0  # a wait that long, with nothing ticking, is worth a warning
STALL_ADVICE = {  # what such a wait is told to call, by the app's mode
    'foreground': 'call app.run() before waiting, from this thread: a foreground app moves '
                  'only while its run() loops',
    'background': "call app.run(): it starts the app's engine thread",
    'step': 'call app.tick() (from another thread, if this wait is in an event callback: the '
            'tick that delivers it waits too)'}
FINISH_ADVICE = {  # when to start a flow again, by the app's mode (for app.start(): it runs)
    'foreground': 'start the next once app.run() has run this one to its end',
    'background': 'start the next once it has ended (vect.wait() waits for that)',
    'step': 'start the next once app.tick() has moved this one to its end'}


class Loop:
    """Ticks the app whenever something may have changed, until there is no work left."""

    def __init__(self, *, tick, clock, mode):
        # The app's _tick_and_sleep_time, not app.tick(): it ticks, then says how long to sleep
        self._tick_and_sleep_time = tick
        self._clock = clock
        self._mode = mode  # the app's, as text: only for the advice of a stalled wait
        self._doorbell = queue.SimpleQueue()  # thread-safe, and safe in a signal handler
        self._lock = threading.Lock()   # guards _thread (who loops now, if anyone) and _done
        self._thread = None
        self._looping = False           # True inside _run's loop: only then may a second
                                        # stop signal cut a foreground loop short
        self._stop_requested = False    # a plain flag: a signal handler may set it
        self._done = threading.Event()  # a new one per start(): set when that run has ended
        # Written by the app in each of its ticks, whoever ticks (this loop, or you in step mode)
        self.ticker = None              # the thread inside the app's tick() now, if any
        self.ticks = 0                  # the app's ticks so far

    def __repr__(self):
        thread = self._thread
        where = f'looping in {thread.name!r}' if thread else 'not looping'
        return f'<Loop {self._mode}, {where}, ticks so far: {self.ticks}>'

    def ring(self):
        """Something changed (a wake, a start, a cancel): tick again soon. Any thread."""
        # Read without the lock: a ring missed while a loop starts is no loss, as a loop
        # ticks before it first sleeps.
        if self._thread is not None:  # else nobody loops (step mode) to drain the doorbell
            self._doorbell.put(True)

    def request_stop(self):
        """Ask the loop to end once no vect runs (the app cancels them). Any thread, even a
        signal handler, which must take no lock: it may have interrupted their holder."""
        self._stop_requested = True
        self.ring()

    def stop(self):
        """Ask the loop running now to end, as request_stop() does, then block until it has
        ended (unless it runs in this thread: it ends after this round). Return False if no
        loop runs."""
        with self._lock:  # no start() between the request and the look at who loops
            self._stop_requested = True
            thread, done = self._thread, self._done
        self.ring()
        if thread is None:
            return False
        if not self.runs_here():  # never wait for ourselves, nor for a loop our tick holds up
            done.wait()
        return True

    def runs_here(self):
        """True in the thread that loops now, or that ticks now: where steps' run() and
        check() (and, in the loop's thread, event callbacks) run. Read without the lock: only
        that thread can find itself there."""
        here = threading.current_thread()
        return self._thread is here or self.ticker is here

    @staticmethod
    def endless(timeout):
        """Check a wait's `timeout`: True if the wait has no end (None, or more seconds than a
        lock can wait: inf), False for a number of seconds; OAutomError for anything else."""
        if timeout is None:
            return True
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or (
                isinstance(timeout, float) and math.isnan(timeout)):  # (10**400: no float)
            raise OAutomError(f'a wait takes a timeout in seconds, or None to wait until the '
                              f'end, not {type(timeout).__name__} {timeout!r}')
        return timeout >= threading.TIMEOUT_MAX

    def wait_for(self, event, timeout, what):
        """event.wait(timeout), for an event only a tick can set (a vect's end). A wait that
        sees no loop running and no tick, begun or under way, for STALL_SECONDS says so,
        once: it may well wait in vain (app.run() forgotten, or nobody ticks in step mode).
        An endless one in the thread that ticks is refused: it would wait for itself."""
        endless = self.endless(timeout)
        if endless and not event.is_set() and self.runs_here():  # it would wait for itself
            raise OAutomError(f"{what} cannot end while the engine's own thread waits for it "
                              "(a callback, run(), check()): return, and act on its end event")
        # Real seconds, not the clock's: a FakeClock moves only when the engine ticks
        deadline = math.inf if endless else time.monotonic() + timeout
        ticks = self.ticks
        while not event.wait(min(STALL_SECONDS, max(0.0, deadline - time.monotonic()))):
            if time.monotonic() >= deadline:
                return False
            # Read without the lock: a hint, which a loop started a moment later makes moot
            if self._thread is None and self.ticker is None and self.ticks == ticks:
                logger.warning('%s is waited for, but nothing moves its app: no loop runs, and '
                               'no tick came for %g s; %s', what, STALL_SECONDS,
                               STALL_ADVICE[self._mode])
                return event.wait(None if endless else max(0.0, deadline - time.monotonic()))
            ticks = self.ticks
        return True

    @property
    def stopping(self):
        """True while a loop runs that was asked to stop. (Read without the lock: only this
        loop's thread ends it.)"""
        return self._stop_requested and self._thread is not None

    def second_tick_error(self):
        """The OAutomError for a tick asked for while one is under way: ticks never overlap."""
        ticking = self.ticker  # without the lock: None if that tick has just ended
        where = ('this thread, by a step in it' if ticking is threading.current_thread() else
                 f'thread {ticking.name!r}' if ticking else 'another thread')
        return OAutomError(f'app.tick() is already running in {where}; in foreground and '
                           'background modes the loop ticks, and in step mode one thread should '
                           'tick at a time (app.stop() ticks once, in the thread that calls it, '
                           'to cancel)')

    def start(self, *, background):
        """Loop in a new daemon thread (background) or in this thread until done."""
        if not background:
            self._run_in_foreground()
            return
        thread = threading.Thread(target=self._run, args=(True,), daemon=True,
                                  name='oautom-engine')
        self._claim(thread)
        try:
            thread.start()
        # Only RuntimeError: the system would not start a thread, so the loop is not running.
        # (A Ctrl-C during start() arrives once the thread runs: the loop is running then.)
        except RuntimeError:
            self._release()  # a stop() called meanwhile must not wait for a thread
            raise

    def _claim(self, thread):
        """Make `thread` the one that loops, unless one loops already (OAutomError)."""
        with self._lock:
            if self._thread is not None:  # a second run(): a step's or a callback's, maybe
                raise OAutomError(f'this app is already running, in thread {self._thread.name!r}'
                                  '; to run it again, app.stop() it first (from a step or an '
                                  'event callback, app.start() a vect instead)')
            self._stop_requested = False
            self._done = threading.Event()  # a stop() of an earlier run waits for that one
            self._thread = thread

    def _release(self):
        """No thread loops any more: the stop()s that wait for this run end."""
        with self._lock:
            self._thread = None
            done = self._done  # this run's: a start() may make a new one once we unlock
        done.set()

    def _run(self, background):
        try:
            self._looping = True  # a second stop signal may cut the loop short from here
            while True:
                sleep = self._tick_unless_broken(background)
                if sleep is None:  # no work left
                    if self._stop_requested or not background:
                        return
                    sleep = math.inf
                if sleep > 0:  # else something is due already
                    self._clock.wait(self._doorbell, None if sleep == math.inf else sleep)
                while not self._doorbell.empty():  # one tick answers every ring so far
                    self._doorbell.get()
        finally:
            self._looping = False
            self._release()

    def _tick_unless_broken(self, background):
        """A tick, and the seconds to sleep after it; after a tick that failed, one second."""
        try:
            return self._tick_and_sleep_time()
        except BaseException as error:  # pylint: disable=broad-exception-caught
            # A Ctrl-C, or a sys.exit() (a SIGTERM handler's, say) in the caller's own thread:
            # for whoever called run(). In the engine's thread, nobody would see it end: the
            # other flows would stall in silence.
            if is_interrupt(error) or not (background or isinstance(error, Exception)):
                raise
            # Steps' errors never get here: this is an engine bug (or user code outside every
            # guard, a property of a step). Say so loudly, keep the engine alive for the other
            # flows, but never spin on it.
            logger.exception('the engine failed in a tick; it goes on with the next')
            return 1.0

    def _run_in_foreground(self):
        """The foreground loop, which Ctrl-C, SIGTERM and SIGHUP only ask to stop (see
        stop_signals.py): the app cancels what runs first."""
        received = []

        def on_signal(number, _frame):
            if received and self._looping:  # a second signal: stop waiting for the cancels
                raise stop_signals.exit_for(number)
            received.append(number)  # (as it begins or ends, only noted: raised at the end)
            self.request_stop()

        # Ours first: a KeyboardInterrupt after the claim, before the loop's own finally,
        # would leave this thread the loop's for good (then run() again would be refused).
        # Not for a second run(), which the claim refuses: its Ctrl-C is the first one's.
        taken = stop_signals.take(on_signal) if self._thread is None else []
        try:
            self._claim(threading.current_thread())
            if received:  # a Ctrl-C as it began: the claim has reset the stop it asked for
                self.request_stop()
            self._run(background=False)
        finally:
            stop_signals.give_back(taken)
        if received:
            raise stop_signals.exit_for(received[0])
