"""An app's flows, by name: registered once, then found by name, with help for a slip."""
import copy
import re

import pytest

from helpers import Scripted, tick_until_ended
from oautom import Flow, FlowIntegrityError, OAutom, OAutomMode, UnknownFlowError, VectState
from oautom.clock import FakeClock


def step_app():
    """An app that only moves on app.tick(), on a clock that only moves on advance()."""
    clock = FakeClock()
    return OAutom(mode=OAutomMode.step, clock=clock), clock


def one_step_flow(app, name='etl'):
    """A flow with one Scripted step 'a', done at its first check."""
    flow = Flow(name, app=app)
    Scripted('a', flow)
    return flow


def test_flow_with_app_registers_it_and_flow_returns_it():
    app, _ = step_app()
    flow = Flow('etl', app=app)
    other = app.register_flow(Flow('other'))
    assert app.flows() == ['etl', 'other']
    assert repr(app._flows) == "<Flows: 'etl', 'other'>"  # pylint: disable=protected-access
    assert app.flow('etl') is flow and app.flow('other') is other


def test_a_second_flow_of_the_same_name_in_one_app_is_refused():
    app, _ = step_app()
    Flow('etl', app=app)
    with pytest.raises(FlowIntegrityError, match=r"already has a flow named 'etl'; give each flow "
                                                 r"its own name \(a notebook cell run again\? "
                                                 r"stop the app and make another: app.stop\(\); "
                                                 r"app = OAutom\(\)\)"):
        Flow('etl', app=app)
    with pytest.raises(FlowIntegrityError, match="'etl'"):
        app.register_flow(Flow('etl'))


def test_a_flow_registered_again_in_the_same_app_is_returned_and_changes_nothing():
    app, _ = step_app()
    flow = Flow('etl', app=app)
    assert app.register_flow(flow) is flow
    assert app.flows() == ['etl'] and app.flow('etl') is flow


def test_one_flow_registered_in_two_apps_runs_in_both():
    first, _ = step_app()
    second, _ = step_app()
    flow = one_step_flow(first)
    second.register_flow(flow)
    vects = [first.start('etl'), second.start('etl')]
    tick_until_ended(first, vects[0])
    tick_until_ended(second, vects[1])
    assert [vect.state for vect in vects] == [VectState.success, VectState.success]
    assert [vect.id for vect in vects] == ['etl.1', 'etl.1']


def test_an_unknown_flow_raises_a_readable_unknown_flow_error_that_is_a_key_error():
    app, _ = step_app()
    Flow('etl', app=app)
    Flow('other', app=app)
    for call in (lambda: app.flow('nope'), lambda: app.start('nope'),
                 lambda: app.status('nope')):
        with pytest.raises(UnknownFlowError) as caught:
            call()
        assert isinstance(caught.value, KeyError)
        assert str(caught.value) == ("unknown flow 'nope'; the registered flows are: etl, other "
                                     '(a Flow made without app= joins with app.register_flow(flow))')


def test_an_unknown_flow_close_to_a_known_one_suggests_it():
    app, _ = step_app()
    Flow('daily etl', app=app)
    Flow('report', app=app)
    with pytest.raises(UnknownFlowError, match="^unknown flow 'daily_etl'; did you mean "
                                               "'daily etl'[?] the registered flows are: "
                                               r'daily etl, report \(a Flow made without app='):
        app.start('daily_etl')
    with pytest.raises(UnknownFlowError, match="unknown flow 'REPORT'; did you mean 'report'"):
        app.start('REPORT')


def test_a_name_whose_str_raises_is_still_an_unknown_flow():
    class Odd:
        """Its str() raises; its repr() does not."""

        def __str__(self):
            raise RuntimeError('no str')

        def __repr__(self):
            return '<Odd>'
    app, _ = step_app()
    Flow('etl', app=app)
    with pytest.raises(UnknownFlowError, match='unknown flow <Odd>; the registered flows'):
        app.start(Odd())


def test_a_flow_name_that_is_no_text_is_an_unknown_flow_too():
    app, _ = step_app()
    Flow('etl', app=app)
    for call in (app.flow, app.start, app.status, lambda name: app.plan(name, seconds=5)):
        with pytest.raises(UnknownFlowError, match=r"unknown flow \['etl'\]; the registered "
                                                   'flows are: etl'):
            call(['etl'])  # unhashable: a plain dict lookup would raise TypeError


def test_a_flow_object_given_for_its_name_is_refused_with_the_name_to_give():
    app, _ = step_app()
    flow = one_step_flow(app)
    for call in (app.flow, app.start, app.status, lambda name: app.plan(name, seconds=5)):
        with pytest.raises(UnknownFlowError, match=r"^unknown flow <Flow 'etl': 1 step>: give "
                                                   r"the flow's name, 'etl', not the Flow object$"):
            call(flow)


def test_register_flow_takes_a_flow_and_says_so():
    app, _ = step_app()
    with pytest.raises(FlowIntegrityError, match="app.register_flow takes a Flow, not str 'etl'"):
        app.register_flow('etl')


def test_an_unknown_flow_in_an_empty_app_says_there_are_none():
    app, _ = step_app()
    with pytest.raises(UnknownFlowError, match='none yet'):
        app.flow('etl')
    assert repr(app._flows) == '<Flows: none>'  # pylint: disable=protected-access


@pytest.mark.parametrize('new_name, told', [
    ('etl.v2/x', "bad flow name 'etl.v2/x'"),  # a dot would split its vect ids: etl.v2/x.1
    (12, 'a flow name must be a string, not int 12')])
def test_a_flow_renamed_to_a_bad_name_is_refused_when_registered(new_name, told):
    app, _ = step_app()
    flow = copy.deepcopy(one_step_flow(OAutom(mode=OAutomMode.step)))  # as copy.copy advises
    flow.name = new_name
    with pytest.raises(FlowIntegrityError, match=re.escape(told)):
        app.register_flow(flow)
    assert app.flows() == []
    with pytest.raises(UnknownFlowError, match='none yet'):  # and lookups still speak
        app.start('etl')


def test_flows_are_listed_in_the_order_they_joined():
    app, _ = step_app()
    Flow('zeta', app=app)
    Flow('alpha', app=app)
    assert app.flows() == ['zeta', 'alpha']
