"""The benchmark's workloads still run (tiny N, no timing checked: `make bench` measures)."""
import importlib.util
import re
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
    ('waitfloor', 'W1'), ('waitfloor', 'W2'),
    ('bare', 'W3'), ('samework', 'W3'), ('foreground', 'W3'), ('background', 'W3'),
    ('foreground', 'W5'), ('background', 'W5'),
])
def test_every_workload_runs_for_every_contender(measure, contender, workload):
    result = measure(contender, workload, 3)  # run_oautom asserts the vect succeeded
    assert result['seconds'] > 0 and result['peak_mib'] > 0


def test_the_switch_cost_script_prints_ticks_round_trips_and_sleeps_a_step():
    done = subprocess.run([sys.executable, str(BENCHMARKS / 'switch_cost.py'), '20'],
                          capture_output=True, text=True, timeout=60, check=True)
    lines = done.stdout.splitlines()
    assert [line.split(':')[0].strip() for line in lines] == ['warm', 'switched', 'round trip',
                                                             'sleeps a W1 step']
    assert all('µs of engine CPU a tick' in line for line in lines[:2])
    assert "µs with oautom's workers and doorbell;" in lines[2]
    assert "µs with the floor's ThreadPoolExecutor and done-callback" in lines[2]
    mine, floor = (float(word) for word in lines[3].replace(',', '').split()
                   if word[0].isdigit())
    assert mine > 0 and floor > 0  # every step of either sleeps somewhere


def test_the_lean_engine_runs_a_chain_and_prints_it_beside_the_floor_and_oautom():
    done = subprocess.run([sys.executable, str(BENCHMARKS / 'lean_engine.py'), '20'],
                          capture_output=True, text=True, timeout=60, check=True)
    lines = done.stdout.splitlines()
    assert [line[:12].strip() for line in lines] == ['floor', 'lean engine', 'oautom']
    assert all(re.search(r'\d µs a step  \d+\.\d\d of the floor$', line) for line in lines)


@pytest.fixture(name='bench')
def fixture_bench():
    spec = importlib.util.spec_from_file_location('bench', BENCHMARKS / 'bench.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_interleaves_sizes_and_contenders_so_ratios_compare_like_with_like(bench):
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


def test_bench_ends_with_each_target_its_figures_and_how_many_hold(bench):
    def medians(floors, seconds, peak_mib=20):
        both_modes = {mode: {'seconds': seconds, 'peak_mib': peak_mib} for mode in bench.MODES}
        return {**{floor: {'seconds': 1.0, 'peak_mib': 10} for floor in floors}, **both_modes}

    results = {('W1', 1000): medians(['floor'], 2.0), ('W1', 10000): medians(['floor'], 30.0),
               ('W2', 1000): medians(['floor'], 1.4), ('W2', 10000): medians(['floor'], 1.4, 61),
               ('W3', 100): medians(['samework', 'bare'], 1.1),
               ('W5', 50): medians([], 0.0004), ('W6', 1): medians([], 0.003)}
    results['W1', 1000]['background']['seconds'] = 1.5  # on the bound: it holds
    lines = bench.target_lines(results)
    assert lines[0] == ('- W1 and W2, oautom / floor <= 1.5: W1 1000 foreground 2, W1 1000 '
                        'background 1.5, W1 10000 foreground 30, W1 10000 background 30, '
                        'W2 1000 foreground 1.4, W2 1000 background 1.4, W2 10000 foreground '
                        '1.4, W2 10000 background 1.4: **5 of 8 hold**')
    assert lines[1].endswith('foreground 1.1, background 1.1: **holds**')  # same-work
    assert lines[3].startswith('- scaling, time(10,000) / time(1,000) <= 12: W1 foreground 15, '
                               'W1 background 20, W2 foreground 1, W2 background 1:')
    assert lines[4] == ('- W5 hand-off latency, ms <= 2: foreground 0.4, background 0.4: '
                        '**holds**')
    assert lines[6].endswith('W2 foreground 61, W2 background 61: **2 of 4 hold**')
    assert len(lines) == 7
