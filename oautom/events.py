"""Events: every change of state, as a plain dict, for anyone who listens.

    {'time': datetime, 'vect': 'etl.3', 'step': 'extract' or None,
     'state': ExecutionState or VectState, 'message': 'attempt 1 started'}

A vect records each event in `vect.events`; after each tick the app hands the
new ones to its `Subscribers` (the command line's progress, the HTTP event
stream, your own callback) and to the `oautom` logger. Subscribers are called
outside every lock, and one that raises is logged and ignored: a broken
listener must never stop the engine.
"""
import logging
import threading

logger = logging.getLogger('oautom')

_BAD_STATES = ('failed', 'upstream_failed')


def make_event(time, vect_id, step, state, message):
    """One event dict; `step` is None for the vect's own start and end."""
    return {'time': time, 'vect': vect_id, 'step': step, 'state': state, 'message': message}


class Subscribers:
    """The callbacks that receive every event."""

    def __init__(self):
        self._lock = threading.Lock()  # guards _callbacks: any thread may (un)subscribe
        self._callbacks = []

    def subscribe(self, callback):
        """Add `callback(event)`; return a function that removes it."""
        with self._lock:
            self._callbacks.append(callback)

        def unsubscribe():
            with self._lock:
                if callback in self._callbacks:
                    self._callbacks.remove(callback)
        return unsubscribe

    def publish(self, events):
        """Log each event, then give it to every callback (no lock held while they run)."""
        with self._lock:
            callbacks = list(self._callbacks)
        logging_on = logger.isEnabledFor(logging.WARNING)  # INFO implies WARNING
        for event in events:
            if logging_on:
                log_event(event)
            for callback in callbacks:
                try:
                    callback(event)
                except Exception:  # pylint: disable=broad-exception-caught
                    logger.exception('event callback %r failed; it keeps receiving events',
                                     callback)


def log_event(event):
    """Report an event on the `oautom` logger: failures as warnings, the rest as info."""
    level = logging.WARNING if event['state'] in _BAD_STATES else logging.INFO
    if logger.isEnabledFor(level):
        where = event['vect'] if event['step'] is None else f"{event['vect']} {event['step']}"
        logger.log(level, '%s: %s', where, event['message'])
