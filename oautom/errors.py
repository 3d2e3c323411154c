"""The errors oautom raises, and the rule they follow.

Every refusal says what rule was broken and how to fix it, in one sentence a
learner can act on. All of them derive from `OAutomError`, so
`except OAutomError` catches anything oautom refuses. Some also derive from a
built-in error where that is what the caller would naturally catch:
an unknown flow is a `KeyError`, a bad schedule or bad params a `ValueError`.
One is no refusal: `Terminated`, a `SystemExit`, ends the process after a
SIGTERM or SIGHUP stopped a foreground run(), as the signal would have.
"""
import threading


class OAutomError(Exception):
    """Base of every error oautom raises on purpose."""


class FlowIntegrityError(OAutomError):
    """A flow's definition breaks a rule: a bad name, a cycle, an empty flow..."""


class _ReadableKeyError(OAutomError, KeyError):
    """A KeyError whose str() is its message: KeyError's own would show its repr, quoted."""

    def __str__(self):
        return str(self.args[0]) if self.args else ''


class UnknownFlowError(_ReadableKeyError):
    """A flow name that was never registered with this app."""


class UnknownExecutionError(_ReadableKeyError):
    """A step name that a flow does not have."""


class _MissingKeyError(OAutomError, KeyError):
    """A name a step read and did not find: a KeyError like any other (args[0] is the name),
    whose message is made only when shown. Code that catches the KeyError to fall back on
    a default (a ChainMap, a try/except) does not pay for the suggestion in the message."""

    def __init__(self, name, describe):
        super().__init__(name)
        self._describe = describe  # makes the message: a function of no argument

    def __str__(self):
        return self._describe()

    def __reduce__(self):  # copied or pickled (to a process pool's parent, say) whole
        return type(self), (self.args[0], self._describe), self.__dict__  # notes too


class UnknownParamError(_MissingKeyError):
    """A param name, read in a step (`context.params[...]`), that its vect does not have."""


class UnknownOutputError(_MissingKeyError):
    """An output name, read in a step (`context.outputs[step][...]`), that the step did
    not publish."""


class VectAlreadyRunningException(OAutomError):
    """Only one vect per flow runs at a time: `running` is the one that does."""

    def __init__(self, message, running=None):  # None: so that copy.copy() can remake it
        super().__init__(message)
        self.running = running


class InvalidScheduleError(OAutomError, ValueError):
    """An interval or cron expression that cannot be used for a plan."""


class InvalidParamsError(OAutomError, ValueError):
    """A param the flow does not declare, or a value that does not convert."""


class Terminated(SystemExit):
    """SIGTERM or SIGHUP stopped a foreground run() (loop.py): the process exits with the
    status the signal would have given it, 128 + its number. Like a Ctrl-C, it is never
    taken for a step's own failure (is_interrupt)."""


def is_interrupt(error):
    """True if `error` is taken for an interrupt: a KeyboardInterrupt (Ctrl-C), or the
    Terminated of a second SIGTERM or SIGHUP, in the main thread, where signals arrive. It
    goes on to whoever called app.run() or app.tick(), and never fails a step. (In
    foreground mode, loop.py catches a real Ctrl-C first: it cancels the steps, then
    raises.) A KeyboardInterrupt in any other thread can only come from user code, a step
    or an event callback, and fails only that step or callback. So a step that raises
    KeyboardInterrupt itself, in the main thread (foreground or step mode), ends run() or
    tick() with it, as a Ctrl-C there would; its vect is left as it is (app.stop() cancels it)."""
    return isinstance(error, (KeyboardInterrupt, Terminated)) and \
        threading.current_thread() is threading.main_thread()
