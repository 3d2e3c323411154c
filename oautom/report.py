"""Turning a vect's state into what people and JSON read.

The engine keeps Python objects (datetimes, enums, whatever a step put in its
outputs). Status dicts must survive `json.dumps` (the contract, API.md, says
so), so values are converted at this edge, never inside the loop.
"""
import math
import reprlib
import sys
from collections.abc import Mapping

MAX_DEPTH = 50  # containers within containers shown; deeper ones are shown as '...'


def iso(moment):
    """A datetime as ISO 8601 text, or None."""
    return None if moment is None else moment.isoformat()


def jsonable(value, outer=()):
    """`value` if JSON can hold it, containers converted inside out, anything else as its repr.

    Whatever a step published, this never raises: a container inside itself (`outer` holds
    the ids of those around `value`) or too deep is shown as '...', and a value whose
    __repr__ (a key whose __str__) or iteration raises is shown by its type."""
    # Its type, not isinstance(): a Mock(spec=str) or a weakref.proxy claims another class
    kind = type(value)
    if issubclass(kind, float) and not math.isfinite(value):
        return float.__repr__(value)  # strict JSON has no nan or inf
    if too_long_for_text(value):
        return f'<int of {int.bit_length(value)} bits>'
    if value is None or issubclass(kind, (str, int, float, bool)):
        return value
    if not issubclass(kind, (Mapping, list, tuple)):
        return _shown(value)
    if id(value) in outer or len(outer) >= MAX_DEPTH:
        return '...'
    return _converted(value, (*outer, id(value)))


def too_long_for_text(value):
    """True for an int with more digits than str() and repr() will write (a limit of
    Python's: sys.get_int_max_str_digits(), 4,300 by default), or about that many: its
    digits are estimated from its bits, each worth 0.30103 digit."""
    limit = sys.get_int_max_str_digits()
    return issubclass(type(value), int) and 0 < limit < int.bit_length(value) * 0.30103 + 1


def short_repr(value):
    """repr(value) cut short, as reprlib does, for a message; an int too long for text by
    its size, and a container holding one by its type."""
    if too_long_for_text(value):
        return f'<int of {int.bit_length(value)} bits>'
    try:
        return reprlib.repr(value)
    except ValueError:  # an int inside, too long for text
        return f'<{type(value).__name__} too long to show>'


def _converted(container, inner):
    """A Mapping as a dict, a list or tuple as a list, each item made jsonable."""
    try:
        if issubclass(type(container), Mapping):
            converted, alike = {}, {}  # alike: text -> how many keys were shown as it so far
            for key, item in container.items():
                text = shown = key if issubclass(type(key), str) else _shown(key, str)
                while text in converted:  # 1 and '1' both, or two nan: the later ones numbered
                    alike[shown] = alike.get(shown, 1) + 1
                    text = f'{shown} ({type(key).__name__} {alike[shown]})'
                converted[text] = jsonable(item, inner)
            return converted
        return [jsonable(item, inner) for item in container]
    except Exception:  # pylint: disable=broad-exception-caught
        return _shown(container)  # a Mapping of the step's own whose items() raise


def _shown(value, show=repr):
    """show(value): its repr (its str, for a key), or what it is if that raises."""
    try:
        return show(value)
    except Exception:  # pylint: disable=broad-exception-caught
        return f'<{type(value).__name__} object whose __{show.__name__}__ raised>'


def vect_status(vect_fields, step_fields):
    """The status dict, from a vect's fields (id, flow, state, params, start_date, end_date)
    and its steps' (name, state, attempts, started, ended, error, outputs), copied by Vect."""
    vect_id, flow, state, params, start_date, end_date = vect_fields
    return {
        'id': vect_id, 'flow': flow, 'state': state.value, 'params': jsonable(params),
        'start_date': iso(start_date), 'end_date': iso(end_date),
        'executions': [{
            'name': name, 'state': step_state.value, 'attempts': attempts,
            'started': iso(started), 'ended': iso(ended), 'error': error,
            'outputs': jsonable(outputs),
        } for name, step_state, attempts, started, ended, error, outputs in step_fields],
    }
