"""How a step's failure is told: in one line for its status, in full for its log.

A step fails by raising (from run(), check() or its function). Its status
and events show the error in one line, `describe(error)`, as Airflow's UI
shows a task's exception, cut to ERROR_LIMIT characters; its log gets the
whole traceback, from the step's own code on, `traceback_text(error)`. A
failure that oautom words itself (a command's exit code, a bad answer from
check()) is a StepFailed, shown by its message alone, with no traceback.
Both are written for user code that may misbehave even here: an exception
whose __str__ raises, say.
"""
import traceback

from .errors import is_interrupt
from .execution import SkipExecution


ERROR_LIMIT = 2000  # characters of a step's error or skip reason in its status and events


def cut_short(text):
    """`text`, cut to ERROR_LIMIT characters: a step's error is in status() and its events,
    where a message of megabytes has no place; the step's log keeps it whole."""
    if len(text) <= ERROR_LIMIT:
        return text
    return f'{text[:ERROR_LIMIT]} [... {len(text) - ERROR_LIMIT} more characters in the log]'


class StepFailed(Exception):
    """A failure a step reports in words: its message says it all, so no traceback is logged."""


def describe(error):
    """'ValueError: bad row': an exception in one line, as a step's error shows it."""
    exits = isinstance(error, SystemExit)
    try:  # user code too: its __str__ (or its exit code's) may raise
        text = str(error.code if exits else error)
    except BaseException as trouble:  # pylint: disable=broad-exception-caught
        if is_interrupt(trouble):
            raise
        text = None
    if exits:
        code = 'a code that cannot be shown' if text is None else text
        return f'the step called sys.exit({code}); raise an exception to fail a step'
    if text is None:
        text = '(its message could not be shown: its __str__ raised)'
    if isinstance(error, (StepFailed, SkipExecution)):
        return text
    return f'{type(error).__name__}: {text}' if text else type(error).__name__


def traceback_text(error):
    """The traceback of `error` a step raised, from the step's own code on (its first frame
    is oautom's call into the step); one line instead if it cannot be made: the traceback
    module asks getattr(error, '__notes__'), and a __getattr__ of the error's may raise."""
    try:
        return ''.join(traceback.format_exception(
            type(error), error, getattr(error.__traceback__, 'tb_next', None)))
    except Exception:  # pylint: disable=broad-exception-caught
        return f'{describe(error)} (its traceback could not be shown)\n'
