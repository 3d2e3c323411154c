"""The options every step takes, and what a step is told about one it does not take.

    retries        how many times a failed attempt is tried again (a whole number)
    retry_delay    seconds from a failed attempt to the next one
    timeout        seconds an attempt may run, or None for no limit
    trigger_rule   when the step runs, given how its upstream steps ended (rules.py)
    poll_interval  seconds between two check()s of a running step

Execution.__init__ checks each of them here. A wrong value, or an option no
step takes, is refused with the rule and the fix: the closest option's name,
the options the step's class adds, or Airflow's name for one it meant. An
option may also be set later (`step.retries = 3`, as in Airflow): the flow's
validate() checks them all again, so that no vect starts with a bad one. A
vect reads its steps' options as they were checked when it started: one set
while it runs is for the next vect.
"""
import inspect
import math
import operator
import sys
from collections import namedtuple

from .airflow_words import (LEFT_OUT_RULE_HINTS, LEFT_OUT_RULES, NEEDED_ARGUMENTS,
                            OPERATOR_OPTIONS, timedelta_hint)
from .errors import FlowIntegrityError
from .names import did_you_mean
from .rules import TRIGGER_RULES

STEP_OPTIONS = ('retries', 'retry_delay', 'timeout', 'trigger_rule', 'poll_interval')
options_of = operator.attrgetter(*STEP_OPTIONS)  # step -> the tuple of its options' values
# The options of a step as app.start() checked them: what each vect of it reads (see flow.py)
StepOptions = namedtuple('StepOptions', STEP_OPTIONS)


def unknown_option(step_class, base, step_name, option):
    """The message for an option no step takes: the closest one that exists, and the list of
    them, with those the step's own class adds (BashExecution's env, say). `base` is the
    class whose __init__ refused it (Execution)."""
    parameters = inspect.signature(step_class.__init__).parameters.values()
    own = [parameter for parameter in parameters
           if parameter.name not in ('self', 'name', 'flow', *STEP_OPTIONS)
           and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)]
    # An option that a step class's own __init__ takes, and that still reached this one: the
    # class nearest to Execution that takes it passed it on
    subclasses = step_class.__mro__[:step_class.__mro__.index(base)]
    culprit = next((klass for klass in reversed(subclasses) if _takes(klass, option)), None)
    if culprit is not None:
        return (f'step {step_name!r}: {culprit.__name__}.__init__ passes its own option {option!r} '
                f'on to super().__init__(), which does not take it: keep it (self.{option} = '
                f'{option}), and do not pass it on')
    # Suggest only parameters with a default: a missing one without would have raised
    # TypeError already. `function` and `command` default to None only so that leaving them
    # out is said in words: they count as required. difflib misses a long typo of a short
    # name (enviroment for env): a shared start counts too.
    known = [p.name for p in own if p.default is not p.empty and not (
        p.default is None and p.name in NEEDED_ARGUMENTS)] + list(STEP_OPTIONS)
    start = [name for name in known if option.startswith(name) or name.startswith(option)][:1]
    hint = OPERATOR_OPTIONS.get(option) or did_you_mean(option, known) or \
        (f'did you mean {start[0]!r}? ' if start else '')
    if own:
        options = (f'{step_class.__name__} takes {", ".join(p.name for p in own)}, and every '
                   f'step takes {", ".join(STEP_OPTIONS)}')
    else:
        options = f'the options of every step are: {", ".join(STEP_OPTIONS)}'
    return f'step {step_name!r}: unknown option {option!r}; {hint}{options}'


def class_option_error(step, base):
    """The message for a step whose class sets a step option in its body (`timeout = 10`)
    while the step got `base.__init__`'s default (Execution's), or None: that default would
    hide the class's value without a word. A value given on purpose is the step's, and a
    property or a slot of that name is the class's own way to keep it: both are fine."""
    for klass in type(step).__mro__[:-1]:  # (not object, the last)
        if klass is base:
            continue
        body = vars(klass)
        for option in STEP_OPTIONS:  # five lookups a class: every step is asked, so quick
            if option not in body:
                continue
            value, got = body[option], getattr(step, option)
            default = inspect.signature(base.__init__).parameters[option].default
            if hasattr(type(value), '__set__') or value == got or got != default:
                continue
            return (f'step {step.name!r}: {klass.__name__} sets {option} = {value!r} in its '
                    f'class body, which no step reads: each step gets its own from '
                    f'Execution.__init__, here its default, {default!r}. If it is the step '
                    f'option, pass it when you make the step ({option}={value!r}), or make it '
                    f"your class's default: options.setdefault({option!r}, {value!r}) in its "
                    "__init__, before super().__init__(name, flow, **options); if it means "
                    'something else to your class, give it another name')
    return None


def _takes(klass, option):
    """True if the __init__ of `klass` itself has a parameter named `option`."""
    try:
        parameter = inspect.signature(vars(klass)['__init__']).parameters.get(option)
    except (KeyError, TypeError, ValueError):  # no __init__ of its own, or none to read
        return False
    return parameter is not None and parameter.kind not in (parameter.VAR_POSITIONAL,
                                                            parameter.VAR_KEYWORD)


def checked_option(step_name, option, value):
    """`value` if it suits `option`, one of STEP_OPTIONS, else FlowIntegrityError."""
    if option == 'trigger_rule':
        return checked_trigger_rule(step_name, value)
    if option == 'timeout' and value is None:  # no limit
        return None
    # retry_delay is finite: a step that waited for ever for its retry would stay retrying
    return checked_number(step_name, option, value, integer=option == 'retries',
                          positive=option in ('timeout', 'poll_interval'),
                          finite=option == 'retry_delay')


def option_problems(step):
    """What is wrong with the options of `step` now, one sentence each (see the top)."""
    problems = []
    for option in STEP_OPTIONS:
        try:
            checked_option(step.name, option, getattr(step, option))
        except FlowIntegrityError as error:
            problems.append(f'{error} (set after the step was made)')
    return problems


def checked_number(step_name, option, value, *, integer=False, positive=False, finite=False):  # pylint: disable=too-many-arguments
    """`value` if it suits the option (a whole number for retries, seconds for the others),
    else FlowIntegrityError with the rule, and Airflow's way of saying it where it differs."""
    if finite and value == math.inf:
        raise FlowIntegrityError(f'step {step_name!r}: {option} must be finite, not inf')
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not value >= 0 or (
            positive and value == 0):  # `not value >= 0`: NaN is refused too
        wanted = 'a whole number (an int)' if integer else 'a number of seconds'  # 2.0: no int
        bound = 'above 0' if positive else '0 or more'
        hint = '' if integer else timedelta_hint(value, above_zero=positive)
        raise FlowIntegrityError(f'step {step_name!r}: {option} must be {wanted} {bound}, '
                                 f'not {value!r}{hint}')
    if not integer and value != math.inf and value > sys.float_info.max:  # 10**400
        never = '' if finite else ', or math.inf where it means "never"'
        raise FlowIntegrityError(f'step {step_name!r}: {option} is more seconds than a float '
                                 f'holds; give at most 1e308{never}')
    return value


def checked_trigger_rule(step_name, rule):
    """`rule` if it is one of the trigger rules (rules.py), else FlowIntegrityError."""
    if rule not in TRIGGER_RULES:
        spelled = str(rule).replace('-', '_')
        # An Airflow rule left out here is said to be one: a near name may mean something else
        hint = (f"Airflow's {spelled.lower()} is not one of oautom's; "
                f"{LEFT_OUT_RULE_HINTS.get(spelled.lower(), '')}"
                if spelled.lower() in LEFT_OUT_RULES else did_you_mean(spelled, TRIGGER_RULES))
        raise FlowIntegrityError(f'step {step_name!r}: unknown trigger_rule {rule!r}; {hint}'
                                 f'use one of {", ".join(TRIGGER_RULES)}')
    return rule
