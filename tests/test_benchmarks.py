"""The benchmark's workloads still run (tiny N, no timing checked: `make bench` measures)."""
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / 'benchmarks'
MEASURE = BENCHMARKS / 'measure.py'


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


def test_the_switch_cost_script_prints_warm_and_switched_ticks():
    done = subprocess.run([sys.executable, str(BENCHMARKS / 'switch_cost.py'), '20'],
                          capture_output=True, text=True, timeout=60, check=True)
    lines = done.stdout.splitlines()
    assert [line.split(':')[0].strip() for line in lines] == ['warm', 'switched']
    assert all('µs of engine CPU a tick' in line for line in lines)


def test_bench_interleaves_sizes_and_contenders_so_ratios_compare_like_with_like():
    spec = importlib.util.spec_from_file_location('bench', BENCHMARKS / 'bench.py')
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    calls = []

    def fake_measure(contender, workload, n):
        calls.append((contender, n))
        return {'seconds': n / 1000 * len(calls), 'peak_mib': len(calls)}

    bench.measure = fake_measure
    medians = bench.run_group('W1', [1000, 10000], ['floor'], repeat=3)
    one_round = [(contender, n) for n in (1000, 10000)
                 for contender in ('floor', 'foreground', 'background')]
    assert calls == one_round + one_round[::-1] + one_round  # every other round reversed
    # the foreground runs at 1,000 steps were calls 2, 11 and 14: their median, their peak
    assert medians[1000]['foreground'] == {'seconds': 11.0, 'peak_mib': 14}
