"""PythonExecution: a step that calls a Python function in a thread of its own.

`run()` hands `function(context)` to a thread of its own, and returns at once
(the thread is a reused worker when one is idle: see workers.py).
When the function returns or raises, the thread wakes the engine; `check()`
then reports: a returned dict (or any other mapping) becomes the outputs,
any other value that is not None becomes `outputs['return_value']`,
`SkipExecution` skips the step, and any other exception fails it (its
thread puts the traceback in the log).
The function takes the context as its one argument: a function that cannot
(no parameter, or Airflow's `**context`) is refused when the step is built,
as is an `async def` or a generator function, whose call runs none of its
body. A method of the step itself (`function=self.load`) is called on each
attempt's copy, as `run()` is.

The thread is a daemon: it never keeps the process alive at exit. And since a
thread cannot be killed, a timed-out or cancelled PythonExecution is
abandoned, not stopped: its function runs on, but the vect has dropped this
per-run copy, so whatever it returns is ignored. Its log says so, with where
the function was at that moment: the line a timeout most often points to.
"""
import inspect
import sys
import traceback
from collections.abc import Mapping
from functools import partial
from types import MethodType

from .airflow_words import argument_hint
from .answers import ASYNC_FUNCTION, GENERATOR_FUNCTION, closed_if_unrun, unrun_body
from .context import mark_this_thread
from .errors import FlowIntegrityError
from .execution import Execution, SkipExecution
from .failures import StepFailed, describe, traceback_text
from .workers import WORKERS

_RUN_IT = {'coroutine': 'asyncio.run(...)', 'generator': 'list(...)',
           'async generator': 'asyncio.run() of an async def that collects it with async for'}


class PythonExecution(Execution):
    """Call `function(context)` in a thread; its return value becomes the outputs."""

    wakes_when_done = True  # its thread wakes the engine when the work ends

    def __init__(self, name, flow, function=None, **step_options):
        if function is None:  # (None, not a TypeError: python_callable= gets its hint)
            raise FlowIntegrityError(f'step {name!r}: {argument_hint(step_options, "function")}'
                                     'give the function to call: PythonExecution(name, flow, '
                                     'function=f), which calls f(context)')
        self.function = _checked_function(name, function)  # before the step joins its flow
        self._function_as_made = function  # run() checks one set since (step.function = ...)
        # A method of this very step (function=self.load, in a partial too) is called on each
        # attempt's copy, as run() is: what it assigns on self must not change the definition
        self._own_method = _is_a_method_of(function, self)
        super().__init__(name, flow, **step_options)

    def run(self, context):
        own_method = self._own_method
        if self.function is not self._function_as_made:  # set after the step was made
            try:
                _checked_function(self.name, self.function)
            except FlowIntegrityError as problem:
                raise StepFailed(f'{problem} (set after the step was made)') from None
            # self is the attempt's copy: the definition is the step its flow knows
            own_method = _is_a_method_of(self.function, self.flow.execution(self.name))
        if own_method:  # bound to the definition: bound to this copy instead
            self.function = _bound_to(self.function, self)
        self._context = context
        self._finished = False
        self._returned = None
        self._failure = None  # SkipExecution, or StepFailed once the traceback is logged
        thread_name = f'oautom-python {context.vect_id} {self.name}'  # for a debugger's threads
        WORKERS.hand_over(partial(self._call, context), name=thread_name)

    def check(self):
        if not self._finished:
            return False
        if self._failure is not None:
            raise self._failure
        if self._returned is None:  # the usual case: asked first, as it is the quickest answer
            return True
        if isinstance(self._returned, Mapping):
            self.outputs.update(self._returned)
        elif closed_if_unrun(self._returned):  # (no warning later that it was never awaited)
            kind = type(self._returned).__name__.replace('_', ' ')  # async generator, coroutine
            raise StepFailed(f'the function returned {"an" if kind[0] == "a" else "a"} {kind}, '
                             'whose body nothing here runs (from an async def or a generator, '
                             f'wrapped?); run it in the function: {_RUN_IT[kind]}')
        else:
            self.outputs['return_value'] = self._returned
        return True

    def cancel(self):
        # Airflow kills a timed-out task; this one cannot: say so in the log. (getattr: a
        # subclass whose run() does not call this one has set neither attribute.)
        if getattr(self, '_finished', True) is False:
            self._context.log('[a thread cannot be stopped: the function runs on in its thread, '
                              'and what it returns will be ignored]')
            where = _stack_above(getattr(self, '_caller', None))
            if where:  # what a timeout most needs: the line that hangs
                self._context.log(f'[the function was here when its attempt was given up:]\n'
                                  f'{where.rstrip()}')

    def _call(self, context):
        # This frame calls the function: a given-up attempt's log shows the stack above it
        self._caller = sys._getframe()  # pylint: disable=protected-access
        mark_this_thread(context)  # a wait there for its own vect is refused (see Vect.wait)
        try:
            self._returned = self.function(context)
        except SkipExecution as skip:
            self._failure = skip
        except BaseException as error:  # pylint: disable=broad-exception-caught
            self._failure = StepFailed(describe(error))  # check() reports it, in the engine
            context.log(traceback_text(error).rstrip('\n'))
        finally:
            mark_this_thread(None)
            self._caller = None  # (the frame holds this copy: no cycle is left behind)
            self._finished = True
            context.wake()


def _stack_above(caller):
    """The calls made from frame `caller` (the call of a step's function), as a traceback
    shows them, in whichever thread runs it; '' once it has returned."""
    for frame in sys._current_frames().values():  # pylint: disable=protected-access
        frames = []
        while frame is not None and frame is not caller:
            frames.append((frame, frame.f_lineno))
            frame = frame.f_back
        if frame is not None and frames:
            return ''.join(traceback.StackSummary.extract(reversed(frames)).format())
    return ''


def _is_a_method_of(function, step):
    """True if `function` is a method bound to `step`, or a partial of one."""
    while isinstance(function, partial):
        function = function.func
    return getattr(function, '__self__', None) is step


def _bound_to(method, attempt_copy):
    """The same method (or partial of one) bound to `attempt_copy` instead."""
    if isinstance(method, partial):
        return partial(_bound_to(method.func, attempt_copy), *method.args, **method.keywords)
    return MethodType(method.__func__, attempt_copy)


def _checked_function(name, function):
    """`function` if a step can call it as function(context), else FlowIntegrityError."""
    if not callable(function):
        raise FlowIntegrityError(f'step {name!r}: function must be callable, '
                                 f'not {type(function).__name__} {function!r}')
    _check_it_runs_its_body(name, function)
    _check_it_takes_a_context(name, function)
    return function


def _check_it_runs_its_body(name, function):
    """Refuse, when the step is built, an async def or a generator function (or a partial of
    one): a call of it makes a coroutine or a generator, and runs none of its body."""
    kind = unrun_body(function)
    while isinstance(function, partial):  # its name: that of what the partial calls
        function = function.func
    label = getattr(function, '__name__', type(function).__name__)
    if kind == ASYNC_FUNCTION:
        raise FlowIntegrityError(f'step {name!r}: {label} is an async function: a call makes '
                                 'a coroutine and runs none of its body, and nothing here '
                                 'awaits it; give a function that runs it: function=lambda '
                                 f'context: asyncio.run({label}(context))')
    if kind == GENERATOR_FUNCTION:
        raise FlowIntegrityError(f'step {name!r}: {label} is a generator function (it yields): '
                                 'a call makes a generator and runs none of its body; return '
                                 'a dict of outputs instead of yielding')


def _check_it_takes_a_context(name, function):
    """Refuse, when the step is built, a function that cannot be called as function(context):
    found at run time, the mistake would fail the step only once the flow got that far."""
    try:  # the signature of what is called, not of what a decorator wrapped
        signature = inspect.signature(function, follow_wrapped=False)
    except Exception:  # pylint: disable=broad-exception-caught
        return  # some built-ins tell nothing, an odd __signature__ may raise: tried at run time
    try:
        signature.bind(None)
    except TypeError:
        label = getattr(function, '__name__', type(function).__name__)
        if not inspect.isfunction(function):  # a class, a method, a partial...
            raise FlowIntegrityError(
                f'step {name!r}: function {function!r}{signature} cannot be called as '
                'function(context), which is how oautom calls it; it must take one '
                'positional argument, the context') from None
        keywords_only = all(parameter.kind in (parameter.KEYWORD_ONLY, parameter.VAR_KEYWORD)
                            for parameter in signature.parameters.values())
        how = ('; oautom passes the context as one argument, not as keywords as Airflow does'
               if keywords_only and signature.parameters else '')
        fix = 'lambda context: ...' if label == '<lambda>' else f'def {label}(context): ...'
        raise FlowIntegrityError(
            f'step {name!r}: function {label}{signature} cannot be called as '
            f'function(context), which is how oautom calls it{how}; write {fix} (the '
            'context gives params, outputs and log)') from None
