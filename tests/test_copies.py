"""Per-run copies: copy.copy() of a step, made directly for a class whose state is its
__dict__ (the copies of every other kind of class are tested through a vect, in
test_vect.py)."""
import copy
import gc
import weakref

from helpers import Scripted
from oautom import Flow
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
