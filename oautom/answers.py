"""What a step's run() and check() give back, read strictly enough to catch a slip.

check() answers True once the work is done, False while it runs. Python takes
any value as true or false, so a few slips would pass unseen: `return 'no'`
would mean done, an empty list or dict would mean running for ever, and an
`async def check()` would return a coroutine, which is true, before its body
ever ran. So True and False are taken at once, and anything else is read
here:

    0, 1 (equal to False, True)              taken as False or True
    None, an empty or a full container...    taken as False or True, with a note
                                             once an attempt (the step still works)
    text (str, bytes)                        fails the attempt: never an answer
    a coroutine or a generator               fails the attempt: the method is an
                                             `async def` or holds a `yield`, so its
                                             body never ran

run() returns nothing; a coroutine or generator from it fails the attempt in
the same words, and anything else is ignored, with a note (outputs returned
there would be lost unseen: a step publishes them in self.outputs). What a
step that is done publishes, its outputs, is read here too
(checked_outputs). And a function whose calls would run none of its body
(an async def, a generator function) is found before it is ever called
(unrun_body: a step's function, an event callback).
"""
import inspect
from collections.abc import Mapping
from functools import partial
from types import CodeType

from .failures import StepFailed
from .report import short_repr

_NEVER_RAN = (inspect.iscoroutine, inspect.isgenerator, inspect.isasyncgen)
# The flags of the code of an async def and of a generator function (inspect takes them from
# the dis module at import: pylint cannot see them)
_ASYNC = inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR  # pylint: disable=no-member
_GENERATOR = inspect.CO_GENERATOR  # pylint: disable=no-member
ASYNC_FUNCTION, GENERATOR_FUNCTION = 'an async function', 'a generator function'  # unrun_body's


def unrun_body(function):
    """ASYNC_FUNCTION or GENERATOR_FUNCTION (words for a message) if a call of `function` (or
    of what a partial of it calls) makes a coroutine or a generator, and so runs none of its
    body; else None."""
    while isinstance(function, partial):  # what a partial calls, however deep
        function = function.func
    try:  # a method's is its function's; an object's own __getattr__ may raise anything
        code = function.__code__
    except Exception:  # pylint: disable=broad-exception-caught
        code = None
    flags = code.co_flags if isinstance(code, CodeType) else 0  # (a proxy may answer anything)
    if flags & _ASYNC:
        return ASYNC_FUNCTION
    return GENERATOR_FUNCTION if flags & _GENERATOR else None


def closed_if_unrun(value):
    """True if `value` is a coroutine or a generator (async too), whose body never ran: it
    is closed then, unrun (else Python warns, later, that a coroutine was never awaited)."""
    if not any(test(value) for test in _NEVER_RAN):
        return False
    if not inspect.isasyncgen(value):  # (which has no close(), and warns of nothing)
        value.close()
    return True


def refuse_unrun(step_name, method, returned):
    """Raise StepFailed if `returned`, what `method` ('run' or 'check') gave back, is a
    coroutine or a generator: the method's body never ran (it is closed, unrun)."""
    if not closed_if_unrun(returned):
        return
    kind = 'an async def' if inspect.iscoroutine(returned) or inspect.isasyncgen(returned) \
        else 'a generator function (it holds a yield)'
    raise StepFailed(f'{method}() of step {step_name!r} is {kind}, so its body never ran: the '
                     f'engine calls {method}() and neither awaits nor iterates what it returns; '
                     'write it as a plain def (work that awaits belongs in a thread of its own)')


def read_run(step_name, returned):
    """The note for the step's log on what its run() returned, `returned` (not None);
    StepFailed if it is a body that never ran."""
    refuse_unrun(step_name, 'run', returned)
    return (f'run() of step {step_name!r} returned {type(returned).__name__} '
            f'{short_repr(returned)}, which is ignored: run() starts the work and returns '
            'nothing; a step publishes outputs by filling self.outputs '
            '(self.outputs.update(...)) before check() returns True')


def read_check(step_name, said, outputs):
    """(finished, note): what a check() answer other than True or False means, with a note
    for the step's log, or None; StepFailed for an answer that can never be one. `outputs`
    are the step's, as it filled them."""
    refuse_unrun(step_name, 'check', said)
    if isinstance(said, (str, bytes)):
        raise StepFailed(f'check() of step {step_name!r} returned {type(said).__name__} '
                         f'{short_repr(said)}: return True once the work is done, False while '
                         'it runs')
    finished = bool(said)  # user code too (a __bool__ of its own): the caller guards it
    if said is None:  # a check() that forgot its return?
        return False, (f'check() of step {step_name!r} returned None, taken as False: still '
                       'running; return True once the work is done (and False, not None, '
                       'while it runs)')
    if isinstance(said, Mapping) and finished:
        if outputs:  # return self.outputs: what it published, as True
            return True, None
        return True, (f'check() of step {step_name!r} returned a mapping, taken as True: done, '
                      'with no outputs; a step publishes by filling self.outputs '
                      '(self.outputs.update(...)), then returns True')
    if said == finished:  # 0 and 1, say, or numpy's True: False and True in all but name
        return finished, None
    return finished, (f'check() of step {step_name!r} returned {type(said).__name__} '
                      f'{short_repr(said)}, taken as {finished}: '
                      f'{"done" if finished else "still running"}; return True or False')


def checked_outputs(name, outputs):
    """What a step that finished publishes, as a dict of its own: a thread the step left
    running cannot change it then, and a mapping that cannot be read fails its own step,
    not one downstream. What only has keys() and [name] (a sqlite3.Row) is read as a
    mapping is; anything else fails the step."""
    if isinstance(outputs, (dict, Mapping)):  # dict first: the quick answer
        return dict(outputs) if outputs else outputs  # (an empty one is never kept)
    if callable(getattr(type(outputs), 'keys', None)):  # its class's: __getattr__ may do anything
        return dict(outputs)  # as dict.update() reads it: keys(), then [name] for each
    raise StepFailed(f'step {name!r} finished with self.outputs of type {type(outputs).__name__}'
                     '; outputs are a dict of names to values: fill self.outputs, the dict each '
                     'attempt is given')
