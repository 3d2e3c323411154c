"""Every numbered example runs as `python -m oautom.examples.NAME` and ends well."""
import pathlib
import subprocess
import sys

import pytest

import oautom.examples

EXAMPLES = sorted(path.stem for path in pathlib.Path(oautom.examples.__file__).parent.glob(
    '[0-9][0-9]_*.py'))
ROOT = pathlib.Path(oautom.examples.__file__).parents[2]


def test_examples_are_numbered_in_sequence():
    assert [name[:2] for name in EXAMPLES] == [f'{n:02}' for n in range(1, len(EXAMPLES) + 1)]
    assert len(EXAMPLES) >= 4


@pytest.mark.parametrize('name', EXAMPLES)
def test_example_runs(name):
    done = subprocess.run([sys.executable, '-m', f'oautom.examples.{name}'], cwd=ROOT,
                          capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    assert 'Traceback' not in done.stderr
    assert done.stdout.strip()


def test_hello_world_writes_hello_world():
    done = subprocess.run([sys.executable, '-m', 'oautom.examples.01_hello_world'], cwd=ROOT,
                          capture_output=True, text=True, timeout=30, check=True)
    assert 'says: Hello World!' in done.stdout
    assert 'success' in done.stdout
