"""Events: every change of state, as a plain dict, for anyone who listens.

    {'time': datetime, 'vect': 'etl.3', 'step': 'extract' or None,
     'state': ExecutionState or VectState, 'message': 'attempt 1 started'}

A vect records each event in `vect.events`; each tick posts the new ones to
the app's `Subscribers` (your own callback, or, once they are built, the
command line's progress and the HTTP event stream) and the `oautom` logger.
Callbacks run outside every lock, and one that raises (anything but a
Ctrl-C: see errors.py) is logged and ignored: a broken listener must never
stop the engine. They run in the thread that ticks, one after another, so a
slow one slows the engine down (a delivery longer than SLOW_DELIVERY_SECONDS
is reported): hand slow work to a thread of your own. Events wait in an
outbox, so that callbacks see them in the order the ticks made them (each
vect's in the order they happened; a vect started during a tick is seen
starting in the next) even when two threads tick (a learner's tick and a
stop()): only one thread at a time delivers, and it delivers everything
posted. Events nobody would receive (no callback, and none the logger would
print) skip the outbox: a busy engine that nobody watches does not pay for
it. A vect that ends releases its `wait()`s through the outbox too, behind
its end event: a script that waits, then reads what its callback collected,
finds the end there.
"""
import inspect
import logging
import threading
from collections import deque
from functools import partial
from time import monotonic

from .answers import unrun_body
from .errors import OAutomError, is_interrupt
from .failures import describe
from .logger import logger
from .names import counted


_WARNING_STATES = ('failed', 'upstream_failed', 'retrying')  # logged as warnings: seen by default
SLOW_DELIVERY_SECONDS = 0.5  # a delivery (callbacks and log) holding the engine longer is reported


def make_event(time, vect_id, step, state, message):
    """One event dict; `step` is None for the vect's own start and end."""
    return {'time': time, 'vect': vect_id, 'step': step, 'state': state, 'message': message}


class Subscribers:
    """The callbacks that receive every event."""

    def __init__(self):
        self._lock = threading.Lock()  # guards the four below; never held during callbacks
        self._callbacks = {}           # a token of each subscription -> its callback
        self._outbox = deque()         # events posted, not yet delivered
        self._delivering = False       # a thread is delivering the outbox now
        self._deliverer = None         # which one (read without the lock by delivers_here())
        self._after = []               # the tick's alone: to call once its events are delivered
        # Tokens of callbacks that failed once: added to by the delivering thread only (and
        # discarded by unsubscribe(), in any thread: a set's add and discard are atomic)
        self._failed = set()

    def __repr__(self):
        outbox = list(self._outbox)  # a copy: another thread may add to it meanwhile
        events = sum(not callable(item) for item in outbox)  # (not the after functions)
        return (f'<Subscribers: {counted(len(self._callbacks), "callback")}, '
                f'{counted(events, "event")} to deliver>')

    def subscribe(self, callback):
        """Add `callback(event)`; return a function that removes it (this subscription
        only, even if the same callback is subscribed twice; calling it again does nothing).
        A callback that cannot take one event is refused now, not at every event."""
        if not callable(callback) or not _takes_one_argument(callback):
            raise OAutomError(f'app.subscribe takes a function of one argument (the event), '
                              f'not {type(callback).__name__} {callback!r}')
        if kind := unrun_body(callback):  # its calls would make coroutines or generators
            kind = f'a partial of {kind}' if isinstance(callback, partial) else kind
            raise OAutomError(f'app.subscribe takes a plain function: {callback!r} is {kind}, '
                              'so a call of it runs none of its body; give a function that '
                              'does its work and returns (hand async work to an event loop of '
                              'your own)')
        token = object()
        with self._lock:
            self._callbacks[token] = callback

        def unsubscribe():
            with self._lock:
                self._callbacks.pop(token, None)
            self._failed.discard(token)
        return unsubscribe

    def after_events(self, function):
        """Call `function()` once the events of this tick have been delivered. A vect that
        ends hands over the release of its wait()s: a wait() returns once the callbacks have
        seen the vect's end, not before (they run after the tick that ends it). Called inside
        the tick, as post() is: ticks never overlap, so _after needs no lock."""
        self._after.append(function)

    def post(self, events):
        """Queue events for delivery, in order (the tick calls this before anyone else ticks),
        and then what after_events() asked for. Return True if deliver() has work: events
        nobody would receive (no callback, and none the logger would print) are not queued."""
        after = self._after
        if after:
            self._after = []
        # _callbacks is read without the lock: a callback subscribed meanwhile gets the next
        # tick's events.
        if not self._callbacks and not _worth_logging(events):  # the common, quiet case
            for function in after:  # nothing to wait for
                function()
            return False
        with self._lock:
            self._outbox.extend(events)
            self._outbox.extend(after)  # functions, among the event dicts
        return True

    def release_waits_now(self):
        """Call at once the functions of after_events() (they end vect.wait()s) that post()
        did not take: the tick was cut short (a Ctrl-C) before it posted its events."""
        if self._after:
            after, self._after = self._after, []
            for function in after:
                function()

    def delivers_here(self):
        """True in the thread delivering events now: event callbacks run there."""
        return self._deliverer is threading.current_thread()

    def deliver(self):
        """Log each posted event and give it to every callback, unless another thread is
        delivering already: that thread then delivers these too, in order."""
        while True:
            with self._lock:
                if self._delivering or not self._outbox:
                    return
                self._delivering, self._deliverer = True, threading.current_thread()
                events, self._outbox = self._outbox, deque()
                callbacks = list(self._callbacks.items())
            try:
                self._deliver(events, callbacks)
            except BaseException:
                # Cut short (a Ctrl-C in a callback): the events not delivered wait for the
                # next delivery, and the wait()s queued among them end now
                with self._lock:
                    events.extend(self._outbox)
                    self._outbox = deque(item for item in events if not callable(item))
                for function in [item for item in events if callable(item)]:
                    function()
                raise
            finally:
                with self._lock:
                    self._delivering, self._deliverer = False, None

    def _deliver(self, events, callbacks):
        began, count = monotonic(), len(events)
        log_all = logger.isEnabledFor(logging.INFO)  # else only the warnings (_WARNING_STATES)
        while events:  # emptied as it goes: what a Ctrl-C leaves behind stays in it
            # An event; or a function of after_events(), among the events; or (event, the
            # callbacks still to get it), left by a Ctrl-C in a callback
            item = events.popleft()
            if callable(item):  # (the events before it are out)
                item()
                continue
            event, receivers = item if isinstance(item, tuple) else (item, callbacks)
            if receivers is callbacks and (log_all or event['state'] in _WARNING_STATES):
                log_event(event)  # (logged once, not again for the rest of its callbacks)
            for position, (token, callback) in enumerate(receivers):
                # Unsubscribed meanwhile: nothing more. (Read without the lock: one lookup.)
                if token not in self._callbacks:
                    continue
                try:  # a copy each: one callback may change its own (to make it JSON, say)
                    callback(dict(event))  # and others, and vect.events, must not see that
                except BaseException as error:  # pylint: disable=broad-exception-caught
                    if is_interrupt(error):  # the callbacks after it get it at the next delivery
                        if position + 1 < len(receivers):
                            events.appendleft((event, receivers[position + 1:]))
                        raise
                    # sys.exit() in a callback too, or asyncio's CancelledError: it must not
                    # end the thread that ticks
                    self._report_failure(token, callback, event, error)
        took = monotonic() - began
        if took > SLOW_DELIVERY_SECONDS:  # the engine waited: say so, as for a slow run()
            logger.warning('delivering %d event(s) to %d callback(s) and the log took %.1f s, '
                           'and the engine waited; both run in the thread that ticks: keep them '
                           'quick, and hand slow work to a thread of your own',
                           count, len(callbacks), took)

    def _report_failure(self, token, callback, event, error):
        """Log a callback's failure: with its traceback the first time, then in one line, so
        that a callback broken for every event does not bury the log in tracebacks."""
        where = (event['vect'], event['step'] or '(the vect itself)', event['state'])
        if token not in self._failed:
            self._failed.add(token)
            logger.error('event callback %r failed on the event %s %s %s; it keeps '
                         'receiving events (its next failures: one line each)',
                         callback, *where, exc_info=error)
        else:
            said = ('it called sys.exit(): a callback returns, or raises an exception' if
                    isinstance(error, SystemExit) else describe(error))  # (describe's is a step's)
            logger.error('event callback %r failed again, on the event %s %s %s: %s',
                         callback, *where, said)


def _worth_logging(events):
    """True if the `oautom` logger would print one of `events`."""
    if logger.isEnabledFor(logging.INFO):
        return bool(events)
    for event in events:  # asked at every tick: a loop is quicker here than any(generator)
        if event['state'] in _WARNING_STATES:
            return logger.isEnabledFor(logging.WARNING)
    return False


def _takes_one_argument(callback):
    """False if `callback` surely cannot be called as callback(event); True if it can, or
    if its signature cannot be read (some built-ins): then calling it will tell."""
    try:  # the signature of what is called, not of what a decorator wrapped
        signature = inspect.signature(callback, follow_wrapped=False)
    except Exception:  # pylint: disable=broad-exception-caught
        return True  # some built-ins tell nothing; an odd __signature__ may raise anything
    try:
        signature.bind(None)
    except TypeError:
        return False
    return True


def log_event(event):
    """Report an event on the `oautom` logger: failures and retries as warnings, the rest
    as info."""
    level = logging.WARNING if event['state'] in _WARNING_STATES else logging.INFO
    if logger.isEnabledFor(level):
        if event['step'] is None:  # a vect's own start or end: its message names it
            logger.log(level, '%s', event['message'])
        else:
            logger.log(level, '%s %s: %s', event['vect'], event['step'], event['message'])
