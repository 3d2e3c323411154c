"""Spec of oautom/params.py: a flow declares params with defaults; a vect may override some.

Values often arrive as text (command line, HTML form): text is converted to the
type of the default when that default is an int, a float or a bool. Anything
else is kept as given, copied: each vect has its own. Undeclared names and values that do not convert are
refused with InvalidParamsError (an OAutomError and a ValueError).
"""
import collections
import copy
import dataclasses
import json
import pickle
import threading
from types import MappingProxyType

import pytest

from oautom import Flow, InvalidParamsError, OAutomError
from oautom.errors import UnknownParamError
from oautom import params as params_module
from oautom.params import resolve_params


def etl():
    return Flow('etl', params={'day': '2026-01-01', 'limit': 10, 'ratio': 0.5, 'dry': False,
                               'note': None})


def test_no_params_gives_the_defaults():
    flow = etl()
    assert resolve_params(flow, None) == flow.params
    assert resolve_params(flow, {}) == flow.params


def test_the_result_is_a_copy_and_the_flow_defaults_never_change():
    flow = etl()
    values = resolve_params(flow, {'limit': '20'})
    values['day'] = 'changed'
    assert flow.params['limit'] == 10 and flow.params['day'] == '2026-01-01'


def test_given_values_override_only_their_own_defaults():
    values = resolve_params(etl(), {'day': '2026-02-02'})
    assert values == {'day': '2026-02-02', 'limit': 10, 'ratio': 0.5, 'dry': False,
                      'note': None}


@pytest.mark.parametrize('text, expected', [('20', 20), (' 20 ', 20), ('-3', -3)])
def test_text_for_an_int_default_becomes_an_int(text, expected):
    value = resolve_params(etl(), {'limit': text})['limit']
    assert value == expected and type(value) is int


@pytest.mark.parametrize('text, expected', [('0.25', 0.25), (' 2 ', 2.0), ('1e3', 1000.0)])
def test_text_for_a_float_default_becomes_a_float(text, expected):
    value = resolve_params(etl(), {'ratio': text})['ratio']
    assert value == expected and type(value) is float


@pytest.mark.parametrize('text, expected', [
    ('true', True), ('TRUE', True), (' Yes ', True), ('1', True), ('yEs', True),
    ('false', False), ('False', False), (' no ', False), ('0', False), ('NO', False),
])
def test_text_for_a_bool_default_becomes_a_bool(text, expected):
    flow = Flow('etl', params={'dry': not expected})  # the default never leaks through
    assert resolve_params(flow, {'dry': text})['dry'] is expected


@pytest.mark.parametrize('name, value', [
    ('limit', 7), ('ratio', 3), ('dry', False), ('day', 20260101), ('note', [1, 2]),
])
def test_values_that_are_not_text_and_fit_are_kept(name, value):
    assert resolve_params(etl(), {name: value})[name] == value


@pytest.mark.parametrize('name', ['day', 'note'])
def test_text_stays_text_when_the_default_is_not_int_float_or_bool(name):
    assert resolve_params(etl(), {name: ' 42 '})[name] == ' 42 '


def test_an_undeclared_param_of_a_huge_name_is_shown_cut_short():
    with pytest.raises(InvalidParamsError) as caught:
        resolve_params(etl(), {'x' * 100_000: 1})  # the message used to hold it twice: 200 KB
    assert len(str(caught.value)) < 500 and '(100000 characters)' in str(caught.value)


def test_any_mapping_is_accepted():
    assert resolve_params(etl(), MappingProxyType({'limit': '3'}))['limit'] == 3


def test_an_undeclared_param_is_refused_listing_the_declared_ones():
    with pytest.raises(InvalidParamsError) as caught:
        resolve_params(etl(), {'limt': '3'})
    assert str(caught.value) == ("flow 'etl' has no param 'limt'; did you mean 'limit'? its "
                                 'declared params are: day, limit, ratio, dry, note')
    with pytest.raises(InvalidParamsError) as caught:  # far from any: maybe it is missing
        resolve_params(etl(), {'region': 'eu'})
    assert str(caught.value) == ("flow 'etl' has no param 'region'; its declared params are: "
                                 'day, limit, ratio, dry, note (declare it with Flow(..., '
                                 "params={'region': default}))")
    with pytest.raises(InvalidParamsError) as caught:  # no flow could declare it: no such advice
        resolve_params(etl(), {1: 'x'})
    assert str(caught.value) == "flow 'etl': param names are text, not int 1: write '1'"


def test_a_param_a_step_reads_and_the_vect_lacks_is_named_with_the_ones_it_has():
    params = resolve_params(etl(), {'limit': '3'})  # what context.params is
    assert isinstance(params, dict) and json.loads(json.dumps(params))['limit'] == 3
    assert params.get('limt') is None and 'limt' not in params  # as any dict
    for params in (params, copy.deepcopy(params), type(params)(params)):
        with pytest.raises(UnknownParamError) as caught:
            params['limt']  # pylint: disable=pointless-statement
        assert str(caught.value) == ("this vect has no param 'limt'; did you mean 'limit'? "
                                     'its params are: day, limit, ratio, dry, note')
        assert caught.value.args == ('limt',)  # as in any KeyError: the name not found
        assert isinstance(caught.value, KeyError) and isinstance(caught.value, OAutomError)
    with pytest.raises(UnknownParamError, match=r"^this vect has no param 'x'; its params "
                                                r"are: none \(declare it with Flow\(\.\.\., "
                                                r"params=\{'x': default\}\)\)$"):
        resolve_params(Flow('bare'), None)['x']  # pylint: disable=expression-not-assigned


def test_a_missing_param_error_is_copied_and_pickled_whole():
    # A step's process pool sends its child's exception back pickled
    try:
        resolve_params(etl(), None)['limt']  # pylint: disable=expression-not-assigned
    except UnknownParamError as error:
        error.add_note('while reading the day')
        for again in (copy.copy(error), pickle.loads(pickle.dumps(error))):
            assert type(again) is UnknownParamError and again.args == ('limt',)
            assert str(again) == str(error) and 'did you mean' in str(again)
            assert again.__notes__ == ['while reading the day']


def test_params_are_rebuilt_by_their_type_as_any_dict_is():
    @dataclasses.dataclass
    class Job:
        """A dataclass holding params: asdict() rebuilds each dict by its type."""
        params: dict
    params = resolve_params(etl(), None)
    assert dataclasses.asdict(Job(params))['params'] == params
    assert type(params).fromkeys(['a']) == {'a': None}


def test_a_missing_param_caught_to_fall_back_on_a_default_costs_no_suggestion(monkeypatch):
    params = resolve_params(etl(), None)
    monkeypatch.setattr(params_module, 'did_you_mean', lambda *_: pytest.fail('message made'))
    assert collections.ChainMap(params, {'region': 'eu'})['region'] == 'eu'
    with pytest.raises(KeyError):
        params['region']  # pylint: disable=pointless-statement


def test_an_undeclared_param_of_a_flow_without_params_says_none_are_declared():
    with pytest.raises(InvalidParamsError, match='none'):
        resolve_params(Flow('bare'), {'x': 1})


@pytest.mark.parametrize('name, text, wanted', [
    ('limit', 'ten', 'a whole number'), ('limit', '2.5', 'a whole number'),
    ('limit', '', 'a whole number'), ('ratio', 'half', 'a finite number'),
    ('dry', 'maybe', 'true/1/yes/false/0/no'), ('dry', 'on', 'true/1/yes/false/0/no'),
])
def test_text_that_does_not_convert_is_refused_saying_what_is_wanted(name, text, wanted):
    with pytest.raises(InvalidParamsError) as caught:
        resolve_params(etl(), {name: text})
    message = str(caught.value)
    assert f"'{name}'" in message and "'etl'" in message and repr(text) in message
    assert wanted in message


def test_invalid_params_error_is_an_oautom_error_and_a_value_error():
    with pytest.raises(InvalidParamsError) as caught:
        resolve_params(etl(), {'limit': 'ten'})
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, OAutomError)


@pytest.mark.parametrize('given', [[('limit', 3)], 'limit=3', 3])
def test_params_that_are_not_a_mapping_are_refused(given):
    with pytest.raises(InvalidParamsError, match='mapping'):
        resolve_params(etl(), given)


@pytest.mark.parametrize('text', ['nan', 'inf', '-Infinity'])
def test_a_float_param_refuses_non_finite_numbers(text):
    flow = Flow('etl', params={'ratio': 0.5})
    with pytest.raises(InvalidParamsError, match='finite number'):
        resolve_params(flow, {'ratio': text})


def test_a_vect_gets_its_own_copy_of_what_it_was_given():
    given = {'tags': ['a']}
    values = resolve_params(Flow('etl', params={'tags': []}), given)
    values['tags'].append('b')
    assert given == {'tags': ['a']}


def test_a_vect_gets_its_own_copy_of_mutable_defaults():
    flow = Flow('etl', params={'tags': ['a']})
    values = resolve_params(flow, None)
    values['tags'].append('b')
    assert flow.params == {'tags': ['a']}


@pytest.mark.parametrize('name, value', [('limit', [1, 2]), ('limit', None), ('limit', 2.7),
                                         ('limit', True), ('dry', 5), ('ratio', float('inf')),
                                         ('ratio', 'x' and object())])
def test_a_non_text_value_of_the_wrong_type_is_refused(name, value):
    with pytest.raises(InvalidParamsError, match=f"param '{name}'"):
        resolve_params(etl(), {name: value})


def test_a_refused_value_is_shown_short():
    with pytest.raises(InvalidParamsError, match=r"not int 1000000.*\.\.\..*0000$"):
        resolve_params(etl(), {'ratio': 10 ** 400})  # and no OverflowError on the way
    with pytest.raises(InvalidParamsError, match='not int <int of 16610 bits>$'):
        resolve_params(etl(), {'ratio': 10 ** 5000})  # too long even for repr()


def test_a_value_that_cannot_be_copied_is_refused_saying_what_to_pass_instead():
    flow = Flow('etl', params={'sink': None})
    with pytest.raises(InvalidParamsError, match="param 'sink' of flow 'etl' cannot be copied "
                                                 r"\(TypeError: cannot pickle '_thread.lock' "
                                                 r"object\), .* pass plain data"):
        resolve_params(flow, {'sink': [threading.Lock()]})
    with pytest.raises(InvalidParamsError, match="param 'ratio' .* not list <list too long"):
        resolve_params(etl(), {'ratio': [10 ** 5000]})


@pytest.mark.parametrize('name, value, wanted', [('limit', 3.7, 'takes an int like its default 10'),
                                                 ('ratio', [], 'takes a finite float'),
                                                 ('dry', 1, 'takes a bool like its default False')])
def test_a_value_of_the_wrong_type_is_told_what_the_param_takes(name, value, wanted):
    with pytest.raises(InvalidParamsError, match=wanted):
        resolve_params(etl(), {name: value})


@pytest.mark.parametrize('name, value', [('limit', 7), ('ratio', 2), ('ratio', 0.25),
                                         ('dry', True), ('note', [1]), ('day', 20260101)])
def test_a_non_text_value_of_a_fitting_type_is_kept(name, value):
    assert resolve_params(etl(), {name: value})[name] == value
