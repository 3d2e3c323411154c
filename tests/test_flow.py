"""Flows and steps: names, dependencies, and validation of the whole graph."""
import copy
import math
import re
import threading
from datetime import timedelta
from decimal import Decimal

import pytest

from oautom import (BashExecution, Execution, Flow, FlowIntegrityError, OAutom, OAutomError,
                    OAutomMode, PythonExecution, UnknownExecutionError, VectState)
from helpers import Scripted


@pytest.fixture(name='flow')
def flow_fixture():
    return Flow('etl')


@pytest.mark.parametrize('name', ['flow 1', 'a', 'etl_2-b', 'x' * 100, 'A b C'])
def test_good_names_are_accepted(name):
    assert Flow(name).name == name
    assert Scripted(name, Flow('f')).name == name


@pytest.mark.parametrize('name', ['', 'x' * 101, 'a.b', 'a{b', "it's", 'a<b>', ' lead', 'trail ',
                                  'two  spaces', 'tab\there', 'slash/no', 'é', 42])
def test_bad_names_are_refused_with_the_allowed_characters(name):
    with pytest.raises(FlowIntegrityError, match='flow name'):
        Flow(name)
    with pytest.raises(FlowIntegrityError, match='step name'):
        Scripted(name, Flow('f'))


def test_bad_name_message_says_what_is_allowed():
    with pytest.raises(FlowIntegrityError) as error:
        Flow('a.b')
    assert "ASCII letters, digits, '_' and '-'" in str(error.value)


def test_steps_are_kept_in_definition_order_and_found_by_name(flow):
    steps = [Scripted(name, flow) for name in ('c', 'a', 'b')]
    assert flow.executions == steps
    assert flow.execution('a') is steps[1]
    assert steps[0].flow is flow


def test_an_unknown_step_name_close_to_a_known_one_suggests_it(flow):
    Scripted('extract', flow)
    with pytest.raises(UnknownExecutionError, match="no step 'extarct'; did you mean 'extract'[?] "
                                                    'its steps are: extract'):
        flow.execution('extarct')


def test_unknown_step_name_lists_the_known_ones(flow):
    Scripted('a', flow)
    with pytest.raises(UnknownExecutionError, match="no step 'zz'; its steps are: a") as caught:
        flow.execution('zz')
    assert isinstance(caught.value, KeyError) and isinstance(caught.value, OAutomError)
    with pytest.raises(UnknownExecutionError, match=r"no step \['a'\]; its steps are: a"):
        flow.execution(['a'])  # unhashable: a plain dict lookup would raise TypeError


def test_a_step_given_for_its_name_is_told_to_give_the_name(flow):
    step = Scripted('a', flow)  # (it used to say "no step <Scripted 'a'...>; its steps are: a")
    with pytest.raises(UnknownExecutionError, match=r"^flow.execution\(\) takes a step's name, "
                                                    r"not the step: write flow.execution\('a'\)$"):
        flow.execution(step)


def test_duplicate_step_name_is_refused_at_once(flow):
    Scripted('a', flow)
    with pytest.raises(FlowIntegrityError, match="already has a step named 'a'"):
        Scripted('a', flow)
    assert len(flow.executions) == 1


def test_flow_params_are_its_defaults():
    assert Flow('f', params={'day': '2026-01-01'}).params == {'day': '2026-01-01'}
    assert Flow('g').params == {}
    with pytest.raises(FlowIntegrityError, match='params must be a dict'):
        Flow('h', params=['day'])


def test_flow_with_app_registers_itself():
    app = OAutom()
    flow = Flow('f', app=app)
    assert app.flows() == ['f'] and app.flow('f') is flow


def test_depends_returns_self_and_records_upstream_once(flow):
    a, b, c = Scripted('a', flow), Scripted('b', flow), Scripted('c', flow)
    assert c.depends(a, [b]) is c
    c.depends(a)
    assert c.upstream == [a, b]
    assert a.upstream == []


def test_rshift_and_lshift_return_the_right_hand_side(flow):
    a, b, c, d = (Scripted(name, flow) for name in 'abcd')
    assert (a >> b) is b
    assert (c << d) is d
    assert b.upstream == [a] and c.upstream == [d]


def test_shift_operators_take_lists_on_either_side(flow):
    a, b, c, d, e = (Scripted(name, flow) for name in 'abcde')
    assert (a >> [b, c]) == [b, c]
    assert ([b, c] >> d) is d
    assert (e << [a, d]) == [a, d]
    assert ([b, c] << a) is a
    assert b.upstream == [a] and c.upstream == [a]
    assert d.upstream == [b, c]
    assert e.upstream == [a, d]


def test_chains_read_left_to_right(flow):
    a, b, c = (Scripted(name, flow) for name in 'abc')
    a >> b >> c
    assert (b.upstream, c.upstream) == ([a], [b])


def test_self_dependency_is_refused_at_once(flow):
    a = Scripted('a', flow)
    with pytest.raises(FlowIntegrityError, match="'a' cannot depend on itself"):
        a >> a
    assert a.upstream == []


def test_dependency_across_flows_is_refused_at_once(flow):
    a, other = Scripted('a', flow), Scripted('x', Flow('other'))
    with pytest.raises(FlowIntegrityError, match="flow 'etl'.*flow 'other'"):
        a.depends(other)


def test_dependency_on_a_non_step_is_refused(flow):
    with pytest.raises(FlowIntegrityError, match='can only depend on steps'):
        Scripted('a', flow).depends('b')


def test_a_step_renamed_to_a_list_is_refused_as_a_dependency_in_words(flow):
    a, b = Scripted('a', flow), Scripted('b', flow)
    a.name = ['a']  # unhashable: a plain lookup of it in the flow would raise TypeError
    with pytest.raises(FlowIntegrityError, match='not the step its flow knows by that name'):
        b.depends(a)


class Forgetful(Execution):
    """A step class whose __init__ forgets super().__init__(name, flow)."""

    def __init__(self, name, flow, path):  # pylint: disable=super-init-not-called,unused-argument
        self.path = path


@pytest.mark.parametrize('link', [
    lambda a, b: a >> b, lambda a, b: b >> a, lambda a, b: a << b, lambda a, b: b << a,
    lambda a, b: [a] >> b, lambda a, b: b >> [a], lambda a, b: [b] << a, lambda a, b: a << [b],
    lambda a, b: a.depends(b), lambda a, b: b.depends(a),
])
def test_a_step_made_without_execution_init_is_refused_at_its_first_link(flow, link):
    made = Scripted('made', flow)
    with pytest.raises(FlowIntegrityError) as caught:
        link(Forgetful('forgot', flow, '/tmp/x'), made)
    assert str(caught.value) == (
        'a Forgetful step was made without Execution.__init__, so it has no name and is in no '
        'flow: its __init__ must call super().__init__(name, flow, ...)')
    assert made.upstream == [] and flow.executions == [made]


def test_a_step_made_without_execution_init_shows_so_in_its_repr(flow):
    assert repr(Forgetful('forgot', flow, '/tmp/x')) == \
        '<Forgetful made without Execution.__init__>'


class PassesItsOwnOn(Scripted):
    """Passes its own option on to super().__init__(), which does not take it."""

    def __init__(self, name, flow, path):  # pylint: disable=super-init-not-called
        self.path = path
        Execution.__init__(self, name, flow, path=path)  # pylint: disable=non-parent-init-called


class HandsItOn(PassesItsOwnOn):
    """Rightly hands `path` to its base class, which takes it (and wrongly passes it on)."""

    def __init__(self, name, flow, path, extra=None):  # pylint: disable=unused-argument
        super().__init__(name, flow, path)


class Inherits(PassesItsOwnOn):
    """Has no __init__ of its own."""


@pytest.mark.parametrize('step_class', [PassesItsOwnOn, HandsItOn, Inherits])
def test_a_step_class_that_passes_its_own_option_on_is_told_to_keep_it(flow, step_class):
    with pytest.raises(FlowIntegrityError) as caught:
        step_class('late', flow, '/tmp/x')
    assert str(caught.value) == (  # the class to blame is the one that passes it on
        "step 'late': PassesItsOwnOn.__init__ passes its own option 'path' on to "
        'super().__init__(), which does not take it: keep it (self.path = path), and do not '
        'pass it on')


@pytest.mark.parametrize('option, value, given', [
    ('retries', 2, 0), ('retry_delay', 0.5, 0.0), ('timeout', 3, None),
    ('trigger_rule', 'all_done', 'all_success'), ('poll_interval', 0.2, 1.0)])
def test_a_step_option_set_in_a_class_body_and_not_given_is_refused_with_how_to_give_it(
        flow, option, value, given):
    # Execution.__init__ gives every step its own value, which would hide the class's in silence
    sets_it = type('SetsIt', (Scripted,), {option: value})
    mixin = type('Mixin', (), {option: value})
    for step_class, blamed in [(sets_it, 'SetsIt'), (type('Below', (sets_it,), {}), 'SetsIt'),
                               (type('MixedIn', (Scripted, mixin), {}), 'Mixin')]:
        with pytest.raises(FlowIntegrityError) as caught:  # (a mixin: found after Execution)
            step_class('s', flow)
        assert str(caught.value) == (
            f"step 's': {blamed} sets {option} = {value!r} in its class body, which no step "
            f'reads: each step gets its own from Execution.__init__, here its default, '
            f'{given!r}. If it is the step option, pass it when you make the step ({option}='
            f"{value!r}), or make it your class's default: options.setdefault({option!r}, "
            f'{value!r}) in its __init__, before super().__init__(name, flow, **options); if it '
            'means something else to your class, give it another name')
    assert flow.executions == []  # none of them joined the flow half-made


@pytest.mark.parametrize('option, value, other', [
    ('retries', 2, 5), ('trigger_rule', 'all_done', 'one_failed'), ('timeout', 3, 60),
    ('poll_interval', 0.2, 0.5)])
def test_a_step_option_in_a_class_body_is_fine_once_the_step_gets_it(flow, option, value,
                                                                       other):
    def init(self, name, flow, **options):  # makes it its default, as the refusal says
        options.setdefault(option, value)
        Scripted.__init__(self, name, flow, **options)
    passes = type('Passes', (Scripted,), {option: value, '__init__': init})
    assert getattr(passes('p', flow), option) == value
    assert getattr(passes('q', flow, **{option: other}), option) == other  # given on purpose
    sets_it = type('SetsIt', (Scripted,), {option: value})
    assert getattr(sets_it('r', flow, **{option: value}), option) == value
    assert getattr(sets_it('t', flow, **{option: other}), option) == other


def test_a_property_named_like_a_step_option_is_the_class_s_own_way_to_keep_it(flow):
    class Stored(Scripted):
        """Keeps its timeout through a property."""

        @property
        def timeout(self):
            return self.kept

        @timeout.setter
        def timeout(self, seconds):
            self.kept = seconds  # pylint: disable=attribute-defined-outside-init
    assert Stored('p', flow, timeout=4).timeout == 4
    assert Stored('q', flow).timeout is None  # the property is no value that a default hides


def test_a_slot_named_like_a_step_option_is_the_class_s_own_way_to_keep_it(flow):
    class Slotted(Scripted):
        """Keeps its retries in a slot."""
        __slots__ = ('retries',)
    assert Slotted('p', flow).retries == 0 and Slotted('q', flow, retries=2).retries == 2


class OddBase(Scripted):
    """A base step class whose __init__ has a signature that cannot be read."""

    def __init__(self, name, flow, **options):  # pylint: disable=useless-parent-delegation
        super().__init__(name, flow, **options)


OddBase.__init__.__signature__ = 'not a signature'


class UnderOdd(OddBase):
    """A plain subclass of it."""

    def __init__(self, name, flow, **options):  # pylint: disable=useless-parent-delegation
        super().__init__(name, flow, **options)


def test_an_unknown_option_is_worded_even_below_an_unreadable_init(flow):
    with pytest.raises(FlowIntegrityError, match="^step 'p': unknown option 'bogus'; "):
        UnderOdd('p', flow, bogus=1)


@pytest.mark.parametrize('option', ['options', 'unknown', 'klass'])
def test_an_unknown_option_named_like_a_parameter_of_catch_alls_is_simply_unknown(flow, option):
    with pytest.raises(FlowIntegrityError, match=f"^step 'p': unknown option '{option}'; "):
        Scripted('p', flow, **{option: 1})


@pytest.mark.parametrize('option, value', [('retries', -1), ('retries', 1.5), ('timeout', 0),
                                           ('poll_interval', 0), ('retry_delay', -2),
                                           ('timeout', 'soon'), ('retries', True),
                                           ('timeout', math.nan), ('retry_delay', math.nan),
                                           ('poll_interval', math.nan),
                                           ('retry_delay', math.inf), ('retry_delay', 10**400),
                                           ('timeout', 10**400)])
def test_bad_step_options_are_refused(flow, option, value):
    with pytest.raises(FlowIntegrityError, match=option):
        Scripted('a', flow, **{option: value})


@pytest.mark.parametrize('option, fix', [
    ('timeout', 'give at most 1e308, or math.inf where it means "never"'),
    ('retry_delay', 'give at most 1e308')])  # inf is refused there: not suggested
def test_seconds_too_many_for_a_float_are_told_the_largest_and_inf_only_where_allowed(
        flow, option, fix):
    with pytest.raises(FlowIntegrityError) as refusal:
        Scripted('a', flow, **{option: 10**400})
    assert str(refusal.value) == (f"step 'a': {option} is more seconds than a float holds; "
                                  f'{fix}')


@pytest.mark.parametrize('step_class, arguments, message', [
    (Execution, {'timout': 3}, "unknown option 'timout'; did you mean 'timeout'[?] the options of "
                               'every step are: retries, retry_delay, timeout, trigger_rule, '
                               'poll_interval$'),
    (BashExecution, {'command': 'ls', 'enviroment': {}},
     "unknown option 'enviroment'; did you mean 'env'[?] BashExecution takes command, env, cwd, "
     'and every step takes retries, retry_delay, timeout, trigger_rule, poll_interval$'),
    (PythonExecution, {'function': print, 'retry': 2},
     "did you mean 'retries'[?] PythonExecution takes function, and every step takes retries,"),
    (Scripted, {'colour': 'red'}, "unknown option 'colour'; Scripted takes script, scripts, "
                                  'outputs, fail_on_run, and every step takes retries,'),
    (BashExecution, {'command': 'ls', 'co': 1}, "unknown option 'co'; BashExecution takes"),
    (Execution, {'poll': 5}, "unknown option 'poll'; did you mean 'poll_interval'[?] the "),
    (PythonExecution, {'function': print, 'execution_timeout': 60},
     "unknown option 'execution_timeout'; Airflow's execution_timeout is timeout here, in "
     'seconds; PythonExecution takes function'),
    (BashExecution, {'command': 'ls', 'on_failure_callback': print},
     "unknown option 'on_failure_callback'; oautom steps take no callbacks: app.subscribe"
     r'\(callback\) gets every event, its failures and successes too; BashExecution takes'),

])
def test_an_unknown_option_names_the_closest_and_lists_what_the_step_takes(
        flow, step_class, arguments, message):
    with pytest.raises(FlowIntegrityError, match=message):
        step_class('a', flow, **arguments)
    assert flow.executions == []  # refused before it joined the flow


def test_unknown_trigger_rule_lists_the_rules(flow):
    with pytest.raises(FlowIntegrityError, match='one_success'):
        Scripted('a', flow, trigger_rule='sometimes')


@pytest.mark.parametrize('rule', ['all-done', 'ALL_DONE', 'all_dnoe'])
def test_a_trigger_rule_spelled_otherwise_is_told_the_one_meant(flow, rule):
    with pytest.raises(FlowIntegrityError, match=f"unknown trigger_rule '{rule}'; did you mean "
                                                 "'all_done'[?] use one of all_success,"):
        Scripted('a', flow, trigger_rule=rule)


def test_a_param_name_that_is_not_text_is_refused_when_the_flow_is_made():
    with pytest.raises(FlowIntegrityError, match="flow 'etl': param names are text, not int 1: "
                                                 "write '1'"):
        Flow('etl', params={'day': 'monday', 1: 'one'})


@pytest.mark.parametrize('rule, nearest', [
    ('all_skipped', ''), ('NONE_SKIPPED', ''),
    ('always', r'all_done is the nearest of them \(it waits for every upstream step to end\); '),
    ('dummy', r'all_done is the nearest of them \(it waits for every upstream step to end\); '),
    ('none_failed_min_one_success', r'none_failed is the nearest of them \(it runs when every '
                                    r'upstream step was skipped, too\); ')])
def test_an_airflow_trigger_rule_oautom_leaves_out_is_said_to_be_one(flow, rule, nearest):
    # difflib would offer all_failed for all_skipped: a near name that means something else
    with pytest.raises(FlowIntegrityError, match=f"unknown trigger_rule '{rule}'; Airflow's "
                                                 f"{rule.lower()} is not one of oautom's; "
                                                 f'{nearest}use one of all_success,'):
        Scripted('a', flow, trigger_rule=rule)


@pytest.mark.parametrize('option, hint', [
    ('op_kwargs', r"a PythonExecution's function is called as function\(context\): give it "
                  r'more with functools.partial\(f, name=value\), or read context.params; '),
    ('provide_context', "a PythonExecution's function is called as function.*; "),
    ('start_date', r'a step has no schedule: app.plan\(\) starts its flow, from now on; '),
    ('depends_on_past', 'a vect knows nothing of the vects before it; '),
    ('pool', r'OAutom\(max_parallel=N\) bounds the steps that run at once, in every flow; ')])
def test_an_option_of_airflow_s_operators_is_told_what_to_write_here(flow, option, hint):
    with pytest.raises(FlowIntegrityError, match=f"unknown option '{option}'; {hint}"
                                                 'PythonExecution takes function'):
        PythonExecution('a', flow, lambda context: None, **{option: True})


@pytest.mark.parametrize('option, value, says', [
    ('schedule', '0 6 * * *', "a flow has no schedule of its own: app.plan('etl', cron='0 6 * * "
                              "*') starts it on one; "),
    ('schedule', '@daily', "a flow has no schedule of its own: app.plan('etl', cron='0 0 * * *')"
                           ' starts it on one; '),  # a preset is given as its five fields
    ('schedule_interval', timedelta(minutes=5), "a flow has no schedule of its own: app.plan("
                                                "'etl', seconds=300) starts it on one; "),
    ('schedule', None, "a flow runs when app.start('etl') is called; "),
    ('schedule', '@continuous', "a flow runs when app.start('etl') is called; "),
    ('schedule', ' @Daily', "a flow has no schedule of its own: app.plan('etl', cron='0 0 * * *"
                            "') starts it on one; "),
    ('schedule', 5, "a flow has no schedule of its own: app.plan('etl', cron='...' or hours=...)"
                    ' starts it on one; '),  # a number is no timedelta: no seconds to give
    ('catchup', False, 'a flow has no schedule of its own, and app.plan() takes none: a plan '
                       'fires from now on, and never catches up; '),
    ('default_args', {}, 'each step takes its own options (retries=, timeout=...); '),
    ('parms', {}, "did you mean 'params'? "),
    ('description', 'x', ''),
])
def test_an_unknown_flow_option_is_refused_with_where_it_is_here(option, value, says):
    with pytest.raises(FlowIntegrityError) as caught:
        Flow('etl', **{option: value})
    assert str(caught.value) == (f"flow 'etl': unknown option {option!r}; {says}a Flow takes a "
                                 'name, app= and params=')


def test_a_step_class_with_run_but_no_check_is_refused_when_a_step_is_made(flow):
    class Sensor(Execution):
        """Starts work, but the check() it needs was misnamed."""

        def run(self, context):
            self.started = True

        def poll(self):
            return True
    with pytest.raises(FlowIntegrityError) as refusal:
        Sensor('wait', flow)
    assert str(refusal.value) == (
        "step 'wait': Sensor defines run() but not check(), which the engine polls to learn "
        'when the work is done: define check(self), returning False while it runs and True '
        'once it is done')
    assert flow.executions == []  # refused before it joined the flow

    class Checks:  # pylint: disable=too-few-public-methods
        """A check() from a mixin counts."""

        def check(self):
            return True

    class MixedSensor(Checks, Sensor):
        """run() from Sensor, check() from the mixin."""
    assert MixedSensor('mixed', flow).check() is True


class Checks(Execution):  # pylint: disable=abstract-method
    """A sensor that forgot run()."""

    def check(self):
        return True


class Executes(Execution):
    """An Airflow operator's habit: execute() does it all."""

    def execute(self, context):
        return context


@pytest.mark.parametrize('kind, told', [
    (Execution, 'Execution defines neither run() nor check(): a step class defines '
                'run(context), which starts the work and returns, and check(), which says if '
                'it is done'),
    (Executes, "Executes defines neither run() nor check(): a step class defines run(context), "
               'which starts the work and returns, and check(), which says if it is done; '
               "Airflow's execute() does both at once, while the engine waits: split it"),
    (Checks, 'Checks defines check() but not run(), which the engine calls once to start the '
             'work: define run(self, context)'),
], ids=['the base itself', 'execute', 'check alone'])
def test_a_step_class_without_run_or_check_is_refused_when_a_step_is_made(flow, kind, told):
    # They used to be accepted, and failed only when the flow got that far
    with pytest.raises(FlowIntegrityError) as refusal:
        kind('bare', flow)
    assert str(refusal.value).startswith(f"step 'bare': {told}") and not flow.executions


def test_valid_flow_validates_to_itself(flow):
    a, b = Scripted('a', flow), Scripted('b', flow)
    a >> b
    assert flow.validate() is flow


def test_empty_flow_is_a_problem(flow):
    with pytest.raises(FlowIntegrityError, match="flow 'etl' is empty; add at least one step"):
        flow.validate()


def test_an_empty_flow_whose_step_forgot_execution_init_is_told_why(flow):
    Forgetful('forgot', flow, '/tmp/x')  # never joined the flow
    with pytest.raises(FlowIntegrityError, match=r"is empty; .*a step joins its flow in "
                                                 r"Execution.__init__, .*call: "
                                                 r"super\(\).__init__\(name, flow, \.\.\.\)\)$"):
        flow.validate()


@pytest.mark.parametrize('option, value, told', [
    ('retries', '2', "step 'b': retries must be a whole number (an int) 0 or more, not '2'"),
    ('retries', 2.0, "retries must be a whole number (an int) 0 or more, not 2.0"),
    ('timeout', timedelta(minutes=5), 'Airflow takes a timedelta: give 300'),
    ('trigger_rule', 'all_sucess', "unknown trigger_rule 'all_sucess'; did you mean "
                                   "'all_success'?"),
    ('poll_interval', 0, 'poll_interval must be a number of seconds above 0, not 0'),
    ('retry_delay', math.inf, 'retry_delay must be finite, not inf'),
])
def test_an_option_set_after_the_step_was_made_is_checked_before_a_run(option, value, told):
    # As in Airflow (`task.retries = 3`); a bad value used to fail every tick of the engine
    app = OAutom(mode=OAutomMode.step)
    flow = Flow('etl', app=app)
    Scripted('a', flow) >> Scripted('b', flow)
    setattr(flow.execution('b'), option, value)
    with pytest.raises(FlowIntegrityError, match=r'cannot run, 1 problem') as error:
        app.start('etl')
    assert told in str(error.value) and '(set after the step was made)' in str(error.value)
    setattr(flow.execution('b'), option, 3 if option == 'retries' else 'all_done'
            if option == 'trigger_rule' else 1)  # fixed: it runs
    vect = app.start('etl')
    while not vect.ended():
        app.tick()
    assert vect.state is VectState.success


def test_a_step_renamed_and_params_replaced_after_the_flow_was_built_are_problems(flow):
    a, b = Scripted('a', flow), Scripted('b', flow)
    a >> b
    a.name = 'z'  # its flow knows it as 'a'
    flow.params = None
    with pytest.raises(FlowIntegrityError) as error:
        flow.validate()
    assert str(error.value).splitlines()[1:] == [
        "  - flow 'etl': params must be a dict of names to default values, not NoneType",
        "  - step 'a' of flow 'etl' was renamed 'z': a step keeps the name it was made with (its "
        "flow knows it by that name); make a new step",
        "  - step 'b' depends on a step renamed since (above)"]


def test_a_copy_of_a_step_cannot_be_depended_on():
    flow = Flow('etl')
    a, b = Scripted('a', flow), Scripted('b', flow)
    with pytest.raises(FlowIntegrityError, match=r"step 'a' cannot depend on <Scripted 'b' of "
                                                 r"flow 'etl'>: it is not the step its flow knows "
                                                 r"by that name \(a copy of it, or renamed\): "
                                                 r"depend on flow.execution\('b'\)"):
        a.depends(copy.copy(b))  # its per-run copies are the engine's own
    assert not a.upstream


def test_a_refused_dependency_leaves_none_of_the_others_made():
    flow, other = Flow('etl'), Flow('other')
    a, b, c = Scripted('a', flow), Scripted('b', flow), Scripted('x', other)
    with pytest.raises(FlowIntegrityError, match='a dependency stays inside one flow'):
        a >> [b, c]
    with pytest.raises(FlowIntegrityError, match='cannot depend on itself'):
        b << [a, b]
    assert not b.upstream


def test_steps_may_come_in_any_iterable_but_not_by_name():
    flow = Flow('etl')
    a, b, c, d = (Scripted(name, flow) for name in 'abcd')
    a >> (step for step in (b, c))  # a generator
    d.depends(frozenset({b}), {'c': c}.values())
    assert b.upstream == c.upstream == [a] and set(d.upstream) == {b, c}
    with pytest.raises(FlowIntegrityError, match=r"not str 'a': give the step, "
                                                 r"flow.execution\('a'\)"):
        d.depends('a')


def test_a_flow_renamed_after_it_was_registered_is_neither_started_nor_planned():
    app = OAutom(mode=OAutomMode.step)
    flow = Flow('etl', app=app)
    Scripted('a', flow)
    flow.name = 'etl v2'  # its vects would have been kept as etl's, and named etl v2's
    told = "flow 'etl' was renamed 'etl v2' after it was registered: a flow keeps its name"
    with pytest.raises(FlowIntegrityError, match=told):
        app.start('etl')
    assert app.status('etl') == {}  # no vect was made
    with pytest.raises(FlowIntegrityError, match=told):  # it used to fail at every firing
        app.plan('etl', minutes=1)
    assert not app.plans()


def test_validate_lists_every_cycle_with_its_path(flow):
    a, b, c, d, e, f = (Scripted(name, flow) for name in 'abcdef')
    a >> b >> c >> a      # one loop
    d >> e >> d           # another, independent
    c >> f                # f is downstream of a loop, not in it
    with pytest.raises(FlowIntegrityError) as error:
        flow.validate()
    message = str(error.value)
    assert '2 problem(s)' in message
    assert 'cycle: a -> b -> c -> a' in message
    assert 'cycle: d -> e -> d' in message
    assert 'f ->' not in message


def test_one_cycle_per_strongly_connected_component(flow):
    a, b, c = (Scripted(name, flow) for name in 'abc')
    a >> b >> a
    b >> c >> a  # the same component: a, b and c reach each other
    with pytest.raises(FlowIntegrityError) as error:
        flow.validate()
    assert str(error.value).count('cycle:') == 1


def test_long_chain_validates_without_recursion():
    flow = Flow('long')
    steps = [PythonExecution(f's{i}', flow, function=lambda ctx: None) for i in range(10_000)]
    for upstream, downstream in zip(steps, steps[1:]):
        upstream >> downstream
    assert flow.validate() is flow
    steps[0].depends(steps[-1])
    with pytest.raises(FlowIntegrityError, match='cycle: s0 -> s1 -> s2'):
        flow.validate()


def test_repr_speaks(flow):
    Scripted('a', flow)
    assert repr(flow) == "<Flow 'etl': 1 step>"
    assert repr(flow.execution('a')) == "<Scripted 'a' of flow 'etl'>"


class ComparedByName(Scripted):
    """A step class that defines __eq__ (and so, by Python's rule, is not hashable)."""

    def __eq__(self, other):
        return isinstance(other, ComparedByName) and other.name == self.name


def test_steps_that_define_eq_are_validated_and_run_as_any_other():
    app = OAutom(mode=OAutomMode.step)
    flow = Flow('eq', app=app)
    first, second = ComparedByName('first', flow), ComparedByName('second', flow)
    first >> second
    vect = app.start('eq')
    for _ in range(5):
        app.tick()
    assert vect.state is VectState.success
    first.depends(second)
    with pytest.raises(FlowIntegrityError, match='cycle: first -> second -> first'):
        flow.validate()


def test_a_timedelta_given_for_seconds_is_refused_with_the_seconds_to_give():
    flow = Flow('etl')
    with pytest.raises(FlowIntegrityError, match=r"^step 'a': retry_delay must be a number of "
                                                 r'seconds 0 or more, not datetime.timedelta\('
                                                 r'seconds=300\); oautom takes numbers where '
                                                 r'Airflow takes a timedelta: give 300$'):
        Scripted('a', flow, retry_delay=timedelta(minutes=5))


def test_a_timedelta_given_for_retries_or_a_positive_option_gets_no_seconds_to_give():
    # retries counts attempts, not seconds; poll_interval=timedelta(0) would be refused as 0
    flow = Flow('etl')
    with pytest.raises(FlowIntegrityError) as caught:
        Scripted('a', flow, retries=timedelta(minutes=5))
    assert str(caught.value) == ("step 'a': retries must be a whole number (an int) 0 or more, "
                                 'not datetime.timedelta(seconds=300)')
    with pytest.raises(FlowIntegrityError) as caught:
        Scripted('a', flow, poll_interval=timedelta(0))
    assert str(caught.value).endswith('not datetime.timedelta(0)')


def test_a_flow_copied_shallowly_is_refused_and_deeply_runs_apart():
    app = OAutom(mode=OAutomMode.step)
    flow = Flow('etl')
    Scripted('a', flow)
    with pytest.raises(FlowIntegrityError, match=r"copy.copy\(\) of flow 'etl' would share its "
                                                 r"steps, .*copy.deepcopy\(flow\)"):
        copy.copy(flow)
    twin = copy.deepcopy(flow)
    twin.name = 'etl2'  # before it is registered: its name from then on
    Scripted('only_in_twin', twin)
    app.register_flow(flow)
    app.register_flow(twin)
    assert [step.name for step in flow.executions] == ['a']
    vect = app.start('etl2')
    while not vect.ended():
        app.tick()
    assert vect.state is VectState.success


@pytest.mark.parametrize('make, told', [
    (lambda: Flow('f', app=OAutom), 'app must be an OAutom, not the class OAutom itself: '
                                    'app=OAutom()'),
    (lambda: Scripted('s', Flow), "flow must be a Flow, not the class Flow itself: "
                                  "flow=Flow('name'), made beforehand"),
])
def test_a_class_given_for_its_object_is_told_to_make_one(make, told):
    with pytest.raises(FlowIntegrityError, match=re.escape(told)):
        make()


def test_a_name_too_long_is_shown_cut_short_with_its_length():
    with pytest.raises(FlowIntegrityError) as error:
        Flow('x' * 1_000_000)
    assert "(1000000 characters): use 1 to 100 characters" in str(error.value)
    assert len(str(error.value)) < 300
    for name in (10**5000, b'x' * 1_000_000):  # no text at all: 10**5000 has no repr, even
        with pytest.raises(FlowIntegrityError, match='a flow name must be a string') as error:
            Flow(name)
        assert len(str(error.value)) < 100


def test_an_option_equal_to_the_one_checked_but_of_a_refused_type_is_refused():
    app = OAutom(mode=OAutomMode.step)
    flow = Flow('etl', app=app)
    step = Scripted('a', flow, timeout=30, poll_interval=1)
    step.timeout, step.poll_interval = Decimal('30'), True  # == 30 and == 1, as checked
    with pytest.raises(FlowIntegrityError) as error:
        app.start('etl')
    assert "timeout must be a number of seconds above 0, not Decimal('30')" in str(error.value)
    assert 'poll_interval must be a number of seconds above 0, not True' in str(error.value)


def test_an_option_problem_hides_no_cycle():
    flow = Flow('etl')
    a, b = Scripted('a', flow), Scripted('b', flow)
    a >> b >> a
    a.retries = '2'
    with pytest.raises(FlowIntegrityError, match=r"2 problem\(s\):\n  - step 'a': retries .*\n"
                                                 r"  - cycle: a -> b -> a"):
        flow.validate()


def test_the_options_a_check_returns_are_a_table_that_no_later_check_changes(flow):
    # app.start() gives them to the new vect: a check in another thread (another app's start
    # of the same flow, say) that found a bad option made them None there, and the vect hung
    Scripted('a', flow, retries=1)
    table = flow.checked_options()
    flow.execution('a').retries = 'x'
    with pytest.raises(FlowIntegrityError, match="retries must be a whole number"):
        flow.validate()
    assert table['a'].retries == 1 and table == {'a': table['a']}


def test_a_place_problem_hides_no_cycle_either():
    flow = Flow('etl')
    a, b, c, d, e, g = (Scripted(name, flow) for name in 'abcdeg')
    a >> b >> c >> a
    d >> e >> g >> d
    e.name = 'E'  # a problem of its own, which used to hide both cycles
    e.retries = -1  # and its options were not looked at
    problems = flow.problems()
    assert problems[0].startswith("step 'E': retries must be")
    assert problems[1:] == [
        "step 'e' of flow 'etl' was renamed 'E': a step keeps the name it was made with (its "
        "flow knows it by that name); make a new step",
        "step 'g' depends on a step renamed since (above)",
        'cycle: a -> b -> c -> a; remove one of these dependencies',
        'cycle: d -> e -> g -> d; remove one of these dependencies']


def test_an_upstream_set_by_hand_to_what_is_no_step_is_a_problem_not_a_crash():
    flow = Flow('etl')
    a, b, c = Scripted('a', flow), Scripted('b', flow), Scripted('c', flow)
    b.upstream.append('a')  # a name, as a dependency
    c.upstream = a          # a step, not a list
    assert flow.problems() == [
        "step 'b' depends on 'a', which is not a step of flow 'etl': depend on the step itself, "
        "as flow.execution('a') returns it",
        "step 'c': its upstream is Scripted <Scripted 'a' of flow 'etl'>, not a list of steps: "
        'give it the steps it depends on with step.depends(...) or >>']
    b.upstream[:] = [42]
    assert flow.problems()[0] == ("step 'b' depends on 42, which is not a step of flow 'etl': "
                                  'depend on steps of this flow, with step.depends(...) or >>')
    b.upstream[:] = ['x']  # no step of this flow: flow.execution('x') would fail too
    assert flow.problems()[0].endswith(': depend on steps of this flow, with step.depends(...) '
                                       'or >>')
    b.upstream[:] = [object.__new__(Scripted)]  # a step never made: no flow, no name
    assert flow.problems()[0].endswith(': depend on steps of this flow, with step.depends(...) '
                                       'or >>')
    b.upstream[:] = [Scripted('x', Flow('other'))]  # (>> refuses it at once, in these words)
    assert flow.problems()[0] == ("step 'b' depends on <Scripted 'x' of flow 'other'>, which is "
                                  "not a step of flow 'etl': a dependency stays inside one flow")


def test_a_flow_renamed_to_a_bad_name_is_a_problem_of_its_own():
    flow = Flow('etl')
    Scripted('a', flow)
    flow.name = 'etl.v2'
    with pytest.raises(FlowIntegrityError, match=r"1 problem\(s\):\n  - bad flow name 'etl.v2'"):
        flow.validate()


def test_a_default_param_that_cannot_be_copied_is_refused_when_the_flow_is_made():
    with pytest.raises(FlowIntegrityError, match="param 'lock' of flow 'etl' cannot be copied "
                                                 r"\(TypeError: .*\), and each vect gets its own"):
        Flow('etl', params={'lock': threading.Lock()})


def test_a_default_param_that_cannot_be_copied_set_since_is_one_of_the_problems_listed():
    app = OAutom(mode=OAutomMode.step)
    flow = Flow('etl', app=app, params={'day': 'monday'})
    Scripted('a', flow).retries = -1
    flow.params['lock'] = threading.Lock()  # both set since: Flow() and Scripted() refuse them
    for check in (flow.validate, lambda: app.start('etl')):
        with pytest.raises(FlowIntegrityError) as caught:
            check()
        assert re.search(r"2 problem\(s\):\n  - param 'lock' of flow 'etl' cannot be copied .*\n"
                         r"  - step 'a': retries", str(caught.value))


def test_a_copy_of_a_step_cannot_depend_on_anything_either():
    flow = Flow('etl')
    a, b = Scripted('a', flow), Scripted('b', flow)
    twin = copy.copy(b)  # shares b's list of upstream steps: depending would change b
    told = (r"<Scripted 'b' of flow 'etl'> cannot depend on step 'a': it is not the step its "
            r"flow knows by that name \(a copy of it, or renamed\): flow.execution\('b'\) can")
    with pytest.raises(FlowIntegrityError, match=told):
        a >> twin
    with pytest.raises(FlowIntegrityError, match=told):
        twin.depends(a)
    assert not b.upstream


def test_steps_of_two_flows_of_one_name_are_told_apart_in_the_message():
    a, b = Scripted('a', Flow('etl')), Scripted('b', Flow('etl'))
    with pytest.raises(FlowIntegrityError, match=r"step 'a' of flow 'etl' \(another flow of that "
                                                 r"name\); a dependency stays inside one flow"):
        a >> b


def test_a_step_made_its_own_upstream_by_hand_is_a_cycle():
    flow = Flow('etl')
    a = Scripted('a', flow)
    a.upstream.append(a)  # depends() refuses this; a vect of it would wait for ever
    assert flow.problems() == ['cycle: a -> a; remove one of these dependencies']


def test_a_step_class_s_own_command_option_is_still_offered_for_a_typo():
    class Remote(Execution):
        def __init__(self, name, flow, command='ls', **options):
            super().__init__(name, flow, **options)
            self.command = command

        def run(self, context):
            """Nothing to start."""

        def check(self):
            return True

    with pytest.raises(FlowIntegrityError, match=r"unknown option 'comand'; did you mean "
                                                 r"'command'\?"):
        Remote('r', Flow('etl'), comand='ls -l')


def test_an_upstream_thing_whose_name_raises_is_a_problem_too():
    class Odd:  # pylint: disable=too-few-public-methods
        @property
        def name(self):
            raise RuntimeError('no name')

    flow = Flow('etl')
    Scripted('a', flow).upstream.append(Odd())
    (problem,) = flow.problems()
    assert problem.endswith('depend on steps of this flow, with step.depends(...) or >>')


def test_a_flow_used_as_airflow_s_dag_in_a_with_statement_says_what_to_write():
    with pytest.raises(FlowIntegrityError, match=r"flow 'etl' is not a context manager, unlike "
                                                 r"Airflow's DAG: oautom has no current flow"):
        with Flow('etl'):
            pass  # pragma: no cover (never reached)
