"""An Execution is one step of a flow, and the protocol every step follows.

A step's work is asynchronous. The engine calls `run(context)` once, which
starts the work and returns at once; then it polls `check()` until the work is
over:

    check() returns False     -> still running; asked again later (None too,
                                 with a warning: a `return True` forgotten?)
    check() returns True      -> finished well; `self.outputs` is published
    check() raises SkipExecution -> the step is skipped
    check() raises anything else -> the attempt failed (maybe retried)

(`run()` may raise too, with the same meaning. "Anything else" includes
SystemExit and asyncio's CancelledError, but not a Ctrl-C: see errors.py.)

`cancel()` stops the work early: on a timeout, `vect.cancel()` or `app.stop()`,
and when check() raised (the attempt failed or was skipped while its work may
still run: a retry must not run beside it), so it must do nothing once the work
has ended. `output_so_far()` shows, while it runs, what it will log only at its
end.

When is `check()` called? In the first tick after `run()`, then every
`poll_interval` seconds, and at once whenever the step calls
`context.wake()`. A step whose work wakes the engine when it ends (Bash and
Python steps do) says so with `wakes_when_done = True`: the loop then waits a
few milliseconds for that wake before the first check (see due.py).

Per-run copies: the object you build in a flow is a *definition*. Before each
attempt, the engine makes a shallow copy (`copy.copy`) with a fresh `outputs`
dict, and calls `run` and `check` on that copy. So `run()` keeps per-run state
by *assigning* new attributes on `self`, never by mutating objects that
`__init__` created (those are shared by every copy). See copies.py.

Dependencies: `b.depends(a)` or `a >> b` says "b runs after a": a is upstream
of b, b is downstream of a.

A subclass writes both `run()` and `check()`: one without them is refused
when a step is made, before its run() could start work that nothing would
see end. Its `__init__` must call `super().__init__(name, flow, ...)`, which
names the step and adds it to its flow (a step made without it is refused at
`>>`), and should check its own arguments *before* that call: a step refused
afterwards would stay in the flow half-built. (How a failed step's error is
told: failures.py.)
"""
from collections.abc import Iterable

from .errors import FlowIntegrityError
from .names import check_name
from .step_options import checked_option, class_option_error, unknown_option


class SkipExecution(Exception):
    """Raised by a step (from check() or its function) to say "skip me": a signal, not an error."""


class Execution:
    """The base of every step. Subclass it: write `run` and `check`, maybe `cancel` too."""

    # True for a step whose run() arranges a context.wake() for when its work ends (Bash and
    # Python steps do): the loop may then wait a moment for that wake before the first check.
    wakes_when_done = False

    def __init__(self, name, flow, *, retries=0, retry_delay=0.0, timeout=None,  # pylint: disable=too-many-arguments
                 trigger_rule='all_success', poll_interval=1.0, **unknown):
        self.name = check_name(name, 'step')
        if isinstance(flow, type) or not hasattr(flow, 'add_execution'):
            given = f'the class {flow.__name__} itself' if isinstance(flow, type) else \
                f'{type(flow).__name__} {flow!r}'
            raise FlowIntegrityError(f'step {name!r}: flow must be a Flow, not {given}: '
                                     "flow=Flow('name'), made beforehand")
        kind = type(self)
        if unknown:  # a typo such as retry=3 deserves better than a TypeError
            raise FlowIntegrityError(unknown_option(kind, Execution, name, next(iter(unknown))))
        # Refused now, not when it runs: its run() might start work that no check() sees end
        if kind.run is Execution.run or kind.check is Execution.check:
            raise FlowIntegrityError(_protocol_missing(name, kind))
        self.flow = flow
        self.retries = checked_option(name, 'retries', retries)
        self.retry_delay = checked_option(name, 'retry_delay', retry_delay)
        self.timeout = checked_option(name, 'timeout', timeout)
        self.poll_interval = checked_option(name, 'poll_interval', poll_interval)
        self.trigger_rule = checked_option(name, 'trigger_rule', trigger_rule)
        hidden = class_option_error(self, Execution)  # `retries = 3` in a class body
        if hidden:
            raise FlowIntegrityError(hidden)
        self.upstream = []  # the steps this one depends on, in the order they were added
        self._upstream_names = set()
        self.outputs = {}   # replaced by a fresh dict in every per-run copy
        flow.add_execution(self)

    # -- the protocol a subclass writes -------------------------------------

    def run(self, context):
        """Start the work and return at once. `context` gives params, outputs, log and wake."""
        raise NotImplementedError(
            f'{type(self).__name__} must define run(context): start the work and return')

    def check(self):
        """Return False while running, True when done; raise SkipExecution or an error."""
        raise NotImplementedError(
            f'{type(self).__name__} must define check(): False while running, True when done')

    def cancel(self):
        """Stop the work, if it still runs (after a check() that raised, it may have ended). By
        default nothing: a step with nothing to stop is simply dropped."""

    def output_so_far(self):
        """What the running work has written that the log gets only at its end (a shell's
        output), for `vect.log()` from any thread. By default nothing: what a step writes
        with `context.log()` is in its log at once."""
        return ''

    # -- dependencies -------------------------------------------------------

    def depends(self, *steps):
        """Make this step run after each of `steps` (steps or lists of steps); return self."""
        _require_set_up(self)
        steps = list(_flatten(steps))
        for step in steps:  # all checked before any is added: a refusal leaves nothing half done
            self._check_upstream(step)
        for step in steps:
            self._add_upstream(step)
        return self

    def _add_upstream(self, step):
        if step.name not in self._upstream_names:  # a set: a join of 10,000 stays linear
            self._upstream_names.add(step.name)
            self.upstream.append(step)

    def _check_upstream(self, step):
        """Raise FlowIntegrityError if this step may not depend on `step`."""
        _require_step(step, f'step {self.name!r} can only depend on steps')
        if step is self:
            raise FlowIntegrityError(
                f'step {self.name!r} cannot depend on itself; remove that dependency')
        if step.flow is not self.flow:
            same = ' (another flow of that name)' if step.flow.name == self.flow.name else ''
            raise FlowIntegrityError(
                f'step {self.name!r} of flow {self.flow.name!r} cannot depend on step '
                f'{step.name!r} of flow {step.flow.name!r}{same}; a dependency stays inside '
                'one flow')
        # A copy.copy() of a step, say (one that depended would change the step's upstream)
        if not self.flow.holds(step):
            raise FlowIntegrityError(
                f'step {self.name!r} cannot depend on {step!r}: it is not the step its flow '
                f'knows by that name (a copy of it, or renamed): depend on '
                f'flow.execution({step.name!r})')
        if not self.flow.holds(self):
            raise FlowIntegrityError(
                f'{self!r} cannot depend on step {step.name!r}: it is not the step its flow '
                f'knows by that name (a copy of it, or renamed): flow.execution({self.name!r}) '
                'can')

    def __rshift__(self, other):
        """`self >> other`: other runs after self. Returns other, so chains read left to right."""
        _require_set_up(self)  # before its name is asked for
        self._precede(other, f'{self.name!r} >> ...: the right-hand side must be steps')
        return other

    def __rrshift__(self, other):
        """`[a, b] >> self`: self runs after a and b."""
        self.depends(other)
        return self

    def __lshift__(self, other):
        """`self << other`: self runs after other. Returns other."""
        self.depends(other)
        return other

    def __rlshift__(self, other):
        """`[a, b] << self`: a and b run after self."""
        _require_set_up(self)
        self._precede(other, f'... << {self.name!r}: the left-hand side must be steps')
        return self

    def _precede(self, others, rule):
        """Make each step of `others` depend on this one, once each of them is known to be
        allowed to: a refusal leaves none of them made."""
        others = list(_flatten([others]))  # (steps too: their private methods are ours)
        for step in others:
            _require_step(step, rule)
            step._check_upstream(self)  # pylint: disable=protected-access
        for step in others:
            step._add_upstream(self)  # pylint: disable=protected-access

    def __repr__(self):
        if not hasattr(self, 'upstream'):  # a debugger shows it too: say what is wrong
            return f'<{type(self).__name__} made without Execution.__init__>'
        return f'<{type(self).__name__} {self.name!r} of flow {self.flow.name!r}>'


def _flatten(items):
    """The steps in `items`, which may hold lists, tuples, sets or generators of steps."""
    for item in items:
        if isinstance(item, Execution):  # first: the usual item, and the quickest answer
            yield item
        elif isinstance(item, Iterable) and not isinstance(item, (str, bytes)):
            yield from _flatten(item)
        else:
            yield item


def _protocol_missing(name, kind):
    """The message for a step whose class lacks run() or check(), or both."""
    if kind.run is not Execution.run:
        return (f'step {name!r}: {kind.__name__} defines run() but not check(), which the '
                'engine polls to learn when the work is done: define check(self), returning '
                'False while it runs and True once it is done')
    if kind.check is not Execution.check:
        return (f'step {name!r}: {kind.__name__} defines check() but not run(), which the '
                'engine calls once to start the work: define run(self, context) (one that '
                'starts nothing, for a sensor, says pass)')
    execute = ("; Airflow's execute() does both at once, while the engine waits: split it"
               if hasattr(kind, 'execute') else '')
    return (f'step {name!r}: {kind.__name__} defines neither run() nor check(): a step class '
            'defines run(context), which starts the work and returns, and check(), which '
            f'says if it is done{execute}')


def _require_step(thing, rule):
    if not isinstance(thing, Execution):
        hint = f': give the step, flow.execution({thing!r})' if isinstance(thing, str) else ''
        raise FlowIntegrityError(f'{rule}, not {type(thing).__name__} {thing!r}{hint}')
    _require_set_up(thing)


def _require_set_up(step):
    if not hasattr(step, 'upstream'):  # the class's own __init__ forgot to call Execution's
        raise FlowIntegrityError(
            f'a {type(step).__name__} step was made without Execution.__init__, so it has no '
            'name and is in no flow: its __init__ must call super().__init__(name, flow, ...)')
