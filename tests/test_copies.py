"""Per-run copies: copy.copy() of a step, made directly for a class whose state is its
__dict__ (the copies of every other kind of class are tested through a vect, in
test_vect.py)."""
import copy
import gc
import weakref

from helpers import Scripted
from oautom import Flow, OAutom, OAutomMode
from oautom.copies import per_run_copy


def test_the_copy_check_keeps_no_step_class_alive():
    class Temporary(Scripted):
        """A class made on the fly, as a notebook or a test does."""
    per_run_copy(Temporary('t', Flow('etl')))
    alive = weakref.ref(Temporary)
    del Temporary
    gc.collect()
    assert alive() is None


def test_a_plain_steps_quick_copy_is_what_copy_copy_makes():
    step = Scripted('a', Flow('etl'), retries=2)
    quick, generic = per_run_copy(step), copy.copy(step)
    assert type(quick) is Scripted and quick is not step
    assert vars(quick) == vars(generic) == vars(step)
    assert quick.calls is step.calls  # shallow: what __init__ made is shared


class Reduced(Scripted):
    """Made picklable the usual way: a copy made from it calls __init__ again."""

    def __init__(self, name, flow, **options):
        super().__init__(name, flow, **options)
        self.made_with = (name, flow)

    def __reduce__(self):
        return (type(self), self.made_with)


def first_attempt(step_class, **options):
    """(the step, its vect, the step's status) once a step of `step_class` started once."""
    app = OAutom(mode=OAutomMode.step)
    step = step_class('fetch', Flow('f', app=app), **options)
    vect = app.start('f')
    app.tick()
    return step, vect, vect.status()['executions'][0]


def test_a_copy_that_fails_says_it_was_the_per_run_copy():
    _, vect, status = first_attempt(Reduced)
    assert (status['state'], status['error']) == (
        'failed', "CopyFailed: the per-run copy of step 'fetch', made with copy.copy() before "
        "each attempt, failed: FlowIntegrityError: flow 'f' already has a step named 'fetch'; "
        'give each step its own name; a copy hook that calls __init__ again adds a step to its '
        'flow again: give the class a __copy__ that copies it as it is')
    assert 'test_copies.py' in vect.log('fetch')  # its traceback shows the step's own code


class Itself(Scripted):
    """A __copy__ that returns the step itself: its attempts would write into the definition."""

    def __copy__(self):
        return self


def test_a_copy_that_is_the_step_itself_fails_the_attempt_and_leaves_the_step_alone():
    step, _, status = first_attempt(Itself, outputs={'rows': 3})
    assert (status['state'], status['error']) == (
        'failed', "CopyFailed: copy.copy() of step 'fetch' returned the step itself, so its "
        "attempts would change the flow's definition: give the class a __copy__ that returns "
        'a new object (or none: the default copies)')
    assert step.outputs == {}  # the definition's, untouched


class Counted(Scripted):
    """A class with a __new__ of its own, which counts the objects it makes."""
    made = []

    def __new__(cls, *args, **options):
        Counted.made.append(cls)
        return super().__new__(cls)


class CopiedItsOwnWay(Scripted):
    """A base class whose __copy__ notes each copy."""
    copies = []

    def __copy__(self):
        CopiedItsOwnWay.copies.append(self.name)
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        return clone


class Sub(CopiedItsOwnWay):
    """No hook of its own: its base's __copy__ makes its copies."""


def test_a_class_with_a_new_or_a_base_s_copy_hook_is_copied_as_copy_copy_does():
    counted = Counted('a', Flow('etl'))
    before = len(Counted.made)
    assert type(per_run_copy(counted)) is Counted and len(Counted.made) == before + 1
    sub = Sub('b', Flow('etl'))
    assert type(per_run_copy(sub)) is Sub and CopiedItsOwnWay.copies == ['b']
