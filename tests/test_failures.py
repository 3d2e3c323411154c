"""How a step's failure is told: one line for its status, the traceback for its log."""
import pytest

from oautom import Flow, OAutom, OAutomMode
from oautom.clock import FakeClock
from oautom.failures import ERROR_LIMIT, cut_short, describe
from helpers import Scripted, tick_until_ended


def test_the_logged_traceback_of_a_failed_check_starts_at_the_step_s_own_code():
    app = OAutom(mode=OAutomMode.step, clock=FakeClock())
    Scripted('bad', Flow('etl', app=app), script=[ValueError('no rows')])
    vect = app.start('etl')
    tick_until_ended(app, vect)
    log = vect.log('bad')
    assert 'helpers.py' in log and 'ValueError: no rows' in log
    assert 'step_run.py' not in log  # oautom's call into check() is no concern of the user's


def test_an_error_without_a_message_is_described_by_its_type_alone():
    assert describe(ValueError()) == 'ValueError'


def test_a_message_of_exactly_the_limit_is_shown_whole():
    text = 'x' * ERROR_LIMIT
    assert cut_short(text) == text


class InterruptedStr(Exception):
    """An error whose __str__ is cut short by a Ctrl-C."""

    def __str__(self):
        raise KeyboardInterrupt


def test_a_ctrl_c_while_describing_an_error_in_the_main_thread_goes_through():
    with pytest.raises(KeyboardInterrupt):
        describe(InterruptedStr())
