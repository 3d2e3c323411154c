"""What a running step sees: the `context` passed to `run(context)`.

    context.params    the vect's params (defaults merged with what start() got)
    context.outputs   read-only: name of every ancestor step -> its outputs
    context.vect_id   'etl.3'
    context.attempt   1 for the first attempt, 2 for the first retry, ...
    context.log(msg)  add a line to this step's log
    context.wake()    "check me now": callable from any thread

`context.outputs` is a *view*, not a copy: copying every ancestor's outputs
for every step would make a chain of n steps cost n * n. The view looks a
name up in the vect when asked, after checking with the vect's `Ancestry`
(ancestry.py) that the name really is an ancestor. The outputs of the
ancestor asked for come as a `StepOutputs`: a read-only, shallow copy, made
once the step has ended and then shared by every reader (made again at each
read while it still runs, under one_success), which answers a name the step
did not publish with the names it did.

A PythonExecution's worker marks its thread with the context while the
function runs, so that a wait there for the step's own vect, which could
never end, is refused with the reason instead (`refuse_a_wait_for_itself`;
a wait in the engine's own thread is refused by Loop.wait_for).
"""
import threading
from collections.abc import Mapping
from functools import partial

from .errors import OAutomError, UnknownExecutionError, UnknownOutputError
from .execution import Execution
from .names import did_you_mean
from .report import short_repr
from .states import STATES


class Context:
    """The handle a step gets for one attempt of one vect."""

    def __init__(self, step_run, *, params, vect_id, agenda, ancestry):
        self.params = params
        self.vect_id = vect_id
        self.attempt = step_run.attempts
        self._step_run = step_run  # the StepRun this attempt belongs to: its log is written here
        self._agenda = agenda  # the vect's Agenda (due.py): wake() marks the step as due now
        self._ancestry = ancestry  # the vect's Ancestry: whose outputs this step may read

    @property
    def outputs(self):
        """Read-only: name of every ancestor step -> its outputs. Made when asked for:
        most steps never look."""
        return AncestorOutputs(self._step_run, self._ancestry)

    def log(self, message):
        """Add `message` (and a newline) to this step's log."""
        if self._is_over():
            message = f'[from attempt {self.attempt}, after it ended] {message}'
        self._step_run.write_log(f'{message}\n')

    def _is_over(self):
        # A thread of an attempt that is over and runs on (it timed out, was cancelled, or
        # left a thread of its own behind): another attempt has begun, or this one's step no
        # longer runs. (Its state is read without the vect's lock: a stale read is as good as
        # one a moment earlier.)
        return self._step_run.attempts != self.attempt or self._step_run.state is not STATES.running

    def wake(self):
        """Tell the engine this step's state may have changed; safe from any thread. (Not
        from an attempt that is over: nothing of it is checked any more.)"""
        if not self._is_over():
            self._agenda.wake(self._step_run)

    def __getitem__(self, key):
        """Refused in words: Airflow's context is a dict, and this one is not."""
        raise TypeError(f"context[{key!r}]: the context is not a dict, as Airflow's is; read "
                        "context.params['name'], context.outputs['step']['name'] (what Airflow's "
                        'xcom_pull reads), context.vect_id and context.attempt')

    __iter__ = None  # not iterable, all the same: `in` and list() would call __getitem__(0)

    def __repr__(self):
        return f'<Context {self.vect_id} attempt {self.attempt}>'


_THIS_THREAD = threading.local()  # .context: the Context of the step function it runs, if any


def mark_this_thread(context):
    """This thread now runs the function of `context`'s step (None: it has returned): a
    PythonExecution's worker marks itself, for refuse_a_wait_for_itself and app.stop()."""
    _THIS_THREAD.context = context


def in_a_step_function():
    """True in a thread that runs a step's function now (a PythonExecution's worker)."""
    return getattr(_THIS_THREAD, 'context', None) is not None


def refuse_a_wait_for_itself(agenda, vect_id):
    """Raise OAutomError in a thread that runs a step's function for the vect of `agenda`: that
    vect cannot end before the function returns, so a wait there for its end is endless.
    (Unless its attempt was abandoned, that is timed out or cancelled: the vect goes on
    without it.) A wait in the engine's own thread is refused by Loop.wait_for."""
    # pylint: disable=protected-access
    context = getattr(_THIS_THREAD, 'context', None)
    # One Agenda per vect: it stands for the vect here (a vect id such as etl.3 may be
    # another app's too)
    if context is not None and context._agenda is agenda and not context._is_over():
        step = context._step_run.name
        raise OAutomError(f'step {step!r} waits for its own vect {vect_id}, which cannot end '
                          'before that step does; return from it instead (steps downstream of '
                          'it run after it, and an event callback sees the vect end)')


class AncestorOutputs(Mapping):
    """A read-only view: ancestor step name -> that step's outputs, for one StepRun."""

    def __init__(self, step_run, ancestry):
        self._step_run = step_run  # the StepRun whose context this is
        self._ancestry = ancestry  # the vect's Ancestry

    def __getitem__(self, name):
        ancestor = self._ancestry.find_run(name)
        if ancestor is None or not self._ancestry.is_upstream(ancestor, self._step_run):
            names, reader = ', '.join(self), self._step_run.name
            ancestors = f'its ancestors are: {names}' if names else 'it has no upstream steps'
            if ancestor is None:
                close = did_you_mean(name, (step_run.name for step_run in self._ancestry.runs))
                if isinstance(name, Execution):  # a step, given for its name
                    close = f"give the step's name, {name.name!r}, not the step; "
                raise UnknownExecutionError(f'this flow has no step {short_repr(name)}; {close}'
                                            f"step {reader!r} reads its ancestors' outputs, "
                                            f'and {ancestors}')
            raise UnknownExecutionError(
                f'step {name!r} is not upstream of {reader!r}, so its outputs are not visible '
                f'there; {ancestors} (to read them, make {name!r} upstream of {reader!r})')
        return self._ancestry.outputs_of(ancestor)

    def __contains__(self, name):
        # Asked without the error of __getitem__ (Mapping's own `in` and get() would build
        # its message, suggestion included, for every name that is not there)
        ancestor = self._ancestry.find_run(name)
        return ancestor is not None and self._ancestry.is_upstream(ancestor, self._step_run)

    def get(self, key, default=None):
        """The outputs of the ancestor called `key`, or `default` if it is none."""
        return self[key] if key in self else default

    def __iter__(self):
        return iter(sorted(self._ancestry.names_upstream_of(self._step_run)))

    def __len__(self):
        return len(self._ancestry.names_upstream_of(self._step_run))

    def __repr__(self):  # names only: each ancestor's outputs show when read (StepOutputs)
        return (f'<outputs of the ancestors of step {self._step_run.name!r}: '
                f'{", ".join(self) or "none"}>')

    def __reduce__(self):  # copied or pickled as a plain dict of plain dicts, not the vect
        return dict, ({name: dict(self[name]) for name in self},)


class StepOutputs(dict):
    """What one ancestor step published, as a read-only dict of its own (a shallow copy:
    Ancestry.outputs_of says when it is made): json.dumps() writes it, and copy(), `|`,
    copy.copy() and pickle give a plain dict. A missing name says which names there are."""

    def __init__(self, step_run):
        # The state first: a step publishes, then ends, so outputs copied after it are at
        # least those of that state (a step that ends meanwhile never says "published none")
        self._name, self._state = step_run.name, step_run.state  # for the messages below
        super().__init__(step_run.outputs)

    def __missing__(self, key):
        raise UnknownOutputError(key, partial(_no_output, self._name, self._state, list(self),
                                              key))

    def _read_only(self, *_args, **_kwargs):
        raise TypeError(f'the outputs of step {self._name!r} are read-only here; to change '
                        f"them, change a copy: dict(context.outputs[{self._name!r}])")

    __setitem__ = __delitem__ = __ior__ = clear = pop = popitem = setdefault = update = \
        _read_only

    def __reduce__(self):  # copied (deep or not) or pickled as the plain dict it reads as
        return dict, (dict(self),)

    def __repr__(self):
        return f'<outputs of step {self._name!r}: {dict(self)!r}>'

    def __str__(self):
        return dict.__repr__(self)


def _no_output(name, state, published, key):
    """The message of UnknownOutputError, made when it is shown."""
    if state is not STATES.success:  # skipped, failed, or still running (one_success)
        return (f'step {name!r} has no output {key!r}: it is {state.value}, and only a step '
                'that succeeds publishes')
    if not published:
        return (f'step {name!r} has no output {key!r}; it published none (a step publishes '
                'by filling self.outputs: a Python step with the dict its function returns, '
                'a shell step with the key=value lines it appends to the file $OAUTOM_OUTPUT '
                'names)')
    return (f'step {name!r} has no output {key!r}; {did_you_mean(key, published)}it '
            f'published: {", ".join(map(str, published))}')
