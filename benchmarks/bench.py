"""`make bench`: oautom measured side by side with standard-library floors.

Each measurement runs `measure.py` in a fresh interpreter, so its time and
its peak memory are its own. Contenders are interleaved (floor, oautom,
floor, oautom, ...) so that a slow moment of the machine hits both alike,
and every figure is the median of REPEAT runs.

    python benchmarks/bench.py            the whole table (under 2 minutes)
    python benchmarks/bench.py --quick    one repetition, smaller N: a smoke test

After the table, the whole run ends with the issue's targets, each with the
figures it bounds and how many of them hold.
"""
import json
import os
import platform
import statistics
import subprocess
import sys
from datetime import date

HERE = os.path.dirname(os.path.abspath(__file__))
REPEAT = 7  # a 20 ms floor on this kind of machine varies by 10-50 % from run to run

# (workload, its sizes N, floors, the figure's unit); oautom runs in both modes against each
# floor. The sizes of a workload are interleaved too, so that the scaling ratio (10,000 /
# 1,000 steps) compares runs made at the same moments, like every other ratio.
GROUPS = [
    ('W1', [1000, 10000], ['floor'], 'time'),
    ('W2', [1000, 10000], ['floor'], 'time'),
    ('W3', [100], ['samework', 'bare'], 'time'),
    ('W5', [50], [], 'latency'),
    ('W6', [1], [], 'cpu'),
]
MODES = ['foreground', 'background']
SIZES = {workload: sizes for workload, sizes, _, _ in GROUPS}
TITLES = {'W1': 'chain of N no-op Python steps', 'W2': 'fan-out 1 -> N -> 1 (Python)',
          'W3': 'chain of N `true` shell steps', 'W5': 'hand-off latency, shell -> next',
          'W6': 'idle CPU while a `sleep 3` runs'}


def measure(contender, workload, n):
    """One fresh-process measurement: {'seconds': ..., 'peak_mib': ...}."""
    done = subprocess.run([sys.executable, os.path.join(HERE, 'measure.py'), contender,
                           workload, str(n)], capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f'measure.py {contender} {workload} {n} failed:\n{done.stderr}')
    return json.loads(done.stdout)


def run_group(workload, sizes, floors, repeat):
    """{N: {contender: medians}} for every size and contender, measured interleaved: one
    run of each per round, in the opposite order every other round, so that no contender
    always runs right after the same other one."""
    contenders = floors + MODES
    runs = [(n, contender) for n in sizes for contender in contenders]
    samples = {run: [] for run in runs}
    for round_number in range(repeat):
        for n, contender in runs if round_number % 2 == 0 else reversed(runs):
            samples[n, contender].append(measure(contender, workload, n))
    return {n: {contender: {'seconds': statistics.median(s['seconds'] for s in
                                                         samples[n, contender]),
                            'peak_mib': max(s['peak_mib'] for s in samples[n, contender])}
                for contender in contenders}
            for n in sizes}


def fmt_time(seconds, unit):
    """Seconds as a readable figure: ms for times, µs for latencies, CPU s for W6."""
    if unit == 'cpu':
        return f'{seconds:.3f} CPU s'
    if unit == 'latency':
        return f'{seconds * 1e6:.0f} µs'
    return f'{seconds * 1e3:.1f} ms'


def print_rows(workload, n, floors, unit, medians):
    """The table's rows for one workload and size: each mode against each floor."""
    for mode in MODES:
        mine = medians[mode]
        for floor in floors or ['—']:
            base = medians.get(floor)
            ratio = f'{mine["seconds"] / base["seconds"]:.2f}' if base else '—'
            per_step = f'{mine["seconds"] / n * 1e6:.0f} µs' if unit == 'time' else '—'
            print(f'| {workload} {TITLES[workload]} | {n} | {floor} | '
                  f'{fmt_time(base["seconds"], unit) if base else "—"} | {mode} | '
                  f'{fmt_time(mine["seconds"], unit)} | {ratio} | {per_step} | '
                  f'{mine["peak_mib"]:.0f} |')


def main():
    """Measure every row, print the table in Markdown."""
    quick = '--quick' in sys.argv
    repeat = 1 if quick else REPEAT
    print(f'oautom benchmarks, {date.today()}, {platform.machine()}, {os.cpu_count()} cores, '
          f'Python {platform.python_version()}, median of {repeat}\n')
    print('| workload | N | floor | floor time | mode | oautom time | ratio | per step | '
          'peak MiB |')
    print('|---|---|---|---|---|---|---|---|---|')
    results = {}
    for workload, sizes, floors, unit in GROUPS:
        if quick and unit == 'time':
            sizes = sorted({min(n, 200) for n in sizes})
        for n, medians in run_group(workload, sizes, floors, repeat).items():
            results[workload, n] = medians
            print_rows(workload, n, floors, unit, medians)
    if not quick:  # the targets are for the full sizes
        print('\nTargets (a figure holds when it is at most its bound):')
        for line in target_lines(results):
            print(line)


def target_figures(results):
    """[(target, bound, [(label, figure), ...])]: every target of the issue, and the
    figures of this run that it bounds, from `results`: {(workload, N): medians}."""
    def ratio(workload, n, mode, floor):
        return results[workload, n][mode]['seconds'] / results[workload, n][floor]['seconds']

    def growth(workload, mode):
        small, large = SIZES[workload]
        return results[workload, large][mode]['seconds'] / results[workload, small][mode]['seconds']

    w3, w5, w6 = SIZES['W3'][0], SIZES['W5'][0], SIZES['W6'][0]
    chains_and_fans = [(workload, n, mode) for workload in ('W1', 'W2')
                       for n in SIZES[workload] for mode in MODES]
    largest = [(workload, SIZES[workload][-1], mode) for workload in ('W1', 'W2')
               for mode in MODES]
    return [
        ('W1 and W2, oautom / floor', 1.5,
         [(f'{w} {n} {mode}', ratio(w, n, mode, 'floor')) for w, n, mode in chains_and_fans]),
        ('W3, oautom / same-work loop', 1.15,
         [(mode, ratio('W3', w3, mode, 'samework')) for mode in MODES]),
        ('W3, oautom / bare loop', 1.6, [(mode, ratio('W3', w3, mode, 'bare')) for mode in MODES]),
        ('scaling, time(10,000) / time(1,000)', 12,
         [(f'{w} {mode}', growth(w, mode)) for w in ('W1', 'W2') for mode in MODES]),
        ('W5 hand-off latency, ms', 2,
         [(mode, results['W5', w5][mode]['seconds'] * 1e3) for mode in MODES]),
        ('W6 idle, CPU s', 0.03, [(mode, results['W6', w6][mode]['seconds']) for mode in MODES]),
        ('peak memory of a 10,000-step vect, MiB', 60,
         [(f'{w} {mode}', results[w, n][mode]['peak_mib']) for w, n, mode in largest]),
    ]


def target_lines(results):
    """One line per target: its bound, its figures, and how many of them hold."""
    lines = []
    for target, bound, figures in target_figures(results):
        holding = sum(figure <= bound for _, figure in figures)
        verdict = 'holds' if holding == len(figures) else f'{holding} of {len(figures)} hold'
        shown = ', '.join(f'{label} {figure:.3g}' for label, figure in figures)
        lines.append(f'- {target} <= {bound:g}: {shown}: **{verdict}**')
    return lines


if __name__ == '__main__':
    main()
