"""What status dicts show of what steps published: JSON always, whatever the values."""
import json
import sys
import weakref
from unittest import mock

from oautom.report import MAX_DEPTH, jsonable


class Unshowable:
    def __repr__(self):
        raise RuntimeError('no')

    def __str__(self):
        raise RuntimeError('no')


def test_plain_values_stay_and_containers_are_converted_inside_out():
    assert jsonable({'a': [1, 2.5, None, True], 3: ('x',), 'nan': float('nan')}) == \
        {'a': [1, 2.5, None, True], '3': ['x'], 'nan': 'nan'}


def test_keys_that_show_alike_are_all_kept_the_later_ones_numbered_with_their_type():
    assert jsonable({'1': 'text', 1: 'int', None: 'none', 'None': 'text'}) == {
        '1': 'text', '1 (int 2)': 'int', 'None': 'none', 'None (str 2)': 'text'}
    many = jsonable({float('nan'): number for number in range(3000)})  # no two nan are equal
    assert len(many) == 3000 and many['nan (float 3000)'] == 2999  # in linear time


def test_a_container_inside_itself_is_shown_once_then_as_an_ellipsis():
    looped = {'a': 1}
    looped['me'] = looped
    listed = [1]
    listed.append(listed)
    assert jsonable(looped) == {'a': 1, 'me': '...'}
    assert jsonable(listed) == [1, '...']
    shared = [0]
    assert jsonable({'x': shared, 'y': shared}) == {'x': [0], 'y': [0]}  # twice is no loop


def test_a_value_too_deep_is_cut_and_what_cannot_show_itself_is_named():
    deep = []
    for _ in range(10 * MAX_DEPTH):
        deep = [deep]
    shown = jsonable(deep)
    for _ in range(MAX_DEPTH):
        shown = shown[0]
    assert shown == '...'
    assert jsonable({'bad': Unshowable(), Unshowable(): 1}) == {
        'bad': '<Unshowable object whose __repr__ raised>',
        '<Unshowable object whose __str__ raised>': 1}
    json.dumps(jsonable(deep))


def test_an_int_too_long_for_text_is_shown_by_its_size():
    shown = jsonable({'n': 10 ** 5000, 'm': 10 ** 100})
    assert shown == {'n': '<int of 16610 bits>', 'm': 10 ** 100}
    json.dumps(shown)


def test_what_counts_as_too_long_for_text_follows_pythons_own_limit(monkeypatch):
    monkeypatch.setattr(sys, 'get_int_max_str_digits', lambda: 640)
    assert jsonable(10 ** 1000) == '<int of 3322 bits>' and jsonable(10 ** 600) == 10 ** 600


def test_with_no_limit_on_digits_no_int_is_too_long_for_text(monkeypatch):
    monkeypatch.setattr(sys, 'get_int_max_str_digits', lambda: 0)  # 0: no limit at all
    assert jsonable(5) == 5 and jsonable(10 ** 5000) == 10 ** 5000


def test_a_key_numbered_like_another_key_is_numbered_further_not_overwritten():
    shown = jsonable({'1 (int 2)': 'a', '1': 'b', 1: 'c'})
    assert shown == {'1 (int 2)': 'a', '1': 'b', '1 (int 3)': 'c'}


class Price(float):
    """A float whose repr raises."""

    def __repr__(self):
        raise ValueError('no repr')


def test_a_value_that_claims_a_class_it_is_not_of_is_shown_as_text():
    # isinstance() believes a Mock(spec=str) and a weakref.proxy; json.dumps does not
    price = Price(9.5)
    shown = jsonable({'rows': 3, 'price': weakref.proxy(price), 'who': mock.Mock(spec=str),
                      mock.Mock(spec=str): 1, 'nan': Price('nan'), 'real': price})
    assert shown['rows'] == 3 and shown['real'] == 9.5 and shown['nan'] == 'nan'
    assert shown['price'].startswith('<weakproxy at ') and shown['who'].startswith('<Mock ')
    json.dumps(shown)
