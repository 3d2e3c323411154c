"""Per-run copies: the copy of a step that each attempt runs on.

execution.py states the rule: before each attempt, the engine makes a shallow
copy of the step (`copy.copy`) with a fresh `outputs` dict, and runs that, so
that no run changes the flow's definition or sees another run's state. This
module makes the copy, for `StepRun.start_attempt` (step_run.py).

Most step classes keep all their state in the instance's `__dict__`, and
copy.copy() of such an object is a new object whose `__dict__` holds the same
items (a dict of its own: the copy's fresh `outputs` leaves the step's alone).
That is made here directly, which takes a third of the time (a 10,000-step
flow makes 10,000 copies). A class with any copy hook of its own (a `__copy__`, a
`__getstate__`, `__slots__`, a copyreg entry...) gets copy.copy() itself. Which
of the two a class gets is decided at its first copy: a hook added to the
class later is not seen.
"""
import copy
import copyreg
import weakref

from .errors import is_interrupt
from .failures import describe


class CopyFailed(Exception):
    """copy.copy() of a step raised, or gave back the step itself: its copy hooks (a
    __reduce__ that makes a new step, a __copy__ that returns self...) cannot copy it."""

# What makes copy.copy() of an object more than a copy of its __dict__ (a __new__ of its
# own too: the direct copy below calls object.__new__, which would skip it)
COPY_HOOKS = ('__copy__', '__reduce__', '__reduce_ex__', '__getstate__', '__setstate__',
              '__slots__', '__new__')
_COPIES_DICT_ONLY = weakref.WeakKeyDictionary()  # weak: a step class dropped is not kept


def per_run_copy(step):
    """copy.copy(step): the copy an attempt runs on, made directly when that is the same."""
    if not _copies_its_dict_only(type(step)):
        try:
            clone = copy.copy(step)
        except BaseException as error:  # else its message names no copy (a duplicate name)
            if is_interrupt(error):
                raise
            raise CopyFailed(f'the per-run copy of step {step.name!r}, made with copy.copy() '
                             f'before each attempt, failed: {describe(error)}; a copy hook that '
                             'calls __init__ again adds a step to its flow again: give the '
                             'class a __copy__ that copies it as it is') from error
        if clone is step:  # its attempt would change the flow's definition: the contract says no
            raise CopyFailed(f'copy.copy() of step {step.name!r} returned the step itself, so '
                             'its attempts would change the flow\'s definition: give the class '
                             'a __copy__ that returns a new object (or none: the default copies)')
        return clone
    clone = object.__new__(type(step))
    clone.__dict__.update(step.__dict__)
    return clone


def _copies_its_dict_only(cls):
    """True if copy.copy() of a `cls` object only copies its __dict__: no copy hook of its
    own or of a base class (__copy__, __getstate__, __slots__...), and none in copyreg."""
    answer = _COPIES_DICT_ONLY.get(cls)  # asked at every attempt: answered once per class
    if answer is None:
        answer = _COPIES_DICT_ONLY[cls] = cls not in copyreg.dispatch_table and not any(
            hook in vars(klass) for klass in cls.__mro__[:-1] for hook in COPY_HOOKS)
    return answer
