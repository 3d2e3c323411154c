"""A vect's index of its steps: by name, who is upstream of whom, and their outputs.

A step reads only its ancestors' outputs (context.py), so every read asks
"is this step upstream of that one?". Walking the DAG at each read would
cost the depth of the flow; a table of every pair would cost n * n when the
vect starts. The `Ancestry` keeps one big integer per step instead, with bit
i set when step i is upstream of it, computed on first use from the upstream
steps' own integers, and dropped when the vect ends: a vect kept in history
does not hold n * n bits.

`link_runs`, at the end, makes the vect's StepRuns, one per step, linked to
their upstream and downstream StepRuns, with the counts the vect's tick
starts from (see StepRun: `pending`, `ready`).
"""
from .context import StepOutputs
from .errors import UnknownExecutionError
from .execution import Execution
from .names import counted, did_you_mean, shown_name
from .step_run import StepRun


class Ancestry:
    """Which StepRuns of a vect are upstream of which, as bit sets computed on demand."""

    def __init__(self, runs):
        self.runs = runs     # every StepRun, in definition order
        self._by_name = None  # step name -> StepRun, made at the first question
        self._bits = {}      # StepRun index -> int: bit i set when StepRun i is an ancestor
        self._outputs = {}   # StepRun index -> its StepOutputs, made once it has ended
        self._keep = True    # False once the vect has ended: the tables are made, not kept

    def __repr__(self):
        return (f'<Ancestry of {counted(len(self.runs), "step")}: the ancestors of '
                f'{len(self._bits)} known>')

    def find_run(self, name):
        """The StepRun called `name`, or None."""
        if self._by_name is None:  # two threads may both make it: they make the same
            self._by_name = {step_run.name: step_run for step_run in self.runs}
        # Names are strings; anything else is unknown (a list cannot be a dict key: looking
        # one up would raise TypeError)
        return self._by_name.get(name) if isinstance(name, str) else None

    def run_named(self, name, owner):
        """The StepRun called `name`, or UnknownExecutionError: "{owner} has no step ..."."""
        step_run = self.find_run(name)
        if step_run is None:
            raise UnknownExecutionError(f'{owner} has {self.no_step(name)}')
        return step_run

    def no_step(self, name):
        """"no step 'lod'; did you mean 'load'? its steps are: ...", for a name not found."""
        if isinstance(name, Execution):  # a step, given for its name
            return f"no step {name!r}: give the step's name, {name.name!r}, not the step"
        names = [step_run.name for step_run in self.runs]
        return (f'no step {shown_name(name)}; {did_you_mean(name, names)}its steps are: '
                f'{", ".join(names)}')

    def is_upstream(self, ancestor, step_run):
        """True if `ancestor` is upstream of `step_run`, directly or not."""
        return bool((self._bits_of(step_run) >> ancestor.index) & 1)

    def names_upstream_of(self, step_run):
        """The names of every ancestor of `step_run`."""
        bits = self._bits_of(step_run)
        return [other.name for other in self.runs if (bits >> other.index) & 1]

    def outputs_of(self, step_run):
        """The outputs of `step_run` as a StepOutputs, made at the first read once it has ended
        (then shared by every reader: they can no longer change), or at every read before
        (under one_success, a step may read an upstream step that still runs)."""
        outputs = self._outputs.get(step_run.index)
        if outputs is None:
            # Asked first: a step publishes its outputs, then ends, so an ended step's are all
            # there. (Asked after the copy, a step that ended meanwhile would keep none.)
            ended = step_run.has_ended()
            outputs = StepOutputs(step_run)
            if ended and self._keep:  # two threads may both make it: they make the same
                self._outputs[step_run.index] = outputs
        return outputs

    def forget(self):
        """Drop the tables of bits and outputs (the names stay): the vect has ended. They are
        made again if asked for (by a step's thread that runs on), but no longer kept."""
        self._keep = False
        self._bits, self._outputs = {}, {}

    def _bits_of(self, step_run):
        # Depth-first without recursion: a step's bits need its upstream steps' bits first.
        # Several step threads may fill the table at once; they compute the same values.
        # The table is read once: forget() may replace it meanwhile (a step thread can
        # still ask after its vect has ended; then it fills a table of its own).
        table = self._bits if self._keep else {}
        pending = [step_run]
        while pending:
            top = pending[-1]
            if top.index in table:  # pushed twice (two steps below it missed it): done
                pending.pop()
                continue
            missing = [up for up in top.upstream if up.index not in table]
            if missing:
                pending.extend(missing)
                continue
            pending.pop()
            bits = 0
            for up in top.upstream:
                bits |= table[up.index] | 1 << up.index
            table[top.index] = bits
        return table[step_run.index]


def link_runs(steps, options):
    """One StepRun per step, in definition order, with its options (step name -> its
    StepOptions), linked upstream and downstream; those with no upstream step are ready to
    run at once."""
    runs = [StepRun(step, index, options[step.name]) for index, step in enumerate(steps)]
    run_of = {step_run.step.name: step_run for step_run in runs}  # names: steps may define __eq__
    for step_run in runs:
        step_run.upstream = [run_of[step.name] for step in step_run.step.upstream]
        step_run.pending = len(step_run.upstream)
        step_run.ready = not step_run.upstream
        for upstream in step_run.upstream:
            upstream.downstream.append(step_run)
    return runs
