"""What a step sees: ancestry by bit sets, outputs as a read-only view, log and wake."""
import collections
import copy
import json
import pickle
from types import SimpleNamespace

import pytest

from oautom import Flow, context
from oautom.ancestry import Ancestry, link_runs
from oautom.context import AncestorOutputs, Context
from oautom.due import Agenda
from oautom.errors import OAutomError, UnknownExecutionError, UnknownOutputError
from oautom.states import STATES
from helpers import Scripted


def diamond():
    """a -> b, a -> c, b -> d, c -> d, and e apart."""
    flow = Flow('f')
    a, b, c, d, _ = (Scripted(name, flow) for name in 'abcde')
    a >> [b, c] >> d
    runs = link_runs(flow.executions, flow.checked_options())
    return {run.name: run for run in runs}, Ancestry(runs)


def test_a_context_read_as_airflow_s_dict_says_where_its_parts_are():
    runs, ancestry = diamond()
    context = Context(runs['d'], params={}, vect_id='f.1', agenda=None, ancestry=ancestry)
    with pytest.raises(TypeError, match=r"context\['ti'\]: the context is not a dict, as "
                                        r"Airflow's is; read context.params\['name'\], "
                                        r"context.outputs\['step'\]\['name'\] \(what Airflow's "
                                        'xcom_pull reads'):
        context['ti']  # pylint: disable=pointless-statement
    with pytest.raises(TypeError, match="argument of type 'Context' is not"):  # no context[0]
        'ti' in context  # pylint: disable=pointless-statement


def test_the_outputs_view_lists_the_ancestors_by_name_not_in_definition_order():
    flow = Flow('f')
    zeta, alpha, last = (Scripted(name, flow) for name in ('zeta', 'alpha', 'last'))
    [zeta, alpha] >> last
    runs = link_runs(flow.executions, flow.checked_options())
    view = AncestorOutputs(runs[2], Ancestry(runs))
    assert list(view) == ['alpha', 'zeta']
    with pytest.raises(UnknownExecutionError, match='its ancestors are: alpha, zeta'):
        view['nope']  # pylint: disable=pointless-statement


def test_ancestors_follow_every_path_and_only_upstream():
    runs, ancestry = diamond()
    assert sorted(ancestry.names_upstream_of(runs['d'])) == ['a', 'b', 'c']
    assert ancestry.is_upstream(runs['a'], runs['d'])
    assert not ancestry.is_upstream(runs['d'], runs['a'])
    assert not ancestry.is_upstream(runs['e'], runs['d'])
    assert ancestry.names_upstream_of(runs['a']) == []


class CountedList(list):
    """An upstream list that counts how often it is walked through."""
    walks = 0

    def __iter__(self):
        CountedList.walks += 1
        return super().__iter__()


def test_each_step_s_ancestors_are_worked_out_once_however_many_paths_lead_to_it():
    flow = Flow('dense')
    steps = [Scripted(f's{i}', flow) for i in range(60)]
    for i, step in enumerate(steps):
        step.depends(steps[:i])  # each step depends on every step before it
    runs = link_runs(flow.executions, flow.checked_options())
    for run in runs:
        run.upstream = CountedList(run.upstream)
    CountedList.walks = 0
    assert len(Ancestry(runs).names_upstream_of(runs[-1])) == 59
    assert CountedList.walks <= 3 * len(runs)  # it was once for each time a step was pushed


def test_a_long_chain_is_walked_without_recursion():
    flow = Flow('long')
    steps = [Scripted(f's{i}', flow) for i in range(5000)]
    for upstream, downstream in zip(steps, steps[1:]):
        upstream >> downstream
    runs = link_runs(flow.executions, flow.checked_options())
    ancestry = Ancestry(runs)
    assert ancestry.is_upstream(runs[0], runs[-1])
    assert len(ancestry.names_upstream_of(runs[-1])) == 4999


def test_the_outputs_view_answers_in_and_get_without_building_an_error(monkeypatch):
    runs, ancestry = diamond()
    runs['a'].outputs = {'rows': 3}
    view = AncestorOutputs(runs['d'], ancestry)
    monkeypatch.setattr(context, 'did_you_mean', lambda *_: pytest.fail('an error was built'))
    assert 'a' in view and 'e' not in view and 'zz' not in view and ['a'] not in view
    assert view.get('a') == {'rows': 3} and view.get('e') is None and view.get('zz', 0) == 0


def test_outputs_view_reads_ancestors_outputs_and_refuses_others():
    runs, ancestry = diamond()
    runs['a'].outputs = {'rows': 3}
    view = AncestorOutputs(runs['d'], ancestry)
    assert view['a'] == {'rows': 3} and sorted(view) == ['a', 'b', 'c'] and len(view) == 3
    with pytest.raises(UnknownExecutionError, match="'e' is not upstream of 'd'"):
        view['e']  # pylint: disable=pointless-statement
    with pytest.raises(UnknownExecutionError, match="^this flow has no step 'zz'; step 'd' reads "
                                                    "its ancestors' outputs, and its ancestors "
                                                    "are: a, b, c$"):
        view['zz']  # pylint: disable=pointless-statement
    with pytest.raises(UnknownExecutionError, match="^this flow has no step 'A'; did you mean "
                                                    "'a'[?] step 'd' reads"):
        view['A']  # pylint: disable=pointless-statement
    with pytest.raises(UnknownExecutionError, match="; give the step's name, 'a', not the step; "
                                                    "step 'd' reads"):
        view[runs['a'].step]  # pylint: disable=pointless-statement
    with pytest.raises(UnknownExecutionError, match="'b' is not upstream of 'a', so its outputs "
                                                    "are not visible there; it has no upstream "
                                                    r"steps \(to read them, make 'b' upstream of "
                                                    r"'a'\)$"):
        AncestorOutputs(runs['a'], ancestry)['b']  # pylint: disable=pointless-statement
    with pytest.raises(TypeError):
        view['a']['rows'] = 4


def test_an_ancestors_outputs_are_read_only_and_a_missing_name_lists_the_published_ones():
    runs, ancestry = diamond()
    runs['a'].state, runs['a'].outputs = STATES.success, {'rows': 3, 'file': '/tmp/x'}
    outputs = AncestorOutputs(runs['d'], ancestry)['a']
    assert outputs == {'rows': 3, 'file': '/tmp/x'} and list(outputs) == ['rows', 'file']
    assert 'rows' in outputs and 'row' not in outputs and outputs.get('row', 0) == 0
    assert repr(outputs) == "<outputs of step 'a': {'rows': 3, 'file': '/tmp/x'}>"
    with pytest.raises(TypeError):
        outputs['rows'] = 4
    with pytest.raises(UnknownOutputError) as caught:
        outputs['row']  # pylint: disable=pointless-statement
    assert str(caught.value) == ("step 'a' has no output 'row'; did you mean 'rows'? it "
                                 'published: rows, file')
    assert caught.value.args == ('row',)  # as in any KeyError: the name not found
    assert isinstance(caught.value, KeyError) and isinstance(caught.value, OAutomError)


def test_an_ancestors_outputs_read_as_the_dict_the_step_filled():
    runs, ancestry = diamond()
    published = {'rows': 3, 'file': '/tmp/x'}
    runs['a'].state, runs['a'].outputs = STATES.success, published
    outputs = AncestorOutputs(runs['d'], ancestry)['a']
    assert str(outputs) == f'{outputs}' == str(published)
    assert outputs.copy() == published and outputs.copy() is not published
    assert outputs | {'more': 1} == {'rows': 3, 'file': '/tmp/x', 'more': 1}
    assert {'rows': 0, 'more': 1} | outputs == {'rows': 3, 'more': 1, 'file': '/tmp/x'}
    assert list(reversed(outputs)) == ['file', 'rows'] and dict(outputs) == published


def test_an_ancestors_outputs_are_as_they_were_when_read():
    # Under one_success, a step may start while another upstream step still runs: it reads
    # that step's outputs again once it has published them
    runs, ancestry = diamond()
    runs['b'].state = STATES.running
    early = AncestorOutputs(runs['d'], ancestry)['b']
    runs['b'].state, runs['b'].outputs = STATES.success, {'rows': 3}
    assert early == {} and AncestorOutputs(runs['d'], ancestry)['b'] == {'rows': 3}
    with pytest.raises(UnknownOutputError, match="has no output 'rows': it is running"):
        early['rows']  # pylint: disable=pointless-statement


def test_the_outputs_of_an_ended_ancestor_are_copied_once_and_shared_by_every_read():
    # Else a loop over the names of a step's outputs would copy them all at each name
    runs, ancestry = diamond()
    runs['a'].state, runs['a'].outputs = STATES.success, {'rows': 3}
    first = AncestorOutputs(runs['d'], ancestry)['a']
    assert AncestorOutputs(runs['b'], ancestry)['a'] is first
    ancestry.forget()  # the vect has ended: its tables go, and are no longer kept
    again = AncestorOutputs(runs['d'], ancestry)['a']  # a step's thread that runs on
    assert again is not first and again == first
    assert AncestorOutputs(runs['d'], ancestry)['a'] is not again
    assert ancestry._bits == {} and ancestry._outputs == {}  # pylint: disable=protected-access


def test_an_ancestors_outputs_are_a_dict_for_json_copies_and_pickles():
    runs, ancestry = diamond()
    runs['a'].state, runs['a'].outputs = STATES.success, {'rows': [1, 2], 'file': '/tmp/x'}
    outputs = AncestorOutputs(runs['d'], ancestry)['a']
    assert isinstance(outputs, dict) and json.loads(json.dumps(outputs)) == outputs
    for copied in (copy.copy(outputs), copy.deepcopy(outputs),
                   pickle.loads(pickle.dumps(outputs))):
        assert type(copied) is dict and copied == outputs  # pylint: disable=unidiomatic-typecheck
    copy.deepcopy(outputs)['rows'].append(3)
    assert runs['a'].outputs['rows'] == [1, 2]


@pytest.mark.parametrize('change', [
    lambda outputs: outputs.__setitem__('rows', 0), lambda outputs: outputs.pop('rows'),
    lambda outputs: outputs.update(rows=0), lambda outputs: outputs.setdefault('new', 0),
    lambda outputs: outputs.clear(), lambda outputs: outputs.__delitem__('rows'),
    lambda outputs: outputs.popitem(), lambda outputs: outputs.__ior__({'rows': 0})])
def test_an_ancestors_outputs_cannot_be_changed_and_say_how_to_change_a_copy(change):
    runs, ancestry = diamond()
    runs['a'].state, runs['a'].outputs = STATES.success, {'rows': 3}
    outputs = AncestorOutputs(runs['d'], ancestry)['a']
    with pytest.raises(TypeError) as refusal:
        change(outputs)
    assert str(refusal.value) == ("the outputs of step 'a' are read-only here; to change them, "
                                  "change a copy: dict(context.outputs['a'])")
    assert outputs == runs['a'].outputs == {'rows': 3}


@pytest.mark.parametrize('published, asked, meant', [
    (['rows', 'ROWS'], 'row', 'rows'), (['ROWS', 'rows'], 'row', 'rows'),
    (['rows', 'ROWS'], 'ROW', 'ROWS'), (['etl'], 'ETL', 'etl')])
def test_a_missing_output_suggests_the_name_closest_as_written(published, asked, meant):
    runs, ancestry = diamond()
    runs['a'].state, runs['a'].outputs = STATES.success, dict.fromkeys(published, '1')
    with pytest.raises(UnknownOutputError, match=f"did you mean '{meant}'"):
        AncestorOutputs(runs['d'], ancestry)['a'][asked]  # pylint: disable=expression-not-assigned


def test_reading_an_ancestors_defaultdict_outputs_adds_no_key_to_them():
    runs, ancestry = diamond()
    published = collections.defaultdict(list, rows=[1])
    runs['a'].state, runs['a'].outputs = STATES.success, published
    with pytest.raises(UnknownOutputError, match="has no output 'row'; did you mean 'rows'"):
        AncestorOutputs(runs['d'], ancestry)['a']['row']  # pylint: disable=expression-not-assigned
    assert dict(published) == {'rows': [1]}


def test_the_outputs_of_an_ancestor_that_published_none_show_as_an_empty_dict():
    runs, ancestry = diamond()  # 'a' published nothing: its outputs are the shared empty ones
    assert repr(AncestorOutputs(runs['d'], ancestry)['a']) == "<outputs of step 'a': {}>"
    assert repr(ancestry) == '<Ancestry of 5 steps: the ancestors of 4 known>'  # d, a, b, c
    assert repr(AncestorOutputs(runs['d'], ancestry)) == \
        "<outputs of the ancestors of step 'd': a, b, c>"
    assert repr(AncestorOutputs(runs['a'], ancestry)) == \
        "<outputs of the ancestors of step 'a': none>"
    alone = Ancestry(runs['a'].downstream[:1])
    assert repr(alone) == '<Ancestry of 1 step: the ancestors of 0 known>'


def test_a_missing_output_caught_to_fall_back_on_a_default_costs_no_suggestion(monkeypatch):
    runs, ancestry = diamond()
    runs['a'].state, runs['a'].outputs = STATES.success, {'rows': 3}
    outputs = AncestorOutputs(runs['d'], ancestry)['a']
    monkeypatch.setattr(context, 'did_you_mean', lambda *_: pytest.fail('message made'))
    assert collections.ChainMap(outputs, {'file': '-'})['file'] == '-'


def test_a_missing_output_says_when_the_ancestor_published_none_or_did_not_succeed():
    runs, ancestry = diamond()
    runs['a'].state = STATES.success
    runs['b'].state = STATES.skipped
    view = AncestorOutputs(runs['d'], ancestry)
    with pytest.raises(UnknownOutputError, match="^step 'a' has no output 'rows'; it published "
                                                 r'none \(a step publishes by filling '
                                                 r'self.outputs: .*\$OAUTOM_OUTPUT'):
        view['a']['rows']  # pylint: disable=pointless-statement
    with pytest.raises(UnknownOutputError, match="^step 'b' has no output 'rows': it is "
                                                 'skipped, and only a step that succeeds'):
        view['b']['rows']  # pylint: disable=pointless-statement


def test_context_log_writes_to_the_step_log_and_wake_marks_the_step_due():
    runs, ancestry = diamond()
    runs['d'].attempts, runs['d'].state = 2, STATES.running
    agenda = Agenda(ring=lambda: None)
    context = Context(runs['d'], params={'day': 1}, vect_id='f.1', agenda=agenda,
                      ancestry=ancestry)
    context.log('hello')
    context.wake()
    runs['d'].state = STATES.failed  # timed out, say: its thread runs on
    context.log('too late')
    assert runs['d'].log_text() == 'hello\n[from attempt 2, after it ended] too late\n'
    assert agenda.pop_due(0.0) == [runs['d']]
    assert (context.params, context.attempt, sorted(context.outputs)) == \
        ({'day': 1}, 2, ['a', 'b', 'c'])
    assert repr(context) == '<Context f.1 attempt 2>'


def test_a_step_thread_asking_while_its_vect_forgets_the_ancestor_table_gets_its_answer():
    iterations = []

    class ForgettingOnThirdLook(list):  # the table is dropped midway through a question
        def __iter__(self):
            iterations.append(True)
            if len(iterations) == 3:
                ancestry.forget()
            return super().__iter__()

    runs = [SimpleNamespace(index=i, name=f's{i}', upstream=[]) for i in range(3)]
    runs[1].upstream = [runs[0]]
    runs[2].upstream = ForgettingOnThirdLook([runs[1]])
    ancestry = Ancestry(runs)
    assert ancestry.is_upstream(runs[0], runs[2]) and len(iterations) >= 3


@pytest.mark.parametrize('make_a_copy', [copy.deepcopy, copy.copy,
                                         lambda outputs: pickle.loads(pickle.dumps(outputs))],
                         ids=['deepcopy', 'copy', 'pickle'])
def test_the_ancestors_outputs_copy_and_pickle_as_plain_dicts(make_a_copy):
    # A deepcopy walked the whole vect, and failed on what it could not copy
    runs, ancestry = diamond()
    runs['a'].outputs, runs['a'].state = {'rows': 3}, STATES.success
    made = make_a_copy(AncestorOutputs(runs['d'], ancestry))
    assert made == {'a': {'rows': 3}, 'b': {}, 'c': {}} and type(made) is dict
    assert all(type(outputs) is dict for outputs in made.values())
