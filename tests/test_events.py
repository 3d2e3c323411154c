"""Events reach subscribers in the order they happened, outside every lock."""
import asyncio
import functools
import logging
import re
import sys
import threading
import time

import pytest

from oautom import OAutomError, events
from oautom.events import Subscribers, make_event


def event(n):
    return make_event(None, 'f.1', f's{n}', 'running', f'event {n}')


def test_posted_events_are_delivered_in_order_to_every_callback():
    subscribers, first, second = Subscribers(), [], []
    subscribers.subscribe(first.append)
    subscribers.subscribe(second.append)
    subscribers.after_events(lambda: None)  # (a vect's end releases its waits after them)
    subscribers.post([event(1), event(2)])
    assert repr(subscribers) == '<Subscribers: 2 callbacks, 2 events to deliver>'
    subscribers.deliver()
    assert [e['step'] for e in first] == [e['step'] for e in second] == ['s1', 's2']


def test_events_posted_during_a_delivery_are_delivered_after_it_by_the_same_thread():
    subscribers, seen = Subscribers(), []

    def callback(received):
        seen.append(received['step'])
        if received['step'] == 's1':  # as if a callback's action made the engine tick
            subscribers.post([event(3)])
            subscribers.deliver()     # returns at once: the outer delivery goes on
    subscribers.subscribe(callback)
    subscribers.post([event(1), event(2)])
    subscribers.deliver()
    assert seen == ['s1', 's2', 's3']


def test_a_second_thread_never_overtakes_a_slow_delivery():
    subscribers, seen, inside = Subscribers(), [], threading.Event()
    release = threading.Event()

    def slow(received):
        if received['step'] == 's1':
            inside.set()
            release.wait(2)
        seen.append(received['step'])
    subscribers.subscribe(slow)
    subscribers.post([event(1)])
    first = threading.Thread(target=subscribers.deliver)
    first.start()
    assert inside.wait(2)
    subscribers.post([event(2)])
    subscribers.deliver()  # the first thread is delivering: it will deliver s2 as well
    release.set()
    first.join(2)
    assert seen == ['s1', 's2']


def test_a_delivery_that_holds_the_engine_too_long_is_reported(caplog, monkeypatch):
    monkeypatch.setattr(events, 'SLOW_DELIVERY_SECONDS', 0.01)
    subscribers = Subscribers()
    subscribers.subscribe(lambda received: time.sleep(0.02))
    with caplog.at_level(logging.WARNING, logger='oautom'):
        subscribers.post([event(1), event(2)])
        subscribers.deliver()
    assert re.search(r'delivering 2 event\(s\) to 1 callback\(s\) and the log took [0-9.]+ s, '
                     'and the engine waited; both run in the thread that ticks', caplog.text)


def test_a_failing_callback_is_logged_and_the_others_still_receive(caplog):
    subscribers, seen = Subscribers(), []
    subscribers.subscribe(lambda received: 1 / 0)
    subscribers.subscribe(seen.append)
    with caplog.at_level(logging.ERROR, logger='oautom'):
        subscribers.post([event(1)])
        subscribers.deliver()
    assert len(seen) == 1 and 'event callback' in caplog.text
    assert 'failed on the event f.1 s1 running; it keeps receiving events' in caplog.text


def test_a_callback_that_fails_at_every_event_logs_its_traceback_once(caplog):
    subscribers = Subscribers()
    subscribers.subscribe(lambda received: 1 / 0)
    with caplog.at_level(logging.ERROR, logger='oautom'):
        subscribers.post([event(1), event(2), event(3)])
        subscribers.deliver()
    assert [record.exc_info is not None for record in caplog.records] == [True, False, False]
    assert caplog.records[0].getMessage().endswith(
        'failed on the event f.1 s1 running; it keeps receiving events (its next failures: '
        'one line each)')
    assert caplog.records[2].getMessage().endswith(
        'failed again, on the event f.1 s3 running: ZeroDivisionError: division by zero')


def test_a_ctrl_c_in_a_callback_loses_no_event_and_ends_the_waits_queued_meanwhile():
    subscribers, order = Subscribers(), []

    def interrupted_once(received):
        order.append(received['step'])
        if received['step'] == 's1':  # another tick posts meanwhile (a stop(), say), then
            subscribers.after_events(lambda: order.append('released 3'))
            subscribers.post([event(3)])
            raise KeyboardInterrupt  # a Ctrl-C, in the main thread: it goes on up
    subscribers.subscribe(interrupted_once)
    subscribers.after_events(lambda: order.append('released 2'))
    subscribers.post([event(1), event(2)])
    with pytest.raises(KeyboardInterrupt):
        subscribers.deliver()
    assert order == ['s1', 'released 2', 'released 3']  # the wait()s end at once
    subscribers.deliver()  # the next tick's delivery: what was not delivered comes then
    assert order == ['s1', 'released 2', 'released 3', 's2', 's3']


def test_the_callbacks_after_one_cut_short_by_a_ctrl_c_get_its_event_at_the_next_delivery(
        caplog):
    subscribers, seen = Subscribers(), []

    def slow_printer(received):
        seen.append(('printer', received['step']))
        if received['step'] == 's1' and ('printer', 's1') not in seen[:-1]:
            raise KeyboardInterrupt  # pressed while it printed
    subscribers.subscribe(slow_printer)
    subscribers.subscribe(lambda received: seen.append(('dashboard', received['step'])))
    subscribers.subscribe(lambda received: seen.append(('history', received['step'])))
    caplog.set_level(logging.INFO, logger='oautom')
    subscribers.post([event(1), event(2)])
    with pytest.raises(KeyboardInterrupt):
        subscribers.deliver()
    subscribers.deliver()
    assert seen == [('printer', 's1'), ('dashboard', 's1'), ('history', 's1'),
                    ('printer', 's2'), ('dashboard', 's2'), ('history', 's2')]  # s1 once each
    assert [record.getMessage().split(':')[0] for record in caplog.records] == [
        'f.1 s1', 'f.1 s2']  # each logged once
    assert repr(subscribers) == '<Subscribers: 3 callbacks, 0 events to deliver>'


def test_a_ctrl_c_in_the_last_callback_leaves_nothing_of_its_event_to_deliver():
    subscribers, seen = Subscribers(), []

    def last(received):
        seen.append(received['step'])
        if len(seen) == 1:
            raise KeyboardInterrupt
    subscribers.subscribe(last)
    subscribers.post([event(1), event(2)])
    with pytest.raises(KeyboardInterrupt):
        subscribers.deliver()
    assert repr(subscribers) == '<Subscribers: 1 callback, 1 event to deliver>'
    subscribers.deliver()
    assert seen == ['s1', 's2']


def test_what_waits_for_the_events_runs_at_once_when_nobody_listens():
    subscribers, order = Subscribers(), []
    subscribers.after_events(lambda: order.append('released'))
    assert subscribers.post([event(1)]) is False and order == ['released']


def test_each_callback_gets_an_event_of_its_own_to_change(caplog):
    # A callback that makes its event JSON-ready (time as text) used to change it for the
    # other callbacks, and in vect.events, whose times the contract says are datetimes
    subscribers, seen, posted = Subscribers(), [], event(1)
    subscribers.subscribe(lambda received: received.update(time='text', step=None))
    subscribers.subscribe(lambda received: received.clear() or 1 / 0)
    subscribers.subscribe(seen.append)
    with caplog.at_level(logging.ERROR, logger='oautom'):
        subscribers.post([posted])
        subscribers.deliver()
    assert seen == [event(1)] and posted == event(1)
    assert 'failed on the event f.1 s1 running' in caplog.text  # (the engine's, intact)


def test_a_callback_that_calls_sys_exit_again_is_told_so_as_a_callback(caplog):
    subscribers = Subscribers()
    subscribers.subscribe(lambda received: sys.exit(3))
    with caplog.at_level(logging.ERROR, logger='oautom'):
        subscribers.post([event(1), event(2)])
        subscribers.deliver()
    assert caplog.records[1].getMessage().endswith(
        'failed again, on the event f.1 s2 running: it called sys.exit(): a callback returns, '
        'or raises an exception')


def test_a_callback_whose_signature_cannot_be_read_is_accepted():
    class Odd:
        """Callable; asking for its signature raises."""

        def __call__(self, event):
            pass

        @property
        def __signature__(self):
            raise RuntimeError('no signature here')
    Subscribers().subscribe(Odd())


async def async_callback(received):
    """Its calls make coroutines: nothing would await them."""
    print(received)


def generator_callback(received):
    """Its calls make generators: nothing would run them."""
    yield received


@pytest.mark.parametrize('callback, kind', [
    (async_callback, 'an async function'), (generator_callback, 'a generator function'),
    (functools.partial(generator_callback), 'a partial of a generator function')])
def test_a_callback_whose_calls_would_run_none_of_its_body_is_refused(callback, kind):
    with pytest.raises(OAutomError) as refusal:
        Subscribers().subscribe(callback)
    assert str(refusal.value) == (f'app.subscribe takes a plain function: {callback!r} is '
                                  f'{kind}, so a call of it runs none of its body; give a '
                                  'function that does its work and returns (hand async work '
                                  'to an event loop of your own)')


def test_a_callback_that_cannot_take_one_event_is_refused_when_subscribed():
    subscribers = Subscribers()
    for wrong in (lambda: None, lambda event, extra: None, 5):
        with pytest.raises(OAutomError, match='app.subscribe takes a function of one argument'):
            subscribers.subscribe(wrong)

    class Listener:
        """A callable object, with a method too."""

        def __call__(self, event):
            pass

        def on_event(self, event, *more):
            pass
    for right in (Listener(), Listener().on_event, print, functools.partial(max, 0),
                  lambda event, extra=None: None, lambda *anything: None):
        subscribers.subscribe(right)


def test_unsubscribe_stops_the_deliveries():
    subscribers, seen = Subscribers(), []
    unsubscribe = subscribers.subscribe(seen.append)
    unsubscribe()
    unsubscribe()  # twice is harmless
    subscribers.post([event(1)])
    subscribers.deliver()
    assert seen == []


def test_events_nobody_would_receive_are_not_queued_but_a_failure_is_logged(caplog):
    subscribers = Subscribers()
    failure = make_event(None, 'f.1', 's9', 'failed', 'failed after 1 attempt(s): boom')
    with caplog.at_level(logging.WARNING, logger='oautom'):
        assert subscribers.post([event(1), event(2)]) is False  # no callback, info is off
        assert subscribers.post([event(3), failure]) is True
        subscribers.deliver()
    assert [record.getMessage() for record in caplog.records] == \
        ['f.1 s9: failed after 1 attempt(s): boom']
    with caplog.at_level(logging.INFO, logger='oautom'):
        assert subscribers.post([make_event(None, 'f.1', None, 'failed', 'vect f.1 ended failed')])
        subscribers.deliver()
    assert caplog.records[-1].getMessage() == 'vect f.1 ended failed'  # it names the vect
    with caplog.at_level(logging.INFO, logger='oautom'):
        assert subscribers.post([event(4)]) is True


def test_a_retry_is_a_warning_as_a_failure_is(caplog):
    retry = make_event(None, 'f.1', 's1', 'retrying', 'attempt 1 failed, retrying in 0 s: boom')
    subscribers = Subscribers()
    with caplog.at_level(logging.WARNING, logger='oautom'):  # Python's default level
        assert subscribers.post([retry]) is True
        subscribers.deliver()
    assert [record.levelno for record in caplog.records] == [logging.WARNING]
    assert caplog.records[0].getMessage() == 'f.1 s1: attempt 1 failed, retrying in 0 s: boom'


def test_unsubscribe_stops_a_callback_at_once_and_only_that_subscription():
    subscribers, seen = Subscribers(), []

    def first(received):
        seen.append(('first', received))
        unsubscribe_first()  # within a delivery: the rest of it goes to the others only
        unsubscribe_first()  # twice: nothing more happens
    unsubscribe_first = subscribers.subscribe(first)
    subscribers.subscribe(lambda received: seen.append(('twice', received)))
    unsubscribe_again = subscribers.subscribe(lambda received: seen.append(('gone', received)))
    unsubscribe_again()
    subscribers.post([event(1), event(2)])
    subscribers.deliver()
    assert seen == [('first', event(1)), ('twice', event(1)), ('twice', event(2))]


def cancelled(_event):
    """A callback that raises asyncio's CancelledError, a BaseException but no Exception."""
    raise asyncio.CancelledError()


@pytest.mark.parametrize('callback', [lambda received: sys.exit('bye'), cancelled])
def test_a_callback_raising_sys_exit_or_any_base_exception_is_logged_and_others_receive(
        caplog, callback):
    subscribers, seen = Subscribers(), []
    subscribers.subscribe(callback)
    subscribers.subscribe(seen.append)
    with caplog.at_level(logging.ERROR, logger='oautom'):
        subscribers.post([event(1)])
        subscribers.deliver()
    assert seen == [event(1)] and 'event callback' in caplog.text


class Picky:
    """A callable whose __getattr__ raises for any name it does not know."""
    known = {}

    def __getattr__(self, name):
        return self.known[name]  # a KeyError, not an AttributeError

    def __call__(self, received):
        return received


def test_a_callback_whose_getattr_raises_anything_is_still_taken():
    Subscribers().subscribe(Picky())  # (used to raise KeyError: '__code__')


def test_a_failure_is_not_queued_when_the_logger_is_silenced_and_nobody_listens(caplog):
    subscribers = Subscribers()
    failure = make_event(None, 'f.1', 's9', 'failed', 'failed after 1 attempt(s): boom')
    with caplog.at_level(logging.CRITICAL, logger='oautom'):  # even warnings are off
        assert subscribers.post([event(1), failure]) is False
    assert repr(subscribers) == '<Subscribers: 0 callbacks, 0 events to deliver>'


def test_a_callback_is_judged_by_what_is_called_not_by_what_it_wraps():
    def report():  # takes no event
        pass

    @functools.wraps(report)
    def on_event(event):  # a decorator's adapter, which does take one
        report()
    Subscribers().subscribe(on_event)  # not refused
