"""Every numbered example runs as `python -m oautom.examples.NAME` and ends well."""
import importlib
import os
import pathlib
import subprocess
import sys

import pytest

import oautom.examples
from oautom import Flow, OAutom, OAutomMode
from oautom.clock import FakeClock

EXAMPLES = sorted(path.stem for path in pathlib.Path(oautom.examples.__file__).parent.glob(
    '[0-9][0-9]_*.py'))
ROOT = pathlib.Path(oautom.examples.__file__).parents[2]


def test_examples_are_numbered_in_sequence():
    assert [name[:2] for name in EXAMPLES] == [f'{n:02}' for n in range(1, len(EXAMPLES) + 1)]
    assert len(EXAMPLES) >= 4


@pytest.mark.parametrize('name', EXAMPLES)
def test_example_runs_and_leaves_no_file_behind(name, tmp_path):
    done = subprocess.run([sys.executable, '-m', f'oautom.examples.{name}'], cwd=ROOT,
                          capture_output=True, text=True, timeout=30, check=False,
                          env={**os.environ, 'TMPDIR': str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert 'Traceback' not in done.stderr
    assert done.stdout.strip()
    assert not list(tmp_path.iterdir())  # 01 used to leave its hello file


def test_hello_world_writes_hello_world():
    done = subprocess.run([sys.executable, '-m', 'oautom.examples.01_hello_world'], cwd=ROOT,
                          capture_output=True, text=True, timeout=30, check=True)
    assert 'says: Hello World!' in done.stdout
    assert 'success' in done.stdout


def test_failures_shows_a_retry_a_timeout_and_three_trigger_rules():
    done = subprocess.run([sys.executable, '-m', 'oautom.examples.06_failures'], cwd=ROOT,
                          capture_output=True, text=True, timeout=30, check=True)
    lines = {line.split()[0]: line.split()[1:] for line in done.stdout.splitlines()[1:7]}
    assert lines['flaky'][:2] == ['success', 'attempts=2']
    assert lines['slow'][:2] == ['failed', 'attempts=1'] and 'timed out after 0.2 s' in done.stdout
    assert lines['load'][0] == 'upstream_failed' and lines['alert'][0] == 'success'
    assert lines['clean'][1] == 'success' and lines['independent'][0] == 'success'
    assert "upstream 'slow' failed" in done.stdout and 'failed: 6/6 done' in done.stdout


def test_params_shows_defaults_overrides_a_converted_value_and_a_refusal():
    done = subprocess.run([sys.executable, '-m', 'oautom.examples.07_params'], cwd=ROOT,
                          capture_output=True, text=True, timeout=30, check=True)
    assert done.stdout.splitlines()[:3] == [
        "{'who': 'world', 'times': 1} -> greeting.1: hello world",
        "{'who': 'learners', 'times': 1} -> greeting.2: hello learners",
        "{'who': 'world', 'times': 3} -> greeting.3: hello hello hello world"]
    assert "refused: flow 'greeting' has no param 'whom'; did you mean 'who'?" in done.stdout


def test_watch_a_log_shows_output_while_the_step_runs_then_the_whole_log():
    done = subprocess.run([sys.executable, '-m', 'oautom.examples.08_watch_a_log'], cwd=ROOT,
                          capture_output=True, text=True, timeout=30, check=True)
    watched, whole = done.stdout.strip().split('\n\n')
    assert '(step running)' in watched  # a line read while the command still ran
    assert whole.splitlines()[2:] == [f'part {n} of 5' for n in range(1, 6)] + ['[exit code 0]']


def test_the_sensor_of_example_03_logs_why_it_stopped_when_it_times_out(tmp_path):
    sensor_class = importlib.import_module('oautom.examples.03_custom_execution').FileSensor
    clock = FakeClock()
    app = OAutom(OAutomMode.step, clock=clock)
    sensor_class('wait', Flow('sensor', app=app), path=str(tmp_path / 'never'), timeout=10)
    vect = app.start('sensor')
    app.tick()
    clock.advance(10)
    app.tick()
    assert vect.status()['executions'][0]['error'] == 'timed out after 10 s'
    assert vect.log('wait') == (f'waiting for {tmp_path}/never\ngave up waiting for '
                                f'{tmp_path}/never\n[attempt 1 failed: timed out after 10 s]\n')


def test_one_tick_prints_the_calls_of_the_tick_that_ends_a_and_starts_b():
    done = subprocess.run([sys.executable, '-m', 'oautom.examples.09_one_tick'], cwd=ROOT,
                          capture_output=True, text=True, timeout=30, check=True)
    calls = [line.strip() for line in done.stdout.splitlines()]
    assert done.stdout.startswith('app.py OAutom.tick\n  app.py OAutom._tick_unless_ticking\n')
    order = ['python_execution.py PythonExecution.check', 'vect.py Vect._settle',
             'vect.py Vect.start_step', 'workers.py Workers.hand_over', 'events.py Subscribers.post']
    assert [calls.index(call) for call in order] == sorted(calls.index(call) for call in order)
