"""How a foreground run() takes Ctrl-C, SIGTERM and SIGHUP: it stops the app first.

Left to Python, Ctrl-C raises KeyboardInterrupt wherever the main thread is,
maybe between starting a process and recording it; SIGTERM (`kill`,
`timeout`) and SIGHUP (a closed terminal) kill the process at once, and its
shells, in sessions of their own, run on. So while a foreground run() loops,
these signals only *ask* the loop to stop (loop.py): the app cancels the
running steps and kills their processes, then the signal has its way: Ctrl-C
raises KeyboardInterrupt, SIGTERM and SIGHUP end the process with Terminated,
a SystemExit(128 + the signal's number), the exit status a shell reports for
a process those signals kill. A second signal stops waiting for the cancels.

    take(on_signal)       our handler, for those the program left to Python
    give_back(taken)      the handlers they had, when the loop ends
    exit_for(number)      what a stop signal raises once the app has stopped

A Ctrl-C can come at any moment, even as the loop begins or ends; so our
handler is in place before the loop is, and Ctrl-C's own is given back last:
while ours is in place, a Ctrl-C only asks, and a second one cuts the loop
short only while it loops. (Python runs a handler between any two steps of
the main thread, so a few such moments are left: a signal there may still
leave something half done.)
"""
import signal
import threading

from .errors import Terminated

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def take(on_signal):
    """Give the stop signals the handler `on_signal`; return [(signal, its old handler)].
    Only in the main thread (signals go there), and only signals the program has not chosen
    to ignore (a `cmd &` job of a shell script ignores Ctrl-C, `nohup` SIGHUP) or, but for
    Ctrl-C, to handle its own way: those keep their handlers."""
    taken = []
    if threading.current_thread() is threading.main_thread():
        for number in STOP_SIGNALS:
            handler = signal.getsignal(number)
            # Ctrl-C's handler is never SIG_DFL: Python's own raises KeyboardInterrupt. It is
            # replaced, as is one the program set: run() raises KeyboardInterrupt once stopped.
            if handler is signal.SIG_DFL or (number == signal.SIGINT and
                                             handler is not signal.SIG_IGN):
                taken.append((number, signal.signal(number, on_signal)))
    return taken


def give_back(taken):
    """Give each signal of `taken` its old handler; Ctrl-C's last (it was taken first): a
    Ctrl-C meanwhile still finds ours, which only asks."""
    for number, handler in reversed(taken):
        signal.signal(number, handler)


def exit_for(number):
    """What a stop signal raises once the app has stopped: KeyboardInterrupt for Ctrl-C."""
    return KeyboardInterrupt() if number == signal.SIGINT else Terminated(128 + number)
