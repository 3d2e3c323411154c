"""What a running step sees: the `context` passed to `run(context)`.

    context.params    the vect's params (defaults merged with what start() got)
    context.outputs   read-only: name of every ancestor step -> its outputs
    context.vect_id   'etl.3'
    context.attempt   1 for the first attempt, 2 for the first retry, ...
    context.log(msg)  add a line to this step's log
    context.wake()    "check me now": callable from any thread

`context.outputs` is a *view*, not a copy: building a copy of every ancestor's
outputs for every step would make a chain of n steps cost n * n. The view
looks names up in the vect's outputs when asked, and walks the upstream graph
only to check that the name asked for is really an ancestor.
"""
from collections.abc import Mapping
from types import MappingProxyType

from .errors import UnknownExecutionError


class Context:
    """The handle a step gets for one attempt of one vect."""

    def __init__(self, *, params, outputs, vect_id, attempt, log, wake):  # pylint: disable=too-many-arguments
        self.params = params
        self.outputs = outputs
        self.vect_id = vect_id
        self.attempt = attempt
        self._log = log    # appends text to this step's log
        self._wake = wake  # asks the engine to check this step at once

    def log(self, message):
        """Add `message` (and a newline) to this step's log."""
        self._log(f'{message}\n')

    def wake(self):
        """Tell the engine this step's state may have changed; safe from any thread."""
        self._wake()

    def __repr__(self):
        return f'<Context {self.vect_id} attempt {self.attempt}>'


class AncestorOutputs(Mapping):
    """A read-only view: ancestor step name -> that step's outputs, for one step."""

    def __init__(self, step, runs):
        self._step = step              # the step definition (an Execution)
        self._runs = runs              # step name -> its StepRun in this vect
        self._ancestors = None         # every ancestor's name, computed on first full listing

    def __getitem__(self, name):
        if not self._is_ancestor(name):
            names = ', '.join(sorted(self._all_ancestors())) or 'none: it has no upstream'
            raise UnknownExecutionError(
                f'step {name!r} is not upstream of {self._step.name!r}, so its outputs are not '
                f'visible there; the ancestors are: {names}')
        return MappingProxyType(self._runs[name].outputs)

    def __iter__(self):
        return iter(sorted(self._all_ancestors()))

    def __len__(self):
        return len(self._all_ancestors())

    def _is_ancestor(self, name):
        # Most steps read their direct upstream: answer that without a walk.
        if any(step.name == name for step in self._step.upstream):
            return True
        if self._ancestors is not None:
            return name in self._ancestors
        return any(ancestor == name for ancestor in self._walk_upstream())

    def _all_ancestors(self):
        if self._ancestors is None:
            self._ancestors = set(self._walk_upstream())
        return self._ancestors

    def _walk_upstream(self):
        """Yield the name of every ancestor once, nearest first-ish (depth-first)."""
        seen, stack = set(), list(self._step.upstream)
        while stack:
            step = stack.pop()
            if step.name not in seen:
                seen.add(step.name)
                yield step.name
                stack.extend(step.upstream)
