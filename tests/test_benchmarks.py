"""The benchmark's workloads still run (tiny N, no timing checked: `make bench` measures)."""
import importlib.util
from pathlib import Path

import pytest

MEASURE = Path(__file__).resolve().parent.parent / 'benchmarks' / 'measure.py'


@pytest.fixture(name='measure', scope='module')
def fixture_measure():
    spec = importlib.util.spec_from_file_location('measure', MEASURE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.measure


@pytest.mark.parametrize('contender, workload', [
    ('floor', 'W1'), ('foreground', 'W1'), ('background', 'W1'),
    ('floor', 'W2'), ('foreground', 'W2'), ('background', 'W2'),
    ('bare', 'W3'), ('samework', 'W3'), ('foreground', 'W3'), ('background', 'W3'),
    ('foreground', 'W5'), ('background', 'W5'),
])
def test_every_workload_runs_for_every_contender(measure, contender, workload):
    result = measure(contender, workload, 3)  # run_oautom asserts the vect succeeded
    assert result['seconds'] > 0 and result['peak_mib'] > 0
