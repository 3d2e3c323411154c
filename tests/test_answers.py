"""What a step's run() and check() give back: True and False, and the slips read strictly."""
import inspect
import warnings

import pytest

from oautom import Execution, Flow, OAutom, OAutomMode, VectState
from oautom.answers import closed_if_unrun, read_check
from oautom.failures import StepFailed
from helpers import tick_until_ended


@pytest.mark.parametrize('said, finished, noted', [
    (1, True, False),                 # equal to True: taken as it, no note
    (0, False, False),
    (None, False, True),              # a check() that forgot its return
    ([], False, True),                # an empty container would run for ever unseen
    ({}, False, True),
    ({'rows': 3}, True, True),        # outputs returned instead of filled in
    ([1], True, True),
    (2, True, True),
])
def test_an_answer_other_than_true_or_false_is_taken_as_its_truth_with_a_note(said, finished,
                                                                               noted):
    answer, note = read_check('a', said, {})
    assert answer is finished and bool(note) is noted
    if noted:
        assert note.startswith("check() of step 'a' returned ") and f'taken as {finished}' in note


@pytest.mark.parametrize('said', ['no', 'False', '', b'done'])
def test_text_is_never_an_answer(said):
    with pytest.raises(StepFailed, match=r"check\(\) of step 'a' returned (str|bytes) .*: return "
                                         r'True once the work is done, False while it runs'):
        read_check('a', said, {})


class AsyncCheck(Execution):
    """check() written as an async def: it returns a coroutine, which is true."""

    def run(self, context):
        pass

    async def check(self):
        return False


class AsyncGeneratorCheck(AsyncCheck):
    """check() as an async def that yields: an async generator, which has no close()."""

    async def check(self):
        yield False


class GeneratorRun(Execution):
    """run() that holds a yield: calling it runs none of its body."""

    def run(self, context):
        yield context

    def check(self):
        return True


@pytest.mark.parametrize('step_class, method, kind', [
    (AsyncCheck, 'check', 'an async def'),
    (AsyncGeneratorCheck, 'check', 'an async def'),
    (GeneratorRun, 'run', 'a generator function (it holds a yield)'),
])
def test_a_method_whose_body_never_ran_fails_its_step_in_words(step_class, method, kind):
    app = OAutom(mode=OAutomMode.step)
    step_class('a', Flow('f', app=app))
    vect = app.start('f')
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # a coroutine never awaited would warn: it is closed
        tick_until_ended(app, vect)
    assert vect.state is VectState.failed
    assert vect.status()['executions'][0]['error'].startswith(
        f"{method}() of step 'a' is {kind}, so its body never ran")


def test_a_coroutine_or_generator_whose_body_never_ran_is_closed():
    # Else Python warns, when it is collected, long after, that it was never awaited
    coroutine, generator = AsyncCheck.check(None), GeneratorRun.run(None, None)
    assert closed_if_unrun(coroutine) and closed_if_unrun(generator)
    assert inspect.getcoroutinestate(coroutine) == inspect.CORO_CLOSED
    assert inspect.getgeneratorstate(generator) == inspect.GEN_CLOSED
    assert not closed_if_unrun({'rows': 3})


def test_a_check_that_returns_the_outputs_it_filled_is_not_noted():
    assert read_check('a', {'rows': 3}, {'rows': 3}) == (True, None)


class ReturnsOutputs(Execution):
    """run() returns the outputs it means to publish: they would be lost unseen."""

    def run(self, context):
        return {'rows': 3}

    def check(self):
        return True


def test_what_run_returns_is_ignored_with_a_note_that_says_where_outputs_go(caplog):
    app = OAutom(mode=OAutomMode.step)
    ReturnsOutputs('a', Flow('f', app=app))
    vect = app.start('f')
    tick_until_ended(app, vect)
    note = ("run() of step 'a' returned dict {'rows': 3}, which is ignored: run() starts the "
            'work and returns nothing; a step publishes outputs by filling self.outputs '
            '(self.outputs.update(...)) before check() returns True')
    assert vect.status()['executions'][0]['state'] == 'success'
    assert vect.log('a') == f'[warning] {note}\n' and note in caplog.text
