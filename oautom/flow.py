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
from .errors import FlowIntegrityError, InvalidParamsError, UnknownExecutionError
from .execution import Execution
from .graph import downstream_of, find_cycles, has_cycle
from .names import check_name, counted, did_you_mean, shown_name
from .params import own_copy
from .report import short_repr
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
        if isinstance(name, Execution):  # a step, given for its name
            raise UnknownExecutionError(f"flow.execution() takes a step's name, not the step: "
                                        f'write flow.execution({name.name!r})')
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

    def problems(self):
        """Every integrity problem of the whole flow, each as one sentence; empty if none."""
        return self._check()[0]

    def _check(self):
        """(every problem, step name -> the StepOptions checked now: a table of its own)"""
        if not self._executions:
            return [f'flow {self.name!r} is empty; add at least one step to it (a step joins '
                    'its flow in Execution.__init__, which the __init__ of a step class must '
                    'call: super().__init__(name, flow, ...))'], {}
        problems = [problem for problem in (_name_problem(self.name),
                                            _params_problem(self.name, self.params)) if problem]
        checked, upstream_of = {}, {}  # upstream_of: the edges between our steps, for cycles
        names = {id(step): name for name, step in self._executions.items()}  # renamed ones too
        for name, step in self._executions.items():
            options, place, checked[name], upstream_of[name] = self._step_problems(name, step,
                                                                                   names)
            problems += options + place
        if has_cycle(upstream_of):  # linear: usually the only search
            problems += [f'cycle: {" -> ".join(loop)}; remove one of these dependencies'
                         for loop in find_cycles(list(upstream_of), downstream_of(upstream_of))]
        return problems, checked

    def _step_problems(self, name, step, names):
        """What is wrong with one step now, set since it was made, and its options: (the
        problems of its options, those of its place in the graph (its name, its upstream
        steps), its StepOptions as checked or None if they have problems, the names of its
        upstream steps that are ours). `names`: id of each of our steps -> its name here."""
        place = [] if step.name == name else [
            f'step {name!r} of flow {self.name!r} was renamed {step.name!r}: a step keeps the '
            'name it was made with (its flow knows it by that name); make a new step']
        problems, options, checked = [], options_of(step), self._checked.get(name)
        # app.start() validates: only options that are not the very values last checked (an
        # equal value may be of a type refused: Decimal('30') for 30, True for 1)
        if checked is None or any(map(is_not, options, checked)):
            problems = option_problems(step)
            checked = self._checked[name] = None if problems else StepOptions(*options)
        upstream = step.upstream
        if not isinstance(upstream, list):  # set by hand: `b.upstream = a`
            place.append(f'step {name!r}: its upstream is {type(upstream).__name__} '
                         f'{short_repr(upstream)}, not a list of steps: give it the steps '
                         f'it depends on with step.depends(...) or >>')
            upstream = []
        ours = []
        for other in upstream:
            our_name = names.get(id(other))
            if our_name is not None:
                ours.append(our_name)
                if other.name != our_name:
                    place.append(f'step {name!r} depends on a step renamed since (above)')
            else:  # another flow's step, a copy of one of ours (copy.copy), or no step at all
                fix = _the_step_itself(other, self, self._executions)
                place.append(f'step {name!r} depends on {short_repr(other)}, which is not a step '
                             f'of flow {self.name!r}: {fix}')
        return problems, place, checked, ours

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

    def __enter__(self):  # `with DAG(...) as dag:` is how Airflow users begin
        raise FlowIntegrityError(f'flow {self.name!r} is not a context manager, unlike Airflow\'s '
                                 'DAG: oautom has no current flow, so give each step its flow '
                                 "(BashExecution('a', flow, ...)); write flow = Flow(...)")

    def __exit__(self, *_):  # (Python looks it up before it calls __enter__)
        return False

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
    for param, default in params.items():
        if not isinstance(param, str):
            return (f'flow {flow_name!r}: param names are text, not {type(param).__name__} '
                    f'{param!r}: write {str(param)!r}')
        try:  # each vect gets its own copy of them: a default that cannot be copied, now
            own_copy(flow_name, param, default)
        except InvalidParamsError as error:
            return str(error)
    return None


def _name_problem(name):
    """What is wrong with a flow's name, set since it was made (check_name's words), or None."""
    try:
        check_name(name, 'flow')
    except FlowIntegrityError as error:
        return str(error)
    return None


def _the_step_itself(thing, flow, steps):
    """How to depend on a step instead of `thing`, which is not one of `flow`'s `steps` (its
    step names -> its steps)."""
    if isinstance(thing, Execution) and getattr(thing, 'flow', flow) is not flow:
        return 'a dependency stays inside one flow'
    try:
        name = thing if isinstance(thing, str) else getattr(thing, 'name', None)
    except Exception:  # pylint: disable=broad-exception-caught  # a property of its own raised
        name = None
    if isinstance(name, str) and name in steps:
        return f'depend on the step itself, as flow.execution({name!r}) returns it'
    return 'depend on steps of this flow, with step.depends(...) or >>'
