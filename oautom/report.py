"""Turning a vect's state into what people and JSON read.

The engine keeps Python objects (datetimes, enums, whatever a step put in its
outputs). Status dicts must survive `json.dumps` for the HTTP API, so values
are converted at this edge, never inside the loop.
"""
import math
from collections.abc import Mapping


def iso(moment):
    """A datetime as ISO 8601 text, or None."""
    return None if moment is None else moment.isoformat()


def jsonable(value):
    """`value` if JSON can hold it, containers converted inside out, anything else as its repr."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # strict JSON has no nan or inf
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    return repr(value)


def vect_status(vect, runs):
    """The status dict, from a vect's fields (id, flow, state, params, start_date, end_date)
    and its steps' (name, state, attempts, started, ended, error, outputs), copied by Vect."""
    vect_id, flow, state, params, start_date, end_date = vect
    return {
        'id': vect_id, 'flow': flow, 'state': state.value, 'params': jsonable(params),
        'start_date': iso(start_date), 'end_date': iso(end_date),
        'executions': [{
            'name': name, 'state': step_state.value, 'attempts': attempts,
            'started': iso(started), 'ended': iso(ended), 'error': error,
            'outputs': jsonable(outputs),
        } for name, step_state, attempts, started, ended, error, outputs in runs],
    }
