"""A Flow is a named DAG of steps (Executions), plus the params it accepts.

A flow is only a definition: building one runs nothing. Its steps register
themselves when they are created (`BashExecution('extract', flow=etl, ...)`),
in definition order, which is also the order a vect's status uses.

Construction refuses at once what it can see at once (a bad or duplicate
name). What needs the whole graph, such as a cycle or an empty flow, is found
by `validate()`, which lists every problem in one error so that a learner
fixes them all in one go. `app.start()` validates before anything runs. It
also checks again what may have been set since construction checked it: the
params, each step's name and options, and what each step depends on (a copy
of a step, say, which is no step of the flow).
"""
from operator import is_not

from .airflow_words import dag_option_hint
from .errors import FlowIntegrityError, UnknownExecutionError
from .graph import find_cycles, has_cycle
from .names import check_name, counted, did_you_mean, shown_name
from .step_options import StepOptions, option_problems, options_of


class Flow:
    """A named set of steps and the dependencies between them."""

    def __init__(self, name, app=None, *, params=None, **unknown):
        self.name = check_name(name, 'flow')
        if unknown:  # a typo, or an option of Airflow's DAG: either deserves better than TypeError
            option, value = next(iter(unknown.items()))
            hint = dag_option_hint(name, option, value) or did_you_mean(option, ['app', 'params'])
            raise FlowIntegrityError(f'flow {name!r}: unknown option {option!r}; {hint}a Flow '
                                     'takes a name, app= and params=')
        problem = _params_problem(name, {} if params is None else params)
        if problem:  # refused now, not by every app.start() of the flow
            raise FlowIntegrityError(problem)
        self.params = dict(params or {})  # param name -> default value
        self._executions = {}             # step name -> step, in definition order
        self._checked = {}                # step name -> its StepOptions, as last checked
        if app is not None:
            if isinstance(app, type) or not hasattr(app, 'register_flow'):
                given = f'the class {app.__name__} itself' if isinstance(app, type) else \
                    f'{type(app).__name__} {app!r}'
                raise FlowIntegrityError(f'flow {name!r}: app must be an OAutom, not {given}: '
                                         'app=OAutom()')
            app.register_flow(self)

    @property
    def executions(self):
        """The steps, in definition order."""
        return list(self._executions.values())

    def execution(self, name):
        """The step called `name`."""
        # Names are strings; anything else is unknown (a list cannot be a dict key: looking
        # one up would raise TypeError)
        step = self._executions.get(name) if isinstance(name, str) else None
        if step is None:
            raise UnknownExecutionError(
                f'flow {self.name!r} has no step {shown_name(name)}; '
                f'{did_you_mean(name, self._executions)}'
                f'its steps are: {", ".join(self._executions) or "none yet"}')
        return step

    def holds(self, step):
        """True if `step` is the step this flow knows by its name (not a copy of it)."""
        return isinstance(step.name, str) and self._executions.get(step.name) is step

    def add_execution(self, execution):
        """Called by `Execution.__init__`: a step joins its flow once, under a unique name."""
        if execution.name in self._executions:
            raise FlowIntegrityError(
                f'flow {self.name!r} already has a step named {execution.name!r}; '
                'give each step its own name')
        self._executions[execution.name] = execution
        # (Execution.__init__ has just checked them)
        self._checked[execution.name] = StepOptions(*options_of(execution))

    def downstream(self):
        """Step name -> names of the steps that depend on it (the edges, pointing forwards)."""
        downstream = {name: [] for name in self._executions}
        for step in self._executions.values():
            for upstream in step.upstream:
                downstream[upstream.name].append(step.name)
        return downstream

    def problems(self):
        """Every integrity problem of the whole flow, each as one sentence; empty if none."""
        return self._check()[0]

    def _check(self):
        """(every problem, step name -> the StepOptions checked now: a table of its own)"""
        if not self._executions:
            return [f'flow {self.name!r} is empty; add at least one step to it (a step joins '
                    'its flow in Execution.__init__, which the __init__ of a step class must '
                    'call: super().__init__(name, flow, ...))'], {}
        problem = _params_problem(self.name, self.params)
        problems, checked = [problem] if problem else [], {}
        walkable = True  # the cycle search needs each step under its name, each upstream ours
        for name, step in self._executions.items():
            options, place, checked[name] = self._step_problems(name, step)
            problems += options + place
            walkable = walkable and not place
        if walkable and has_cycle(self._executions.values()):  # linear: usually the only search
            problems += [f'cycle: {" -> ".join(loop)}; remove one of these dependencies'
                         for loop in find_cycles(list(self._executions), self.downstream())]
        return problems, checked

    def _step_problems(self, name, step):
        """What is wrong with one step now, set since it was made, and its options: (the
        problems of its options, those of its place in the graph (its name, its upstream
        steps), its StepOptions as checked or None if they have problems)."""
        if step.name != name:
            return [], [f'step {name!r} of flow {self.name!r} was renamed {step.name!r}: a step '
                        'keeps the name it was made with (its flow knows it by that name); make '
                        'a new step'], None
        problems, options, checked = [], options_of(step), self._checked.get(name)
        # app.start() validates: only options that are not the very values last checked (an
        # equal value may be of a type refused: Decimal('30') for 30, True for 1)
        if checked is None or any(map(is_not, options, checked)):
            problems = option_problems(step)
            checked = self._checked[name] = None if problems else StepOptions(*options)
        place = []
        for upstream in step.upstream:
            if self.holds(upstream):
                continue
            if any(upstream is ours for ours in self._executions.values()):
                place.append(f'step {name!r} depends on a step renamed since (above)')
            else:  # a copy of one of ours, say (copy.copy of a step)
                place.append(f'step {name!r} depends on {upstream!r}, which is not a step of '
                             f'flow {self.name!r}: depend on the step itself, as '
                             f'flow.execution({upstream.name!r}) returns it')
        return problems, place, checked

    def validate(self):
        """Raise `FlowIntegrityError` listing every problem at once; return self if none."""
        self.checked_options()
        return self

    def checked_options(self):
        """Validate the flow, as validate() does, and return step name -> its StepOptions as
        checked now: what app.start() gives the new vect, a table of its own. An option set
        while that vect runs is for the next one, which app.start() checks again."""
        problems, checked = self._check()
        if problems:
            lines = '\n'.join(f'  - {problem}' for problem in problems)
            raise FlowIntegrityError(
                f'flow {self.name!r} cannot run, {len(problems)} problem(s):\n{lines}')
        return checked

    def __copy__(self):
        raise FlowIntegrityError(f'copy.copy() of flow {self.name!r} would share its steps, '
                                 'which know one flow only: copy.deepcopy(flow) makes another '
                                 'with steps of its own (then give it a new name)')

    def __repr__(self):
        return f'<Flow {self.name!r}: {counted(len(self._executions), "step")}>'


def _params_problem(flow_name, params):
    """What is wrong with a flow's params (a dict of text names to defaults), or None."""
    if not isinstance(params, dict):
        return (f'flow {flow_name!r}: params must be a dict of names to default values, not '
                f'{type(params).__name__}')
    for param in params:
        if not isinstance(param, str):
            return (f'flow {flow_name!r}: param names are text, not {type(param).__name__} '
                    f'{param!r}: write {str(param)!r}')
    return None
