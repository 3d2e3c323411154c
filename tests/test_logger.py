"""The `oautom` logger never raises, whatever a program's logging setup does."""
import logging

import pytest

from oautom import Flow, OAutom, OAutomMode, PythonExecution, VectState
from oautom.logger import logger


@pytest.fixture(name='broken_filter')
def fixture_broken_filter():
    """A handler whose filter reads an attribute that only the program's own records have."""
    handler = logging.StreamHandler()
    handler.addFilter(lambda record: record.request_id != 'health')
    logging.getLogger('oautom').addHandler(handler)
    yield
    logging.getLogger('oautom').removeHandler(handler)


def test_a_filter_that_raises_cannot_stop_the_engine_and_the_message_goes_to_stderr(
        broken_filter, capsys):  # pylint: disable=unused-argument
    app = OAutom(OAutomMode.background)
    flow = Flow('f', app=app)
    failing = PythonExecution('a', flow, lambda context: 1 / 0)
    failing >> PythonExecution('b', flow, lambda context: None, trigger_rule='all_done')
    app.run()
    vect = app.start('f')
    assert vect.wait(5) and vect.state is VectState.failed  # the engine went on after the failure
    assert [step['state'] for step in vect.status()['executions']] == ['failed', 'success']
    app.stop()
    assert ("oautom: logging raised AttributeError: 'LogRecord' object has no attribute "
            "'request_id'; the message was: f.1 a: failed after 1 attempt(s): ZeroDivisionError: "
            'division by zero\n') in capsys.readouterr().err


def test_a_message_names_the_engine_s_line_that_logged_it_not_the_logger_s(caplog):
    def reporter():
        logger.warning('note %d', 1)
    reporter()
    (record,) = caplog.records
    assert (record.getMessage(), record.funcName, record.module) == ('note 1', 'reporter',
                                                                      'test_logger')
