"""Params: a flow declares them with defaults; each vect may override some.

`Flow('etl', params={'day': '2026-01-01', 'limit': 10})` declares two params.
`app.start('etl', params={'limit': '20'})` overrides one. Values often arrive
as text (a command line, an HTML form), so text is converted to the type of
the default when that default is an int, a float or a bool; a value that is
not text must then already be of that type (an int is fine for a float).
Other defaults take any value that can be copied: each vect gets a deep copy
of its params, its own. A name the flow does not declare is refused: a typo
should fail loudly, not run the flow with the default. For the same reason, a
step that reads a param the vect does not have (`context.params['dya']`) is
told which ones it has, not given a bare KeyError.
"""
import copy
import math
import sys
from collections.abc import Mapping
from functools import partial

from .errors import InvalidParamsError, UnknownParamError
from .names import did_you_mean, shown_name
from .report import short_repr

TRUE_WORDS = ('true', '1', 'yes')
FALSE_WORDS = ('false', '0', 'no')


def resolve_params(flow, given):
    """The flow's defaults, overridden by `given` (converted); raise InvalidParamsError if bad."""
    given = {} if given is None else given
    if not isinstance(given, Mapping):
        raise InvalidParamsError(
            f'params for flow {flow.name!r} must be a mapping of names to values, '
            f'not {type(given).__name__}')
    declared = ', '.join(flow.params) or 'none'
    values = dict(flow.params)
    for name, value in given.items():
        if not isinstance(name, str):  # no flow declares it: names are text
            raise InvalidParamsError(f'flow {flow.name!r}: param names are text, not '
                                     f'{type(name).__name__} {short_repr(name)}: write '
                                     f'{short_repr(str(name))}')
        if name not in flow.params:
            hint = did_you_mean(name, flow.params)  # else, maybe it is missing: how to add it
            shown = shown_name(name)  # a name of a million characters is shown cut short
            fix = '' if hint else f' (declare it with Flow(..., params={{{shown}: default}}))'
            raise InvalidParamsError(f'flow {flow.name!r} has no param {shown}; {hint}its '
                                     f'declared params are: {declared}{fix}')
        values[name] = convert(flow.name, name, value, flow.params[name])
    # The vect's own copy: a step that changes a list param changes neither the flow's
    # default, nor the caller's list, nor what a plan gives its next firing.
    return Params({name: own_copy(flow.name, name, value) for name, value in values.items()})


class Params(dict):
    """A vect's params: a plain dict, but for a missing name, which says which names it has."""

    def __missing__(self, name):
        # dict[name] calls this for a name it does not hold (get() and `in` do not)
        raise UnknownParamError(name, partial(_no_param, name, list(self)))


def _no_param(name, known):
    """The message of UnknownParamError, made when it is shown."""
    hint = did_you_mean(name, known)
    fix = '' if hint else f' (declare it with Flow(..., params={{{name!r}: default}}))'
    return (f'this vect has no param {name!r}; {hint}its params are: '
            f'{", ".join(map(str, known)) or "none"}{fix}')


def own_copy(flow_name, name, value):
    """A deep copy of `value`, or InvalidParamsError saying why there can be none."""
    try:
        return copy.deepcopy(value)
    except Exception as error:  # pylint: disable=broad-exception-caught
        # copy.Error, TypeError (a lock, a connection), or whatever a class's own hook raises
        raise InvalidParamsError(
            f'param {name!r} of flow {flow_name!r} cannot be copied ({type(error).__name__}: '
            f'{error}), and each vect gets its own copy of its params; pass plain data '
            '(text, numbers, lists, dicts), or make the object inside a step') from error


def convert(flow_name, name, value, default):
    """`value` for a param whose default is `default`: for a bool, int or float default,
    text is converted to its type and any other value checked to be of it (else
    InvalidParamsError); for a default of another type, `value` as it is."""
    kind = type(default)
    if kind not in (bool, int, float):
        return value
    if not isinstance(value, str):
        return _checked_non_text(flow_name, name, value, default)
    text = value.strip()
    if kind is bool:
        if text.lower() in TRUE_WORDS:
            return True
        if text.lower() in FALSE_WORDS:
            return False
        wanted = f'one of {"/".join(TRUE_WORDS + FALSE_WORDS)}'
    else:
        try:
            number = kind(text)
            if math.isfinite(number):  # nan and inf would make status() invalid JSON
                return number
        except ValueError:
            pass
        wanted = 'a whole number' if kind is int else 'a finite number'
    raise InvalidParamsError(
        f'param {name!r} of flow {flow_name!r} takes {wanted} (its default is {default!r}), '
        f'not {short_repr(value)}')


def _checked_non_text(flow_name, name, value, default):
    """A non-text value for a bool, int or float param: kept if it is of the right type."""
    kind = type(default)
    kinds = (int, float) if kind is float else (kind,)
    right_type = isinstance(value, kinds) and (kind is bool or not isinstance(value, bool))
    # Finite: JSON has no nan or inf, and an int such as 10**400 has no float at all.
    if right_type and (kind is not float or abs(value) <= sys.float_info.max):
        return value
    wanted = {bool: 'a bool', int: 'an int', float: 'a finite float'}[kind]
    raise InvalidParamsError(
        f'param {name!r} of flow {flow_name!r} takes {wanted} like its default {default!r}, '
        f'not {type(value).__name__} {short_repr(value)}')
